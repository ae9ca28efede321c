// SPDX-License-Identifier: MIT
// Fault-injection hooks (see fault.hpp): the plan is read once at start;
// the hit counter is atomic because every worker slot reaches the hooks.
#include "briefos/util/fault.hpp"

#include "briefos/util/text.hpp"

#include "briefos/error.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>

namespace briefos::util {

FaultPlan fault_plan(const std::vector<std::string>& hooks, const char* fault, const char* count) {
  FaultPlan plan;
  if (fault == nullptr || *fault == '\0') return plan;
  const std::string name = fault;
  bool known = false;
  std::string expected;
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    known = known || hooks[i] == name;
    if (i > 0) expected += i + 1 == hooks.size() ? " or " : ", ";
    expected += hooks[i];
  }
  if (!known) throw UsageError("invalid BRIEFOS_FAULT \"" + name + "\": expected " + expected);
  plan.hook = name;
  const long n = count != nullptr ? std::atol(count) : 0;
  plan.count = n > 0 ? n : 1;
  return plan;
}

FaultPlan fault_plan_from_env(const std::vector<std::string>& hooks) {
  return fault_plan(hooks, std::getenv("BRIEFOS_FAULT"), std::getenv("BRIEFOS_FAULT_COUNT"));
}

FaultHooks::FaultHooks(FaultPlan plan) : m_plan(std::move(plan)) {}

bool FaultHooks::due(std::string_view name) noexcept {
  if (m_plan.hook.empty() || name != m_plan.hook) return false;
  return ++m_hits >= m_plan.count;
}

void FaultHooks::reach(std::string_view name) {
  if (due(name)) crash(name);
}

void crash(std::string_view name) {
  spdlog::warn("BRIEFOS_FAULT={}: killing the process", name);
  spdlog::default_logger()->flush();
  std::raise(SIGKILL);
  std::abort();
}

std::unordered_set<std::string> fault_ids_from_env(const char* variable) {
  std::unordered_set<std::string> out;
  const char* v = std::getenv(variable);
  if (v == nullptr) return out;
  for (std::string& id : split_commas(v)) out.insert(std::move(id));
  return out;
}

}  // namespace briefos::util
