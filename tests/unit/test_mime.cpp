// SPDX-License-Identifier: MIT
// MIME composition: structure, encodings, folding, header injection.
#include <briefos/error.hpp>
#include <briefos/mime.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace briefos::mime;

namespace {

std::vector<std::string> split_crlf(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t e = s.find("\r\n", pos);
    if (e == std::string::npos) {
      lines.push_back(s.substr(pos));
      break;
    }
    lines.push_back(s.substr(pos, e - pos));
    pos = e + 2;
  }
  return lines;
}

std::string b64decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned int buf = 0;
  int bits = 0;
  for (const char c : in) {
    if (c == '=') break;
    const auto v = chars.find(c);
    if (v == std::string::npos) continue;
    buf = (buf << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  return out;
}

// Decode a header value made only of encoded words (RFC 2047 B).
std::string decode_words(const std::string& v) {
  std::string out;
  std::size_t pos = 0;
  while ((pos = v.find("=?UTF-8?B?", pos)) != std::string::npos) {
    const std::size_t start = pos + 10;
    const std::size_t end = v.find("?=", start);
    out += b64decode(v.substr(start, end - start));
    pos = end + 2;
  }
  return out;
}

std::string qp_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=' && i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') {
      i += 2;
    } else if (s[i] == '=' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Message sample() {
  Message m;
  m.from = {"briefs@example.com", "briefos"};
  m.to = {"ada@example.org", "Ada Lovelace"};
  m.subject = "Daily Brief - Wed, Oct 1";
  m.message_id = "briefos.2f1c@example.com";
  m.date = std::chrono::system_clock::time_point{std::chrono::seconds{1759302000}};
  m.unsubscribe_https = "https://app.example.com/unsubscribe/tok123";
  m.unsubscribe_mailto = "mailto:unsubscribe+tok123@example.com";
  m.list_id = "Daily brief <daily-brief.example.com>";
  m.text = "# Today\n\nHello Ada.\n";
  m.html = "<h1>Today</h1>\n<p>Hello Ada.</p>\n";
  m.boundary_seed = "0b5c2f6e-1111-4222-8333-944455556666";
  return m;
}

std::string header_block(const std::string& msg) { return msg.substr(0, msg.find("\r\n\r\n")); }

}  // namespace

TEST_SUITE_BEGIN("mime");

TEST_CASE("mime::build multipart/alternative with text first then html") {
  const std::string msg = build(sample());
  const std::string headers = header_block(msg);
  for (const char* h : {"Date: Wed, 01 Oct 2025 07:00:00 +0000", "From: briefos <briefs@example.com>",
                        "To: Ada Lovelace <ada@example.org>", "Subject: Daily Brief - Wed, Oct 1",
                        "Message-ID: <briefos.2f1c@example.com>", "MIME-Version: 1.0",
                        "List-Unsubscribe:\r\n <https://app.example.com/unsubscribe/tok123>,\r\n <mailto:unsubscribe+tok123@example.com>",
                        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                        "List-Id: Daily brief <daily-brief.example.com>"}) {
    CAPTURE(h);
    CHECK(headers.find(h) != std::string::npos);
  }
  CHECK(headers.find("Content-Type: multipart/alternative;") != std::string::npos);
  const std::size_t text = msg.find("Content-Type: text/plain; charset=UTF-8");
  const std::size_t html = msg.find("Content-Type: text/html; charset=UTF-8");
  REQUIRE(text != std::string::npos);
  REQUIRE(html != std::string::npos);
  CHECK(text < html);
  const std::string boundary = "=_briefos_0b5c2f6e111142228333944455556666";
  CHECK(msg.find("--" + boundary + "--\r\n") != std::string::npos);
  // The boundary appears exactly three times (two delimiters, one close)
  // plus once in the header.
  std::size_t count = 0;
  for (std::size_t p = msg.find(boundary); p != std::string::npos; p = msg.find(boundary, p + 1)) ++count;
  CHECK(count == 4);
}

TEST_CASE("mime::build uses CRLF only and keeps lines short") {
  Message m = sample();
  m.subject = std::string(200, 'x') + " tail";
  m.text = std::string(500, 'a') + "\n" + "caf\xC3\xA9 = 1 \n.dot\nFrom here\n";
  const std::string msg = build(m);
  for (std::size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\n') {
      REQUIRE(i > 0);
      CHECK(msg[i - 1] == '\r');
    }
  }
  const std::string headers = header_block(msg);
  for (const auto& line : split_crlf(headers)) {
    CAPTURE(line);
    CHECK(line.size() <= 78);
  }
  for (const auto& line : split_crlf(msg.substr(headers.size()))) {
    CAPTURE(line);
    CHECK(line.size() <= 76);
  }
}

TEST_CASE("mime::fold_unstructured folds at spaces and unfolds to the original") {
  const std::string subject =
      "Your brief for Wednesday: three projects, two overdue tasks and a long list of things to do";
  const std::string h = fold_unstructured("Subject", subject);
  for (const auto& line : split_crlf(h)) CHECK(line.size() <= 78);
  CHECK(h.find("\r\n ") != std::string::npos);
  std::string unfolded;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i] == '\r' && h[i + 1] == '\n') {
      ++i;
      continue;
    }
    unfolded += h[i];
  }
  CHECK(unfolded == "Subject: " + subject);
}

TEST_CASE("mime::fold_unstructured encodes non-ASCII as RFC 2047 words") {
  const std::string subject = "\xE2\x98\x80\xEF\xB8\x8F Dein Brief f\xC3\xBCr Mittwoch \xE2\x80\x94 "
                              "\xE6\x97\xA5\xE5\xA0\xB1 \xF0\x9F\x93\x8A mit vielen Aufgaben und Notizen";
  const std::string h = fold_unstructured("Subject", subject);
  CHECK(h.rfind("Subject: =?UTF-8?B?", 0) == 0);
  for (const auto& line : split_crlf(h)) {
    CAPTURE(line);
    CHECK(line.size() <= 78);
    for (const char c : line) CHECK(static_cast<unsigned char>(c) < 0x80);
  }
  CHECK(decode_words(h) == subject);
  // Each encoded word alone decodes to valid UTF-8 boundaries: no word ends
  // inside a multi-byte character.
  std::size_t pos = 0;
  while ((pos = h.find("=?UTF-8?B?", pos)) != std::string::npos) {
    const std::size_t end = h.find("?=", pos + 10);
    CHECK(end - pos + 2 <= 75);
    const std::string raw = b64decode(h.substr(pos + 10, end - pos - 10));
    REQUIRE(!raw.empty());
    CHECK((static_cast<unsigned char>(raw.front()) & 0xC0) != 0x80);
    pos = end;
  }
}

TEST_CASE("mime::fold_unstructured encodes text that looks like an encoded word") {
  const std::string h = fold_unstructured("Subject", "=?UTF-8?B?QmNjOiBldmls?=");
  CHECK(decode_words(h) == "=?UTF-8?B?QmNjOiBldmls?=");
}

TEST_CASE("mime::quoted_printable encodes what it must") {
  CHECK(quoted_printable("a=b") == "a=3Db");
  CHECK(quoted_printable("caf\xC3\xA9") == "caf=C3=A9");
  CHECK(quoted_printable("trailing \nx") == "trailing=20\r\nx");
  CHECK(quoted_printable(".hidden\n") == "=2Ehidden\r\n");
  CHECK(quoted_printable("From me") == "=46rom me");
  CHECK(quoted_printable("a\r\nb\rc\nd") == "a\r\nb\r\nc\r\nd");
  const std::string long_line(200, 'z');
  const std::string qp = quoted_printable(long_line);
  for (const auto& line : split_crlf(qp)) CHECK(line.size() <= 76);
  CHECK(qp_decode(qp) == long_line);
  const std::string mixed = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                            "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";
  const std::string qp2 = quoted_printable(mixed);
  for (const auto& line : split_crlf(qp2)) CHECK(line.size() <= 76);
  CHECK(qp_decode(qp2) == mixed);
}

TEST_CASE("mime::is_valid_address accepts plain addresses only") {
  CHECK(is_valid_address("ada@example.org"));
  CHECK(is_valid_address("first.last+tag@sub.example.co.uk"));
  CHECK(is_valid_address("user@localhost"));
  CHECK_FALSE(is_valid_address(""));
  CHECK_FALSE(is_valid_address("ada"));
  CHECK_FALSE(is_valid_address("@example.org"));
  CHECK_FALSE(is_valid_address("ada@"));
  CHECK_FALSE(is_valid_address("a@b.org, c@d.org"));
  CHECK_FALSE(is_valid_address("a@b.org>, <c@d.org"));
  CHECK_FALSE(is_valid_address("<a@b.org>"));
  CHECK_FALSE(is_valid_address("a b@c.org"));
  CHECK_FALSE(is_valid_address("\"a\"@c.org"));
  CHECK_FALSE(is_valid_address("a@b.org\r\nBcc: evil@x.org"));
  CHECK_FALSE(is_valid_address("a..b@c.org"));
  CHECK_FALSE(is_valid_address("a@-b.org"));
  CHECK_FALSE(is_valid_address("j\xC3\xBCrgen@example.de"));
}

TEST_CASE("mime::build refuses header injection") {
  SUBCASE("CR LF in the subject") {
    Message m = sample();
    m.subject = "Hello\r\nBcc: victim@example.net";
    CHECK_THROWS_AS(build(m), MimeError);
    m.subject = "Hello\nBcc: victim@example.net";
    CHECK_THROWS_AS(build(m), MimeError);
    m.subject = std::string("Hello\0Bcc", 9);
    CHECK_THROWS_AS(build(m), MimeError);
  }
  SUBCASE("a second recipient in the address") {
    Message m = sample();
    m.to.address = "ada@example.org, eve@example.net";
    CHECK_THROWS_AS(build(m), MimeError);
    m.to.address = "ada@example.org>\r\nBcc: <eve@example.net";
    CHECK_THROWS_AS(build(m), MimeError);
  }
  SUBCASE("a line break in a display name") {
    Message m = sample();
    m.to.name = "Ada\r\nBcc: eve@example.net";
    CHECK_THROWS_WITH_AS(build(m), doctest::Contains("line break"), MimeError);
  }
  SUBCASE("a bad unsubscribe URL") {
    Message m = sample();
    m.unsubscribe_https = "https://x.example/u>\r\nBcc: eve@example.net";
    CHECK_THROWS_AS(build(m), MimeError);
  }
}

TEST_CASE("mime::format_mailbox never lets a display name add a recipient") {
  const std::string h = format_mailbox({"ada@example.org", "Eve\" <eve@example.net>, \""});
  // Encoded: the only angle-bracketed address is the real one.
  CHECK(h.find("eve@example.net") == std::string::npos);
  CHECK(h.find('"') == std::string::npos);
  CHECK(h.substr(h.size() - 17) == "<ada@example.org>");
  CHECK(decode_words(h) == "Eve\" <eve@example.net>, \"");
  CHECK(format_mailbox({"ada@example.org", "Ada Lovelace"}) == "Ada Lovelace <ada@example.org>");
  CHECK(format_mailbox({"ada@example.org", "Lovelace, Ada"}) == "\"Lovelace, Ada\" <ada@example.org>");
  // A name that looks like an address or a header is encoded, not quoted.
  const std::string looks = format_mailbox({"eve@example.com", "Eve Bcc: victim@evil.example"});
  CHECK(looks.find("evil") == std::string::npos);
  CHECK(looks.find("=?UTF-8?") == 0);
  CHECK(format_mailbox({"ada@example.org", ""}) == "ada@example.org");
  const std::string utf = format_mailbox({"j@example.de", "J\xC3\xBCrgen"});
  CHECK(utf.rfind("=?UTF-8?B?", 0) == 0);
  CHECK(decode_words(utf) == "J\xC3\xBCrgen");
}

TEST_CASE("mime::message_id_for is stable per email") {
  CHECK(message_id_for("0b5c2f6e-1111-4222-8333-944455556666", "example.com")
        == "briefos.0b5c2f6e-1111-4222-8333-944455556666@example.com");
  CHECK(message_id_for("abc", "example.com") == message_id_for("abc", "example.com"));
  CHECK_THROWS_AS(message_id_for("abc", "exa mple.com"), MimeError);
  CHECK_THROWS_AS(message_id_for("abc", ""), MimeError);
  CHECK_THROWS_AS(message_id_for("a>b", "example.com"), MimeError);
  // Found by tests/fuzz/fuzz_mime.cpp: ids whose dots make no dot-atom used
  // to give a Message-ID that build() refused later.
  CHECK_THROWS_AS(message_id_for("abc.", "example.com"), MimeError);
  CHECK_THROWS_AS(message_id_for("a..b", "example.com"), MimeError);
  CHECK_THROWS_AS(message_id_for(std::string(60, 'a'), "example.com"), MimeError);
  CHECK(is_valid_address(message_id_for("a.b", "example.com")));
}

TEST_CASE("mime::build without an https unsubscribe URL has no one-click header") {
  Message m = sample();
  m.unsubscribe_https.clear();
  const std::string headers = header_block(build(m));
  CHECK(headers.find("List-Unsubscribe: <mailto:unsubscribe+tok123@example.com>\r\n") != std::string::npos);
  CHECK(headers.find("List-Unsubscribe-Post") == std::string::npos);
}

TEST_CASE("mime::MimeError is bad data") {
  try {
    message_id_for("abc", "exa mple.com");
    FAIL("expected a MimeError");
  } catch (const briefos::DataError& e) {
    CHECK(std::string(e.what()) == "invalid Message-ID domain \"exa mple.com\"");
    CHECK(e.exit_status() == briefos::exit_usage);
  }
}

TEST_CASE("mime::rfc5322_date formats UTC") {
  CHECK(rfc5322_date(std::chrono::system_clock::time_point{std::chrono::seconds{0}})
        == "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST_SUITE_END();
