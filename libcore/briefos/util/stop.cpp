// SPDX-License-Identifier: MIT
// The stop flag: a lock-free atomic, so the signal handler may set it.
#include "briefos/util/stop.hpp"

#include <atomic>

namespace briefos::util {

namespace {
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);
}  // namespace

bool stop_requested() noexcept { return g_stop.load(); }
void request_stop() noexcept { g_stop.store(true); }
void clear_stop() noexcept { g_stop.store(false); }

}  // namespace briefos::util
