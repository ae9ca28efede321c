// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// For db/ only: libpqxx helpers shared by the stores (array parameters,
// NULL-safe text, savepoints).
#include <pqxx/pqxx>

namespace briefos::db {

// The text of `f`, or nothing for NULL. (libpqxx 6.4's as<std::optional<T>>
// does not handle NULL for every T; this does, and reads the same in 7.x.)
inline std::optional<std::string> opt_text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::string(f.c_str(), f.size());
}

// A PostgreSQL array literal ({"a","b",NULL}) of `values`, to pass as ONE
// bound parameter and cast in SQL ($1::text[], $1::bigint[], ...). libpqxx
// 6.4 has no array parameters; quoting every element keeps any text safe.
std::string array_literal(const std::vector<std::optional<std::string>>& values);

// The same for values that are never NULL, without copying them into
// optionals first (the batch statements of briefos-generate pass hundreds
// of KB of Markdown this way).
std::string array_literal(const std::vector<std::string_view>& values);

// A savepoint on `tx`: statements run on `tx` after it are undone, and a
// failed one leaves `tx` usable, unless release() is called. Used instead of
// pqxx::subtransaction, which in libpqxx 6.4 sends its SAVEPOINT only before
// exec(), not before exec_params(): statements bound to one ran outside it,
// and a unique violation meant to be caught aborted the whole transaction
// (found by tests/cli/schedule.test.sh, a sweep meeting a backfill's row).
class Savepoint {
public:
  // `name` is an SQL identifier chosen by the program, never user text.
  Savepoint(pqxx::transaction_base& tx, std::string name) : m_tx(tx), m_name(std::move(name)) {
    m_tx.exec("SAVEPOINT " + m_name);
  }
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint() {
    if (m_done) return;
    try {
      m_tx.exec("ROLLBACK TO SAVEPOINT " + m_name);
    } catch (...) {
      // The connection is gone: the transaction goes with it.
    }
  }
  void release() {
    m_tx.exec("RELEASE SAVEPOINT " + m_name);
    m_done = true;
  }

private:
  pqxx::transaction_base& m_tx;
  std::string m_name;
  bool m_done = false;
};

}  // namespace briefos::db
