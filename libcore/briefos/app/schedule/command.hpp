// SPDX-License-Identifier: MIT
#pragma once

// briefos-schedule's entry point, for tools/briefos-schedule.cpp.

#include "briefos/cli.hpp"

namespace briefos::schedule_command {

// Declare briefos-schedule's options on `tool` and return the body to run.
std::function<int(cli::Context&)> setup(cli::Tool& tool);

}  // namespace briefos::schedule_command
