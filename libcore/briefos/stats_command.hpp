// SPDX-License-Identifier: MIT
#pragma once

#include "briefos/cli.hpp"

#include <functional>

namespace briefos::stats_command {

// Declare briefos-stats's reports (subcommands emails, briefs, queue, user,
// health) and options on `tool`, and return the body to run.
std::function<int(cli::Context&)> setup(cli::Tool& tool);

}  // namespace briefos::stats_command
