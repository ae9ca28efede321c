// SPDX-License-Identifier: MIT
#pragma once

// Connection strings and connection failures, for every layer: redact a
// password before a message quotes a URL, name the database in a message,
// tell a lost connection from a failed statement. No libpqxx here (opening
// a connection is db::Session::open, in session.hpp).

#include <exception>
#include <string>

namespace briefos::db {

// `text` with any password in a URL (postgres://user:SECRET@host) or a
// conninfo (password=SECRET), and every URL's other credentials (query
// values, HTTP userinfo), replaced by "***": util::redact
// (util/secrets.hpp). Used on every message that may quote a connection
// string.
std::string redact(const std::string& text);

// Refuse a connection string libpq cannot parse (`postgres:/bad url`, an
// unknown keyword, an unterminated quote) with a UsageError (exit 2): a
// typo, which retrying never mends, unlike an unreachable server (exit 3).
// `source` names where it came from ("--database-url", a variable, a file
// key). An empty string (libpq's PG* variables) is fine.
void check_connection_string(const std::string& url, const std::string& source);

// The database name `url` points at, for messages ("could not connect to
// database "briefs": ..."); "(default)" when it does not say.
std::string database_name(const std::string& url);

// True if `e` means the connection is gone (server restart, network), as
// opposed to an error in a statement.
bool is_connection_lost(const std::exception& e) noexcept;

}  // namespace briefos::db
