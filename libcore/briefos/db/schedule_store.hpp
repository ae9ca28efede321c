// SPDX-License-Identifier: MIT
#pragma once

// Every statement briefos-schedule runs. Times cross this boundary as whole
// seconds since the Unix epoch (UTC). A sweep is one unit of work: the
// caller opens the db::Transaction and passes it to every call, and
// commits it; only enqueue_chunks opens connections of its own (the
// shares), whose transactions it owns.

#include "briefos/db/session.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace briefos::db::schedule_store {

// One active preference as a sweep reads it.
struct PreferenceRow {
  std::string id;
  std::string user_id;
  std::string frequency;
  std::optional<int> day_of_week;
  std::string time_of_day;  // HH:MM:SS
  std::string timezone;
  // Edited rows: the instant to search runs from (the later of the edit
  // and now - catch-up, never after now). Others: 0.
  std::int64_t at = 0;
  // Engagement inputs, read only when asked for.
  std::optional<std::int64_t> last_visit;
  std::optional<std::int64_t> last_brief;
};

// The database's clock at this statement (all due decisions use it, never
// the host's; not now(), which is frozen at the start of the transaction).
std::int64_t now(Transaction& tx);

// Serialise sweeps: wait up to `timeout` for the transaction-scoped sweep
// lock. False if another sweep held it all that time.
bool lock_sweep(Transaction& tx, std::chrono::seconds timeout);

// How far committed sweeps got (schedule_state); nullopt before the first.
struct SweepState {
  std::int64_t swept_to = 0;  // end of the last window: runs up to here are done
  std::int64_t swept_at = 0;  // the last sweep's now
};
std::optional<SweepState> read_state(Transaction& tx);
// Move the state forward (never back: a replay with an earlier --now
// leaves it as it is).
void write_state(Transaction& tx, const SweepState& state);

// The time zones of active preferences, each once, in order (a skip scan
// of user_brief_preferences_due_idx: one probe per zone), and whether any
// preference in that zone has time_of_day 24:00, which PostgreSQL's time
// type accepts and a schedule cannot.
struct ZoneUse {
  std::string zone;
  bool has_2400 = false;
};
std::vector<ZoneUse> active_zones(Transaction& tx);

// Active preferences in `bad_zones`, or at 24:00 in `zones_2400`: how many
// (`count`), how many of them are to be warned about (`warned`: those
// edited after `edited_after`, whole seconds since the epoch, or all of
// them when it is nullopt; see schedule::invalid_warned_after), and the
// first `limit` of those by user id (at = 0).
struct InvalidRows {
  long long count = 0;
  long long warned = 0;
  std::vector<PreferenceRow> rows;
};
InvalidRows invalid_preferences(Transaction& tx,
                                const std::vector<std::string>& bad_zones,
                                const std::vector<std::string>& zones_2400,
                                std::optional<std::int64_t> edited_after,
                                int limit);

// A range of local wall-clock time in one zone (schedule::ZoneWindow with
// its zone): preferences with from <= time_of_day < to (and, when weekly,
// day_of_week = weekday) run at base + time_of_day on run_date.
struct Window {
  std::string zone;
  int weekday = 0;
  int from = 0;
  int to = 0;
  std::int64_t base = 0;
  std::string run_date;  // YYYY-MM-DD
};

// A generate_daily_brief job to queue.
struct BriefJob {
  std::string user_id;
  std::string brief_date;       // YYYY-MM-DD, the user's local date
  std::string timezone;
  std::int64_t scheduled_for = 0;
  std::optional<int> reengagement_days;  // set when backoff flags it
  bool hold_email = false;                // backoff: brief yes, email no
};

struct QueuedJob {
  long long id = 0;
  std::array<char, 36> user_id{};
  std::array<char, 10> brief_date{};
  std::int64_t scheduled_for = 0;
};

struct EnqueueResult {
  std::vector<QueuedJob> queued;
  long long already_queued = 0;     // an active job had the dedup key
  long long already_generated = 0;  // a completed brief exists for that date
};

// Where a sweep's window inserts run: on the sweep's transaction and on
// up to `connections` - 1 further connections to `url` at once (the
// shares), each tagged application_name + " (share)".
struct Shares {
  std::string url;
  std::string application_name;
  int connections = 1;
  bool dry_run = false;  // the shares roll back instead of committing
};

// The server side of a sweep, one statement per chunk: every active
// preference that runs inside the chunk's windows becomes a job claimable
// `lead_s` before its run (the same rules as enqueue_jobs). Runs before
// both the preference's last edit and `known` (the previous sweep's now,
// or this one's on the first sweep) do not count. Chunks must not share a
// user (keep a zone's windows in one chunk). Returns how many runs were due.
//
// With more than one chunk and connection, the chunks are shared out: each
// share takes the next chunk when it is free, its PostgreSQL backend doing
// the whole insert, so on a machine with idle cores the shares finish
// together in a fraction of the time (bench/schedule). A share that cannot
// connect (or get a thread) leaves its part to the others. The shares
// commit (or, with `dry_run`, roll back) only after every share succeeded,
// just before this returns; any failure rolls them all back and is
// rethrown. A statement that waits 10 s for a row lock (a backfill's
// uncommitted job, or another share's when a preference moved zones
// between their snapshots) is done again on `tx` after the shares have
// committed, waiting as long as the sweep would without shares. The jobs
// in `out.queued` are in id order.
long long enqueue_chunks(Transaction& tx,
                         const Shares& shares,
                         const std::vector<std::vector<Window>>& chunks,
                         std::int64_t known,
                         std::int64_t lead_s,
                         EnqueueResult& out);

// The runs inside `windows` as rows, for engagement backoff (decided in
// C++, schedule::engagement, not in SQL): what a BriefJob needs, plus the
// user's last visit and last e-mailed brief when `engagement`.
struct DueRun {
  std::string user_id;
  std::string timezone;
  std::string run_date;
  std::int64_t run = 0;
  std::optional<std::int64_t> last_visit;
  std::optional<std::int64_t> last_brief;
};
std::vector<DueRun> fetch_window_runs(Transaction& tx,
                                      const std::vector<Window>& windows,
                                      std::int64_t known,
                                      bool engagement);

// How many runs fall inside `windows` (the missed ones, for the summary).
long long count_window_runs(Transaction& tx, const std::vector<Window>& windows,
                            std::int64_t known);

// Active preferences edited after `since` (the previous sweep, less a
// margin), up to `limit` after the keyset `after` ((updated_at, id), empty:
// from the start), with `at` = where to search their runs from. `cursor`
// is set to the last row's keyset.
struct EditCursor {
  std::string updated_at;  // text, exact to the microsecond
  std::string id;
};
std::vector<PreferenceRow> fetch_edited(Transaction& tx,
                                        std::int64_t since,
                                        std::int64_t now,
                                        std::int64_t catch_up_s,
                                        std::optional<EditCursor>& cursor,
                                        int limit,
                                        bool engagement);

// In one statement: insert `jobs` (dedup key jobs::brief_key; an
// active duplicate is a no-op, and unless `regenerate`, so is a date whose
// brief is already completed). Appends the new jobs to `out.queued` and
// adds to its counters. A dry run (`dry_run`) inserts nothing and draws no
// job id from the sequence: it reports the jobs the insert would make,
// with id 0.
void enqueue_jobs(Transaction& tx,
                  const std::vector<BriefJob>& jobs,
                  bool regenerate,
                  EnqueueResult& out,
                  bool dry_run);

// Cancel active generate_daily_brief jobs for each (user, date) pair, in
// one statement; returns how many were cancelled.
long long cancel_briefs(Transaction& tx,
                        const std::vector<std::pair<std::string, std::string>>& user_dates,
                        const std::string& reason);

// Preferences (active or not) of the users named by id or e-mail address,
// with `at` = 0. Names that match no user come back in `unknown`; users
// without a preference row in `no_preference` (their ids).
struct UserLookup {
  std::vector<PreferenceRow> rows;
  std::vector<std::string> unknown;
  std::vector<std::string> no_preference;
};
UserLookup find_users(Transaction& tx, const std::vector<std::string>& names);

// Active preferences with id > `after_id`, in id order (backfill of all
// users), `at` = 0.
std::vector<PreferenceRow> fetch_active(Transaction& tx,
                                        const std::string& after_id,
                                        int limit);

// Wake long-running workers (once per sweep, when a queued job is due).
void notify_jobs(Transaction& tx);

}  // namespace briefos::db::schedule_store
