// SPDX-License-Identifier: MIT
#pragma once

// Applies the embedded SQL migrations (sql/) under an advisory lock, one
// transaction per migration, recording each in schema_migrations with its
// checksum; reads the applied state for status and verify.

#include "briefos/db/session.hpp"
#include "briefos/migrate.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace briefos::db {

// One row of the history table briefos_schema_migrations.
struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string checksum;
  std::string applied_at;
  long long duration_ms = 0;
};

// The database side of briefos-migrate: the history table, the advisory lock
// and running one migration file, on one session (the lock is the
// session's). Each call owns its transactions. See migrator.cpp for the
// locking policy.
class Migrator {
public:
  explicit Migrator(Session& session) : m_session(session) {}

  // The history, oldest first; empty if the table does not exist yet.
  std::vector<AppliedMigration> applied();

  // Take the migration lock, polling every 100 ms for up to `timeout`.
  // Throws Error with exit_lock_timeout when another migrator keeps it, and
  // Error with exit_interrupted on SIGINT/SIGTERM while waiting.
  void lock(std::chrono::milliseconds timeout);
  void unlock();

  // Create the history table if missing (call with the lock held).
  void ensure_history_table();

  // Run the up (or down) file of `m` and record (or delete) its history row
  // in the same transaction, unless the file runs outside a transaction.
  // Returns the duration in milliseconds. Throws Error naming the file and
  // line; a transactional migration leaves no trace when it fails.
  long long apply_up(const migrate::Migration& m);
  long long apply_down(const migrate::Migration& m);

  // The number of rows of `table` (a name from a migration file, possibly
  // schema-qualified), or -1 when no such table exists: what a down
  // migration that drops it would destroy.
  long long row_count(const std::string& table);

private:
  Session& m_session;
  bool m_locked = false;
};

}  // namespace briefos::db
