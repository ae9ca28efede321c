// SPDX-License-Identifier: MIT
#pragma once

// What briefos-migrate prints: a migration's stem (0003_add_index), the
// lines of up and down (and their --dry-run SQL), the status table or its
// JSON lines, and the one-line summaries on stderr.

#include "briefos/app/migrate/options.hpp"
#include "briefos/cli.hpp"

#include <string>
#include <vector>

namespace briefos::migrate_command {

// "0003_add_index": the version, zero-padded to four digits, and the name.
std::string stem(int version, const std::string& name);

// --dry-run: the file's name, whether it runs outside a transaction, and
// its SQL, as a comment line and the text.
void print_sql(cli::Context& ctx, const std::string& file, bool in_transaction, const std::string& sql);

// "applied 0003_add_index (12 ms)" or "reverted ...", unless --quiet;
// flushed at once, so a deploy log shows progress.
enum class Step { applied, reverted };
void print_step(cli::Context& ctx, Step step, const std::string& stem, long long ms);

// One line of `status`.
enum class State { pending, applied, drifted, missing };
const char* to_string(State s);
struct StatusRow {
  int version = 0;
  std::string name;
  State state = State::pending;
  std::string applied_at;  // empty: not applied
};

// The status table (or, with --json, one object per row).
void print_status(cli::Context& ctx, const Options& o, const std::vector<StatusRow>& rows);

}  // namespace briefos::migrate_command
