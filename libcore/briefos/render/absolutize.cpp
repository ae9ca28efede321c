// SPDX-License-Identifier: MIT
//
// Relative links of the brief's Markdown made absolute against the web
// app's URL, before md4c parses it (render.hpp: absolutize_markdown). The
// reference's vectors (buildos-worker.md 8.6): inline links and images,
// reference definitions, href="/x" and src="/x", and bare
// /projects|tasks|notes|phases|briefs/ paths. One pass, each byte looked at
// a bounded number of times (`Work` counts the steps).
#include "briefos/render.hpp"

#include <array>
#include <string>

namespace briefos::render {

namespace {

constexpr std::array<std::string_view, 5> bare_prefixes{"projects/", "tasks/", "notes/", "phases/", "briefs/"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// "/x" but not "//x".
bool is_root_relative(std::string_view s, std::size_t i) {
  return i < s.size() && s[i] == '/' && (i + 1 >= s.size() || s[i + 1] != '/');
}

}  // namespace

std::string absolutize_markdown(std::string_view md, std::string_view base_url, Work* work) {
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string out;
  out.reserve(md.size() + 512);
  bool line_start = true;
  for (std::size_t i = 0; i < md.size(); ++i) {
    if (work != nullptr) ++work->steps;
    const char c = md[i];
    if (line_start) {
      // A reference definition: up to three spaces, [label]: /path. The
      // search for "]:" stays on this line, so each byte is looked at a
      // bounded number of times.
      std::size_t j = i;
      while (j < md.size() && j - i < 3 && md[j] == ' ') ++j;
      if (j < md.size() && md[j] == '[') {
        std::size_t nl = md.find('\n', j);
        if (nl == std::string_view::npos) nl = md.size();
        if (work != nullptr) work->steps += nl - j;
        const std::size_t close = md.substr(j, nl - j).find("]:");
        if (close != std::string_view::npos) {
          std::size_t k = j + close + 2;
          while (k < md.size() && (md[k] == ' ' || md[k] == '\t')) ++k;
          if (is_root_relative(md, k)) {
            out.append(md.substr(i, k - i));
            out += base;
            out += '/';
            i = k;
            line_start = false;
            continue;
          }
        }
      }
    }
    // [t](/x) and ![a](/x)
    if (c == '(' && i > 0 && md[i - 1] == ']' && is_root_relative(md, i + 1)) {
      out += '(';
      out += base;
      line_start = false;
      continue;
    }
    // href="/x" and src="/x" (raw HTML is text, but the reference rewrote them)
    if (c == '"' && is_root_relative(md, i + 1)
        && ((i >= 5 && md.substr(i - 5, 5) == "href=") || (i >= 4 && md.substr(i - 4, 4) == "src="))) {
      out += '"';
      out += base;
      line_start = false;
      continue;
    }
    // Bare /projects/... after whitespace or at the start of a line.
    if (c == '/' && (i == 0 || is_space(md[i - 1]))) {
      bool matched = false;
      for (const std::string_view p : bare_prefixes) {
        if (md.substr(i + 1, p.size()) == p) matched = true;
      }
      if (matched) out += base;
    }
    out += c;
    line_start = c == '\n';
  }
  return out;
}

}  // namespace briefos::render
