// SPDX-License-Identifier: MIT
// briefos-stats: report what happened to briefs, emails and the job queue.
#include <briefos/app/stats/command.hpp>
#include <briefos/cli.hpp>

int main(int argc, char** argv) {
  briefos::cli::Tool tool{"briefos-stats", "Report on daily briefs, their emails and the job queue."};
  const auto body = briefos::app::stats::setup(tool);
  return tool.run(argc, argv, body);
}
