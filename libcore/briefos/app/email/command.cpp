// SPDX-License-Identifier: MIT
//
// briefos-email's three runs without a subcommand (a subcommand, given,
// runs its own body: commands.hpp): --preview (compose one brief's email from the
// database, send nothing), --dry-run (decide and compose every due or named
// job, claim and write nothing) and the sending worker (the Sender under
// worker::run, with its batching hooks, reporting each email as it is
// recorded).
#include "briefos/app/email/command.hpp"

#include "briefos/app/email/compose.hpp"
#include "briefos/app/email/options.hpp"
#include "briefos/app/email/output.hpp"
#include "briefos/app/email/service.hpp"
#include "briefos/db/email_store.hpp"
#include "briefos/db/session.hpp"
#include "briefos/delivery.hpp"
#include "briefos/error.hpp"
#include "briefos/jobs.hpp"

#include <algorithm>
#include <memory>
#include <set>

namespace briefos::app::email {

namespace {

namespace store = db::email_store;

int run_preview(cli::Context& ctx, const Options& o, const Settings& settings) {
  auto session = db::Session::open(ctx.database_url, ctx.tool_name);
  db::Transaction tx{*session, db::Transaction::Kind::read_only};
  const auto brief = store::load_brief(tx, o.preview);
  if (!brief) throw Error("no brief with id \"" + o.preview + "\"");
  store::EmailRow row = preview_row(*brief, settings);
  if (brief->email_id) {
    if (auto e = store::load_email(tx, *brief->email_id, store::Lock::no)) {
      row = std::move(*e);
      row.markdown = brief->markdown;  // the brief as it is now
    }
  }
  render::Renderer renderer{settings.templates};
  Composed c;
  try {
    c = compose(settings, renderer, row, std::chrono::system_clock::now());
  } catch (const mime::MimeError& e) {
    // A message that cannot be built is the preview's failure (exit 1), not
    // bad input to this run.
    throw Error(e.what());
  }
  write_preview(ctx, o.html ? c.rendered.html : c.outgoing.data, o.output);
  if (!ctx.quiet) {
    ctx.err << ctx.tool_name << ": preview of " << (brief->email_id ? "email " + *brief->email_id : "a new email")
            << " for brief " << brief->id << " to " << c.recipient << ": \"" << c.rendered.subject
            << "\" (nothing was sent)\n";
  }
  return exit_ok;
}

// What a real run would do with the email `row` of job `j` (the state
// machine in service.cpp), without writing anything. As it always has, a dry
// run composes an email whatever its number of recipients and reports what
// composition says (a real run fails one without exactly one recipient).
DryLine dry_decide(const Settings& settings, render::Renderer& renderer, const store::PendingJob& j,
                   const std::optional<store::EmailRow>& row) {
  DryLine l;
  l.email_id = j.email_id;
  l.job_id = j.job_id;
  if (!row) {
    l.error = "email does not exist";
    return l;
  }
  const delivery::Decision decision = delivery::decide(row->facts());
  switch (decision.verdict) {
    case delivery::Verdict::already_done:
    case delivery::Verdict::wrong_status:
      l.would = Would::skip;
      l.error = "email is already " + row->status;
      return l;
    case delivery::Verdict::cancel:
      l.would = Would::cancel;
      l.error = delivery::describe(*decision.cancel, row->suppressed);
      return l;
    case delivery::Verdict::bad_recipients:
    case delivery::Verdict::send: break;
  }
  try {
    const Composed c = compose(settings, renderer, *row, std::chrono::system_clock::now());
    l.would = Would::send;
    l.recipient = c.recipient;
    l.message_id = c.outgoing.message_id;
    l.subject = c.rendered.subject;
    l.message = c.outgoing.data;
  } catch (const std::exception& e) {
    l.error = e.what();
  }
  return l;
}

int run_dry(cli::Context& ctx, const Options& o, const Settings& settings) {
  auto session = db::Session::open(ctx.database_url, ctx.tool_name);
  db::Transaction tx{*session, db::Transaction::Kind::read_only};
  std::vector<store::PendingJob> jobs;
  if (!o.jobs_from.empty()) {
    jobs = store::pending_jobs_for(tx, load_requested(o.jobs_from));
  } else {
    jobs = store::due_jobs(tx, o.worker.max_jobs > 0 ? static_cast<int>(std::min<long long>(o.worker.max_jobs, 100000)) : 100000);
  }
  render::Renderer renderer{settings.templates};
  int would_send = 0;
  for (const auto& j : jobs) {
    const DryLine line = dry_decide(settings, renderer, j, store::load_email(tx, j.email_id, store::Lock::no));
    if (line.would == Would::send) ++would_send;
    dry_line(ctx, o.json, line);
  }
  dry_summary(ctx, jobs.size(), would_send);
  return exit_ok;
}

// --jobs: the pending jobs of the named emails become the worker's ids; an
// email with no pending job is reported as skipped at once.
void resolve_requested(cli::Context& ctx, Options& o, Report& report) {
  const auto requested = load_requested(o.jobs_from);
  auto session = db::Session::open(ctx.database_url, ctx.tool_name);
  db::Transaction tx{*session, db::Transaction::Kind::read_only};
  const auto jobs = store::pending_jobs_for(tx, requested);
  tx.commit();
  std::set<std::string> found;
  for (const auto& j : jobs) {
    o.worker.ids.push_back(j.job_id);
    found.insert(j.email_id);
  }
  for (const auto& id : requested) {
    if (found.count(id) == 0) {
      Delivery d;
      d.email_id = id;
      d.status = Result::skipped;
      d.error = "no pending email job";
      report.line(d, 0, 0);
    }
  }
  o.worker.mode = worker::Mode::ids;
}

// The Delivery to report for a job the worker finished with `r`.
Delivery reported(Sender& sender, const worker::Report& r) {
  Delivery d = sender.take(r.job->id).value_or(Delivery{});
  if (d.email_id.empty()) d.email_id = email_id_of(*r.job);
  if (r.status == worker::Status::retrying) {
    d.status = Result::retrying;
  } else if (r.status == worker::Status::failed) {
    d.status = Result::failed;
  } else if (r.status == worker::Status::released && d.status != Result::deferred) {
    // The unstarted rest of a batch: at shutdown, or after the relay failed.
    d.status = Result::deferred;
    if (d.error.empty()) d.error = "given back unstarted; pending again";
  } else if (r.status == worker::Status::lost || r.status == worker::Status::released) {
    if (d.status == Result::none || d.status == Result::retrying) d.status = Result::skipped;
    if (d.error.empty()) d.error = "job lease lost";
  } else if (d.status == Result::none) {
    d.status = Result::sent;
  }
  if (d.error.empty() && !r.error.empty()) d.error = r.error;
  return d;
}

int run_send(cli::Context& ctx, Options& o, const Settings& settings) {
  const mail::TransportConfig tc = make_transport_config(o);
  const util::FaultPlan fault = util::fault_plan_from_env(fault_hooks());
  std::shared_ptr<mail::RateLimiter> limiter;
  if (!o.rate.empty()) limiter = std::make_shared<mail::RateLimiter>(parse_rate(o.rate));
  if (o.connections > 0) o.worker.concurrency = o.connections;

  Report report(ctx, o.json);
  if (!o.jobs_from.empty()) resolve_requested(ctx, o, report);

  auto sender = std::make_shared<Sender>(
      settings, [tc] { return mail::make_transport(tc); }, limiter, o.notify, fault);
  sender->set_batching(std::chrono::milliseconds(o.flush_interval_ms), flush_group);
  sender->set_retry_policy(o.worker.retry);
  // A relay outage: stop after --max-relay-failures in a row when run from
  // cron (--drain, --once, --jobs), so the outage shows; a long-running
  // worker keeps pausing and trying unless told otherwise.
  o.worker.max_outage = o.max_relay_failures >= 0 ? o.max_relay_failures
                        : o.worker.mode == worker::Mode::run ? 0
                                                             : default_max_relay_failures;
  const worker::Handler handler = [sender](db::Session& session, const queue::Job& job) {
    return sender->handle(session, job);
  };
  const worker::Reporter reporter = [&](const worker::Report& r) {
    report.line(reported(*sender, r), r.job->id, r.seconds);
  };
  const auto t0 = std::chrono::steady_clock::now();
  const worker::Totals totals = worker::run(ctx.database_url, ctx.tool_name, {jobs::email_type}, o.worker,
                                            handler, reporter, sender->hooks());
  report.summary(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), sender->resent());
  if (totals.outage) report.relay_down(mail::make_transport(tc)->describe(), totals.outage_error);
  return worker::exit_status(totals);
}

}  // namespace

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto o = std::make_shared<Options>();
  add_options(tool, *o);
  return [o](cli::Context& ctx) -> int {
    for (const Subcommand& c : o->commands) {
      if (c.app->parsed()) return c.run(ctx);
    }
    const Settings settings = make_settings(*o);
    if (!o->preview.empty()) return run_preview(ctx, *o, settings);
    if (o->dry_run) return run_dry(ctx, *o, settings);
    return run_send(ctx, *o, settings);
  };
}

}  // namespace briefos::app::email
