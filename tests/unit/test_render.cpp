// SPDX-License-Identifier: MIT
// Rendering: Markdown to HTML and text, link rewriting (the reference's
// vectors, buildos-worker.md 8.6), escaping, templates and subject variants.
#include <briefos/error.hpp>
#include <briefos/render.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace briefos::render;

namespace {

const std::string base = "https://build-os.com";
const std::string uuid = "1f0e4a52-7c1b-4c3e-9d2a-0a1b2c3d4e5f";

std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// The href and src values of `html`.
std::vector<std::string> attribute_values(const std::string& html) {
  std::vector<std::string> out;
  for (const std::string attr : {"href=\"", "src=\""}) {
    for (std::size_t p = html.find(attr); p != std::string::npos; p = html.find(attr, p + 1)) {
      const std::size_t start = p + attr.size();
      out.push_back(html.substr(start, html.find('"', start) - start));
    }
  }
  return out;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path()
           / ("briefos-render-" + std::to_string(getpid()) + "-" + std::to_string(++counter()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

EmailView view() {
  EmailView v;
  v.email_id = "0b5c2f6e-1111-4222-8333-944455556666";
  v.subject = "Daily Brief - Wed, Oct 1";
  v.brief_id = uuid;
  v.brief_date = "2025-10-01";
  v.markdown = "# Daily Brief\n\n- [Write docs](/tasks/42) <script>alert(1)</script>\n";
  v.recipient_name = "Ada";
  v.recipient_email = "ada@example.org";
  v.from_name = "briefos";
  v.base_url = base;
  v.brief_url = base + "/briefs/" + uuid;
  v.preferences_url = base + "/settings";
  v.unsubscribe_url = base + "/unsubscribe/tok";
  v.tracking_url = base + "/api/email-tracking/track-1";
  return v;
}

}  // namespace

TEST_SUITE_BEGIN("render");

TEST_CASE("render::absolutize_markdown reference vectors") {
  SUBCASE("inline link") {
    CHECK(absolutize_markdown("[Project](/projects/" + uuid + ")", base)
          == "[Project](https://build-os.com/projects/" + uuid + ")");
  }
  SUBCASE("reference link definition") {
    CHECK(absolutize_markdown("[ref]: /projects/" + uuid, base)
          == "[ref]: https://build-os.com/projects/" + uuid);
    CHECK(absolutize_markdown("See [it][ref]\n\n[ref]: /notes/9\n", base)
          == "See [it][ref]\n\n[ref]: https://build-os.com/notes/9\n");
  }
  SUBCASE("href attribute") {
    CHECK(absolutize_markdown("<a href=\"/tasks/7\">t</a>", base)
          == "<a href=\"https://build-os.com/tasks/7\">t</a>");
  }
  SUBCASE("image") {
    CHECK(absolutize_markdown("![chart](/img/chart.png)", base)
          == "![chart](https://build-os.com/img/chart.png)");
  }
  SUBCASE("bare paths in list items") {
    CHECK(absolutize_markdown("- /tasks/" + uuid + "\n- see /projects/abc", base)
          == "- https://build-os.com/tasks/" + uuid + "\n- see https://build-os.com/projects/abc");
    CHECK(absolutize_markdown("/briefs/1 first", base) == "https://build-os.com/briefs/1 first");
    // Not one of the app's paths, or not preceded by whitespace: unchanged.
    CHECK(absolutize_markdown("and/or /other/x a/tasks/1", base) == "and/or /other/x a/tasks/1");
  }
  SUBCASE("external and absolute links unchanged") {
    for (const std::string s :
         {"[e](https://example.com/projects/1)", "[b](https://build-os.com/projects/1)",
          "[p](//cdn.example.com/x.png)", "[m](mailto:ada@example.org)", "[f](#section)",
          "https://example.com/tasks/1"}) {
      CAPTURE(s);
      CHECK(absolutize_markdown(s, base) == s);
    }
  }
  SUBCASE("trailing slash on the base") {
    CHECK(absolutize_markdown("[x](/tasks/1)", "https://build-os.com/") == "[x](https://build-os.com/tasks/1)");
  }
}

TEST_CASE("render::markdown_to_html escapes user content") {
  const std::string html = markdown_to_html(
      "Task: <script>alert('x')</script> & <img src=x onerror=alert(1)>\n\n<div>block</div>\n", base);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("<div") == std::string::npos);
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
  CHECK(html.find("&amp;") != std::string::npos);
}

TEST_CASE("render::markdown_to_html neutralises unsafe link schemes") {
  // A refused link is its label: no href, no src, no "javascript" anywhere.
  for (const std::string md :
       {"[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](&#106;avascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)", "[x](vbscript:msgbox)", "[x](file:///etc/passwd)",
        "![x](javascript:alert(1))", "[x](tel:+1555)", "[x](java&#x09;script:alert(1))",
        "[x](javascript&colon;alert(1))"}) {
    CAPTURE(md);
    const std::string html = markdown_to_html(md, base);
    CAPTURE(html);
    CHECK(attribute_values(html).empty());
    CHECK(html == "<p>x</p>\n");
    CHECK(markdown_to_text(md, base) == "x\n");
  }
  const std::string auto_js = markdown_to_html("<javascript:alert(1)>", base);
  CHECK(attribute_values(auto_js).empty());
  CHECK(auto_js.find("javascript:alert(1)") != std::string::npos);  // its text, shown as text
  const LinkPolicy p = LinkPolicy::of(base);
  CHECK_FALSE(resolve_link(p, "javascript:alert(1)"));
  CHECK_FALSE(resolve_link(p, "java\tscript:alert(1)"));
  CHECK(resolve_link(p, "https://build-os.com/a:b") == "https://build-os.com/a:b");
  CHECK(resolve_link(p, "/tasks/1?x=a:b") == "https://build-os.com/tasks/1?x=a:b");
  CHECK(resolve_link(p, "mailto:ada@example.org") == "mailto:ada@example.org");
}

TEST_CASE("render::one link and image policy for HTML and text") {
  const LinkPolicy p = LinkPolicy::of(base, {"docs.example.com"});
  SUBCASE("a phishing link keeps its label, loses its URL") {
    const std::string md = "[Verify your account](https://evil.example/verify) now";
    CHECK(markdown_to_html(md, p) == "<p>Verify your account now</p>\n");
    CHECK(markdown_to_text(md, p) == "Verify your account now\n");
  }
  SUBCASE("no remote image: an image is its alt text") {
    for (const std::string md : {"![x](https://tracker.example/open.gif)", "![x](https://build-os.com/p.gif)",
                                 "![x](/img/p.gif)", "![*x*](https://docs.example.com/p.gif \"t\")"}) {
      CAPTURE(md);
      CHECK(markdown_to_html(md, p) == "<p>x</p>\n");
      CHECK(markdown_to_text(md, p) == "x\n");
    }
    CHECK(markdown_to_html("[![logo](https://t.example/l.png)](/projects/1)", p)
          == "<p><a href=\"https://build-os.com/projects/1\">logo</a></p>\n");
  }
  SUBCASE("protocol-relative, other hosts, userinfo, backslash: refused") {
    for (const std::string md :
         {"[a](//evil.example/a)", "[a](https://evil.example/a)", "[a](https://build-os.com@evil.example/a)",
          "[a](https://build-os.com.evil.example/)", "[a](https://evil.example\\\\@build-os.com/)",
          "[a](https://evil.example#@build-os.com)", "[a](https://build-os.com%2F@evil.example)",
          "[a](ftp://build-os.com/a)", "[a](#top)", "[a](https:build-os.com/x)"}) {
      CAPTURE(md);
      CHECK(markdown_to_html(md, p) == "<p>a</p>\n");
      CHECK(markdown_to_text(md, p) == "a\n");
    }
  }
  SUBCASE("the base URL's host and allowed hosts are links, in both parts") {
    const std::string md = "[app](/tasks/1) [abs](https://BUILD-OS.com:443/x) [doc](https://docs.example.com/d) "
                           "<https://docs.example.com/auto> [mail](mailto:ada@example.org)";
    const std::string html = markdown_to_html(md, p);
    CHECK(attribute_values(html)
          == std::vector<std::string>{"https://build-os.com/tasks/1", "https://BUILD-OS.com:443/x",
                                      "https://docs.example.com/d", "https://docs.example.com/auto",
                                      "mailto:ada@example.org"});
    CHECK(markdown_to_text(md, p)
          == "app (https://build-os.com/tasks/1) abs (https://BUILD-OS.com:443/x) doc (https://docs.example.com/d) "
             "https://docs.example.com/auto mail (mailto:ada@example.org)\n");
    // Without the allow-list, docs.example.com is another host.
    CHECK(markdown_to_html("[doc](https://docs.example.com/d)", base) == "<p>doc</p>\n");
  }
  SUBCASE("a bare or refused autolink shows its address as text, never as a link") {
    CHECK(markdown_to_html("see https://evil.example/x and <https://evil.example/y>", p)
          == "<p>see https://evil.example/x and https://evil.example/y</p>\n");
  }
}

TEST_CASE("render::markdown_to_html makes relative links absolute") {
  const std::string html = markdown_to_html(
      "[a](/projects/1) ![i](/img/x.png) [r][ref] <https://example.com/q?a=1&b=2>\n\n[ref]: /notes/2\n",
      LinkPolicy::of(base, {"example.com"}));
  CHECK(html.find("href=\"https://build-os.com/projects/1\"") != std::string::npos);
  CHECK(html.find("src=") == std::string::npos);  // an image is its alt text
  CHECK(html.find("href=\"https://build-os.com/notes/2\"") != std::string::npos);
  CHECK(html.find("href=\"https://example.com/q?a=1&amp;b=2\"") != std::string::npos);
  CHECK(html.find("href=\"/") == std::string::npos);
}

TEST_CASE("render::markdown_to_html renders GFM tables and strikethrough") {
  const std::string html = markdown_to_html("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~\n", base);
  CHECK(html.find("<table>") != std::string::npos);
  CHECK(html.find("<td>1</td>") != std::string::npos);
  CHECK(html.find("<del>gone</del>") != std::string::npos);
}

TEST_CASE("render::markdown_to_text writes links as label and URL") {
  CHECK(markdown_to_text("- [Write docs](/tasks/42) now\n", base)
        == "- Write docs (https://build-os.com/tasks/42) now\n");
  CHECK(markdown_to_text("[x](javascript:alert(1))", base) == "x\n");  // refused: the label alone
}

TEST_CASE("render::markdown_to_text reads as the text it is") {
  const std::string md =
      "# Brief\n\n## Part **one**\n\nSome *text* with \\[escaped\\] and `code` &amp; &#x41;.\n"
      "- a\n- b\n  1. c\n  2. d\n\n> quoted\n> line\n\n---\n\n```\nx < y\n```\n\n| h | i |\n|---|---|\n| 1 | 2 |\n";
  CHECK(markdown_to_text(md, base)
        == "# Brief\n\n## Part **one**\n\nSome *text* with [escaped] and code & A.\n\n- a\n- b\n  1. c\n  2. d\n\n"
           "> quoted\n> line\n\n---\n\nx < y\n\nh | i\n1 | 2\n");
}

TEST_CASE("render::long_date and short_date use the calendar date itself") {
  CHECK(long_date("2025-10-01") == "Wednesday, October 1, 2025");
  CHECK(short_date("2025-10-01") == "Wed, Oct 1");
  CHECK(long_date("2024-02-29") == "Thursday, February 29, 2024");
  CHECK(short_date("2000-01-01") == "Sat, Jan 1");
  CHECK_THROWS_AS(long_date("2025-02-29"), std::invalid_argument);
  CHECK_THROWS_AS(long_date("2025-1-01"), std::invalid_argument);
  CHECK_THROWS_AS(long_date("2025-13-01"), std::invalid_argument);
}

TEST_CASE("render::Renderer puts exactly one tracking pixel in the HTML") {
  Renderer r{builtin_templates()};
  const Rendered out = r.render(view());
  CHECK(out.subject == "Daily Brief - Wed, Oct 1");
  CHECK(out.subject_variant.empty());
  CHECK(count_of(out.html, "https://build-os.com/api/email-tracking/track-1") == 1);
  CHECK(count_of(out.html, "<img") == 1);
  CHECK(out.html.find("<script>") == std::string::npos);
  CHECK(out.html.find("href=\"https://build-os.com/tasks/42\"") != std::string::npos);
  CHECK(out.html.find("https://build-os.com/briefs/" + uuid) != std::string::npos);
  CHECK(out.html.find("https://build-os.com/settings") != std::string::npos);
  CHECK(out.html.find("Wednesday, October 1, 2025") != std::string::npos);
  // The text part's links are numbered references, listed after the section.
  CHECK(out.text.find("Write docs [1]") != std::string::npos);
  CHECK(out.text.find("\n[1] https://build-os.com/tasks/42\n") > out.text.find("Write docs [1]"));
  CHECK(out.text.find("Email preferences: https://build-os.com/settings") != std::string::npos);
  CHECK(out.text.find("Unsubscribe: https://build-os.com/unsubscribe/tok") != std::string::npos);
  CHECK(out.text.find("&lt;") == std::string::npos);  // text is not HTML-escaped

  EmailView off = view();
  off.tracking_url.clear();
  const Rendered quiet = r.render(off);
  CHECK(count_of(quiet.html, "email-tracking") == 0);
  CHECK(count_of(quiet.html, "<img") == 0);
}

TEST_CASE("render::load_templates overrides single files") {
  TempDir dir;
  dir.write("html.mustache", "<html><body><p>{{subject}}</p>{{{content_html}}}</body></html>");
  const TemplateSet set = load_templates(dir.path.string());
  CHECK(set.text == builtin_templates().text);  // not overridden
  Renderer r{set};
  const Rendered out = r.render(view());
  CHECK(out.html.rfind("<html><body><p>Daily Brief - Wed, Oct 1</p>", 0) == 0);
  // The override has no pixel: exactly one is added before </body>.
  CHECK(count_of(out.html, "email-tracking/track-1") == 1);
  CHECK(out.html.find("email-tracking/track-1\" width=\"1\"") < out.html.find("</body>"));
}

TEST_CASE("render::Renderer refuses a template with two pixels") {
  TempDir dir;
  dir.write("html.mustache", "<body>{{{tracking_pixel}}}{{{tracking_pixel}}}</body>");
  Renderer r{load_templates(dir.path.string())};
  CHECK_THROWS_AS(r.render(view()), briefos::Error);
}

TEST_CASE("render::load_templates reports a broken template and a missing directory") {
  TempDir dir;
  dir.write("subject.mustache", "{{#open}}never closed");
  CHECK_THROWS_AS(load_templates(dir.path.string()), briefos::DataError);
  CHECK_THROWS_AS(load_templates((dir.path / "nope").string()), briefos::UsageError);
}

TEST_CASE("render::subject variants are chosen from the email id") {
  TempDir dir;
  dir.write("subject-variants.txt",
            "# A/B test\nplain: {{subject}}\nemoji: \xE2\x98\x80 Your brief for {{brief_date_short}}\n");
  const TemplateSet set = load_templates(dir.path.string());
  REQUIRE(set.variants.size() == 2);
  Renderer r{set};
  int plain = 0;
  int emoji = 0;
  for (int i = 0; i < 40; ++i) {
    EmailView v = view();
    v.email_id = "email-" + std::to_string(i);
    const Rendered a = r.render(v);
    const Rendered b = r.render(v);
    CHECK(a.subject_variant == b.subject_variant);  // deterministic
    CHECK(a.subject == b.subject);
    if (a.subject_variant == "plain") {
      ++plain;
      CHECK(a.subject == "Daily Brief - Wed, Oct 1");
    } else {
      ++emoji;
      CHECK(a.subject == "\xE2\x98\x80 Your brief for Wed, Oct 1");
    }
  }
  CHECK(plain > 5);
  CHECK(emoji > 5);
  CHECK_THROWS_AS(parse_variants("no colon here\n", "x"), briefos::DataError);
  CHECK_THROWS_AS(parse_variants("a: x\na: y\n", "x"), briefos::DataError);
}

TEST_CASE("render::builtin templates match the templates directory") {
  const std::filesystem::path dir = std::filesystem::path(BRIEFOS_SOURCE_DIR) / "templates";
  const TemplateSet b = builtin_templates();
  CHECK(b.subject == slurp(dir / "subject.mustache"));
  CHECK(b.html == slurp(dir / "html.mustache"));
  CHECK(b.text == slurp(dir / "text.mustache"));
}

TEST_CASE("render::Renderer sends the brief always, the analysis as its own labelled section") {
  Renderer r{builtin_templates()};
  EmailView v = view();
  v.link_allow = {"docs.example.com"};
  v.analysis = "# Analysis\n\nFocus on [Write docs](/tasks/42). [Verify your account](https://evil.example/verify)\n\n"
               "![p](https://attacker.example/p.gif?d=titles) [guide](https://docs.example.com/g) [proto](//evil.example/a)\n";
  const Rendered out = r.render(v);
  for (const std::string* part : {&out.html, &out.text}) {
    CAPTURE(*part);
    const std::size_t brief_at = part->find("Write docs");
    const std::size_t label_at = part->find("AI analysis");
    CHECK(brief_at != std::string::npos);
    CHECK(label_at != std::string::npos);
    CHECK(brief_at < label_at);
    CHECK(part->find("Written by a language model") > label_at);
    CHECK(part->find("Focus on") > label_at);
    CHECK(part->find("Verify your account") != std::string::npos);
    CHECK(part->find("evil.example") == std::string::npos);
    CHECK(part->find("attacker.example") == std::string::npos);
  }
  CHECK(count_of(out.html, "<img") == 1);  // the tracking pixel, nothing else
  CHECK(out.html.find("href=\"https://docs.example.com/g\"") != std::string::npos);
  CHECK(out.text.find("guide [") != std::string::npos);
  CHECK(out.text.find("] https://docs.example.com/g\n") > out.text.find("guide ["));

  EmailView blank = view();
  blank.analysis = " \n\t\n";
  const Rendered plain = r.render(blank);
  CHECK(plain.html.find("AI analysis") == std::string::npos);
  CHECK(plain.text.find("AI analysis") == std::string::npos);
  CHECK(plain.html.find("Write docs") != std::string::npos);
}

TEST_CASE("render::rendering work is linear in the input") {
  // Steps of this module's own passes (absolutize_markdown, the two
  // writers) for adversarial inputs of n and 4n bytes: linear work grows
  // 4x, the old text scanner grew 16x on "[](" repeated. md4c itself is
  // held to time by the fuzz replay's per-input limit (tests/fuzz).
  const auto repeat = [](const std::string& unit, std::size_t bytes) {
    std::string s;
    while (s.size() < bytes) s += unit;
    return s;
  };
  for (const std::string unit : {"[](", "[", "![", "*_", "`", "<", "[a]: /x\n", "\\[", "a", "\n", "- ", "> ",
                                 "https://x.example/ ", "www.a.b "}) {
    CAPTURE(unit);
    Work small_html, big_html, small_text, big_text;
    const std::string small = repeat(unit, 64 * 1024);
    const std::string big = repeat(unit, 256 * 1024);
    (void)markdown_to_html(small, LinkPolicy::of(base), &small_html);
    (void)markdown_to_html(big, LinkPolicy::of(base), &big_html);
    (void)markdown_to_text(small, LinkPolicy::of(base), &small_text);
    (void)markdown_to_text(big, LinkPolicy::of(base), &big_text);
    CHECK(big_html.steps <= 5 * small_html.steps);
    CHECK(big_text.steps <= 5 * small_text.steps);
    CHECK(big_html.steps <= 16 * big.size());
    CHECK(big_text.steps <= 16 * big.size());
  }
  // Deep nesting in one long line.
  Work nested;
  const std::string deep = std::string(128 * 1024, '*') + "x" + std::string(128 * 1024, '*');
  (void)markdown_to_text(deep, LinkPolicy::of(base), &nested);
  CHECK(nested.steps <= 16 * deep.size());
}

TEST_SUITE_END();
