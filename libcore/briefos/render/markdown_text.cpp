// SPDX-License-Identifier: MIT
//
// User text into Markdown: escaping and size caps (the policy is in
// markdown_text.hpp). Every function is one pass over its input.
#include "briefos/render/markdown_text.hpp"

namespace briefos::render {

namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // U+2026

bool is_inline_special(char c) {
  switch (c) {
    case '\\': case '`': case '*': case '_': case '[': case ']': case '<': case '>':
    case '&': case '~': case '|': case '#':
      return true;
    default:
      return false;
  }
}

bool is_ascii_punct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

void escape_char(std::string& out, char c) {
  if (is_inline_special(c)) out += '\\';
  out += c;
}

}  // namespace

std::string cap_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  if (max_bytes < ellipsis.size()) return {};
  std::size_t cut = max_bytes - ellipsis.size();
  // Back up to the first byte of a character (not a continuation byte).
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;
  std::string out(text.substr(0, cut));
  out += ellipsis;
  return out;
}

std::string escape_inline(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      // One space for CR LF, as for a single line break.
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += ' ';
      continue;
    }
    escape_char(out, c);
  }
  return out;
}

std::string escape_block(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      c = '\n';
    }
    if (c == '\n') {
      out += '\n';
      line_start = true;
      continue;
    }
    if (line_start && c != ' ' && c != '\t') {
      line_start = false;
      if (c == '-' || c == '+' || c == '=') {
        out += '\\';
      } else if (c >= '0' && c <= '9') {
        // "12." or "12)" starts an ordered list: escape the delimiter.
        std::size_t j = i;
        while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
        out.append(text.substr(i, j - i));
        if (j < text.size() && (text[j] == '.' || text[j] == ')')) {
          out += '\\';
          out += text[j];
          ++j;
        }
        i = j - 1;
        continue;
      }
    }
    escape_char(out, c);
  }
  return out;
}

std::string unescape_inline(std::string_view markdown) {
  std::string out;
  out.reserve(markdown.size());
  for (std::size_t i = 0; i < markdown.size(); ++i) {
    if (markdown[i] == '\\' && i + 1 < markdown.size() && is_ascii_punct(markdown[i + 1])) ++i;
    out += markdown[i];
  }
  return out;
}

}  // namespace briefos::render
