// SPDX-License-Identifier: MIT
#pragma once

// briefos-migrate's command line: the global options, the subcommands (up,
// down, status, verify, new) and their options, declared with CLI11.

#include "briefos/cli.hpp"

#include <string>

namespace briefos::migrate_command {

struct Options {
  std::string dir;  // empty: the migrations built into the library
  int lock_timeout_s = 60;
  bool dry_run = false;
  int to = -1;    // up --to / down --to; -1: not given
  int steps = 0;  // down --steps; 0: not given
  bool force = false;  // down: drop tables that hold rows
  bool exit_code = false;
  bool json = false;
  std::string new_name;
  CLI::App* up = nullptr;
  CLI::App* down = nullptr;
  CLI::App* status = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* create = nullptr;
};

// Declare every subcommand and option of briefos-migrate on `tool`, bound
// to `o`.
void add_options(cli::Tool& tool, Options& o);

}  // namespace briefos::migrate_command
