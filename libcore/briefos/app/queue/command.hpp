// SPDX-License-Identifier: MIT
#pragma once

// The entry point of briefos-queue: what tools/briefos-queue.cpp calls.

#include "briefos/cli.hpp"

#include <functional>

namespace briefos::app::queue {

// Declare briefos-queue's commands (list, show, retry, cancel, prune) and
// options on `tool`, and return the body to run: validate, connect, run the
// command, write its output; it returns the exit status.
std::function<int(cli::Context&)> setup(cli::Tool& tool);

}  // namespace briefos::app::queue
