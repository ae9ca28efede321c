// SPDX-License-Identifier: MIT
//
// libFuzzer target for the Markdown-to-HTML path of briefos-email
// (libcore/briefos/render.*, render/). Brief Markdown carries task titles
// and notes that users typed, and the LLM analysis whatever a model wrote,
// so the rendered HTML must contain only the markup the renderer writes for
// Markdown: the invariants are that raw HTML in the input comes out escaped
// (every "<" in the output starts one of the renderer's own tags, with only
// its own attributes, and "<script" never appears), that there is no image
// at all, and that every href is https or http to the base URL's host, or
// mailto:, once its entities and blanks are removed (render/links.hpp).
// Other modes cover the plain-text rendering, HTML escaping, the date
// formatting, subject-variant files and a whole email through the built-in
// templates, with an analysis (exactly one image, the tracking pixel; no
// script). Run with a per-input time limit (scripts/fuzz: -timeout=; the
// replay under CTest: the same flag), an input that renders slowly is a
// failure: the corpus holds adversarial inputs of 256 KiB for the cases
// that were quadratic ("[](", "[" lines, deep emphasis, backticks).
//
// The first input byte picks the mode; fields are separated by 0x1E.
#include "fuzz_support.hpp"

#include <briefos/error.hpp>
#include <briefos/render.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using briefos::fuzz::Fields;
namespace render = briefos::render;

constexpr std::array<std::string_view, 3> bases{"https://app.example.com", "",
                                                "https://x.test/base/"};

std::string_view base_from(const std::string& pick) {
  return bases[pick.empty() ? 0 : static_cast<unsigned char>(pick[0]) % bases.size()];
}

bool is_allowed_tag(std::string_view name) {
  static constexpr std::array<std::string_view, 27> tags{
      "p",  "blockquote", "ul", "ol", "li", "input", "hr",    "h1",    "h2",
      "h3", "h4",         "h5", "h6", "pre", "code", "table", "thead", "tbody",
      "tr", "th",         "td", "em", "strong", "a", "u",     "del",   "br"};
  for (const std::string_view t : tags) {
    if (t == name) return true;
  }
  return false;
}

bool is_allowed_attribute(std::string_view name) {
  static constexpr std::array<std::string_view, 6> attrs{"href", "start", "type", "disabled", "checked", "align"};
  for (const std::string_view a : attrs) {
    if (a == name) return true;
  }
  return false;
}

// The entities md4c writes in attribute values, decoded.
std::string decode_entities(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '&') {
      out += v[i];
      continue;
    }
    const std::size_t semi = v.find(';', i);
    FUZZ_CHECK(semi != std::string_view::npos, v);
    const std::string_view ent = v.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out += '&';
    } else if (ent == "lt") {
      out += '<';
    } else if (ent == "gt") {
      out += '>';
    } else if (ent == "quot") {
      out += '"';
    } else if (!ent.empty() && ent[0] == '#') {
      unsigned long code = 0;
      const bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
      for (std::size_t k = hex ? 2 : 1; k < ent.size(); ++k) {
        const char c = ent[k];
        unsigned d = 0;
        if (c >= '0' && c <= '9') {
          d = static_cast<unsigned>(c - '0');
        } else if (hex && c >= 'a' && c <= 'f') {
          d = static_cast<unsigned>(c - 'a' + 10);
        } else if (hex && c >= 'A' && c <= 'F') {
          d = static_cast<unsigned>(c - 'A' + 10);
        } else {
          FUZZ_CHECK(false, v);
        }
        code = code * (hex ? 16 : 10) + d;
        if (code > 0x10FFFF) code = 0x10FFFF;
      }
      out += code < 128 ? static_cast<char>(code) : '?';
    } else {
      out.append(v.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

// Where a browser would take a link: blanks and control characters are
// ignored, a backslash is a "/". It must be mailto:, or http(s) to the
// host of one of the bases (the policy has no allow-list here).
void check_link(std::string_view raw, std::string_view html) {
  std::string v;
  for (const char c : decode_entities(raw)) {
    if (static_cast<unsigned char>(c) > 0x20 && c != 0x7f) v += c == '\\' ? '/' : c;
  }
  const std::string lower = briefos::fuzz::ascii_lower(v);
  if (lower.rfind("mailto:", 0) == 0) return;
  std::string_view rest = lower;
  if (rest.rfind("https://", 0) == 0) rest.remove_prefix(8);
  else if (rest.rfind("http://", 0) == 0) rest.remove_prefix(7);
  else FUZZ_CHECK(false, html);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  FUZZ_CHECK(authority.find('@') == std::string_view::npos, html);
  const std::string_view host = authority.substr(0, authority.find(':'));
  FUZZ_CHECK(host == "app.example.com" || host == "x.test", html);
}

void check_html(const std::string& html) {
  FUZZ_CHECK(briefos::fuzz::ascii_lower(html).find("<script") == std::string::npos, html);
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string::npos) {
    std::size_t i = pos + 1;
    if (i < html.size() && html[i] == '/') ++i;
    const std::size_t name_start = i;
    while (i < html.size() && ((html[i] >= 'a' && html[i] <= 'z') || (html[i] >= '0' && html[i] <= '9'))) ++i;
    const std::string_view name(html.data() + name_start, i - name_start);
    FUZZ_CHECK(is_allowed_tag(name), html.substr(pos, 200));
    for (;;) {
      FUZZ_CHECK(i < html.size(), html.substr(pos, 200));
      if (html[i] == '>') break;
      if (html.compare(i, 3, " />") == 0) {
        i += 2;
        break;
      }
      FUZZ_CHECK(html[i] == ' ', html.substr(pos, 200));
      ++i;
      const std::size_t a = i;
      while (i < html.size() && ((html[i] >= 'a' && html[i] <= 'z') || html[i] == '-')) ++i;
      const std::string_view attr(html.data() + a, i - a);
      FUZZ_CHECK(is_allowed_attribute(attr), html.substr(pos, 200));
      if (i < html.size() && html[i] == '=') {
        FUZZ_CHECK(i + 1 < html.size() && html[i + 1] == '"', html.substr(pos, 200));
        const std::size_t vstart = i + 2;
        const std::size_t vend = html.find('"', vstart);
        FUZZ_CHECK(vend != std::string::npos, html.substr(pos, 200));
        const std::string_view value(html.data() + vstart, vend - vstart);
        FUZZ_CHECK(value.find('<') == std::string_view::npos, html.substr(pos, 200));
        if (attr == "href") check_link(value, html.substr(pos, 200));
        i = vend + 1;
      }
    }
    pos = i;
  }
}

void html_mode(Fields& in) {
  const std::string_view base = base_from(in.next());
  const std::string md = in.rest();
  check_html(render::markdown_to_html(md, base));
}

void text_mode(Fields& in) {
  const std::string_view base = base_from(in.next());
  const std::string md = in.rest();
  const std::string text = render::markdown_to_text(md, base);
  const std::string abs = render::absolutize_markdown(md, base);
  FUZZ_CHECK(abs.size() >= md.size(), abs);
  (void)text;
}

void escape_mode(Fields& in) {
  const std::string s = in.rest();
  const std::string e = render::html_escape(s);
  FUZZ_CHECK(e.find_first_of("<>\"'") == std::string::npos, e);
  std::string back = e;
  // Undo the five entities, in an order that cannot double-decode.
  std::string out;
  for (std::size_t i = 0; i < back.size(); ++i) {
    if (back[i] != '&') {
      out += back[i];
      continue;
    }
    for (const auto& [ent, ch] : {std::pair<std::string_view, char>{"&amp;", '&'},
                                  {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}}) {
      if (back.compare(i, ent.size(), ent) == 0) {
        out += ch;
        i += ent.size() - 1;
        break;
      }
    }
  }
  FUZZ_CHECK(out == s, e);
}

void date_mode(Fields& in) {
  const std::string s = in.rest();
  std::string long_d;
  std::string short_d;
  try {
    long_d = render::long_date(s);
  } catch (const std::invalid_argument&) {
    bool threw = false;
    try {
      (void)render::short_date(s);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    FUZZ_CHECK(threw, s);
    return;
  }
  short_d = render::short_date(s);
  // An independent calendar: std::chrono.
  FUZZ_CHECK(s.size() == 10 && s[4] == '-' && s[7] == '-', s);
  const int y = std::stoi(s.substr(0, 4));
  const auto m = static_cast<unsigned>(std::stoi(s.substr(5, 2)));
  const auto d = static_cast<unsigned>(std::stoi(s.substr(8, 2)));
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  FUZZ_CHECK(ymd.ok(), s);
  static constexpr std::array<std::string_view, 7> days{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                        "Thursday", "Friday", "Saturday"};
  const std::string_view day = days[std::chrono::weekday{std::chrono::sys_days{ymd}}.c_encoding()];
  FUZZ_CHECK(long_d.compare(0, day.size(), day) == 0, long_d + " for " + s);
  FUZZ_CHECK(short_d.compare(0, 3, day.substr(0, 3)) == 0, short_d + " for " + s);
}

void variants_mode(Fields& in) {
  const std::string text = in.rest();
  try {
    const auto variants = render::parse_variants(text, "fuzz");
    for (const auto& v : variants) {
      FUZZ_CHECK(!v.name.empty() && !v.tmpl.empty(), text);
      FUZZ_CHECK(render::pick_variant(v.name, variants.size()) < variants.size(), text);
    }
  } catch (const briefos::DataError&) {
    // A malformed line: refused with the file and line (parse_variants).
  }
}

void email_mode(Fields& in) {
  static render::Renderer renderer(render::builtin_templates());
  render::EmailView v;
  v.email_id = "0b9e6a40-2f7c-4c55-9a8e-6f1f2b1d0c11";
  v.brief_id = "5a4c2f1e-3d2b-4a19-8c7d-6e5f4a3b2c1d";
  v.base_url = std::string(base_from(in.next()));
  v.brief_url = "https://app.example.com/briefs/5a4c2f1e";
  v.preferences_url = "https://app.example.com/settings";
  const std::string track = in.next();
  if (!track.empty() && (static_cast<unsigned char>(track[0]) & 1U) != 0) {
    v.tracking_url = "https://app.example.com/api/email-tracking/t-0b9e6a40";
  }
  v.subject = in.next();
  v.recipient_name = in.next();
  v.brief_date = in.next();
  v.markdown = in.next();
  v.analysis = in.rest();
  render::Rendered r;
  try {
    r = renderer.render(v);
  } catch (const briefos::Error&) {
    return;  // an empty subject or a pixel shown twice: refused, nothing sent
  }
  FUZZ_CHECK(r.subject.find_first_of("\r\n") == std::string::npos, r.subject);
  FUZZ_CHECK(briefos::fuzz::ascii_lower(r.html).find("<script") == std::string::npos, r.html);
  // The pixel is the only markup with width and height attributes (md4c
  // writes none, and the templates have no other): exactly one when
  // tracking is on, none when it is off. (The URL's text alone may appear
  // in the brief: Markdown entities can spell it.)
  constexpr std::string_view pixel_tail = "\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none;border:0;\">";
  std::size_t pixels = 0;
  for (std::size_t p = r.html.find(pixel_tail); p != std::string::npos; p = r.html.find(pixel_tail, p + 1)) {
    ++pixels;
  }
  FUZZ_CHECK(pixels == (v.tracking_url.empty() ? 0U : 1U), r.html);
  // No image but the pixel, from the brief or the analysis.
  std::size_t imgs = 0;
  for (std::size_t p = r.html.find("<img"); p != std::string::npos; p = r.html.find("<img", p + 1)) ++imgs;
  FUZZ_CHECK(imgs == pixels, r.html);
  if (!v.tracking_url.empty()) {
    const std::string pixel = "<img src=\"" + render::html_escape(v.tracking_url) + std::string(pixel_tail);
    FUZZ_CHECK(r.html.find(pixel) != std::string::npos, r.html);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fields in(data, size);
  switch (in.mode() % 6) {
    case 0: html_mode(in); break;
    case 1: text_mode(in); break;
    case 2: escape_mode(in); break;
    case 3: date_mode(in); break;
    case 4: variants_mode(in); break;
    default: email_mode(in); break;
  }
  return 0;
}
