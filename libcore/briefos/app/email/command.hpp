// SPDX-License-Identifier: MIT
#pragma once

// briefos-email's entry point: tools/briefos-email.cpp declares the tool,
// calls setup() and runs the body it returns.

#include "briefos/cli.hpp"

#include <functional>

namespace briefos::app::email {

// Declare briefos-email's options on `tool` and return its body: --preview,
// --dry-run, or the sending worker.
std::function<int(cli::Context&)> setup(cli::Tool& tool);

}  // namespace briefos::app::email
