// SPDX-License-Identifier: MIT
// briefos-schedule: queue each user's daily brief when it is due in the user's time zone.
#include <briefos/cli.hpp>
#include <briefos/app/schedule/command.hpp>

int main(int argc, char** argv) {
  briefos::cli::Tool tool{"briefos-schedule",
                          "Queue each user's daily brief when it is due in their time zone."};
  const auto body = briefos::schedule_command::setup(tool);
  return tool.run(argc, argv, body);
}
