// SPDX-License-Identifier: MIT
#pragma once

#include "briefos/cli.hpp"

namespace briefos::generate_command {

// Declare briefos-generate's options on `tool` and return the body to run.
std::function<int(cli::Context&)> setup(cli::Tool& tool);

}  // namespace briefos::generate_command
