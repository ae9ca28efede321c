// SPDX-License-Identifier: MIT
#pragma once

// briefos-migrate's work: the migration set, its comparison with the
// history, and the subcommands up, down, status/verify and new. Each
// returns the exit status. See service.cpp for the policy.

#include "briefos/app/migrate/options.hpp"
#include "briefos/cli.hpp"
#include "briefos/db/migrator.hpp"
#include "briefos/db/session.hpp"
#include "briefos/migrate.hpp"

#include <string>
#include <vector>

namespace briefos::migrate_command {

// The migrations of --dir, or the built-in set; throws Error listing every
// problem of the set (gaps, duplicates, unpaired files).
std::vector<migrate::Migration> load_set(const Options& o);

// Problems between the history and the files: drifted checksums, renamed
// versions and rows with no file. Each entry names the migration.
std::vector<std::string> compare(const std::vector<migrate::Migration>& set,
                                 const std::vector<db::AppliedMigration>& applied);

int up(cli::Context& ctx, const Options& o, db::Session& session);
int down(cli::Context& ctx, const Options& o, db::Session& session);
// `status`, or with `verify_only` the `verify` subcommand.
int status(cli::Context& ctx, const Options& o, db::Session& session, bool verify_only);
// `new`: needs no database.
int create(cli::Context& ctx, const Options& o);

}  // namespace briefos::migrate_command
