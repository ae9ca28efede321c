// SPDX-License-Identifier: MIT
#pragma once

// The link policy of the brief email, the one home of "where may a link in
// the email lead": for the deterministic brief (whose titles and notes users
// typed) and for the LLM analysis alike, in the HTML and the text part.
//
// - A link is kept only when it leads to the host of the configured base URL
//   or to a host the operator allowed (briefos-email --link-allow HOST), over
//   http or https; or when it is a mailto: link (it opens the reader's own
//   mail program, address in view, and sends nothing by itself). Relative
//   links are made absolute against the base URL first.
// - Every other link is refused: protocol-relative (//host/a), other hosts,
//   other schemes (javascript:, data:, tel:, file:, ...), userinfo
//   (https://good@evil/), backslashes, blanks or control characters, and
//   named entities this module does not know. A refused link shows its
//   label as plain text; its URL is not shown (a URL in text is made
//   clickable again by many mail programs).
// - Images are never loaded: an image shows its alt text. The template's
//   tracking pixel is the only image of an email.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace briefos::render {

struct LinkPolicy {
  std::string base;                // base URL without trailing slashes; "" = none
  std::string base_host;           // its host, lower case
  std::vector<std::string> allow;  // further hosts, lower case

  // The policy of `base_url` and the operator's `allow_hosts`.
  static LinkPolicy of(std::string_view base_url, const std::vector<std::string>& allow_hosts = {});
};

// The URL a link to `url` (entities already decoded) is written with, or
// nullopt when the policy refuses it.
std::optional<std::string> resolve_link(const LinkPolicy& policy, std::string_view url);

// The host of an absolute http(s) URL, lower case; "" when the URL has none
// or is one the policy refuses to read (userinfo, backslash, blanks, "%").
std::string host_of(std::string_view url);

// True for a host name --link-allow accepts: letters, digits, '-' and '.',
// no empty label, at most 253 characters.
bool is_valid_host(std::string_view host);

// One character reference ("&#106;", "&#x6A;", "&amp;") as UTF-8: numeric
// ones and &amp; &lt; &gt; &quot; &apos; &nbsp;. nullopt for any other named
// one (HTML knows ~2,000, &colon; among them): a link that needs one is
// refused rather than guessed, and text shows it as written.
std::optional<std::string> decode_reference(std::string_view entity);

}  // namespace briefos::render
