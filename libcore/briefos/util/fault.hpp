// SPDX-License-Identifier: MIT
#pragma once

// Fault injection for crash drills and tests, read from the environment:
// crash hooks and data faults.
// BRIEFOS_FAULT=<hook> arms one named hook of the program; with
// BRIEFOS_FAULT_COUNT=N it fires the Nth time the hook is reached (default
// the first). A program names its hooks (briefos-email: after_claim,
// before_send, after_send), so a misspelt BRIEFOS_FAULT is a usage error at
// start instead of a drill that silently never fires; where the code
// reaches a hook it calls FaultHooks::reach(), which kills the process with
// SIGKILL when the hook is armed and due: no destructors, no rollback, as
// in a crash or an OOM kill.

#include <atomic>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace briefos::util {

// Which hook to fire and when (copyable; FaultHooks counts the hits).
struct FaultPlan {
  std::string hook;  // empty: nothing armed
  long count = 1;    // fire at the count-th hit of `hook`
};

// The plan in BRIEFOS_FAULT and BRIEFOS_FAULT_COUNT for a program whose
// hooks are `hooks`. A count that is not a number above 0 means 1. Throws
// UsageError when BRIEFOS_FAULT names no hook of `hooks`.
FaultPlan fault_plan_from_env(const std::vector<std::string>& hooks);

// The same from given values instead of the environment (tests).
FaultPlan fault_plan(const std::vector<std::string>& hooks, const char* fault, const char* count);

// The hit counter of one plan, shared by every thread of the program.
class FaultHooks {
public:
  explicit FaultHooks(FaultPlan plan = {});
  FaultHooks(const FaultHooks&) = delete;
  FaultHooks& operator=(const FaultHooks&) = delete;

  // Count a hit of hook `name`: true when `name` is the armed hook and this
  // is its count-th hit or a later one.
  bool due(std::string_view name) noexcept;

  // If due(name), crash(name).
  void reach(std::string_view name);

private:
  FaultPlan m_plan;
  std::atomic<long> m_hits{0};
};

// The ids in the comma list of environment variable `variable` (none when
// it is unset): the data faults of a drill, such as BRIEFOS_FAULT_PROJECTS,
// the projects briefos-generate makes fail while it builds their brief.
std::unordered_set<std::string> fault_ids_from_env(const char* variable);

// Log "BRIEFOS_FAULT=<name>: killing the process" and die by SIGKILL.
[[noreturn]] void crash(std::string_view name);

}  // namespace briefos::util
