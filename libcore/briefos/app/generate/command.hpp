// SPDX-License-Identifier: MIT
#pragma once

// briefos-generate's entry point: what tools/briefos-generate.cpp calls.

#include "briefos/cli.hpp"

#include <functional>

namespace briefos::generate {

// Declare briefos-generate's options on `tool` and return the body to run.
std::function<int(cli::Context&)> setup(cli::Tool& tool);

}  // namespace briefos::generate
