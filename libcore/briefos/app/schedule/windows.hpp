// SPDX-License-Identifier: MIT
#pragma once

// How a sweep's window of UTC time becomes statements: every usable zone's
// ranges of local time (schedule::zone_windows) as store windows, cut into
// statements' worth. Pure: no database.

#include "briefos/db/schedule_store.hpp"
#include "briefos/util/time.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace briefos::schedule_command {

// Windows per statement: bounds the rows one statement returns.
inline constexpr std::size_t windows_per_statement = 64;

// The windows of every zone in `zones` for runs in (after, upto], zone by
// zone; a zone the tz database lacks has none.
std::vector<db::schedule_store::Window> windows_of(const std::vector<std::string>& zones,
                                                   util::Instant after,
                                                   util::Instant upto);

// Statements' worth of windows (about windows_per_statement each) that
// never split a zone's windows: each user has one preference, so no user
// is in two chunks (what enqueue_chunks' shares rely on).
std::vector<std::vector<db::schedule_store::Window>> zone_chunks(
    const std::vector<db::schedule_store::Window>& windows);

// Runs of exactly windows_per_statement windows (the last one shorter),
// zones split anywhere: for statements on one connection.
std::vector<std::vector<db::schedule_store::Window>> plain_chunks(
    const std::vector<db::schedule_store::Window>& windows);

}  // namespace briefos::schedule_command
