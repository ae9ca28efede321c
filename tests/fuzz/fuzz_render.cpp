// SPDX-License-Identifier: MIT
//
// libFuzzer target for the Markdown-to-HTML path of briefos-email
// (libcore/briefos/render.*). Brief Markdown carries task titles and notes
// that users typed, so the rendered HTML must contain only the markup md4c
// writes for Markdown: the invariants are that raw HTML in the input comes
// out escaped (every "<" in the output starts one of md4c's own tags, with
// only md4c's own attributes, and "<script" never appears), and that every
// href and src is http, https, mailto, tel, a path or a fragment once its
// entities and blanks are removed (no javascript:, data: or vbscript:).
// Other modes cover the plain-text rendering, HTML escaping, the date
// formatting, subject-variant files and a whole email through the built-in
// templates (exactly one tracking pixel, no script).
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
      "tr", "th",         "td", "em", "strong", "a", "img",   "del",   "br"};
  for (const std::string_view t : tags) {
    if (t == name) return true;
  }
  return name == "u";
}

bool is_allowed_attribute(std::string_view name) {
  static constexpr std::array<std::string_view, 10> attrs{
      "href", "src", "alt", "title", "class", "start", "type", "disabled", "checked", "align"};
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

// What a browser would take as the scheme of a link: blanks and control
// characters are ignored, a ":" before any "/", "?" or "#" ends the scheme.
void check_link(std::string_view raw, std::string_view html) {
  std::string v;
  for (const char c : decode_entities(raw)) {
    if (static_cast<unsigned char>(c) > 0x20 && c != 0x7f) v += c;
  }
  const std::size_t colon = v.find(':');
  const std::size_t stop = v.find_first_of("/?#");
  if (colon == std::string::npos || (stop != std::string::npos && stop < colon)) return;
  const std::string scheme = briefos::fuzz::ascii_lower(v.substr(0, colon));
  FUZZ_CHECK(scheme == "http" || scheme == "https" || scheme == "mailto" || scheme == "tel", html);
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
        if (attr == "href" || attr == "src") check_link(value, html.substr(pos, 200));
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
  } catch (const briefos::UsageError&) {
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
  v.markdown = in.rest();
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
