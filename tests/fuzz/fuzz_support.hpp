// SPDX-License-Identifier: MIT
//
// Helpers shared by the libFuzzer targets in tests/fuzz/. A target gets one
// byte string per run; these turn it into the handful of fields a function
// under test takes (split on the ASCII record separator 0x1E, so a corpus
// file stays readable in an editor), and give the targets an invariant check
// that fails loudly. A failed invariant prints what broke and calls abort(),
// which libFuzzer reports as a crash (and saves the input) and which makes
// the GCC corpus replay (replay_main.cpp) exit non-zero under CTest.
//
// The decoders here (RFC 2047 "B" words, quoted-printable, UTF-8 checks) are
// written independently of libcore's encoders on purpose: an invariant that
// reused the code under test could not catch that code's mistakes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace briefos::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* what, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  if (!detail.empty()) {
    std::fprintf(stderr, "  detail: %.*s\n", static_cast<int>(detail.size() > 2000 ? 2000 : detail.size()),
                 detail.data());
  }
  std::abort();
}

// The input split into fields at 0x1E; missing fields read as "".
class Fields {
public:
  Fields(const std::uint8_t* data, std::size_t size)
      : m_text(reinterpret_cast<const char*>(data), size) {}

  // The first byte, consumed (0 when the input is empty): picks a mode.
  unsigned char mode() {
    if (m_pos >= m_text.size()) return 0;
    return static_cast<unsigned char>(m_text[m_pos++]);
  }

  std::string next() {
    if (m_pos > m_text.size()) return {};
    const std::size_t sep = m_text.find('\x1e', m_pos);
    const std::size_t end = sep == std::string_view::npos ? m_text.size() : sep;
    std::string field(m_text.substr(m_pos, end - m_pos));
    m_pos = end + 1;
    return field;
  }

  // Everything not consumed yet, separators included.
  std::string rest() {
    if (m_pos >= m_text.size()) return {};
    std::string r(m_text.substr(m_pos));
    m_pos = m_text.size() + 1;
    return r;
  }

private:
  std::string_view m_text;
  std::size_t m_pos = 0;
};

inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1FU;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0FU;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07U;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // cut off
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3FU);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Base64 (RFC 4648) with padding; nullopt for anything malformed.
inline std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + static_cast<std::size_t>(k)];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else {
        if (pad > 0) return std::nullopt;  // data after padding
        v[k] = value(c);
        if (v[k] < 0) return std::nullopt;
      }
    }
    const unsigned n = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12)
                       | (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out += static_cast<char>((n >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

// A header value that is one or more "=?UTF-8?B?...?=" words separated by
// single spaces (after unfolding), decoded and joined; nullopt when it is
// anything else.
inline std::optional<std::string> decode_encoded_words(std::string_view v) {
  constexpr std::string_view open = "=?UTF-8?B?";
  std::string out;
  std::size_t pos = 0;
  if (v.empty()) return std::nullopt;
  while (pos < v.size()) {
    if (v.substr(pos, open.size()) != open) return std::nullopt;
    const std::size_t start = pos + open.size();
    const std::size_t end = v.find("?=", start);
    if (end == std::string_view::npos) return std::nullopt;
    if (end + 2 - pos > 75) return std::nullopt;  // RFC 2047: at most 75 octets a word
    const auto bytes = base64_decode(v.substr(start, end - start));
    if (!bytes) return std::nullopt;
    out += *bytes;
    pos = end + 2;
    if (pos < v.size()) {
      if (v[pos] != ' ') return std::nullopt;
      ++pos;
    }
  }
  return out;
}

// RFC 5322 unfolding: every CRLF that is followed by a space or tab is
// removed. Returns nullopt if any other CR or LF is present.
inline std::optional<std::string> unfold(std::string_view header) {
  std::string out;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const char c = header[i];
    if (c == '\r') {
      if (i + 2 < header.size() && header[i + 1] == '\n'
          && (header[i + 2] == ' ' || header[i + 2] == '\t')) {
        ++i;  // skip CR LF, keep the blank
        continue;
      }
      return std::nullopt;
    }
    if (c == '\n') return std::nullopt;
    out += c;
  }
  return out;
}

// Quoted-printable decoding (RFC 2045 6.7): soft breaks "=\r\n" vanish and
// "=XX" is the octet XX (upper-case hex only, as briefos writes it).
inline std::optional<std::string> qp_decode(std::string_view in) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out += in[i];
      continue;
    }
    if (in.substr(i + 1, 2) == "\r\n") {
      i += 2;
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = hex(in[i + 1]);
    const int lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// `text` with every line break (CRLF, lone CR, lone LF) written as CRLF.
inline std::string crlf_normalised(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace briefos::fuzz

#define FUZZ_CHECK(cond, detail)                                                  \
  do {                                                                            \
    if (!(cond)) ::briefos::fuzz::fail(__FILE__, __LINE__, #cond, (detail));      \
  } while (false)
