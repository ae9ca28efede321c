// SPDX-License-Identifier: MIT
// briefos-migrate: create and evolve the briefos PostgreSQL schema.
#include <briefos/cli.hpp>
#include <briefos/app/migrate/command.hpp>

int main(int argc, char** argv) {
  briefos::cli::Tool tool{"briefos-migrate", "Create and evolve the briefos database schema."};
  const auto body = briefos::migrate_command::setup(tool);
  return tool.run(argc, argv, body);
}
