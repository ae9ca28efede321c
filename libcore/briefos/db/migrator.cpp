// SPDX-License-Identifier: MIT
//
// Running migrations safely with several migrators at once.
//
// Locking: a session-level advisory lock on a constant key, taken with
// pg_try_advisory_lock in a poll loop rather than a blocking
// pg_advisory_lock. A blocked pg_advisory_lock would sit in an open
// statement, and a CREATE INDEX CONCURRENTLY run by the lock holder waits for
// every older transaction, including that waiting one: the deadlock that
// Flyway, golang-migrate and postgres-migrations all shipped. Polling keeps
// the waiter out of any transaction between tries. After the lock is won the
// caller re-reads the history, so a migration applied by the other process in
// the meantime is not run twice.
//
// Transactions: each file runs in its own transaction together with the
// insert (or delete) of its history row, so a failure half-way leaves neither
// the schema change nor the row. A file marked no-transaction (one statement,
// such as CREATE INDEX CONCURRENTLY) runs on its own and its row is written
// afterwards; if it fails, PostgreSQL has already undone that single
// statement.
#include "briefos/db/migrator.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/error.hpp"
#include "briefos/util/stop.hpp"

#include <spdlog/spdlog.h>

#include <thread>

namespace briefos::db {

namespace {

// "brief" in ASCII: the advisory lock key shared by every briefos-migrate.
constexpr long long lock_key = 0x6272696566;

std::string one_line(std::string text) {
  // PostgreSQL messages are "ERROR:  reason\nLINE 3: ...\n   ^"; keep the
  // reason, turned into a single line.
  const auto nl = text.find('\n');
  if (nl != std::string::npos) text.resize(nl);
  const std::string prefix = "ERROR:  ";
  if (text.rfind(prefix, 0) == 0) text.erase(0, prefix.size());
  return text;
}

[[noreturn]] void fail(const std::string& file, const std::exception& e, bool in_transaction) {
  const std::string what = e.what();
  std::string where = "\"" + file + "\"";
  if (auto line = migrate::error_line(what)) where += " at line " + std::to_string(*line);
  std::string msg = "migration " + where + " failed: " + one_line(what);
  std::string hint = in_transaction
                         ? "Nothing of this migration was applied; later migrations did not run."
                         : "The file ran outside a transaction; check the schema before retrying.";
  throw Error(msg, hint);
}

}  // namespace

std::vector<AppliedMigration> Migrator::applied() {
  pqxx::read_transaction tx{detail::cx(m_session)};
  const auto exists =
      tx.exec1("SELECT to_regclass('briefos_schema_migrations') IS NOT NULL")[0].as<bool>();
  std::vector<AppliedMigration> out;
  if (!exists) return out;
  for (const auto& row : tx.exec(
           "SELECT version, name, checksum, "
           "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), duration_ms "
           "FROM briefos_schema_migrations ORDER BY version")) {
    out.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<std::string>(),
                   row[3].as<std::string>(), row[4].as<long long>()});
  }
  return out;
}

long long Migrator::row_count(const std::string& table) {
  pqxx::read_transaction tx{detail::cx(m_session)};
  // to_regclass resolves the name as SQL would (search path, quoting) and
  // yields NULL for a missing table. The count's statement is built by the
  // server from the regclass (format %s of a regclass quotes it), so the
  // name stays a bound parameter; query_to_xml runs it in the same query.
  const auto row = tx.exec_params1(
      "SELECT CASE WHEN to_regclass($1) IS NULL THEN -1 ELSE "
      "(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %s', to_regclass($1)), "
      "false, true, '')))[1]::text::bigint END",
      table);
  return row[0].as<long long>();
}

void Migrator::lock(std::chrono::milliseconds timeout) {
  // The migration lock is a session advisory lock held across the
  // migrations' transactions: behind a transaction pooler it would stay on
  // whichever server connection took it, and the unlock would go elsewhere.
  if (pooling() == Pooling::transaction) {
    throw UsageError("briefos-migrate cannot run behind a pooler in transaction mode (BRIEFOS_POOLER=transaction): "
                     "its lock is a session lock",
                     "Point --database-url at PostgreSQL itself, or at a session-mode pool.");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool announced = false;
  for (;;) {
    {
      pqxx::nontransaction tx{detail::cx(m_session)};
      if (tx.exec_params1("SELECT pg_try_advisory_lock($1)", lock_key)[0].as<bool>()) {
        m_locked = true;
        return;
      }
    }
    if (!announced) {
      spdlog::info("waiting for another migrator to release the migration lock");
      announced = true;
    }
    if (util::stop_requested()) {
      throw Error("interrupted while waiting for the migration lock", {}, exit_interrupted);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error("could not take the migration lock within "
                      + std::to_string(timeout.count() / 1000) + " s: another migrator holds it",
                  "Wait for the other deploy to finish, or raise --lock-timeout.",
                  exit_lock_timeout);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Migrator::unlock() {
  if (!m_locked) return;
  pqxx::nontransaction tx{detail::cx(m_session)};
  tx.exec_params("SELECT pg_advisory_unlock($1)", lock_key);
  m_locked = false;
}

void Migrator::ensure_history_table() {
  pqxx::work tx{detail::cx(m_session)};
  tx.exec(
      "CREATE TABLE IF NOT EXISTS briefos_schema_migrations ("
      " version integer PRIMARY KEY,"
      " name text NOT NULL,"
      " checksum text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now(),"
      " duration_ms bigint NOT NULL)");
  tx.commit();
}

long long Migrator::apply_up(const migrate::Migration& m) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - start)
                                      .count());
  };
  if (m.up_in_transaction) {
    try {
      pqxx::work tx{detail::cx(m_session)};
      tx.exec(m.up_sql);
      tx.exec_params(
          "INSERT INTO briefos_schema_migrations (version, name, checksum, duration_ms) "
          "VALUES ($1, $2, $3, $4)",
          m.version, m.name, m.checksum, elapsed());
      tx.commit();
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const std::exception& e) {
      fail(m.up_file, e, true);
    }
  } else {
    try {
      pqxx::nontransaction tx{detail::cx(m_session)};
      tx.exec(m.up_sql);
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const std::exception& e) {
      fail(m.up_file, e, false);
    }
    pqxx::work tx{detail::cx(m_session)};
    tx.exec_params(
        "INSERT INTO briefos_schema_migrations (version, name, checksum, duration_ms) "
        "VALUES ($1, $2, $3, $4)",
        m.version, m.name, m.checksum, elapsed());
    tx.commit();
  }
  return elapsed();
}

long long Migrator::apply_down(const migrate::Migration& m) {
  const auto start = std::chrono::steady_clock::now();
  if (m.down_in_transaction) {
    try {
      pqxx::work tx{detail::cx(m_session)};
      tx.exec(m.down_sql);
      tx.exec_params("DELETE FROM briefos_schema_migrations WHERE version = $1", m.version);
      tx.commit();
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const std::exception& e) {
      fail(m.down_file, e, true);
    }
  } else {
    try {
      pqxx::nontransaction tx{detail::cx(m_session)};
      tx.exec(m.down_sql);
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const std::exception& e) {
      fail(m.down_file, e, false);
    }
    pqxx::work tx{detail::cx(m_session)};
    tx.exec_params("DELETE FROM briefos_schema_migrations WHERE version = $1", m.version);
    tx.commit();
  }
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count());
}

}  // namespace briefos::db
