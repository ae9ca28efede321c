// SPDX-License-Identifier: MIT
// app/schedule/windows: a sweep's windows, and their cut into statements
// (zone_chunks never splits a zone, which the shares rely on).
#include <briefos/app/schedule/windows.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

namespace sc = briefos::schedule_command;
using briefos::db::schedule_store::Window;

namespace {

// `per_zone` windows for each of `zones` zones named z0, z1, ...
std::vector<Window> windows(int zones, int per_zone) {
  std::vector<Window> out;
  for (int z = 0; z < zones; ++z) {
    for (int i = 0; i < per_zone; ++i) out.push_back({"z" + std::to_string(z), 1, i, i + 1, 0, "2026-01-15"});
  }
  return out;
}

std::size_t total(const std::vector<std::vector<Window>>& chunks) {
  std::size_t n = 0;
  for (const auto& c : chunks) n += c.size();
  return n;
}

}  // namespace

TEST_SUITE_BEGIN("schedule");

TEST_CASE("schedule windows: zone_chunks keeps each zone in one chunk") {
  const auto ws = windows(100, 3);  // 300 windows
  const auto chunks = sc::zone_chunks(ws);
  CHECK(total(chunks) == ws.size());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    REQUIRE_FALSE(chunks[i].empty());
    if (i + 1 < chunks.size()) CHECK(chunks[i].size() >= sc::windows_per_statement);
    std::set<std::string> here;
    for (const auto& w : chunks[i]) here.insert(w.zone);
    for (const auto& z : here) CHECK_MESSAGE(seen.insert(z).second, z);  // no zone in two chunks
  }
  // 64 windows end inside z21: the chunk takes z21's last one too.
  CHECK(chunks[0].size() == 66);
  CHECK(chunks[0].back().zone == "z21");
  CHECK(chunks[1].front().zone == "z22");
}

TEST_CASE("schedule windows: a zone longer than a statement stays whole") {
  const auto chunks = sc::zone_chunks(windows(2, 100));
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0].size() == 100);
  CHECK(chunks[1].size() == 100);
  CHECK(sc::zone_chunks({}).empty());
}

TEST_CASE("schedule windows: plain_chunks cuts at windows_per_statement") {
  const auto chunks = sc::plain_chunks(windows(10, 15));  // 150 windows
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].size() == sc::windows_per_statement);
  CHECK(chunks[1].size() == sc::windows_per_statement);
  CHECK(chunks[2].size() == 150 - 2 * sc::windows_per_statement);
  CHECK(chunks[1].front().zone == "z4");  // zones split anywhere
  CHECK(sc::plain_chunks({}).empty());
}

TEST_CASE("schedule windows: windows_of covers each usable zone, skips unknown ones") {
  const auto after = *briefos::util::parse_instant("2026-01-15T08:00:00Z");
  const auto upto = *briefos::util::parse_instant("2026-01-15T09:00:00Z");
  const auto ws = sc::windows_of({"UTC", "Europe/Atlantis", "Asia/Tokyo"}, after, upto);
  REQUIRE(ws.size() == 2);
  CHECK(ws[0].zone == "UTC");
  CHECK(ws[0].from == 8 * 3600 + 1);  // (after, upto]
  CHECK(ws[0].to == 9 * 3600 + 1);
  CHECK(ws[0].run_date == "2026-01-15");
  CHECK(ws[1].zone == "Asia/Tokyo");
  CHECK(ws[1].from == 17 * 3600 + 1);
  CHECK(ws[1].run_date == "2026-01-15");
  CHECK(ws[1].base + ws[1].from == ws[0].base + ws[0].from);  // the same instant
}

TEST_SUITE_END();
