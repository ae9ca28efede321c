// SPDX-License-Identifier: MIT
#pragma once

// User text entering the brief's Markdown (briefos/brief builds the
// Markdown from task, note, project and phase fields that users typed).
// Policy: what a user typed is shown as typed, never read as Markdown, and
// no field is larger than its cap.
//
// - Escaping: every character that could start Markdown syntax in that
//   place is backslash-escaped (CommonMark: a backslash before ASCII
//   punctuation shows the character itself), so the title
//   `Fix [broken](javascript:alert(1)) link` is that text, not a link.
//   Characters that cannot start syntax there stay as they are, so the
//   stored Markdown stays readable.
// - Size caps: a field longer than its cap is cut at a UTF-8 character
//   boundary and ends with "…" (the result, ellipsis included, is at most
//   the cap). Titles and names: 1 KiB; descriptions and notes: 16 KiB
//   (excerpts of them are then shortened further by brief::trim_text); the
//   LLM analysis, as briefos-email renders it: 64 KiB.

#include <cstddef>
#include <string>
#include <string_view>

namespace briefos::render {

// Caps in bytes (briefos-generate(1), SIZE CAPS).
inline constexpr std::size_t title_cap = 1024;        // task and note titles, project and phase names
inline constexpr std::size_t description_cap = 16384;  // descriptions, task details, note content
inline constexpr std::size_t analysis_cap = 65536;     // the LLM analysis in the email

// `text` cut to at most `max_bytes` bytes, ending with "…" when cut; never
// splits a UTF-8 sequence.
std::string cap_text(std::string_view text, std::size_t max_bytes);

// `text` as literal Markdown inline text on one line: line breaks become
// spaces, and \ ` * _ [ ] < > & ~ | # are escaped.
std::string escape_inline(std::string_view text);

// `text` as literal Markdown paragraphs: line breaks kept (CR LF and CR as
// LF), the inline characters escaped, and what would start a block at the
// start of a line (- + = and the "." or ")" of "1." and "1)") escaped too.
std::string escape_block(std::string_view text);

// Inline text as the reader sees it: each backslash before ASCII
// punctuation removed (the inverse of escape_inline).
std::string unescape_inline(std::string_view markdown);

}  // namespace briefos::render
