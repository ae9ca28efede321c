// SPDX-License-Identifier: MIT
// queue-probe: drives the queue engine from separate processes for the
// queue's multi-process tests and for bench/queue. Not installed.
//
//   queue-probe enqueue --count N [--chunk C] [--dedup-prefix P] [--type T]
//   queue-probe work [--drain|--once|--jobs -] [--concurrency N] --handler H
//
// Handlers: noop (complete, batched), count (insert into probe_calls in the
// job's own transaction together with queue::complete), crash (abort() the
// process when metadata.crash is true, else like count), sleep (sleep
// metadata.ms, then complete), fail (transient failure), permanent.
#include <briefos/cli.hpp>
#include <briefos/db/detail/pqxx_access.hpp>  // raw SQL for the probe table
#include <briefos/db/session.hpp>
#include <briefos/db/queue.hpp>
#include <briefos/error.hpp>
#include <briefos/worker.hpp>

#include <cstdlib>
#include <iostream>
#include <thread>

int main(int argc, char** argv) {
  briefos::cli::Tool tool{"queue-probe", "Exercise the briefos queue."};
  CLI::App& app = tool.app();
  app.require_subcommand(1, 1);
  app.fallthrough();
  long long count = 1000;
  int chunk = 5000;
  std::string dedup_prefix;
  std::string type = "other";
  std::string handler_name = "noop";
  bool json = false;
  briefos::worker::Options wopts;
  std::string jobs_from;
  CLI::App* enq = app.add_subcommand("enqueue", "Enqueue no-op jobs");
  enq->add_option("--count", count);
  enq->add_option("--chunk", chunk);
  enq->add_option("--dedup-prefix", dedup_prefix);
  enq->add_option("--type", type);
  CLI::App* work = app.add_subcommand("work", "Run a worker");
  briefos::worker::add_options(*work, wopts, jobs_from);
  work->add_option("--handler", handler_name);
  work->add_option("--type", type);
  work->add_flag("--json", json);

  return tool.run(argc, argv, [&](briefos::cli::Context& ctx) -> int {
    if (enq->parsed()) {
      auto cx = briefos::db::Session::open(ctx.database_url, "queue-probe");
      long long inserted = 0;
      const auto t0 = std::chrono::steady_clock::now();
      for (long long done = 0; done < count; done += chunk) {
        std::vector<briefos::queue::NewJob> jobs;
        for (long long i = done; i < std::min(count, done + chunk); ++i) {
          briefos::queue::NewJob j;
          j.type = type;
          j.metadata = {{"n", i}};
          if (!dedup_prefix.empty()) j.dedup_key = dedup_prefix + std::to_string(i);
          jobs.push_back(std::move(j));
        }
        briefos::db::Transaction tx{*cx};
        for (const auto& r : briefos::queue::enqueue(tx, jobs)) inserted += r.inserted ? 1 : 0;
        tx.commit();
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ctx.out << "enqueued " << inserted << " of " << count << " in " << secs << " s\n";
      return 0;
    }
    briefos::worker::resolve_jobs(wopts, jobs_from);
    const std::string h = handler_name;
    briefos::worker::Handler handler = [h](briefos::db::Session& cx, const briefos::queue::Job& job) {
      if (h == "noop") return briefos::worker::Outcome::done({{"ok", true}}, false);
      if (h == "fail") return briefos::worker::Outcome::transient("probe failure");
      if (h == "permanent") throw briefos::queue::PermanentError("probe permanent failure");
      if (h == "sleep") {
        std::this_thread::sleep_for(std::chrono::milliseconds(job.metadata.value("ms", 100)));
        return briefos::worker::Outcome::done({{"slept", true}}, false);
      }
      if (h == "crash" && job.metadata.value("crash", false)) std::abort();
      briefos::db::Transaction tx{cx};
      briefos::db::detail::tx(tx).exec_params("INSERT INTO probe_calls (job_id, attempt) VALUES ($1, $2)", job.id, job.attempts);
      if (!briefos::queue::complete(tx, job, {{"worker", job.worker_id}})) {
        throw briefos::queue::LeaseLost("lease lost for job " + std::to_string(job.id));
      }
      tx.commit();
      return briefos::worker::Outcome::done({{"counted", true}}, true);
    };
    std::mutex out_mu;
    const auto totals = briefos::worker::run(
        ctx.database_url, "queue-probe", {type}, wopts, handler,
        [&](const briefos::worker::Report& r) {
          if (!json) return;
          std::lock_guard lock(out_mu);
          ctx.out << nlohmann::json{{"job_id", r.job->id}, {"status", r.status}}.dump() << "\n";
        });
    ctx.err << "claimed " << totals.claimed << " completed " << totals.completed << " retried "
            << totals.retried << " failed " << totals.failed << " lost " << totals.lost
            << " released " << totals.released << " rescued " << totals.rescued << "\n";
    return briefos::worker::exit_status(totals);
  });
}
