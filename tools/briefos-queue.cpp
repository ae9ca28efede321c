// SPDX-License-Identifier: MIT
// briefos-queue: list, show, retry, cancel and prune the jobs of the queue.
#include <briefos/app/queue/command.hpp>
#include <briefos/cli.hpp>

int main(int argc, char** argv) {
  briefos::cli::Tool tool{"briefos-queue", "List, show, retry, cancel and prune the jobs of the queue."};
  const auto body = briefos::app::queue::setup(tool);
  return tool.run(argc, argv, body);
}
