// SPDX-License-Identifier: MIT
#pragma once

// The entry point of briefos-stats: what tools/briefos-stats.cpp calls.

#include "briefos/cli.hpp"

#include <functional>

namespace briefos::app::stats {

// Declare briefos-stats's reports (subcommands emails, briefs, queue, user,
// health) and options on `tool`, and return the body to run: validate,
// connect, produce the report, write it; it returns the exit status.
std::function<int(cli::Context&)> setup(cli::Tool& tool);

}  // namespace briefos::app::stats
