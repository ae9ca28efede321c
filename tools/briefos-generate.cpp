// SPDX-License-Identifier: MIT
// briefos-generate: claim brief jobs, build each user's daily brief, store it, queue its email.
#include <briefos/app/generate/command.hpp>
#include <briefos/cli.hpp>

int main(int argc, char** argv) {
  briefos::cli::Tool tool{"briefos-generate",
                          "Build, store and hand on each user's daily brief."};
  const auto body = briefos::generate::setup(tool);
  return tool.run(argc, argv, body);
}
