// SPDX-License-Identifier: MIT
#pragma once

// The process-wide stop flag. The front end's SIGINT/SIGTERM handler sets
// it; workers, the migrator and long loops poll it to wind down. It lives in
// the foundation, not in the front end, so that lower layers can read it
// without depending on cli.

namespace briefos::util {

// True once SIGINT or SIGTERM arrived (or request_stop() was called).
bool stop_requested() noexcept;

// Ask for a stop from inside the program (the signal handler, tests).
// Async-signal-safe.
void request_stop() noexcept;

// Reset the flag (tests that run several bodies in one process).
void clear_stop() noexcept;

}  // namespace briefos::util
