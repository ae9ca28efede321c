// SPDX-License-Identifier: MIT
#pragma once

// A progress line on a terminal's stderr: a bar with done/total, the rate
// and the time left when the total is known, else the count and the rate.
// Redrawn in place (\r) at most every 100 ms, and always for the last item;
// clear() erases it before other output is written.

#include <chrono>
#include <ostream>
#include <string>

namespace briefos::util {

class Progress {
public:
  // Draw on `err` only when `enabled`; `total` 0 means unknown. `unit` names
  // the items in the line ("briefs": "12 briefs  3.4 briefs/s").
  Progress(std::ostream& err, bool enabled, long long total, std::string unit);

  // One more item done; redraws when due.
  void tick() { advance(1); }

  // `n` more items done at once (a batch); redraws when due.
  void advance(long long n);

  // Erase the line if one is drawn.
  void clear();

private:
  using Clock = std::chrono::steady_clock;
  std::ostream& m_err;
  bool m_enabled;
  long long m_total;
  std::string m_unit;
  long long m_done = 0;
  Clock::time_point m_start;
  Clock::time_point m_last{};
  bool m_drawn = false;
};

}  // namespace briefos::util
