// SPDX-License-Identifier: MIT
#pragma once

// briefos-migrate's entry point, for tools/briefos-migrate.cpp.

#include "briefos/cli.hpp"

namespace briefos::migrate_command {

// Declare briefos-migrate's subcommands and options on `tool` and return the
// body to run.
std::function<int(cli::Context&)> setup(cli::Tool& tool);

}  // namespace briefos::migrate_command
