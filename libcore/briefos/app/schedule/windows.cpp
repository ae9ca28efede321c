// SPDX-License-Identifier: MIT
//
// A sweep's windows and their statements (see windows.hpp). A chunk that
// kept a zone's windows together may be longer than windows_per_statement
// (a zone with many offset changes in the window), never shorter except
// the last.
#include "briefos/app/schedule/windows.hpp"

#include "briefos/schedule.hpp"

#include <algorithm>

namespace briefos::schedule_command {

using db::schedule_store::Window;

std::vector<Window> windows_of(const std::vector<std::string>& zones, util::Instant after, util::Instant upto) {
  std::vector<Window> out;
  for (const auto& zone : zones) {
    const auto ws = schedule::zone_windows(zone, after, upto);
    if (!ws) continue;
    for (const auto& w : *ws) {
      out.push_back({zone, w.weekday, w.from, w.to, w.base, util::format_date(w.run_date)});
    }
  }
  return out;
}

std::vector<std::vector<Window>> zone_chunks(const std::vector<Window>& windows) {
  std::vector<std::vector<Window>> out;
  for (std::size_t i = 0; i < windows.size();) {
    std::vector<Window> chunk;
    while (i < windows.size()
           && (chunk.size() < windows_per_statement || chunk.back().zone == windows[i].zone)) {
      chunk.push_back(windows[i++]);
    }
    out.push_back(std::move(chunk));
  }
  return out;
}

std::vector<std::vector<Window>> plain_chunks(const std::vector<Window>& windows) {
  std::vector<std::vector<Window>> out;
  for (std::size_t i = 0; i < windows.size(); i += windows_per_statement) {
    const auto end = std::min(windows.size(), i + windows_per_statement);
    out.emplace_back(windows.begin() + static_cast<std::ptrdiff_t>(i),
                     windows.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return out;
}

}  // namespace briefos::schedule_command
