// SPDX-License-Identifier: MIT
// app/migrate: the history compared with the migration set, and the stems
// and states that briefos-migrate prints.
#include <briefos/app/migrate/output.hpp>
#include <briefos/app/migrate/service.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace mc = briefos::migrate_command;
using briefos::db::AppliedMigration;
using briefos::migrate::Migration;

namespace {

Migration file(int version, const std::string& name, const std::string& checksum) {
  Migration m;
  m.version = version;
  m.name = name;
  m.checksum = checksum;
  return m;
}

}  // namespace

TEST_SUITE_BEGIN("migrate");

TEST_CASE("migrate service: compare names every drifted, renamed or missing migration") {
  const std::vector<Migration> set{file(1, "initial", "aaa"), file(2, "add_index", "bbb"),
                                   file(3, "renamed", "ccc")};
  CHECK(mc::compare(set, {}).empty());
  const std::vector<AppliedMigration> applied{{1, "initial", "aaa", "2026-01-01T00:00:00Z", 5},
                                              {2, "add_index", "changed", "2026-01-01T00:00:00Z", 5},
                                              {3, "old_name", "ccc", "2026-01-01T00:00:00Z", 5},
                                              {4, "gone", "ddd", "2026-01-01T00:00:00Z", 5}};
  const auto problems = mc::compare(set, applied);
  REQUIRE(problems.size() == 3);
  CHECK(problems[0] == "applied migration 0002_add_index was changed after it was applied (checksum mismatch)");
  CHECK(problems[1] == "applied migration 0003_old_name is now named 0003_renamed");
  CHECK(problems[2] == "applied migration 0004_gone has no file in the migration set");
}

TEST_CASE("migrate output: stems and states") {
  CHECK(mc::stem(1, "initial") == "0001_initial");
  CHECK(mc::stem(1234, "x") == "1234_x");
  CHECK(std::string(mc::to_string(mc::State::pending)) == "pending");
  CHECK(std::string(mc::to_string(mc::State::applied)) == "applied");
  CHECK(std::string(mc::to_string(mc::State::drifted)) == "drifted");
  CHECK(std::string(mc::to_string(mc::State::missing)) == "missing");
}

TEST_SUITE_END();
