// SPDX-License-Identifier: MIT
#pragma once

// briefos-schedule's work: a sweep (the due runs of every active
// preference in a window of UTC time, queued under the sweep lock) or a
// backfill (given users and dates, queued now), in one unit of work on the
// program's session. See service.cpp for the policy.

#include "briefos/app/schedule/options.hpp"
#include "briefos/db/schedule_store.hpp"
#include "briefos/db/session.hpp"
#include "briefos/util/time.hpp"

#include <functional>

namespace briefos::schedule_command {

// What a sweep or backfill met, for the summary.
struct Counts {
  long long considered = 0;
  long long edited = 0;  // preferences edited since the previous sweep
  long long due = 0;     // runs inside the window
  long long invalid = 0;
  long long invalid_warned_earlier = 0;  // invalid, not warned about again
  long long missed = 0;
  long long backoff = 0;
  long long cancelled = 0;
  long long no_email = 0;  // backfill jobs marked --no-email
};

struct Outcome {
  util::Instant now{};  // the instant the run was as of
  Counts counts;
  db::schedule_store::EnqueueResult result;  // the jobs queued, in the order they were queued
};

// Run the sweep or backfill that `p` asks for on `session`, in one
// transaction committed at the end (rolled back with --dry-run). `shares`
// says where a sweep's window inserts may also run. Throws Error with
// exit_lock_timeout when another sweep held the sweep lock too long.
// `on_users` hears of each batch of users a backfill has gone through (for
// a progress line); a sweep is one statement per chunk and reports none.
Outcome run(db::Session& session, const Options& o, const Plan& p, const db::schedule_store::Shares& shares,
            const std::function<void(long long users)>& on_users = {});

}  // namespace briefos::schedule_command
