// SPDX-License-Identifier: MIT
// briefos-stats: report what happened to briefs, emails and the job queue.
#include <briefos/cli.hpp>
#include <briefos/stats_command.hpp>

int main(int argc, char** argv) {
  briefos::cli::Tool tool{"briefos-stats", "Report on daily briefs, their emails and the job queue."};
  const auto body = briefos::stats_command::setup(tool);
  return tool.run(argc, argv, body);
}
