// SPDX-License-Identifier: MIT
//
// The worker loop shared by briefos-generate and briefos-email.
//
// N job slots run as threads, each with its own connection (database
// connections are not thread-safe and a slot's handler owns its
// transactions). A slot claims a batch in one statement, runs the handler on
// each job, and records the plain completions of the batch in one statement
// (handlers that write domain data complete their job inside their own
// transaction instead, or, with BatchHooks, defer it to a flush that records
// a group of jobs and says which were still held; such jobs stay in flight,
// their leases extended, until that flush). A batch handler gets the whole
// batch in one call and returns one outcome (or exception) per job, recorded
// as above. A separate heartbeat thread, with its own connection,
// extends the leases of every job in flight at a third of the lease, and in
// long-running mode rescues expired leases of crashed workers; a listener
// thread LISTENs on briefos_jobs and wakes idle slots, while the poll
// interval stays as a backstop for lost notifications.
//
// Shutdown: on SIGINT/SIGTERM slots stop claiming, finish the job in hand,
// give the unstarted rest of their batch back (pending again, attempt not
// counted), and the program exits. A job whose worker dies mid-run keeps its
// lease until it expires and is then rescued: at-least-once delivery, which
// is why handlers must be idempotent (see ARCHITECTURE.md).
//
// A lost database connection: with Options::reconnect_for (--reconnect-for)
// the slot (and the heartbeat) reconnects in place, 0.5 s between attempts
// doubling to 10 s, a warning per attempt, for at most that long; a multi-host
// URL with target_session_attrs=read-write thus follows a failover to the
// promoted standby. The slot then rescues every job the database still shows
// held by it (queue::rescue_held_by): it holds nothing in memory any more,
// and whether their last transaction committed is unknown, so the fenced
// completion decides (a committed one is not touched, the rest are done
// again). Without it, or once it runs out, the slot ends: jobs it held stay
// processing with a lease, to be rescued, and the run reports it (exit
// status 3).
#include "briefos/worker.hpp"

#include "briefos/util/stop.hpp"
#include "briefos/util/time.hpp"
#include "briefos/db/connection.hpp"
#include "briefos/error.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

namespace briefos::worker {

const char* to_string(Status status) noexcept {
  switch (status) {
    case Status::completed: return "completed";
    case Status::retrying: return "retrying";
    case Status::failed: return "failed";
    case Status::lost: return "lost";
    case Status::released: return "released";
  }
  return "unknown";
}

namespace {

std::string default_worker_id() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

struct Shared {
  Shared(const Options& o, const std::vector<std::string>& t, const Handler* h, const BatchHandler* b,
         const Reporter& r, const BatchHooks& k, std::string u, std::string a)
      : opts(o), types(t), handler(h), batch_handler(b), reporter(r), hooks(k), url(std::move(u)),
        app_name(std::move(a)) {}

  const Options& opts;
  const std::vector<std::string>& types;
  const Handler* handler;             // one of these two is set
  const BatchHandler* batch_handler;
  const Reporter& reporter;
  const BatchHooks& hooks;
  std::string url;
  std::string app_name;

  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t wake_seq = 0;
  Totals totals;
  std::set<std::pair<long long, std::string>> in_flight;  // (job id, slot worker id)
  std::vector<long long> pending_ids;                      // Mode::ids
  std::size_t next_id = 0;
  long long started = 0;  // jobs handed to handlers, for --max-jobs
  std::atomic<bool> done{false};
  std::atomic<bool> connection_lost{false};
  // An outage of a service the jobs need (Outcome::Kind::unavailable):
  // consecutive unavailable outcomes, no claim before resume_at, and the
  // run's end after Options::max_outage of them.
  int outages = 0;
  std::chrono::steady_clock::time_point resume_at{};
  std::atomic<bool> outage_stop{false};
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::string lost_message;

  void wake() {
    {
      std::lock_guard lock(mu);
      ++wake_seq;
    }
    cv.notify_all();
  }

  bool should_stop() const {
    return done.load() || util::stop_requested() || connection_lost.load() || outage_stop.load()
           || std::chrono::steady_clock::now() >= deadline;
  }

  // How many more jobs this slot may take under --max-jobs.
  int budget(int want) {
    std::lock_guard lock(mu);
    if (opts.max_jobs <= 0) return want;
    const long long left = opts.max_jobs - started;
    return static_cast<int>(std::max<long long>(0, std::min<long long>(want, left)));
  }
};

void report(Shared& s, const queue::Job& job, Status status,
            const nlohmann::json& result, const std::string& error, double seconds) {
  std::lock_guard lock(s.mu);
  switch (status) {
    case Status::completed: ++s.totals.completed; break;
    case Status::retrying: ++s.totals.retried; break;
    case Status::failed: ++s.totals.failed; break;
    case Status::lost: ++s.totals.lost; break;
    case Status::released: ++s.totals.released; break;
  }
  if (s.reporter) s.reporter(Report{&job, status, result, error, seconds});
}

// A job came back `unavailable`: one more consecutive failure of the
// service; every slot pauses (doubling, capped at the backoff cap), and the
// run stops after Options::max_outage of them.
void outage_begun(Shared& s, const std::string& error) {
  std::lock_guard lock(s.mu);
  ++s.outages;
  s.totals.outage = true;
  s.totals.outage_error = error;
  const auto cap = std::chrono::duration_cast<std::chrono::milliseconds>(s.opts.retry.backoff.cap);
  const std::chrono::milliseconds doubled{s.opts.outage_pause.count() * (1LL << std::min(s.outages - 1, 20))};
  const std::chrono::milliseconds pause = std::min(cap, doubled);
  s.resume_at = std::chrono::steady_clock::now() + pause;
  if (s.opts.max_outage > 0 && s.outages >= s.opts.max_outage) {
    spdlog::warn("{} consecutive failures to reach a service the jobs need; stopping, the jobs stay pending: {}",
                 s.outages, error);
    s.outage_stop = true;
  } else {
    spdlog::warn("a service the jobs need is unavailable ({} in a row); the jobs stay pending, no attempt used; "
                 "claiming again in {:.1f} s: {}",
                 s.outages, std::chrono::duration<double>(pause).count(), error);
  }
  s.cv.notify_all();
}

// A job completed: any outage is over.
void outage_over(Shared& s) {
  std::lock_guard lock(s.mu);
  if (s.outages == 0) return;
  spdlog::warn("the unavailable service is back after {} failure(s)", s.outages);
  s.outages = 0;
  s.totals.outage = false;
  s.totals.outage_error.clear();
  s.resume_at = {};
}

// Wait out an outage's pause before claiming; false if the run should stop.
bool wait_for_resume(Shared& s) {
  std::unique_lock lock(s.mu);
  while (!s.should_stop() && std::chrono::steady_clock::now() < s.resume_at) {
    s.cv.wait_until(lock, std::min(s.resume_at, std::chrono::steady_clock::now() + std::chrono::milliseconds(200)));
  }
  return !s.should_stop();
}

// The run gives up on the database: every slot stops, exit status 3.
void give_up(Shared& s, const std::string& error) {
  std::lock_guard lock(s.mu);
  if (s.lost_message.empty()) s.lost_message = error;
  s.connection_lost = true;
  s.cv.notify_all();
}

// Reconnect `cx` in place after `error` lost it: 0.5 s before the first
// attempt, doubling to 10 s, a warning per attempt, until
// Options::reconnect_for has passed since the loss. False when it gave up
// (or reconnect_for is 0) or the run is stopping anyway.
bool reconnect(Shared& s, db::Session& cx, const std::string& who, std::string error) {
  if (s.opts.reconnect_for.count() <= 0) return false;
  using clock = std::chrono::steady_clock;
  const auto give_up_at = clock::now() + s.opts.reconnect_for;
  auto delay = std::chrono::milliseconds(500);
  for (int attempt = 1;; ++attempt) {
    const auto at = std::min(clock::now() + delay, give_up_at);
    spdlog::warn("{}: lost the database connection ({}); reconnecting in {:.1f} s (attempt {}, giving up {:.0f} s "
                 "after the loss)",
                 who, db::redact(error), std::chrono::duration<double>(at - clock::now()).count(), attempt,
                 std::chrono::duration<double>(s.opts.reconnect_for).count());
    {
      std::unique_lock lock(s.mu);
      while (!s.should_stop() && clock::now() < at) {
        s.cv.wait_until(lock, std::min(at, clock::now() + std::chrono::milliseconds(200)));
      }
    }
    if (s.should_stop()) return false;
    try {
      cx.reconnect();
      spdlog::warn("{}: reconnected to the database (attempt {})", who, attempt);
      return true;
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (clock::now() >= give_up_at) {
      spdlog::error("{}: could not reconnect to the database within {:.0f} s; stopping", who,
                    std::chrono::duration<double>(s.opts.reconnect_for).count());
      return false;
    }
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(10));
  }
}

// One slot's claim loop on `cx` until the mode's end or a stop. Returns the
// error if the connection was lost (the caller reconnects or gives up),
// else an empty string.
std::string work_slot(Shared& s, int slot, const std::string& worker_id, db::Session& session,
                      bool& claimed_once);

void run_slot(Shared& s, int slot) {
  const std::string worker_id =
      (s.opts.worker_id.empty() ? default_worker_id() : s.opts.worker_id) + ":" + std::to_string(slot);
  std::unique_ptr<db::Session> cx;
  try {
    cx = db::Session::open(s.url, s.app_name);
  } catch (const std::exception& e) {
    give_up(s, e.what());
    return;
  }
  bool claimed_once = false;
  for (;;) {
    const std::string lost = work_slot(s, slot, worker_id, *cx, claimed_once);
    if (lost.empty()) return;
    {
      // Whatever this slot held is no longer in hand; the heartbeat stops
      // extending it.
      std::lock_guard lock(s.mu);
      for (auto it = s.in_flight.begin(); it != s.in_flight.end();) {
        it = it->second == worker_id ? s.in_flight.erase(it) : std::next(it);
      }
    }
    if (!reconnect(s, *cx, "worker slot " + std::to_string(slot), lost)) {
      give_up(s, lost);
      return;
    }
    try {
      db::Transaction tx{*cx};
      const auto c = queue::rescue_held_by(tx, worker_id);
      tx.commit();
      if (c.retried + c.failed > 0) {
        spdlog::warn("worker slot {}: {} job(s) it held when the connection was lost will be done again "
                     "({} failed for good)", slot, c.retried + c.failed, c.failed);
        std::lock_guard lock(s.mu);
        s.totals.rescued += c.retried + c.failed;
      }
    } catch (const std::exception& e) {
      if (!cx->lost(e)) throw;
      // Lost again at once: the next round of the loop notices.
    }
  }
}

std::string work_slot(Shared& s, int slot, const std::string& worker_id, db::Session& session,
                      bool& claimed_once) {
  db::Session* const cx = &session;
  queue::ClaimOptions claim{s.types, s.opts.batch, worker_id, s.opts.lease};
  try {
    while (!s.should_stop()) {
      if (s.opts.mode == Mode::once && claimed_once) break;
      if (!wait_for_resume(s)) break;
      const int limit = s.budget(s.opts.batch);
      if (limit == 0) break;
      claim.limit = limit;
      std::vector<queue::Job> jobs;
      std::uint64_t seen_seq = 0;
      {
        std::lock_guard lock(s.mu);
        seen_seq = s.wake_seq;
      }
      if (s.opts.mode == Mode::ids) {
        std::vector<long long> ids;
        {
          std::lock_guard lock(s.mu);
          while (s.next_id < s.pending_ids.size() && static_cast<int>(ids.size()) < limit) {
            ids.push_back(s.pending_ids[s.next_id++]);
          }
        }
        if (ids.empty()) break;
        jobs = queue::claim_ids(*cx, ids, claim);
        if (jobs.size() < ids.size()) {
          spdlog::info("{} of {} requested job(s) were not pending (done, taken or cancelled)",
                       ids.size() - jobs.size(), ids.size());
        }
      } else {
        jobs = queue::claim(*cx, claim);
      }
      claimed_once = true;
      if (jobs.empty()) {
        if (s.opts.mode != Mode::run) {
          if (s.opts.mode == Mode::ids) continue;
          break;
        }
        std::unique_lock lock(s.mu);
        s.cv.wait_for(lock, s.opts.poll, [&] { return s.wake_seq != seen_seq || s.should_stop(); });
        continue;
      }
      {
        std::lock_guard lock(s.mu);
        s.totals.claimed += static_cast<long long>(jobs.size());
        s.started += static_cast<long long>(jobs.size());
        for (const auto& j : jobs) s.in_flight.insert({j.id, worker_id});
      }
      if (s.hooks.begin) s.hooks.begin(*cx, jobs);
      // Jobs the handler deferred (BatchHooks), by id: index into jobs and
      // the handler's time. They stay in flight (leases extended) until a
      // flush records them.
      std::map<long long, std::pair<std::size_t, double>> deferred;
      auto record_deferred = [&](BatchHooks::Flush when) {
        if (!s.hooks.flush || deferred.empty()) return;
        for (const auto& r : s.hooks.flush(*cx, when)) {
          const auto it = deferred.find(r.job_id);
          if (it == deferred.end()) continue;
          const queue::Job& job = jobs[it->second.first];
          if (r.held) {
            report(s, job, Status::completed, r.result, "", it->second.second);
          } else {
            spdlog::warn("job {} was lost (lease expired or cancelled) before its work was recorded", job.id);
            report(s, job, Status::lost, nullptr, "", it->second.second);
          }
          deferred.erase(it);
          std::lock_guard lock(s.mu);
          s.in_flight.erase({job.id, worker_id});
        }
      };
      bool hand_back = false;  // an outcome gave the rest of the batch back
      std::vector<std::pair<long long, nlohmann::json>> to_complete;
      std::vector<std::pair<std::size_t, double>> to_complete_jobs;  // index into jobs
      // Record and report what became of jobs[idx]: its outcome, or the
      // exception its handling ended with.
      const auto settle = [&](std::size_t idx, Outcome outcome, const std::exception_ptr& error,
                              double secs) {
        const queue::Job& job = jobs[idx];
        bool lost = false;
        bool conn_lost = false;
        std::string conn_error;
        if (error) {
          try {
            std::rethrow_exception(error);
          } catch (const queue::LeaseLost& e) {
            lost = true;
            outcome = Outcome::transient(e.what());
          } catch (const std::exception& e) {
            if (cx->lost(e)) {
              conn_lost = true;
              conn_error = e.what();
            } else if (queue::is_permanent(e)) {
              outcome = Outcome::permanent(e.what());
            } else {
              outcome = Outcome::transient(e.what());
            }
          }
        }
        if (conn_lost) throw DatabaseUnreachable(conn_error);
        if (lost) {
          spdlog::warn("job {} was lost (lease expired or cancelled); its work was rolled back", job.id);
          report(s, job, Status::lost, nullptr, outcome.error, secs);
        } else if (outcome.kind == Outcome::Kind::unavailable || outcome.kind == Outcome::Kind::interrupted) {
          // Back to pending untouched: the attempt is not counted.
          db::Transaction tx{*cx};
          const bool held = queue::release(tx, job);
          tx.commit();
          report(s, job, held ? Status::released : Status::lost, nullptr, outcome.error, secs);
          if (outcome.kind == Outcome::Kind::unavailable) outage_begun(s, outcome.error);
          hand_back = true;
        } else if (outcome.kind == Outcome::Kind::completed) {
          outage_over(s);
          if (outcome.deferred) {
            deferred.emplace(job.id, std::make_pair(idx, secs));
          } else if (outcome.recorded) {
            report(s, job, Status::completed, outcome.result, "", secs);
          } else {
            to_complete.emplace_back(job.id, outcome.result);
            to_complete_jobs.emplace_back(idx, secs);
          }
        } else {
          db::Transaction tx{*cx};
          const auto kind = outcome.kind == Outcome::Kind::failed ? queue::FailKind::permanent
                                                                  : queue::FailKind::transient;
          const auto r = queue::fail(tx, job, outcome.error, kind, s.opts.retry, outcome.retry_in);
          tx.commit();
          const Status status = r == queue::FailOutcome::failed    ? Status::failed
                                : r == queue::FailOutcome::retried ? Status::retrying
                                                                   : Status::lost;
          if (r == queue::FailOutcome::failed) {
            spdlog::warn("job {} ({}) failed: {}", job.id, job.type, outcome.error);
          } else if (r == queue::FailOutcome::retried) {
            // A warning: cron runs with -q, and a retry is worth seeing.
            spdlog::warn("job {} ({}) will be retried: {}", job.id, job.type, outcome.error);
          }
          report(s, job, status, nullptr, outcome.error, secs);
        }
        if (deferred.count(job.id) == 0) {
          std::lock_guard lock(s.mu);
          s.in_flight.erase({job.id, worker_id});
        }
        record_deferred(BatchHooks::Flush::if_due);
      };
      // The worker's own checks of a job, before any handler sees it.
      const auto check = [&](const queue::Job& job) {
        if (std::find(s.types.begin(), s.types.end(), job.type) == s.types.end()) {
          throw queue::PermanentError("no handler for job type \"" + job.type + "\" in " + s.app_name);
        }
        queue::validate_claimed(job);
      };
      std::size_t i = 0;
      std::vector<std::size_t> unstarted;  // given back untouched
      if (s.batch_handler != nullptr) {
        // The whole batch at once; once handed over it is finished, even
        // on shutdown (its jobs are already done or being done).
        if (!(s.should_stop() && !s.done.load())) {
          const auto t0 = std::chrono::steady_clock::now();
          std::vector<BatchItem> items(jobs.size());
          std::vector<const queue::Job*> passed;
          std::vector<std::size_t> passed_at;
          for (std::size_t k = 0; k < jobs.size(); ++k) {
            try {
              check(jobs[k]);
              passed.push_back(&jobs[k]);
              passed_at.push_back(k);
            } catch (const std::exception&) {
              items[k].error = std::current_exception();
            }
          }
          if (!passed.empty()) {
            std::vector<BatchItem> got;
            try {
              got = (*s.batch_handler)(*cx, passed);
              if (got.size() != passed.size()) {
                throw std::logic_error("batch handler returned " + std::to_string(got.size())
                                       + " results for " + std::to_string(passed.size()) + " jobs");
              }
            } catch (const std::exception&) {
              const std::exception_ptr error = std::current_exception();
              const double secs =
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
              got.assign(passed.size(), BatchItem{});
              for (auto& item : got) {
                item.error = error;
                item.seconds = secs / static_cast<double>(passed.size());
              }
            }
            for (std::size_t k = 0; k < passed.size(); ++k) items[passed_at[k]] = std::move(got[k]);
          }
          for (; i < jobs.size(); ++i) {
            if (items[i].not_started) {
              unstarted.push_back(i);
              continue;
            }
            settle(i, std::move(items[i].outcome), items[i].error, items[i].seconds);
          }
        } else {
          for (std::size_t k = 0; k < jobs.size(); ++k) unstarted.push_back(k);
        }
      } else {
        for (; i < jobs.size(); ++i) {
          const queue::Job& job = jobs[i];
          if (hand_back || (s.should_stop() && !s.done.load())) break;
          const auto t0 = std::chrono::steady_clock::now();
          worker::Outcome outcome;
          std::exception_ptr error;
          try {
            check(job);
            outcome = (*s.handler)(*cx, job);
          } catch (const std::exception&) {
            error = std::current_exception();
          }
          settle(i, std::move(outcome), error,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        for (std::size_t k = i; k < jobs.size(); ++k) unstarted.push_back(k);
      }
      record_deferred(BatchHooks::Flush::now);
      if (s.hooks.end) {
        std::vector<queue::Job> rest;
        for (std::size_t k : unstarted) rest.push_back(jobs[k]);
        s.hooks.end(*cx, rest);
      }
      if (!to_complete.empty()) {
        db::Transaction tx{*cx};
        const auto done_ids = queue::complete_many(tx, worker_id, to_complete);
        tx.commit();
        const std::set<long long> ok(done_ids.begin(), done_ids.end());
        for (std::size_t k = 0; k < to_complete_jobs.size(); ++k) {
          const queue::Job& job = jobs[to_complete_jobs[k].first];
          report(s, job, ok.count(job.id) ? Status::completed : Status::lost, to_complete[k].second, "",
                 to_complete_jobs[k].second);
        }
      }
      // Unstarted jobs of the batch go back untouched on shutdown.
      if (!unstarted.empty()) {
        db::Transaction tx{*cx};
        for (std::size_t k : unstarted) {
          if (queue::release(tx, jobs[k])) {
            report(s, jobs[k], Status::released, nullptr, "", 0);
          }
        }
        tx.commit();
        std::lock_guard lock(s.mu);
        for (std::size_t k : unstarted) s.in_flight.erase({jobs[k].id, worker_id});
        if (s.opts.mode != Mode::run && !hand_back && !s.outage_stop.load()) s.totals.interrupted = true;
      }
    }
  } catch (const std::exception& e) {
    if (db::is_connection_lost(e) || !cx->is_open()) return e.what();
    // Any other error in the loop itself (not in a handler) is a bug or a
    // database error on queue statements: stop this slot, report it.
    spdlog::error("worker slot {} stopped: {}", slot, db::redact(e.what()));
    std::lock_guard lock(s.mu);
    ++s.totals.failed;
  }
  return "";
}

void run_heartbeat(Shared& s) {
  std::unique_ptr<db::Session> cx;
  std::unique_ptr<db::Listener> listener;
  try {
    cx = db::Session::open(s.url, s.app_name + " (heartbeat)");
    if (s.opts.mode == Mode::run) listener = std::make_unique<db::Listener>(*cx, "briefos_jobs", [&s] { s.wake(); });
  } catch (const std::exception& e) {
    spdlog::warn("heartbeat connection failed: {}", db::redact(e.what()));
    return;
  }
  const auto interval = std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds(200), std::chrono::duration_cast<std::chrono::milliseconds>(s.opts.lease) / 3);
  auto next_beat = std::chrono::steady_clock::now() + interval;
  // Expired leases are looked for every 30 s, or every lease when that is
  // shorter: a short --lease is asked for so that a vanished host's jobs
  // come back soon, and a fixed 30 s would add up to 30 s to every rescue
  // (tests/cli/hosts.test.sh measured it). The query is an index probe.
  const auto rescue_every = std::clamp<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(s.opts.lease), std::chrono::seconds(1),
      std::chrono::seconds(30));
  auto next_rescue = std::chrono::steady_clock::now() + rescue_every;
  while (!s.done.load()) {
    try {
      if (listener) {
        cx->await_notification(std::chrono::milliseconds(200));
      } else {
        std::unique_lock lock(s.mu);
        s.cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return s.done.load(); });
      }
      const auto now = std::chrono::steady_clock::now();
      if (util::stop_requested()) s.cv.notify_all();
      if (now >= next_beat) {
        std::map<std::string, std::vector<long long>> by_worker;
        {
          std::lock_guard lock(s.mu);
          for (const auto& [id, wid] : s.in_flight) by_worker[wid].push_back(id);
        }
        for (const auto& [wid, ids] : by_worker) {
          db::Transaction tx{*cx};
          queue::extend_leases(tx, wid, ids, s.opts.lease);
          tx.commit();
        }
        next_beat = now + interval;
      }
      if (s.opts.mode == Mode::run && now >= next_rescue) {
        db::Transaction tx{*cx};
        const auto c = queue::rescue_expired(tx);
        tx.commit();
        if (c.retried + c.failed > 0) {
          spdlog::info("rescued {} job(s) with expired leases ({} failed for good)", c.retried + c.failed,
                       c.failed);
          std::lock_guard lock(s.mu);
          s.totals.rescued += c.retried + c.failed;
        }
        if (c.retried > 0) s.wake();
        next_rescue = now + rescue_every;
      }
    } catch (const std::exception& e) {
      if (cx->is_open() && !db::is_connection_lost(e)) {
        spdlog::warn("heartbeat: {}", db::redact(e.what()));
        continue;
      }
      // The receiver refers to the old connection: drop it first.
      listener.reset();
      if (!reconnect(s, *cx, "heartbeat", e.what())) {
        if (s.opts.reconnect_for.count() > 0 && !s.done.load()) give_up(s, e.what());
        if (s.opts.reconnect_for.count() <= 0) spdlog::warn("heartbeat: {}", db::redact(e.what()));
        return;
      }
      try {
        if (s.opts.mode == Mode::run) listener = std::make_unique<db::Listener>(*cx, "briefos_jobs", [&s] { s.wake(); });
      } catch (const std::exception& again) {
        spdlog::warn("heartbeat: could not LISTEN again: {}", db::redact(again.what()));
      }
      s.wake();
    }
  }
}

}  // namespace

namespace {

std::string show_duration(std::chrono::seconds d) {
  const long long n = d.count();
  if (n == 0) return "0";
  if (n % 86400 == 0) return std::to_string(n / 86400) + "d";
  if (n % 3600 == 0) return std::to_string(n / 3600) + "h";
  if (n % 60 == 0) return std::to_string(n / 60) + "m";
  return std::to_string(n) + "s";
}

// A DURATION option ("90s", "5m", "24h", "1d"; 0 where `zero_ok`).
void duration_option(CLI::App& app, const char* name, std::chrono::seconds& target, const std::string& what,
                     bool zero_ok) {
  app.add_option_function<std::string>(
         name,
         [&target, name, zero_ok](const std::string& text) {
           const auto d = util::parse_duration(text);
           if (!d || (!zero_ok && d->count() == 0)) {
             throw CLI::ValidationError(name, "\"" + text + "\" is not a duration (90s, 5m, 24h, 1d)");
           }
           target = *d;
         },
         what + " [" + show_duration(target) + "]")
      ->type_name("DURATION");
}

// The retry policy's options, with the program's defaults in `retry`.
void add_retry_options(CLI::App& app, queue::RetryPolicy& retry) {
  const std::string attempts_default = retry.max_attempts ? std::to_string(*retry.max_attempts) : "job's";
  app.add_option_function<int>("--max-attempts", [&retry](const int& v) { retry.max_attempts = v; },
                               "Attempts before failing (0: unlimited) [" + attempts_default + "]")
      ->type_name("N")->check(CLI::Range(0, 100000));
  duration_option(app, "--backoff-base", retry.backoff.base, "First retry delay, doubling per attempt", false);
  duration_option(app, "--backoff-cap", retry.backoff.cap, "Longest retry delay", false);
  duration_option(app, "--give-up-after", retry.give_up_after, "Stop retrying a job this old (0: never)", true);
}

}  // namespace

void add_options(CLI::App& app, Options& opts, std::string& jobs_from) {
  auto* drain = app.add_flag_callback("--drain", [&opts] { opts.mode = Mode::drain; },
                                      "Process due jobs until none is left, then exit");
  auto* once = app.add_flag_callback("--once", [&opts] { opts.mode = Mode::once; },
                                     "Claim one batch per slot, process it, exit");
  auto* jobs = app.add_option("--jobs", jobs_from,
                              "Process exactly the job ids in FILE ('-': stdin)")
                   ->type_name("FILE");
  drain->excludes(once);
  jobs->excludes(drain)->excludes(once);
  app.add_option("--concurrency", opts.concurrency, "Parallel job slots")
      ->type_name("N")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--batch", opts.batch, "Jobs claimed per statement")
      ->type_name("N")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option_function<int>("--lease", [&opts](const int& v) { opts.lease = std::chrono::seconds(v); },
                               "Seconds a job is held before rescue [300]")
      ->type_name("SECONDS")->check(CLI::Range(5, 86400));
  app.add_option("--max-jobs", opts.max_jobs, "Exit after N jobs (0: no limit)")
      ->type_name("N")->check(CLI::Range(0LL, 1000000000LL));
  app.add_option_function<int>("--max-runtime",
                               [&opts](const int& v) { opts.max_runtime = std::chrono::seconds(v); },
                               "Stop claiming after SECONDS (0: no limit)")
      ->type_name("SECONDS")->check(CLI::Range(0, 31536000));
  app.add_option_function<int>("--poll-interval",
                               [&opts](const int& v) { opts.poll = std::chrono::milliseconds(v); },
                               "Idle poll backstop in ms [2000]")
      ->type_name("MS")->check(CLI::Range(10, 600000));
  duration_option(app, "--reconnect-for", opts.reconnect_for,
                  "Reconnect this long after a lost connection",
                  true);
  add_retry_options(app, opts.retry);
}

std::vector<long long> read_job_ids(std::istream& in) {
  std::vector<long long> ids;
  std::string line;
  long long n = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.pop_back();
    try {
      if (line[0] == '{') {
        const auto j = nlohmann::json::parse(line);
        const auto it = j.find("job_id");
        if (it != j.end() && it->is_number_integer() && it->get<long long>() > 0) {
          ids.push_back(it->get<long long>());
          continue;
        }
        if (it != j.end() && it->is_null()) continue;  // nothing queued for that line
      } else if (line.find_first_not_of("0123456789") == std::string::npos && line.size() < 19) {
        ids.push_back(std::stoll(line));
        continue;
      }
    } catch (const std::exception&) {
      // fall through to the warning
    }
    spdlog::warn("input line {}: not a job id or a JSON line with \"job_id\"; skipped", n);
  }
  return ids;
}

void resolve_jobs(Options& opts, const std::string& jobs_from) {
  if (jobs_from.empty()) return;
  if (jobs_from == "-") {
    opts.ids = read_job_ids(std::cin);
  } else {
    std::ifstream in(jobs_from);
    if (!in) throw UsageError("could not read job list \"" + jobs_from + "\": " + std::strerror(errno));
    opts.ids = read_job_ids(in);
  }
  opts.mode = Mode::ids;
}

int exit_status(const Totals& t) {
  if (t.interrupted) return exit_interrupted;
  if (t.outage) return exit_unavailable;
  if (t.failed > 0 || t.retried > 0 || t.lost > 0) return exit_failure;
  return exit_ok;
}

namespace {

Totals run_with(const std::string& database_url,
                const std::string& application_name,
                const std::vector<std::string>& types,
                const Options& opts,
                const Handler* handler,
                const BatchHandler* batch_handler,
                const Reporter& reporter,
                const BatchHooks& hooks) {
  Shared s{opts, types, handler, batch_handler, reporter, hooks, database_url, application_name};
  if (opts.max_runtime.count() > 0) s.deadline = std::chrono::steady_clock::now() + opts.max_runtime;
  {
    // Fail fast (exit 3) when the database is unreachable, and rescue jobs
    // of crashed workers before claiming.
    auto cx = db::Session::open(database_url, application_name);
    db::Transaction tx{*cx};
    const auto c = queue::rescue_expired(tx);
    tx.commit();
    s.totals.rescued = c.retried + c.failed;
    if (c.retried + c.failed > 0) {
      spdlog::info("rescued {} job(s) with expired leases ({} failed for good)", c.retried + c.failed, c.failed);
    }
  }
  if (opts.mode == Mode::ids) {
    s.pending_ids = opts.ids;
    if (s.pending_ids.empty()) return s.totals;
  }
  std::thread heartbeat([&s] { run_heartbeat(s); });
  std::vector<std::thread> slots;
  for (int i = 0; i < std::max(1, opts.concurrency); ++i) {
    slots.emplace_back([&s, i] { run_slot(s, i); });
  }
  for (auto& t : slots) t.join();
  s.done = true;
  s.cv.notify_all();
  heartbeat.join();
  // A long-running worker told to stop has done its job; a drain or a
  // pipeline stopped early has not.
  if (util::stop_requested() && opts.mode != Mode::run) s.totals.interrupted = true;
  if (s.connection_lost.load()) {
    throw DatabaseUnreachable("lost connection to the database: " + db::redact(s.lost_message),
                              "Jobs in flight keep their lease and are rescued when it expires;"
                              " --reconnect-for keeps a worker reconnecting.");
  }
  return s.totals;
}

}  // namespace

Totals run(const std::string& database_url,
           const std::string& application_name,
           const std::vector<std::string>& types,
           const Options& opts,
           const Handler& handler,
           const Reporter& reporter,
           const BatchHooks& hooks) {
  return run_with(database_url, application_name, types, opts, &handler, nullptr, reporter, hooks);
}

Totals run(const std::string& database_url,
           const std::string& application_name,
           const std::vector<std::string>& types,
           const Options& opts,
           const BatchHandler& batch_handler,
           const Reporter& reporter) {
  const BatchHooks none;
  return run_with(database_url, application_name, types, opts, nullptr, &batch_handler, reporter, none);
}

}  // namespace briefos::worker
