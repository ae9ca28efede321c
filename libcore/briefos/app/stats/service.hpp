// SPDX-License-Identifier: MIT
#pragma once

// The work of briefos-stats: read the requested report from the database
// (one read-only snapshot), apply the health policy, and render it in the
// requested format. Writes nothing, prints nothing: the text and the exit
// status go back to the entry point.

#include "briefos/app/stats/options.hpp"
#include "briefos/db/session.hpp"
#include "briefos/error.hpp"

#include <string>

namespace briefos::app::stats {

struct Produced {
  std::string text;        // the rendered report, ending with a newline
  int status = exit_ok;    // exit_check_failed when a health check failed
};

// Produce the report `request` names on `session`; with `quiet` false, a
// failed health check is also logged (a warning on stderr).
Produced produce(db::Session& session, const Request& request, bool quiet);

}  // namespace briefos::app::stats
