// SPDX-License-Identifier: MIT
#pragma once

// For db/ only: the libpqxx objects inside a db::Session and a
// db::Transaction. Code outside libcore/briefos/db/ never includes this.

#include "briefos/db/session.hpp"

#include <pqxx/pqxx>

#include <memory>

namespace briefos::db {

// Open a libpqxx connection to `url` (a postgres:// URL or a libpq conninfo
// string; empty means libpq's PG* environment variables), tagged with
// `application_name` so operators can see who is connected. Throws
// DatabaseUnreachable (exit 3) with the password removed. Outside db/,
// db::Session::open is the way in.
std::unique_ptr<pqxx::connection> connect(const std::string& url, const std::string& application_name);

}  // namespace briefos::db

namespace briefos::db::detail {

struct Access {
  static pqxx::connection& connection(Session& s);
  // The transaction (write, read-only or autocommit) inside `tx`.
  static pqxx::transaction_base& tx(Transaction& tx);
  // For statements that need a real transaction block (savepoints, locks):
  // throws std::logic_error for an autocommit Transaction.
  static pqxx::dbtransaction& dbtx(Transaction& tx);
};

inline pqxx::connection& cx(Session& s) { return Access::connection(s); }
inline pqxx::transaction_base& tx(Transaction& t) { return Access::tx(t); }
inline pqxx::dbtransaction& dbtx(Transaction& t) { return Access::dbtx(t); }

}  // namespace briefos::db::detail
