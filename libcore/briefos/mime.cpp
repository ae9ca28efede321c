// SPDX-License-Identifier: MIT
//
// MIME composition for brief emails, pure and deterministic.
//
// The policy is "nothing a user, a template or a configuration file writes can
// change the shape of the message": every header value is checked for CR, LF
// and NUL and refused when it has them (a Subject with a line break would
// otherwise start a new header, a Bcc for instance); addresses must be plain
// ASCII addr-specs, so a comma or an angle bracket cannot smuggle in a second
// recipient; display names that are not simple words are either a
// quoted-string (ASCII without quotes or backslashes) or RFC 2047 "B" encoded
// words, whose alphabet has no character that means anything in a header.
//
// Bodies are quoted-printable with CRLF line breaks and lines of at most 76
// octets. QP output never holds "=_" because "=" is always encoded, so a
// boundary that starts with "=_" cannot occur in either part. Text comes first
// and HTML last, as RFC 2046 5.1.4 asks (the last alternative is the richest).
// A line that starts with "." or "From " is encoded so no SMTP relay or mbox
// writer ever needs to touch it, which keeps the bytes we hash and store the
// bytes that arrive.
#include "briefos/mime.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <ctime>

namespace briefos::mime {

namespace {

constexpr std::size_t max_line = 78;

bool is_atext(unsigned char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '/': case '=': case '?': case '^': case '_':
    case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

bool is_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = d.find('.', start);
    const std::string_view label =
        d.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (const char ch : label) {
      const auto c = static_cast<unsigned char>(ch);
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                      || c == '-';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string base64(std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  while (i + 3 <= in.size()) {
    const std::uint32_t n = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16)
                            | (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8)
                            | static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
    i += 3;
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Length of the UTF-8 sequence starting with lead byte `c` (1 for stray
// continuation or invalid bytes, so we always make progress).
std::size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

std::string encoded_word(std::string_view chunk) {
  return "=?UTF-8?B?" + base64(chunk) + "?=";
}

bool needs_encoding(std::string_view v) {
  for (const char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) return true;
  }
  // Text that looks like an encoded word would be decoded by readers.
  return v.find("=?") != std::string_view::npos;
}

void check_url(std::string_view what, std::string_view url) {
  check_header_text(what, url);
  for (const char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"') {
      throw MimeError(std::string(what) + " \"" + std::string(url)
                      + "\" is not a valid URL for a header: it has a space, a quote, an "
                        "angle bracket or a non-ASCII character");
    }
  }
}

std::string hex_only(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) out += ch;
  }
  return out;
}

std::string replace_all_commas(const std::string& list) {
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list.compare(i, 3, ">, ") == 0) {
      out += ">,\r\n ";
      i += 2;
    } else {
      out += list[i];
    }
  }
  return out;
}

}  // namespace

bool is_valid_address(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) return false;
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  char prev = '\0';
  for (const char ch : local) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = ch;
  }
  if (domain.front() == '[' && domain.back() == ']') {
    for (const char ch : domain.substr(1, domain.size() - 2)) {
      const auto c = static_cast<unsigned char>(ch);
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
                      || c == '.' || c == ':';
      if (!ok) return false;
    }
    return domain.size() > 2;
  }
  return is_domain(domain);
}

std::string clean_display_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool space = true;  // drops leading spaces and collapses runs
  const auto put_space = [&] {
    if (!space) out += ' ';
    space = true;
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f || c == ' ') {
      put_space();
    } else if (c == 0xc2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) >= 0x80
               && static_cast<unsigned char>(name[i + 1]) <= 0x9f) {
      put_space();  // C1 control (U+0080..U+009F)
      ++i;
    } else if (c == 0xe2 && i + 2 < name.size() && static_cast<unsigned char>(name[i + 1]) == 0x80
               && (static_cast<unsigned char>(name[i + 2]) == 0xa8
                   || static_cast<unsigned char>(name[i + 2]) == 0xa9)) {
      put_space();  // U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR
      i += 2;
    } else {
      out += name[i];
      space = false;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void check_header_text(std::string_view what, std::string_view value) {
  for (const char ch : value) {
    if (ch == '\r' || ch == '\n') {
      throw MimeError(std::string(what) + " contains a line break (CR or LF); refusing to build a "
                                          "message whose headers it could change");
    }
    if (ch == '\0') throw MimeError(std::string(what) + " contains a NUL byte");
  }
}

std::string domain_of(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

bool is_placeholder_domain(std::string_view domain) {
  std::string d;
  for (char c : domain) d += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!d.empty() && d.back() == '.') d.pop_back();
  const auto ends_with = [&](std::string_view tail) {
    return d.size() >= tail.size() && d.compare(d.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (d == "localhost" || ends_with(".localhost") || d == "invalid" || ends_with(".invalid")) return true;
  // A label "example" anywhere: example, example.com, mail.example.org.
  for (std::size_t start = 0; start <= d.size();) {
    const std::size_t dot = d.find('.', start);
    const std::size_t end = dot == std::string::npos ? d.size() : dot;
    if (d.compare(start, end - start, "example") == 0) return true;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return false;
}

std::string encode_words(std::string_view text, std::size_t first_line_room) {
  // An encoded word is 12 octets of framing plus base64 (4 per 3 raw
  // octets); RFC 2047 caps a word at 75 octets, so at most 45 raw octets.
  auto raw_for = [](std::size_t room) -> std::size_t {
    const std::size_t word = room < 75 ? room : 75;
    if (word <= 16) return 3;
    return (word - 12) / 4 * 3;
  };
  std::string out;
  std::size_t i = 0;
  bool first = true;
  do {
    const std::size_t limit = first ? raw_for(first_line_room) : raw_for(max_line - 1);
    std::size_t end = i;
    while (end < text.size()) {
      const std::size_t n = utf8_len(static_cast<unsigned char>(text[end]));
      if (end + n - i > limit && end > i) break;
      end += n;
      if (end > text.size()) end = text.size();
    }
    if (!first) out += "\r\n ";
    out += encoded_word(text.substr(i, end - i));
    i = end;
    first = false;
  } while (i < text.size());
  return out;
}

std::string fold_unstructured(std::string_view name, std::string_view value) {
  check_header_text("header \"" + std::string(name) + "\"", value);
  const std::string head = std::string(name) + ": ";
  bool encode = needs_encoding(value);
  // Split into words at single spaces; a word that cannot fit on a line of
  // its own forces encoded words, which can be split anywhere.
  std::vector<std::string_view> words;
  if (!encode) {
    std::size_t start = 0;
    while (start <= value.size()) {
      const std::size_t sp = value.find(' ', start);
      const std::string_view w =
          value.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start);
      words.push_back(w);
      if (w.size() + 1 > max_line - 1) encode = true;
      if (sp == std::string_view::npos) break;
      start = sp + 1;
    }
    if (!words.empty() && head.size() + words.front().size() > max_line) encode = true;
  }
  if (encode) return head + encode_words(value, max_line - head.size());
  std::string out = head;
  std::size_t line_len = head.size();
  for (std::size_t k = 0; k < words.size(); ++k) {
    const std::string_view w = words[k];
    if (k == 0) {
      out += w;
      line_len += w.size();
      continue;
    }
    if (line_len + 1 + w.size() > max_line) {
      out += "\r\n ";
      line_len = 1;
    } else {
      out += ' ';
      ++line_len;
    }
    out += w;
    line_len += w.size();
  }
  return out;
}

std::string format_mailbox(const Mailbox& m) {
  check_header_text("address \"" + m.address + "\"", m.address);
  if (!is_valid_address(m.address)) {
    throw MimeError("invalid email address \"" + m.address
                    + "\": expected a plain local@domain address");
  }
  check_header_text("display name \"" + m.name + "\"", m.name);
  if (m.name.empty()) return m.address;
  bool plain = true;
  bool quotable = true;
  for (const char ch : m.name) {
    const auto c = static_cast<unsigned char>(ch);
    // '@', '<', '>' and ':' are encoded too: a name that looks like an
    // address or a header ("Bcc: x@evil.example") then never shows in
    // clear to a reader that parses headers naively.
    if (c < 0x20 || c > 0x7e || ch == '"' || ch == '\\' || ch == '@' || ch == '<' || ch == '>' || ch == ':') {
      plain = false;
      quotable = false;
    } else if (!is_atext(c) && ch != ' ') {
      plain = false;
    }
  }
  if (m.name.find("=?") != std::string::npos) {
    plain = false;
    quotable = false;
  }
  if (m.name.front() == ' ' || m.name.back() == ' ') plain = false;
  std::string phrase;
  if (plain) {
    phrase = m.name;
  } else if (quotable) {
    phrase = "\"" + m.name + "\"";
  }
  if (!phrase.empty() && phrase.size() + m.address.size() + 3 + 10 <= max_line) {
    return phrase + " <" + m.address + ">";
  }
  // Encoded words: safe for any bytes, and folded (the caller's header name
  // takes at most 10 columns on the first line).
  std::string words = encode_words(m.name, max_line - 10);
  const std::size_t last_nl = words.rfind('\n');
  const std::size_t last_len =
      last_nl == std::string::npos ? words.size() + 10 : words.size() - last_nl - 1;
  if (last_len + m.address.size() + 3 > max_line) return words + "\r\n <" + m.address + ">";
  return words + " <" + m.address + ">";
}

std::string quoted_printable(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 16);
  // Split into logical lines on CRLF, LF or a lone CR.
  std::size_t pos = 0;
  bool first_line = true;
  while (pos <= text.size()) {
    std::size_t eol = text.find_first_of("\r\n", pos);
    const std::string_view line =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!first_line) out += "\r\n";
    first_line = false;
    std::size_t col = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      const bool last = i + 1 == line.size();
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      if (col == 0 && c == '.') literal = false;
      if (col == 0 && c == 'F' && line.substr(i, 5) == "From ") literal = false;
      const std::size_t width = literal ? 1 : 3;
      // Leave room for the soft-break "=" unless this is the line's end.
      const std::size_t room = last ? 76 : 75;
      if (col + width > room) {
        out += "=\r\n";
        col = 0;
        if (c == '.' || (c == 'F' && line.substr(i, 5) == "From ")) literal = false;
      }
      if (literal) {
        out += static_cast<char>(c);
        col += 1;
      } else {
        out += '=';
        out += hex[c >> 4];
        out += hex[c & 15];
        col += 3;
      }
    }
    if (eol == std::string_view::npos) break;
    pos = eol + ((text[eol] == '\r' && eol + 1 < text.size() && text[eol + 1] == '\n') ? 2 : 1);
    if (pos == text.size()) {
      out += "\r\n";
      break;
    }
  }
  return out;
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                days[static_cast<std::size_t>(tm.tm_wday)], tm.tm_mday,
                months[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

std::string message_id_for(std::string_view email_id, std::string_view domain) {
  if (!is_domain(domain)) {
    throw MimeError("invalid Message-ID domain \"" + std::string(domain) + "\"");
  }
  std::string local;
  for (const char ch : email_id) {
    if (is_atext(static_cast<unsigned char>(ch)) || ch == '.') local += ch;
  }
  if (local.empty() || local != email_id) {
    throw MimeError("cannot derive a Message-ID from email id \"" + std::string(email_id) + "\"");
  }
  // An id that starts or ends with "." or holds ".." gave a Message-ID that
  // is no dot-atom ("briefos.x.@example.com"), which build() then refused:
  // refuse it here, where the reason can be named (found by
  // tests/fuzz/fuzz_mime.cpp; real ids are UUIDs).
  std::string id = "briefos." + local + "@" + std::string(domain);
  if (!is_valid_address(id)) {
    throw MimeError("cannot derive a Message-ID from email id \"" + std::string(email_id)
                    + "\": \"" + id + "\" is not a valid id-left@id-right");
  }
  return id;
}

std::string build(const Message& m) {
  std::string out;
  out.reserve(m.text.size() + m.html.size() + 2048);
  auto header = [&out](const std::string& line) {
    out += line;
    out += "\r\n";
  };
  header("Date: " + rfc5322_date(m.date));
  header("From: " + format_mailbox(m.from));
  if (m.reply_to) header("Reply-To: " + format_mailbox(*m.reply_to));
  header("To: " + format_mailbox(m.to));
  header(fold_unstructured("Subject", m.subject));
  check_header_text("Message-ID", m.message_id);
  if (!is_valid_address(m.message_id)) {
    throw MimeError("invalid Message-ID \"" + m.message_id + "\"");
  }
  header("Message-ID: <" + m.message_id + ">");
  header("MIME-Version: 1.0");
  if (!m.list_id.empty()) {
    check_header_text("List-Id", m.list_id);
    if (needs_encoding(m.list_id)) throw MimeError("List-Id must be printable ASCII");
    header(fold_unstructured("List-Id", m.list_id));
  }
  std::string unsub;
  if (!m.unsubscribe_https.empty()) {
    check_url("unsubscribe URL", m.unsubscribe_https);
    unsub = "<" + m.unsubscribe_https + ">";
  }
  if (!m.unsubscribe_mailto.empty()) {
    check_url("unsubscribe mailto", m.unsubscribe_mailto);
    unsub += (unsub.empty() ? "<" : ", <") + m.unsubscribe_mailto + ">";
  }
  if (!unsub.empty()) {
    // URLs cannot be folded inside; when the field is too long for one line,
    // each URL gets a line of its own.
    const std::string one = "List-Unsubscribe: " + unsub;
    header(one.size() <= max_line ? one : "List-Unsubscribe:\r\n " + replace_all_commas(unsub));
  }
  if (!m.unsubscribe_https.empty()) header("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
  for (const auto& [name, value] : m.extra_headers) {
    if (name.empty()) throw MimeError("empty header name");
    for (const char ch : name) {
      const auto c = static_cast<unsigned char>(ch);
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                      || c == '-';
      if (!ok) throw MimeError("invalid header name \"" + name + "\"");
    }
    header(fold_unstructured(name, value));
  }
  const std::string seed = hex_only(m.boundary_seed);
  const std::string boundary = "=_briefos_" + (seed.empty() ? std::string("alt") : seed);
  header("Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"");
  out += "\r\n";
  out += "This is a multi-part message in MIME format.\r\n\r\n";
  auto part = [&](const char* type, const std::string& body) {
    out += "--" + boundary + "\r\n";
    out += std::string("Content-Type: ") + type + "; charset=UTF-8\r\n";
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    std::string qp = quoted_printable(body);
    out += qp;
    if (qp.size() < 2 || qp.compare(qp.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  };
  part("text/plain", m.text);
  part("text/html", m.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace briefos::mime
