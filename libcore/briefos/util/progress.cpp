// SPDX-License-Identifier: MIT
// The progress line: see progress.hpp.
#include "briefos/util/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace briefos::util {

Progress::Progress(std::ostream& err, bool enabled, long long total, std::string unit)
    : m_err(err), m_enabled(enabled), m_total(total), m_unit(std::move(unit)), m_start(Clock::now()) {}

void Progress::advance(long long n) {
  m_done += n;
  if (!m_enabled) return;
  const auto now = Clock::now();
  if (now - m_last < std::chrono::milliseconds(100) && m_done != m_total) return;
  m_last = now;
  const double secs = std::chrono::duration<double>(now - m_start).count();
  const double rate = secs > 0 ? static_cast<double>(m_done) / secs : 0;
  char line[160];
  if (m_total > 0) {
    const long long shown = std::min(m_done, m_total);
    const int width = 30;
    const int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(shown)
                                        / static_cast<double>(m_total));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(static_cast<std::size_t>(width), '-');
    const double eta = rate > 0 ? static_cast<double>(m_total - shown) / rate : 0;
    std::snprintf(line, sizeof line, "\r[%s] %lld/%lld  %.1f %s/s  ETA %.0fs ", bar.c_str(), shown, m_total,
                  rate, m_unit.c_str(), eta);
  } else {
    std::snprintf(line, sizeof line, "\r%lld %s  %.1f %s/s ", m_done, m_unit.c_str(), rate, m_unit.c_str());
  }
  m_err << line << std::flush;
  m_drawn = true;
}

void Progress::clear() {
  if (m_drawn) m_err << "\r\033[K" << std::flush;
  m_drawn = false;
}

}  // namespace briefos::util
