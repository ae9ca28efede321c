// SPDX-License-Identifier: MIT
// util/fault: the BRIEFOS_FAULT plan and its hit counter.
#include <briefos/error.hpp>
#include <briefos/util/fault.hpp>

#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <sys/wait.h>
#include <unistd.h>

namespace util = briefos::util;

namespace {

const std::vector<std::string> hooks{"after_claim", "before_send", "after_send"};

}  // namespace

TEST_SUITE_BEGIN("fault");

TEST_CASE("fault::no BRIEFOS_FAULT arms nothing") {
  CHECK(util::fault_plan(hooks, nullptr, nullptr).hook.empty());
  CHECK(util::fault_plan(hooks, "", "3").hook.empty());
  util::FaultHooks none;
  for (int i = 0; i < 5; ++i) CHECK_FALSE(none.due("after_claim"));
  none.reach("after_claim");  // returns: nothing armed
}

TEST_CASE("fault::an unknown hook is a usage error naming the known ones") {
  CHECK_THROWS_WITH_AS(util::fault_plan(hooks, "after_lunch", nullptr),
                       "invalid BRIEFOS_FAULT \"after_lunch\": expected after_claim, before_send or after_send",
                       briefos::UsageError);
}

TEST_CASE("fault::the count says which hit fires") {
  CHECK(util::fault_plan(hooks, "before_send", nullptr).count == 1);
  CHECK(util::fault_plan(hooks, "before_send", "0").count == 1);
  CHECK(util::fault_plan(hooks, "before_send", "x").count == 1);
  CHECK(util::fault_plan(hooks, "before_send", "-2").count == 1);
  const util::FaultPlan plan = util::fault_plan(hooks, "after_send", "3");
  CHECK(plan.hook == "after_send");
  CHECK(plan.count == 3);
  util::FaultHooks h(plan);
  CHECK_FALSE(h.due("after_send"));
  CHECK_FALSE(h.due("before_send"));  // other hooks do not count
  CHECK_FALSE(h.due("after_send"));
  CHECK(h.due("after_send"));
  CHECK(h.due("after_send"));
}

TEST_CASE("fault::the plan comes from the environment") {
  ::setenv("BRIEFOS_FAULT", "after_claim", 1);
  ::setenv("BRIEFOS_FAULT_COUNT", "2", 1);
  const util::FaultPlan plan = util::fault_plan_from_env(hooks);
  ::unsetenv("BRIEFOS_FAULT");
  ::unsetenv("BRIEFOS_FAULT_COUNT");
  CHECK(plan.hook == "after_claim");
  CHECK(plan.count == 2);
  CHECK(util::fault_plan_from_env(hooks).hook.empty());
}

TEST_CASE("fault::a due hook kills the process with SIGKILL") {
  // Nothing buffered may be written twice by the child's flush.
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    util::FaultHooks h(util::FaultPlan{"after_send", 1});
    h.reach("after_claim");  // not armed: goes on
    h.reach("after_send");
    ::_exit(0);  // not reached
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
}

TEST_CASE("fault_ids_from_env: the comma list of a data fault, trimmed; none when unset") {
  ::unsetenv("BRIEFOS_TEST_FAULT_IDS");
  CHECK(util::fault_ids_from_env("BRIEFOS_TEST_FAULT_IDS").empty());
  ::setenv("BRIEFOS_TEST_FAULT_IDS", " p1, p2,,p1 ", 1);
  const auto ids = util::fault_ids_from_env("BRIEFOS_TEST_FAULT_IDS");
  CHECK(ids.size() == 2);
  CHECK(ids.count("p1") == 1);
  CHECK(ids.count("p2") == 1);
  ::unsetenv("BRIEFOS_TEST_FAULT_IDS");
}

TEST_SUITE_END();
