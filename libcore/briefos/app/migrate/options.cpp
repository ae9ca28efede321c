// SPDX-License-Identifier: MIT
//
// briefos-migrate's options. At most one subcommand is accepted; "none" is
// reported by the entry point, so that CLI11 names an unknown option first
// instead of only asking for a subcommand.
#include "briefos/app/migrate/options.hpp"

namespace briefos::migrate_command {

void add_options(cli::Tool& tool, Options& o) {
  CLI::App& app = tool.app();
  app.require_subcommand(0, 1);
  app.fallthrough();
  app.add_option("--dir", o.dir, "Read migrations from DIR, not the built-in set")
      ->type_name("DIR");
  CLI::Option* lt = app.add_option("--lock-timeout", o.lock_timeout_s,
                                   "Seconds to wait for another migrator")
                        ->type_name("SECONDS")
                        ->check(CLI::Range(0, 86400));
  tool.bind_env(lt, {"BRIEFOS_MIGRATE_LOCK_TIMEOUT"});
  app.add_flag("-n,--dry-run", o.dry_run, "Print the SQL that would run; change nothing");

  o.up = app.add_subcommand("up", "Apply pending migrations");
  // Their internal "unset" defaults (-1, 0) mean nothing to a reader of --help.
  o.up->add_option("--to", o.to, "Stop after VERSION")
      ->type_name("VERSION")
      ->check(CLI::Range(1, 9999))
      ->default_str("");
  o.down = app.add_subcommand("down", "Revert migrations (default: the last one)");
  auto* steps = o.down->add_option("--steps", o.steps, "Revert N migrations")
                    ->type_name("N")
                    ->check(CLI::Range(1, 9999))
                    ->default_str("");
  auto* to = o.down->add_option("--to", o.to, "Revert down to VERSION (0: all)")
                 ->type_name("VERSION")
                 ->check(CLI::Range(0, 9999))
                 ->default_str("");
  steps->excludes(to);
  o.down->add_flag("--force", o.force, "Revert even when it drops tables that hold rows");
  o.status = app.add_subcommand("status", "List applied and pending migrations");
  o.status->add_flag("--exit-code", o.exit_code, "Exit 5 when anything is pending or drifted");
  o.status->add_flag("--json", o.json, "One JSON object per migration");
  o.verify = app.add_subcommand("verify", "Check applied migrations against the files");
  o.create = app.add_subcommand("new", "Create the next numbered up/down pair");
  o.create->add_option("name", o.new_name, "snake_case name")->required();
}

}  // namespace briefos::migrate_command
