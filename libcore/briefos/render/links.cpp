// SPDX-License-Identifier: MIT
//
// The link policy of the brief email (see links.hpp for the policy itself).
// It is an allow-list in every dimension, scheme, host and shape, because
// an allow-list stays correct when a new trick shows up: a URL this code
// cannot read with certainty (a backslash, which browsers take for "/"; a
// userinfo part, which hides the real host behind a familiar one; a "%" in
// the host; blanks and control characters, which browsers strip) is refused,
// not repaired.
#include "briefos/render/links.hpp"

#include "briefos/util/text.hpp"

#include <algorithm>
#include <cstdint>

namespace briefos::render {

namespace {

// The scheme of `url`, lower case ("" when it has none).
std::string scheme_of(std::string_view url) {
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  const std::string_view s = url.substr(0, colon);
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s.front())) return {};
  for (const char c : s) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return {};
  }
  return util::lower(s);
}

bool readable(std::string_view url) {
  return std::none_of(url.begin(), url.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c == 0x7f || ch == '\\';
  });
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

LinkPolicy LinkPolicy::of(std::string_view base_url, const std::vector<std::string>& allow_hosts) {
  LinkPolicy p;
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  p.base_host = host_of(base_url);
  // A base URL the policy cannot read gives no base: relative links are
  // then refused instead of pointing somewhere unknown.
  if (!p.base_host.empty()) p.base = std::string(base_url);
  for (const std::string& h : allow_hosts) p.allow.push_back(util::lower(h));
  return p;
}

std::string host_of(std::string_view url) {
  if (!readable(url)) return {};
  const std::string scheme = scheme_of(url);
  if (scheme != "http" && scheme != "https") return {};
  std::string_view rest = url.substr(scheme.size() + 1);
  if (rest.substr(0, 2) != "//") return {};
  rest.remove_prefix(2);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find_first_of("@%") != std::string_view::npos) return {};
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return {};
    const std::string_view after = host.substr(close + 1);
    if (!after.empty() && after.front() != ':') return {};
    host = host.substr(0, close + 1);
    authority = after;
  } else {
    const std::size_t colon = host.find(':');
    authority = colon == std::string_view::npos ? std::string_view() : host.substr(colon);
    host = host.substr(0, colon);
    if (!is_valid_host(host)) return {};
  }
  // The port, if any: digits only.
  if (!authority.empty()) {
    const std::string_view port = authority.substr(1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return {};
    }
  }
  return util::lower(host);
}

bool is_valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') return false;
  char prev = '.';
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

std::optional<std::string> resolve_link(const LinkPolicy& policy, std::string_view url) {
  if (url.empty() || !readable(url) || url.substr(0, 2) == "//") return std::nullopt;
  std::string scheme = scheme_of(url);
  std::string absolute;
  if (scheme.empty()) {
    // A fragment leads nowhere in an email; a colon before any "/", "?" or
    // "#" is a scheme some client may read where we did not.
    if (url.front() == '#' || policy.base.empty()) return std::nullopt;
    const std::size_t colon = url.find(':');
    const std::size_t stop = url.find_first_of("/?#");
    if (colon != std::string_view::npos && (stop == std::string_view::npos || colon < stop)) return std::nullopt;
    absolute = policy.base + (url.front() == '/' ? "" : "/") + std::string(url);
    scheme = scheme_of(absolute);
  } else {
    absolute = std::string(url);
  }
  if (scheme == "mailto") {
    if (absolute.size() <= 7) return std::nullopt;
    return absolute;
  }
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const std::string host = host_of(absolute);
  if (host.empty()) return std::nullopt;
  if (host == policy.base_host || std::find(policy.allow.begin(), policy.allow.end(), host) != policy.allow.end()) {
    return absolute;
  }
  return std::nullopt;
}

std::optional<std::string> decode_reference(std::string_view e) {
  if (e.size() < 3 || e.front() != '&' || e.back() != ';') return std::nullopt;
  const std::string_view name = e.substr(1, e.size() - 2);
  if (name.front() == '#') {
    const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    const std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 8) return std::nullopt;
    std::uint32_t cp = 0;
    for (const char c : digits) {
      std::uint32_t d = 0;
      if (c >= '0' && c <= '9') d = static_cast<std::uint32_t>(c - '0');
      else if (hex && c >= 'a' && c <= 'f') d = static_cast<std::uint32_t>(c - 'a' + 10);
      else if (hex && c >= 'A' && c <= 'F') d = static_cast<std::uint32_t>(c - 'A' + 10);
      else return std::nullopt;
      cp = cp * (hex ? 16U : 10U) + d;
    }
    std::string out;
    append_utf8(out, cp);
    return out;
  }
  if (name == "amp") return "&";
  if (name == "lt") return "<";
  if (name == "gt") return ">";
  if (name == "quot") return "\"";
  if (name == "apos") return "'";
  if (name == "nbsp") return "\xC2\xA0";
  return std::nullopt;
}

}  // namespace briefos::render
