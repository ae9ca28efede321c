// SPDX-License-Identifier: MIT
#pragma once

// For db/ only: the libpqxx objects inside a db::Session and a
// db::Transaction. Code outside libcore/briefos/db/ never includes this.

#include "briefos/db/session.hpp"

#include <pqxx/pqxx>

#include <memory>
#include <string>
#include <utility>

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

// A statement run often enough to be worth preparing: its name on the
// server and its text.
struct Statement {
  const char* name;
  std::string sql;
};

// Run `st` in `tx` with bound `args`. Normally as a named server-side
// prepared statement, parsed and planned once per connection (libpqxx
// prepares it on first use, again after a reconnect, and ignores an
// identical redefinition). Behind a pooler in transaction mode (see
// db::pooling) the next transaction may run on a server connection that
// never saw the name, or one where another client already used it: there
// the statement goes unnamed (parse, bind and execute in one message
// sequence), parsed each time.
template <typename... Args>
pqxx::result run(pqxx::transaction_base& tx, const Statement& st, Args&&... args) {
  if (pooling() == Pooling::transaction) return tx.exec_params(st.sql, std::forward<Args>(args)...);
  tx.conn().prepare(st.name, st.sql);
  return tx.exec_prepared(st.name, std::forward<Args>(args)...);
}

}  // namespace briefos::db::detail
