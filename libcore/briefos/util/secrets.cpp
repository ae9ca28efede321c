// SPDX-License-Identifier: MIT
//
// Masking credentials in diagnostics, and refusing cleartext endpoints (see
// secrets.hpp for the policy).
//
// redact() scans by hand instead of with std::regex: it runs on every log
// record and on error texts of any length (a server's reply, a libcurl
// error), so it must be linear and must not recurse. A URL is found by its
// "://"; the scheme is the run of scheme characters before it. Masking
// errs on the side of hiding: a '/', '?' or '#' inside a password is read
// as part of the password when an '@' follows, and an unknown query
// parameter is masked whatever it holds.
#include "briefos/util/secrets.hpp"

#include "briefos/error.hpp"
#include "briefos/util/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace briefos::util {

namespace {

constexpr std::string_view mask = "***";

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

// Where a URL written inside prose ends.
bool ends_url(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`';
}

bool is_trailing_punct(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == ')' || c == ']' || c == '}';
}

// http, https, webhook+http, webhook+https: the schemes where a bare user
// name is itself a credential (a token), sent as Basic authentication.
bool is_http_family(std::string_view scheme) {
  const std::string s = lower(scheme);
  const auto ends = [&s](std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return s == "http" || s == "https" || ends("+http") || ends("+https");
}

// Query parameters whose values are settings, never secrets: among them
// libpq's TCP keepalive and timeout settings and the service name, which a
// multi-host deployment sets (see README, "Several worker hosts").
bool is_harmless_parameter(std::string_view key) {
  static constexpr std::array<std::string_view, 17> keys = {
      "host", "hostaddr", "port", "dbname", "user", "sslmode", "connect_timeout", "application_name",
      "target_session_attrs", "tls", "keepalives", "keepalives_idle", "keepalives_interval",
      "keepalives_count", "tcp_user_timeout", "service", "load_balance_hosts"};
  const std::string k = lower(key);
  for (const std::string_view h : keys) {
    if (k == h) return true;
  }
  return false;
}

// "a=1&token=x&flag" -> "a=***&token=***&***" (harmless keys kept).
void mask_query(std::string_view query, std::string& out) {
  std::size_t i = 0;
  while (true) {
    const std::size_t amp = query.find('&', i);
    const std::string_view part = query.substr(i, amp == std::string_view::npos ? std::string_view::npos : amp - i);
    const std::size_t eq = part.find('=');
    if (part.empty()) {
      // "a=1&&b=2": nothing to hide.
    } else if (eq == std::string_view::npos) {
      out += mask;
    } else if (is_harmless_parameter(part.substr(0, eq))) {
      out += part;
    } else {
      out += part.substr(0, eq + 1);
      out += mask;
    }
    if (amp == std::string_view::npos) return;
    out += '&';
    i = amp + 1;
  }
}

// One URL, `url` = "scheme://rest", masked into `out`.
void mask_url(std::string_view url, std::size_t scheme_end, std::string& out) {
  const std::string_view scheme = url.substr(0, scheme_end);
  const std::size_t start = scheme_end + 3;
  out += url.substr(0, start);
  std::string_view rest = url.substr(start);
  // The userinfo ends at the last '@' of the authority; failing that, at
  // the first '@' anywhere when a ':' comes before it (a password holding
  // '/', '?' or '#').
  const std::size_t auth_end = rest.find_first_of("/?#");
  std::size_t at = rest.substr(0, auth_end).rfind('@');
  if (at == std::string_view::npos) {
    const std::size_t first_at = rest.find('@');
    if (first_at != std::string_view::npos && rest.substr(0, first_at).find(':') != std::string_view::npos) {
      at = first_at;
    }
  }
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    if (colon != std::string_view::npos) {
      out += userinfo.substr(0, colon + 1);
      out += mask;
    } else if (is_http_family(scheme)) {
      out += mask;
    } else {
      out += userinfo;
    }
    out += '@';
    rest = rest.substr(at + 1);
  }
  const std::size_t q = rest.find_first_of("?#");
  out += rest.substr(0, q);
  if (q == std::string_view::npos) return;
  rest = rest.substr(q);
  if (rest.front() == '?') {
    const std::size_t hash = rest.find('#');
    out += '?';
    mask_query(rest.substr(1, hash == std::string_view::npos ? std::string_view::npos : hash - 1), out);
    if (hash == std::string_view::npos) return;
    rest = rest.substr(hash);
  }
  out += '#';
  if (rest.size() > 1) out += mask;
}

// Every conninfo "password = VALUE" ('quoted \' value' or up to a space)
// masked; the key matches case-insensitively anywhere (PGPASSWORD=x too).
std::string mask_conninfo_passwords(std::string_view text) {
  static constexpr std::string_view key = "password";
  const std::string low = lower(text);
  if (low.find(key) == std::string::npos) return std::string(text);
  std::string out;
  std::size_t i = 0;
  std::size_t from = 0;
  while (true) {
    const std::size_t k = low.find(key, from);
    if (k == std::string::npos) break;
    std::size_t p = k + key.size();
    while (p < text.size() && is_space(text[p])) ++p;
    if (p >= text.size() || text[p] != '=') {
      from = k + key.size();
      continue;
    }
    ++p;
    while (p < text.size() && is_space(text[p])) ++p;
    std::size_t e = p;
    if (e < text.size() && text[e] == '\'') {
      ++e;
      while (e < text.size() && text[e] != '\'') e += text[e] == '\\' ? 2U : 1U;
      e = e < text.size() ? e + 1 : text.size();
    } else {
      while (e < text.size() && !is_space(text[e])) ++e;
    }
    if (e == p) {  // "password=" with nothing after it
      from = p;
      continue;
    }
    out += text.substr(i, p - i);
    out += mask;
    i = e;
    from = e;
  }
  out += text.substr(i);
  return out;
}

// Every URL of `text` masked by the URL rule, the text between them by the
// conninfo rule (so a URL's "password=***&sslmode=..." is not read as a
// conninfo value running on to the next space).
std::string mask_urls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;  // text before i is in `out`
  std::size_t from = 0;
  while (true) {
    const std::size_t sep = text.find("://", from);
    if (sep == std::string_view::npos) break;
    std::size_t s = sep;
    while (s > i && is_scheme_char(text[s - 1])) --s;
    while (s < sep && std::isalpha(static_cast<unsigned char>(text[s])) == 0) ++s;
    if (s == sep) {  // "://" with no scheme before it
      from = sep + 3;
      continue;
    }
    std::size_t e = sep + 3;
    while (e < text.size() && !ends_url(text[e])) ++e;
    while (e > sep + 3 && is_trailing_punct(text[e - 1])) --e;
    out += mask_conninfo_passwords(text.substr(i, s - i));
    mask_url(text.substr(s, e - s), sep - s, out);
    i = e;
    from = e;
  }
  out += mask_conninfo_passwords(text.substr(i));
  return out;
}

}  // namespace

std::string redact(std::string_view text) {
  return mask_urls(text);
}

bool carries_credentials(std::string_view value) {
  return redact(value) != value;
}

bool is_loopback_host(std::string_view host) {
  std::string h = lower(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (!h.empty() && h.back() == '.') h.pop_back();
  if (h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1") return true;
  if (h.size() > 10 && h.compare(h.size() - 10, 10, ".localhost") == 0) return true;
  // 127.0.0.0/8, written as four decimal octets.
  if (h.rfind("127.", 0) != 0) return false;
  int parts = 0;
  std::size_t i = 0;
  while (i <= h.size()) {
    const std::size_t dot = std::min(h.find('.', i), h.size());
    const std::string_view octet = std::string_view(h).substr(i, dot - i);
    if (octet.empty() || octet.size() > 3) return false;
    int n = 0;
    for (const char c : octet) {
      if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
      n = n * 10 + (c - '0');
    }
    if (n > 255) return false;
    ++parts;
    i = dot + 1;
  }
  return parts == 4;
}

std::string host_of(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  std::string_view auth = url.substr(sep + 3);
  auth = auth.substr(0, auth.find_first_of("/?#"));
  const std::size_t at = auth.rfind('@');
  if (at != std::string_view::npos) auth = auth.substr(at + 1);
  if (!auth.empty() && auth.front() == '[') {
    const std::size_t close = auth.find(']');
    return std::string(auth.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  return std::string(auth.substr(0, auth.find(':')));
}

void require_private_channel(const std::string& option, const std::string& url, bool allow_insecure_http) {
  const std::size_t sep = url.find("://");
  if (sep == std::string::npos || allow_insecure_http) return;
  const std::string scheme = lower(std::string_view(url).substr(0, sep));
  const bool cleartext = scheme == "http" || (scheme.size() > 5 && scheme.compare(scheme.size() - 5, 5, "+http") == 0);
  if (!cleartext) return;
  const std::string host = host_of(url);
  if (is_loopback_host(host)) return;
  throw UsageError("refusing " + option + " " + redact(url) + ": plain http:// to \"" + host
                       + "\" would send its credentials and data in clear; use https://, or "
                         "--allow-insecure-http to accept the risk");
}

}  // namespace briefos::util
