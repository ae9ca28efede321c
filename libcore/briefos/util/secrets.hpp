// SPDX-License-Identifier: MIT
#pragma once

// What a URL must not give away, in one place for every layer.
//
// Policy. (1) Diagnostics never quote a credential: every URL in a message
// that reaches a log, a tracking event, an error column or --json output
// has its password, any HTTP userinfo, every query value but a few known
// harmless ones, and its fragment masked ("***"); a libpq conninfo's
// password=... too. redact() is the one implementation; db::redact is it.
// (2) A secret is never sent in clear to another machine: an http:// URL
// for an endpoint that receives a key or a payload (the LLM, the webhook) is
// refused unless its host is loopback or the operator said
// --allow-insecure-http. (3) carries_credentials() tells the front end that
// an option's value holds a secret, so it can warn when one sits in argv.

#include <string>
#include <string_view>

namespace briefos::util {

// `text` with the credentials of every URL in it, and any conninfo
// password, replaced by "***":
//   scheme://user:PASS@host     -> scheme://user:***@host
//   http(s)://TOKEN@host        -> http(s)://***@host (HTTP sends a bare
//                                  user name as a credential; other schemes'
//                                  user names, postgres or smtp, are kept)
//   ...?token=T&sslmode=require -> ...?token=***&sslmode=require
//   ...#FRAGMENT                -> ...#***
//   password=PASS, password='a b' (conninfo) -> password=***
// Query parameters kept as they are: libpq's host, hostaddr, port, dbname,
// user, sslmode, connect_timeout, application_name, target_session_attrs
// and briefos's SMTP tls; every other value is masked. A URL ends at a
// space, a control character, a quote, < or >; trailing . , ; : ! ) ] }
// are not part of it. Linear in the size of `text`.
std::string redact(std::string_view text);

// True when `value` holds a credential that redact() would mask (a
// password, an HTTP userinfo, a query value other than the harmless ones,
// a conninfo password).
bool carries_credentials(std::string_view value);

// True for a host that names this machine: localhost (and *.localhost),
// 127.0.0.0/8 and ::1 (bracketed or not).
bool is_loopback_host(std::string_view host);

// The host of `url` ("scheme://[userinfo@]host[:port]/..."), without
// brackets for IPv6; empty when `url` has none.
std::string host_of(std::string_view url);

// Refuse (UsageError, exit 2, naming `option`) an http:// `url` whose host
// is not loopback, unless `allow_insecure_http`: what goes there (an API
// key, a signed payload with a whole email) would cross the network in
// clear. https:// and every other scheme pass; so does an empty `url`.
void require_private_channel(const std::string& option, const std::string& url,
                             bool allow_insecure_http);

}  // namespace briefos::util
