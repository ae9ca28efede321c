// SPDX-License-Identifier: MIT
#pragma once

// Where briefos-stats's report goes: stdout (the Context's out), or with
// --output FILE a file replaced atomically.

#include "briefos/cli.hpp"

#include <string>

namespace briefos::app::stats {

// Write `text` to ctx.out when `path` is "" or "-", else to the file
// `path` through a temporary file renamed into place. Throws Error (exit 1)
// when the file cannot be written.
void write_output(cli::Context& ctx, const std::string& path, const std::string& text);

}  // namespace briefos::app::stats
