// SPDX-License-Identifier: MIT
//
// libFuzzer target for the MIME composer (libcore/briefos/mime.*): header
// folding and RFC 2047 encoding, mailbox formatting and address validation,
// quoted-printable bodies, and whole messages. Email headers are where a
// stray CR or LF turns a subject line into a Bcc, so every mode checks the
// output's shape, not just that nothing crashed:
//
// - a line break in an encoded header appears only as folding (CRLF
//   followed by a blank), and unfolding and decoding the header gives back
//   exactly the value that went in;
// - a mailbox re-parses to the same address and display name;
// - quoted-printable lines are at most 76 octets of printable ASCII, never
//   start with "." or "From ", never end in a blank, and decode to the text;
// - a built message has exactly the headers briefos meant to write (none
//   injected), CRLF line ends only, one recipient, and two parts whose
//   bodies decode to the text and HTML given.
//
// The first input byte picks the mode; fields are separated by 0x1E.
#include "fuzz_support.hpp"

#include <briefos/mime.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using briefos::fuzz::Fields;
namespace mime = briefos::mime;

constexpr std::string_view crlf_nul("\r\n\0", 3);

bool has_line_break_or_nul(std::string_view s) {
  return s.find_first_of(crlf_nul) != std::string_view::npos;
}

std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t e = s.find("\r\n", pos);
    if (e == std::string_view::npos) {
      lines.emplace_back(s.substr(pos));
      return lines;
    }
    lines.emplace_back(s.substr(pos, e - pos));
    pos = e + 2;
  }
}

// Every line break is CRLF: no lone CR, no lone LF.
bool only_crlf(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n')) return false;
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
  }
  return true;
}

// A folded header: CRLF only before a blank, lines no longer than `limit`.
void check_folded(const std::string& header, std::size_t limit) {
  FUZZ_CHECK(only_crlf(header), header);
  const auto lines = split_lines(header);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    FUZZ_CHECK(lines[i].size() <= limit, header);
    if (i > 0) FUZZ_CHECK(!lines[i].empty() && lines[i][0] == ' ', header);
  }
}

bool is_atext_or_space(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~ ").find(ch) != std::string_view::npos;
}

void fold_mode(Fields& in) {
  static constexpr std::array<std::string_view, 5> names{
      "Subject", "List-Id", "X-Briefos-Variant", "X", "X-A-Rather-Long-Header-Name-For-Folding"};
  const std::string pick = in.next();
  const std::string_view name = names[pick.empty() ? 0 : static_cast<unsigned char>(pick[0]) % names.size()];
  const std::string value = in.rest();
  std::string out;
  try {
    out = mime::fold_unstructured(name, value);
  } catch (const mime::MimeError&) {
    FUZZ_CHECK(has_line_break_or_nul(value), value);
    return;
  }
  FUZZ_CHECK(!has_line_break_or_nul(value), value);
  const std::string head = std::string(name) + ": ";
  FUZZ_CHECK(out.compare(0, head.size(), head) == 0, out);
  check_folded(out, name.size() <= 40 ? 78 : 998);
  const auto unfolded = briefos::fuzz::unfold(out);
  FUZZ_CHECK(unfolded.has_value(), out);
  const std::string body = unfolded->substr(head.size());
  if (body.rfind("=?UTF-8?B?", 0) == 0) {
    const auto decoded = briefos::fuzz::decode_encoded_words(body);
    FUZZ_CHECK(decoded.has_value(), out);
    FUZZ_CHECK(*decoded == value, out);
  } else {
    FUZZ_CHECK(body == value, out);
    for (const char c : body) {
      FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f, out);
    }
  }
}

void check_address_chars(std::string_view address) {
  std::size_t ats = 0;
  for (const char ch : address) {
    const auto c = static_cast<unsigned char>(ch);
    FUZZ_CHECK(c > 0x20 && c < 0x7f, address);
    FUZZ_CHECK(std::string_view(",;<>\"()\\").find(ch) == std::string_view::npos, address);
    if (ch == '@') ++ats;
  }
  FUZZ_CHECK(ats == 1, address);
}

void mailbox_mode(Fields& in) {
  mime::Mailbox m;
  m.address = in.next();
  m.name = in.rest();
  std::string out;
  try {
    out = mime::format_mailbox(m);
  } catch (const mime::MimeError&) {
    FUZZ_CHECK(!mime::is_valid_address(m.address) || has_line_break_or_nul(m.address)
                   || has_line_break_or_nul(m.name),
               m.address + " / " + m.name);
    return;
  }
  FUZZ_CHECK(mime::is_valid_address(m.address), m.address);
  check_address_chars(m.address);
  // The caller puts at most "Reply-To: " (10 columns) in front. An address
  // is never split, so lines keep to 78 octets only while the address fits
  // on one (alone after the header name, or as " <address>" on a line of its
  // own); RFC 5322's hard limit of 998 holds always.
  const std::size_t fits = m.name.empty() ? 68 : 75;
  check_folded("Reply-To: " + out, m.address.size() <= fits ? 78 : 998);
  const auto unfolded = briefos::fuzz::unfold(out);
  FUZZ_CHECK(unfolded.has_value(), out);
  if (m.name.empty()) {
    FUZZ_CHECK(*unfolded == m.address, out);
    return;
  }
  const std::string suffix = " <" + m.address + ">";
  FUZZ_CHECK(unfolded->size() > suffix.size()
                 && unfolded->compare(unfolded->size() - suffix.size(), suffix.size(), suffix) == 0,
             out);
  const std::string phrase = unfolded->substr(0, unfolded->size() - suffix.size());
  if (phrase.front() == '"') {
    FUZZ_CHECK(phrase.size() >= 2 && phrase.back() == '"', out);
    const std::string inner = phrase.substr(1, phrase.size() - 2);
    FUZZ_CHECK(inner == m.name, out);
    for (const char c : inner) {
      FUZZ_CHECK(c != '"' && c != '\\', out);
      FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f, out);
    }
  } else if (phrase.rfind("=?", 0) == 0) {
    const auto decoded = briefos::fuzz::decode_encoded_words(phrase);
    FUZZ_CHECK(decoded.has_value(), out);
    FUZZ_CHECK(*decoded == m.name, out);
  } else {
    FUZZ_CHECK(phrase == m.name, out);
    for (const char c : phrase) FUZZ_CHECK(is_atext_or_space(c), out);
  }
}

void check_qp(const std::string& qp) {
  FUZZ_CHECK(only_crlf(qp), qp);
  for (const std::string& line : split_lines(qp)) {
    FUZZ_CHECK(line.size() <= 76, line);
    for (const char ch : line) {
      const auto c = static_cast<unsigned char>(ch);
      FUZZ_CHECK((c >= 33 && c <= 126) || c == ' ' || c == '\t', line);
    }
    if (!line.empty()) {
      FUZZ_CHECK(line.back() != ' ' && line.back() != '\t', line);
      FUZZ_CHECK(line.front() != '.', line);
      FUZZ_CHECK(line.rfind("From ", 0) != 0, line);
    }
  }
}

void qp_mode(Fields& in) {
  const std::string text = in.rest();
  const std::string qp = mime::quoted_printable(text);
  check_qp(qp);
  const auto decoded = briefos::fuzz::qp_decode(qp);
  FUZZ_CHECK(decoded.has_value(), qp);
  FUZZ_CHECK(*decoded == briefos::fuzz::crlf_normalised(text), qp);
}

// The value of the first header called `name` in `headers` (unfolded).
std::string header_value(const std::vector<std::string>& lines, std::string_view name) {
  std::string value;
  bool in = false;
  for (const std::string& line : lines) {
    if (in) {
      if (!line.empty() && line[0] == ' ') {
        value += line;
        continue;
      }
      break;
    }
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 && line[name.size()] == ':') {
      value = line.substr(name.size() + 1);
      in = true;
    }
  }
  if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  return value;
}

// One part's body: from after its blank line to the CRLF before the next
// delimiter; decoded it must be the text given (less one final line break,
// which belongs to the delimiter, RFC 2046 5.1.1).
void check_part(std::string_view part, std::string_view type, const std::string& source) {
  const std::string head = "Content-Type: " + std::string(type)
                           + "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  FUZZ_CHECK(part.substr(0, head.size()) == head, part);
  std::string_view body = part.substr(head.size());
  FUZZ_CHECK(body.size() >= 2 && body.substr(body.size() - 2) == "\r\n", part);
  body.remove_suffix(2);
  check_qp(std::string(body));
  const auto decoded = briefos::fuzz::qp_decode(body);
  FUZZ_CHECK(decoded.has_value(), part);
  std::string expected = briefos::fuzz::crlf_normalised(source);
  if (expected.size() >= 2 && expected.compare(expected.size() - 2, 2, "\r\n") == 0) expected.resize(expected.size() - 2);
  FUZZ_CHECK(*decoded == expected, part);
}

void build_mode(Fields& in, unsigned char flags) {
  mime::Message m;
  m.from.address = in.next();
  m.from.name = in.next();
  const std::string reply_address = in.next();
  const std::string reply_name = in.next();
  if ((flags & 1U) != 0) m.reply_to = mime::Mailbox{reply_address, reply_name};
  m.to.address = in.next();
  m.to.name = in.next();
  m.subject = in.next();
  m.message_id = in.next();
  m.unsubscribe_https = in.next();
  m.unsubscribe_mailto = in.next();
  m.list_id = in.next();
  std::string extra_name = in.next();
  std::string extra_value = in.next();
  if ((flags & 2U) != 0) m.extra_headers.emplace_back(extra_name, extra_value);
  m.boundary_seed = in.next();
  m.text = in.next();
  m.html = in.rest();
  m.date = std::chrono::system_clock::time_point{std::chrono::seconds{1759302000}};
  std::string out;
  try {
    out = mime::build(m);
  } catch (const mime::MimeError&) {
    return;  // refused: nothing was built, which is the safe outcome
  }
  FUZZ_CHECK(only_crlf(out), out);
  const std::size_t blank = out.find("\r\n\r\n");
  FUZZ_CHECK(blank != std::string::npos, out);
  const auto lines = split_lines(std::string_view(out).substr(0, blank));
  std::vector<std::string> names;
  for (const std::string& line : lines) {
    FUZZ_CHECK(!line.empty(), out);
    if (line[0] == ' ' || line[0] == '\t') {
      FUZZ_CHECK(!names.empty(), out);
      continue;
    }
    const std::size_t colon = line.find(':');
    FUZZ_CHECK(colon != std::string::npos && colon > 0, line);
    for (std::size_t i = 0; i < colon; ++i) {
      const char c = line[i];
      FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-', line);
    }
    names.push_back(line.substr(0, colon));
  }
  std::vector<std::string> expected{"Date", "From"};
  if (m.reply_to) expected.emplace_back("Reply-To");
  for (const char* h : {"To", "Subject", "Message-ID", "MIME-Version"}) expected.emplace_back(h);
  if (!m.list_id.empty()) expected.emplace_back("List-Id");
  if (!m.unsubscribe_https.empty() || !m.unsubscribe_mailto.empty()) expected.emplace_back("List-Unsubscribe");
  if (!m.unsubscribe_https.empty()) expected.emplace_back("List-Unsubscribe-Post");
  for (const auto& h : m.extra_headers) expected.push_back(h.first);
  expected.emplace_back("Content-Type");
  std::string joined;
  for (const auto& n : names) joined += n + ",";
  FUZZ_CHECK(names == expected, joined);

  // One recipient, the one given.
  const std::string to = header_value(lines, "To");
  if (m.to.name.empty()) {
    FUZZ_CHECK(to == m.to.address, to);
  } else {
    const std::string suffix = " <" + m.to.address + ">";
    FUZZ_CHECK(to.size() > suffix.size() && to.compare(to.size() - suffix.size(), suffix.size(), suffix) == 0, to);
  }

  // Two parts, text then HTML, between the declared boundary.
  const std::string ctype = header_value(lines, "Content-Type");
  const std::size_t b = ctype.find("boundary=\"");
  FUZZ_CHECK(b != std::string::npos, ctype);
  const std::size_t b_end = ctype.find('"', b + 10);
  FUZZ_CHECK(b_end != std::string::npos, ctype);
  const std::string boundary = ctype.substr(b + 10, b_end - b - 10);
  const std::string_view body = std::string_view(out).substr(blank + 4);
  const std::string delim = "--" + boundary + "\r\n";
  const std::string close = "--" + boundary + "--\r\n";
  const std::size_t p1 = body.find(delim);
  FUZZ_CHECK(p1 != std::string_view::npos, out);
  const std::size_t p2 = body.find("\r\n" + delim, p1 + delim.size());
  FUZZ_CHECK(p2 != std::string_view::npos, out);
  const std::size_t p3 = body.find("\r\n" + close, p2 + 2 + delim.size());
  FUZZ_CHECK(p3 != std::string_view::npos, out);
  FUZZ_CHECK(p3 + 2 + close.size() == body.size(), out);
  check_part(body.substr(p1 + delim.size(), p2 + 2 - p1 - delim.size()), "text/plain", m.text);
  check_part(body.substr(p2 + 2 + delim.size(), p3 + 2 - p2 - 2 - delim.size()), "text/html", m.html);
}

void address_mode(Fields& in) {
  const std::string address = in.next();
  if (mime::is_valid_address(address)) check_address_chars(address);
  const std::string id = in.next();
  const std::string domain = in.rest();
  try {
    const std::string mid = mime::message_id_for(id, domain);
    FUZZ_CHECK(mime::is_valid_address(mid), mid);
    check_address_chars(mid);
  } catch (const mime::MimeError&) {
  }
}

void words_mode(Fields& in) {
  const std::string room = in.next();
  const std::size_t first = room.empty() ? 60U : static_cast<std::size_t>(static_cast<unsigned char>(room[0]) % 80U);
  const std::string text = in.rest();
  const std::string out = mime::encode_words(text, first);
  FUZZ_CHECK(only_crlf(out), out);
  for (const std::string& line : split_lines(out)) FUZZ_CHECK(line.size() <= 76, out);
  const auto unfolded = briefos::fuzz::unfold(out);
  FUZZ_CHECK(unfolded.has_value(), out);
  const auto decoded = briefos::fuzz::decode_encoded_words(*unfolded);
  FUZZ_CHECK(decoded.has_value(), out);
  FUZZ_CHECK(*decoded == text, out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fields in(data, size);
  const unsigned char mode = in.mode();
  switch (mode % 6) {
    case 0: fold_mode(in); break;
    case 1: mailbox_mode(in); break;
    case 2: qp_mode(in); break;
    case 3: build_mode(in, static_cast<unsigned char>(mode / 6)); break;
    case 4: address_mode(in); break;
    default: words_mode(in); break;
  }
  return 0;
}
