// SPDX-License-Identifier: MIT
//
// The brief's Markdown to the email's HTML and text parts: one md4c parse
// feeds both writers, so the two parts see the same links, the same text
// and the same link policy (render/links.hpp), decided once per link.
//
// - Raw HTML is never markup: md4c runs with MD_FLAG_NOHTML, so a
//   "<script>" in a task title is text. Every byte of text is HTML-escaped
//   by this writer; the only tags in the HTML are the ones written below.
// - Links go through resolve_link(): a kept link is an <a> (HTML) or
//   "label (URL)" (text); a refused one is its label. Images are never
//   <img>: an image is its alt text in both parts.
// - Time is linear in the input. md4c 0.4.8 is, for every construct we
//   enable; its permissive URL and www autolinks are not (8 s for 1 MB of
//   "www.a.b "), so they stay off: a bare URL is text, and mail programs
//   make it clickable or not as they do for any text. Our own passes
//   (absolutize_markdown and the writers) touch each byte a bounded number
//   of times; `Work` counts their steps so a test can hold them to that.
#include "briefos/render.hpp"

#include "briefos/error.hpp"
#include "briefos/render/links.hpp"

#include <md4c.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace briefos::render {

namespace {

constexpr unsigned md_flags = MD_FLAG_NOHTML | MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS;

void escape_into(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

// An md4c attribute (link destination, title) as plain text; nullopt when
// it holds a NUL or a reference decode_reference() does not know.
std::optional<std::string> attribute_text(const MD_ATTRIBUTE& a) {
  std::string out;
  for (std::size_t k = 0; a.substr_offsets[k] < a.size; ++k) {
    const std::string_view piece(a.text + a.substr_offsets[k], a.substr_offsets[k + 1] - a.substr_offsets[k]);
    switch (a.substr_types[k]) {
      case MD_TEXT_NORMAL: out.append(piece); break;
      case MD_TEXT_ENTITY: {
        const auto decoded = decode_reference(piece);
        if (!decoded) return std::nullopt;
        out += *decoded;
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

// The inline styles of the email's HTML (HtmlOptions::email_styles): mail
// clients drop <style> blocks and external CSS, so each tag carries its own.
// Kept short: they repeat on every list item, and the HTML part has a size
// budget. Mid-tone colours on no background of their own read in light and
// in dark mode.
std::string_view email_style(std::string_view name) {
  if (name == "h1") return "margin:16px 0 8px;font-size:20px;line-height:1.3";
  if (name == "h2") return "margin:24px 0 8px;padding-top:16px;border-top:1px solid #d4d4d8;font-size:18px;line-height:1.3";
  if (name == "h3") return "margin:14px 0 4px;font-size:15px";
  if (name == "p") return "margin:0 0 10px";
  if (name == "ul" || name == "ol") return "margin:0 0 10px;padding-left:20px";
  if (name == "li") return "margin:0 0 4px";
  if (name == "a") return "color:#2563eb";
  if (name == "em") return "color:#71717a";
  if (name == "hr") return "display:none";  // the h2 rule separates the sections
  if (name == "blockquote") return "margin:0 0 10px;padding-left:12px;border-left:3px solid #d4d4d8";
  if (name == "pre") return "white-space:pre-wrap;word-break:break-word";
  return {};
}

// The two writers behind md4c's callbacks.
struct Writer {
  Writer(const LinkPolicy& p, bool h, bool t, Work* w) : policy(p), want_html(h), want_text(t), work(w) {}

  const LinkPolicy& policy;
  bool want_html;
  bool want_text;
  Work* work;
  HtmlOptions hopt;
  TextLinks text_links = TextLinks::inline_urls;

  // Text part references (TextLinks::references): the section's URLs, in
  // order, each numbered once; written before the next H1/H2 and at the end.
  std::vector<std::string> refs;
  std::unordered_map<std::string, std::size_t> ref_numbers;
  std::size_t next_ref = 1;

  // HTML list cut (HtmlOptions::list_items): the top-level list's items so
  // far, whether the current one is left out, how many were, and the
  // section (H2) a "more" line links to.
  std::size_t list_seen = 0;
  std::size_t list_skipped = 0;
  bool skipping = false;
  bool in_h2 = false;
  std::string section_name;
  std::string section_url;
  std::string html;
  std::string text;

  // Text part layout: a line prefix ("> " for quotes, indentation inside
  // list items), and what separates the next content from the last.
  enum class Sep { none, line, blank };
  Sep sep = Sep::none;
  bool at_line_start = true;
  bool after_marker = false;  // a list item's marker was the last thing written
  std::string prefix;
  std::vector<std::size_t> prefix_marks;
  struct List {
    bool ordered;
    bool tight;
    unsigned next;
  };
  std::vector<List> lists;
  bool first_cell = true;

  struct Link {
    std::optional<std::string> url;  // nullopt: refused, shown as its label
    std::size_t text_start;          // where its label starts in `text`
  };
  std::vector<Link> links;
  int image_depth = 0;  // inside an image: only its alt text is written

  void step(std::size_t n = 1) {
    if (work != nullptr) work->steps += n;
  }

  // --- text part ------------------------------------------------------------------
  void flush_sep() {
    if (sep != Sep::none && !text.empty()) {
      text += sep == Sep::blank ? "\n\n" : "\n";
      at_line_start = true;
    }
    sep = Sep::none;
  }
  void put(std::string_view s) {
    if (!want_text || s.empty()) return;
    flush_sep();
    step(s.size());
    for (const char c : s) {
      if (at_line_start) {
        text += prefix;
        at_line_start = false;
      }
      text += c;
      if (c == '\n') at_line_start = true;
    }
    after_marker = false;
  }
  // A block starts on a line of its own, except right after a list marker.
  void start_block() {
    if (want_text && sep == Sep::none && !at_line_start && !after_marker) sep = Sep::line;
  }
  void end_block() {
    if (sep != Sep::blank) sep = !lists.empty() && lists.back().tight ? Sep::line : Sep::blank;
  }
  void push_prefix(std::string_view p) {
    prefix_marks.push_back(prefix.size());
    prefix += p;
  }
  void pop_prefix() {
    prefix.resize(prefix_marks.back());
    prefix_marks.pop_back();
  }

  // --- HTML part ------------------------------------------------------------------
  void tag(std::string_view s) {
    if (want_html && image_depth == 0 && !skipping) {
      step();
      html += s;
    }
  }
  void body(std::string_view s) {
    if (!want_html) return;
    step(s.size());
    if (in_h2 && hopt.list_items > 0 && section_name.size() < 512) section_name.append(s);
    if (!skipping) escape_into(html, s);
  }
  // "<name>", with its email style when asked for; `attrs` start with a space.
  std::string open(std::string_view name, std::string_view attrs = {}) const {
    std::string t = "<" + std::string(name) + std::string(attrs);
    const std::string_view st = hopt.email_styles ? email_style(name) : std::string_view{};
    if (!st.empty()) t += " style=\"" + std::string(st) + "\"";
    return t + ">";
  }
  void flush_refs() {
    if (refs.empty()) return;
    end_block();
    sep = Sep::blank;
    std::string block;
    for (std::size_t i = 0; i < refs.size(); ++i) {
      block += (i == 0 ? "[" : "\n[") + std::to_string(next_ref + i) + "] " + refs[i];
    }
    put(block);
    next_ref += refs.size();
    refs.clear();
    ref_numbers.clear();
    sep = Sep::blank;
  }
  // The line that stands for a cut list's left-out items.
  void more_line() {
    const std::string n = std::to_string(list_skipped);
    std::string li = open("li") + open("em");
    if (!section_url.empty()) {
      std::string href;
      escape_into(href, section_url);
      li += open("a", " href=\"" + href + "\"");
      li += "&hellip; and " + n + " more in ";
      escape_into(li, section_name);
      li += " &rarr;</a>";
    } else {
      li += "&hellip; and " + n + " more";
    }
    tag(li + "</em></li>\n");
  }
  // Text of both parts.
  void both(std::string_view s) {
    body(s);
    put(s);
  }

  // --- blocks ---------------------------------------------------------------------
  void enter_block(MD_BLOCKTYPE type, void* detail) {
    step();
    if (type == MD_BLOCK_H && static_cast<MD_BLOCK_H_DETAIL*>(detail)->level <= 2 && lists.empty()) flush_refs();
    if (type != MD_BLOCK_DOC && type != MD_BLOCK_LI && type != MD_BLOCK_TH && type != MD_BLOCK_TD) start_block();
    switch (type) {
      case MD_BLOCK_DOC: break;
      case MD_BLOCK_QUOTE:
        tag(open("blockquote") + "\n");
        flush_sep();
        push_prefix("> ");
        break;
      case MD_BLOCK_UL:
        tag(open("ul") + "\n");
        if (lists.empty()) list_seen = list_skipped = 0;
        lists.push_back({false, static_cast<MD_BLOCK_UL_DETAIL*>(detail)->is_tight != 0, 1});
        break;
      case MD_BLOCK_OL: {
        const auto* d = static_cast<MD_BLOCK_OL_DETAIL*>(detail);
        tag(open("ol", d->start == 1 ? std::string() : " start=\"" + std::to_string(d->start) + "\"") + "\n");
        if (lists.empty()) list_seen = list_skipped = 0;
        lists.push_back({true, d->is_tight != 0, d->start});
        break;
      }
      case MD_BLOCK_LI: {
        const auto* d = static_cast<MD_BLOCK_LI_DETAIL*>(detail);
        List& l = lists.back();
        if (lists.size() == 1 && hopt.list_items > 0 && ++list_seen > hopt.list_items) {
          skipping = true;
          ++list_skipped;
        }
        std::string marker = l.ordered ? std::to_string(l.next++) + ". " : "- ";
        if (d->is_task != 0) {
          const bool done = d->task_mark == 'x' || d->task_mark == 'X';
          tag(open("li") + (done ? "<input type=\"checkbox\" disabled checked>" : "<input type=\"checkbox\" disabled>"));
          marker += done ? "[x] " : "[ ] ";
        } else {
          tag(open("li"));
        }
        put(marker);
        after_marker = true;
        push_prefix(std::string(l.ordered ? marker.size() : 2, ' '));
        break;
      }
      case MD_BLOCK_HR:
        tag(open("hr") + "\n");
        put("---");
        break;
      case MD_BLOCK_H: {
        const unsigned level = static_cast<MD_BLOCK_H_DETAIL*>(detail)->level;
        tag(open("h" + std::to_string(level)));
        if (level == 2 && hopt.list_items > 0) {
          in_h2 = true;
          section_name.clear();
          section_url.clear();
        }
        put(std::string(level, '#') + " ");
        break;
      }
      case MD_BLOCK_CODE: tag(open("pre") + "<code>"); break;
      case MD_BLOCK_HTML: break;  // never reported: MD_FLAG_NOHTML
      case MD_BLOCK_P: tag(open("p")); break;
      case MD_BLOCK_TABLE: tag("<table>\n"); break;
      case MD_BLOCK_THEAD: tag("<thead>\n"); break;
      case MD_BLOCK_TBODY: tag("<tbody>\n"); break;
      case MD_BLOCK_TR:
        tag("<tr>\n");
        first_cell = true;
        break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD: {
        const MD_ALIGN a = static_cast<MD_BLOCK_TD_DETAIL*>(detail)->align;
        const std::string name = type == MD_BLOCK_TH ? "th" : "td";
        const char* align = a == MD_ALIGN_LEFT     ? " align=\"left\""
                            : a == MD_ALIGN_CENTER ? " align=\"center\""
                            : a == MD_ALIGN_RIGHT  ? " align=\"right\""
                                                   : "";
        tag("<" + name + align + ">");
        if (!first_cell) put(" | ");
        first_cell = false;
        break;
      }
    }
  }

  void leave_block(MD_BLOCKTYPE type, void* detail) {
    step();
    switch (type) {
      case MD_BLOCK_DOC: break;
      case MD_BLOCK_QUOTE:
        tag("</blockquote>\n");
        pop_prefix();
        end_block();
        break;
      case MD_BLOCK_UL:
      case MD_BLOCK_OL:
        if (lists.size() == 1 && list_skipped > 0) more_line();
        tag(type == MD_BLOCK_UL ? "</ul>\n" : "</ol>\n");
        lists.pop_back();
        sep = Sep::none;
        end_block();
        break;
      case MD_BLOCK_LI:
        tag("</li>\n");
        if (lists.size() == 1) skipping = false;
        pop_prefix();
        sep = lists.back().tight ? Sep::line : Sep::blank;
        break;
      case MD_BLOCK_HR: end_block(); break;
      case MD_BLOCK_H:
        tag("</h" + std::to_string(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level) + ">\n");
        in_h2 = false;
        end_block();
        break;
      case MD_BLOCK_CODE:
        tag("</code></pre>\n");
        // The code's own last newline ends the line.
        if (want_text && !text.empty() && text.back() == '\n') text.pop_back();
        at_line_start = false;
        end_block();
        break;
      case MD_BLOCK_HTML: break;
      case MD_BLOCK_P:
        tag("</p>\n");
        end_block();
        break;
      case MD_BLOCK_TABLE:
        tag("</table>\n");
        end_block();
        break;
      case MD_BLOCK_THEAD: tag("</thead>\n"); break;
      case MD_BLOCK_TBODY: tag("</tbody>\n"); break;
      case MD_BLOCK_TR:
        tag("</tr>\n");
        sep = Sep::line;
        break;
      case MD_BLOCK_TH: tag("</th>\n"); break;
      case MD_BLOCK_TD: tag("</td>\n"); break;
    }
  }

  // --- spans ----------------------------------------------------------------------
  void enter_span(MD_SPANTYPE type, void* detail) {
    step();
    switch (type) {
      case MD_SPAN_EM: tag(open("em")); if (image_depth == 0) put("*"); break;
      case MD_SPAN_STRONG: tag("<strong>"); if (image_depth == 0) put("**"); break;
      case MD_SPAN_DEL: tag("<del>"); if (image_depth == 0) put("~~"); break;
      case MD_SPAN_CODE: tag("<code>"); break;
      case MD_SPAN_U: tag("<u>"); break;
      case MD_SPAN_A: {
        const auto* d = static_cast<MD_SPAN_A_DETAIL*>(detail);
        Link l{std::nullopt, 0};
        if (image_depth == 0) {
          if (const auto href = attribute_text(d->href)) l.url = resolve_link(policy, *href);
        }
        if (l.url) {
          if (in_h2 && section_url.empty()) section_url = *l.url;
          std::string href;
          escape_into(href, *l.url);
          tag(open("a", " href=\"" + href + "\""));
        }
        flush_sep();
        l.text_start = text.size();
        links.push_back(std::move(l));
        break;
      }
      case MD_SPAN_IMG: ++image_depth; break;
      default: break;  // LaTeX and wiki links are not enabled
    }
  }

  void leave_span(MD_SPANTYPE type, void* /*detail*/) {
    step();
    switch (type) {
      case MD_SPAN_EM: tag("</em>"); if (image_depth == 0) put("*"); break;
      case MD_SPAN_STRONG: tag("</strong>"); if (image_depth == 0) put("**"); break;
      case MD_SPAN_DEL: tag("</del>"); if (image_depth == 0) put("~~"); break;
      case MD_SPAN_CODE: tag("</code>"); break;
      case MD_SPAN_U: tag("</u>"); break;
      case MD_SPAN_A: {
        const Link l = std::move(links.back());
        links.pop_back();
        if (!l.url) break;
        tag("</a>");
        if (want_text) {
          // "label (URL)", but an autolink's label is its URL already.
          const std::string_view label = std::string_view(text).substr(l.text_start);
          const std::string_view url = *l.url;
          const bool same = label == url || (url.substr(0, 7) == "mailto:" && label == url.substr(7));
          if (same) break;
          if (text_links == TextLinks::inline_urls) {
            put(" (" + *l.url + ")");
          } else {
            auto [it, added] = ref_numbers.emplace(*l.url, next_ref + refs.size());
            if (added) refs.push_back(*l.url);
            put(" [" + std::to_string(it->second) + "]");
          }
        }
        break;
      }
      case MD_SPAN_IMG: --image_depth; break;
      default: break;
    }
  }

  void on_text(MD_TEXTTYPE type, std::string_view s) {
    step();
    switch (type) {
      case MD_TEXT_NULLCHAR: both("\xEF\xBF\xBD"); break;
      case MD_TEXT_BR:
        tag("<br>\n");
        if (image_depth == 0) put("\n");
        break;
      case MD_TEXT_SOFTBR:
        if (image_depth == 0) {
          tag("\n");
          put("\n");
        } else {
          both(" ");
        }
        break;
      case MD_TEXT_ENTITY: {
        const auto decoded = decode_reference(s);
        both(decoded ? std::string_view(*decoded) : s);
        break;
      }
      default: both(s); break;  // normal, code, (never) raw HTML, LaTeX: text
    }
  }
};

int cb_enter_block(MD_BLOCKTYPE t, void* d, void* w) {
  static_cast<Writer*>(w)->enter_block(t, d);
  return 0;
}
int cb_leave_block(MD_BLOCKTYPE t, void* d, void* w) {
  static_cast<Writer*>(w)->leave_block(t, d);
  return 0;
}
int cb_enter_span(MD_SPANTYPE t, void* d, void* w) {
  static_cast<Writer*>(w)->enter_span(t, d);
  return 0;
}
int cb_leave_span(MD_SPANTYPE t, void* d, void* w) {
  static_cast<Writer*>(w)->leave_span(t, d);
  return 0;
}
int cb_text(MD_TEXTTYPE t, const MD_CHAR* s, MD_SIZE n, void* w) {
  static_cast<Writer*>(w)->on_text(t, std::string_view(s, n));
  return 0;
}

Writer render(std::string_view markdown, const LinkPolicy& policy, bool html, bool text, Work* work,
              const HtmlOptions& hopt = {}, TextLinks links = TextLinks::inline_urls) {
  const std::string md = absolutize_markdown(markdown, policy.base, work);
  Writer w{policy, html, text, work};
  w.hopt = hopt;
  w.text_links = links;
  w.html.reserve(html ? md.size() * 2 : 0);
  w.text.reserve(text ? md.size() + 64 : 0);
  MD_PARSER parser{};
  parser.flags = md_flags;
  parser.enter_block = cb_enter_block;
  parser.leave_block = cb_leave_block;
  parser.enter_span = cb_enter_span;
  parser.leave_span = cb_leave_span;
  parser.text = cb_text;
  // Skip a UTF-8 byte order mark, as md4c-html did.
  std::string_view input = md;
  if (input.substr(0, 3) == "\xEF\xBB\xBF") input.remove_prefix(3);
  if (md_parse(input.data(), static_cast<MD_SIZE>(input.size()), &parser, &w) != 0) {
    throw Error("could not render the brief's Markdown");
  }
  if (text) w.flush_refs();
  if (text && !w.text.empty() && w.text.back() != '\n') w.text += '\n';
  return w;
}

}  // namespace

std::string markdown_to_html(std::string_view markdown, const LinkPolicy& policy, Work* work) {
  return std::move(render(markdown, policy, true, false, work).html);
}

std::string markdown_to_text(std::string_view markdown, const LinkPolicy& policy, Work* work) {
  return std::move(render(markdown, policy, false, true, work).text);
}

std::string markdown_to_html(std::string_view markdown, const LinkPolicy& policy, const HtmlOptions& options,
                             Work* work) {
  return std::move(render(markdown, policy, true, false, work, options).html);
}

std::string markdown_to_text(std::string_view markdown, const LinkPolicy& policy, TextLinks links, Work* work) {
  return std::move(render(markdown, policy, false, true, work, {}, links).text);
}

std::string markdown_to_html(std::string_view markdown, std::string_view base_url) {
  return markdown_to_html(markdown, LinkPolicy::of(base_url));
}

std::string markdown_to_text(std::string_view markdown, std::string_view base_url) {
  return markdown_to_text(markdown, LinkPolicy::of(base_url));
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  escape_into(out, text);
  return out;
}

}  // namespace briefos::render
