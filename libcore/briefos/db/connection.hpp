// SPDX-License-Identifier: MIT
#pragma once

#include <pqxx/pqxx>

#include <memory>
#include <string>

namespace briefos::db {

// Open a connection to `url` (a postgres:// URL or a libpq conninfo string;
// empty means libpq's PG* environment variables), tagged with
// `application_name` so operators can see who is connected.
// Throws DatabaseUnreachable (exit 3) with the password removed.
std::unique_ptr<pqxx::connection> connect(const std::string& url,
                                          const std::string& application_name);

// `text` with any password in a URL (postgres://user:SECRET@host) or a
// conninfo (password=SECRET) replaced by "***". Used on every message that
// may quote a connection string.
std::string redact(const std::string& text);

// The database name `url` points at, for messages ("could not connect to
// database "briefs": ..."); "(default)" when it does not say.
std::string database_name(const std::string& url);

// True if `e` means the connection is gone (server restart, network), as
// opposed to an error in a statement.
bool is_connection_lost(const std::exception& e) noexcept;

}  // namespace briefos::db
