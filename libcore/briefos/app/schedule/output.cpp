// SPDX-License-Identifier: MIT
//
// briefos-schedule's output. stdout carries only the jobs queued (so that
// `briefos-schedule --json | briefos-generate --jobs -` works), printed
// after the commit so that every job id on it exists; everything else goes
// to stderr.
#include "briefos/app/schedule/output.hpp"

#include "briefos/util/json_line.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace briefos::schedule_command {

namespace {

std::string text_of(const std::array<char, 36>& a) { return std::string(a.data(), a.size()); }
std::string text_of(const std::array<char, 10>& a) { return std::string(a.data(), a.size()); }

}  // namespace

void Reporter::invalid(Counts& c, const std::string& user_id, const std::string& why) {
  ++c.invalid;
  if (++m_listed <= max_listed_invalid) {
    spdlog::warn("user {}: invalid brief preference: {}; skipped", user_id, why);
  }
}

void Reporter::finish(const Counts& c) {
  const long long warned = c.invalid - c.invalid_warned_earlier;
  if (warned > max_listed_invalid) {
    spdlog::warn("{} more invalid brief preferences not listed", warned - max_listed_invalid);
  }
}

void print_jobs(cli::Context& ctx, const Options& o, const db::schedule_store::EnqueueResult& result) {
  if (result.queued.empty()) return;
  if (!o.json) ctx.out << "job_id    user_id                               brief_date  scheduled_for\n";
  std::string line;
  for (const auto& q : result.queued) {
    const std::string sched = util::format_instant(util::Instant{std::chrono::seconds(q.scheduled_for)});
    if (o.json) {
      // Written by hand: a 100,000-job sweep printed through a JSON object
      // per line spent a fifth of its CPU here. Every value is digits, a
      // UUID, a date or an instant from this program or PostgreSQL's uuid
      // output, so nothing needs escaping.
      line = util::json_line_opening;
      line += "\"job_id\":";
      line += o.dry_run ? std::string("null") : std::to_string(q.id);
      line += ",\"user_id\":\"";
      line.append(q.user_id.data(), q.user_id.size());
      line += "\",\"brief_date\":\"";
      line.append(q.brief_date.data(), q.brief_date.size());
      line += "\",\"scheduled_for\":\"" + sched + "\"}";
    } else {
      std::string id = o.dry_run ? "-" : std::to_string(q.id);
      id.resize(std::max<std::size_t>(id.size(), 9), ' ');
      line = id + ' ' + text_of(q.user_id) + "  " + text_of(q.brief_date) + "  " + sched;
    }
    line += '\n';
    ctx.out << line;
  }
}

void print_summary(cli::Context& ctx, const Options& o, const Plan& p, const Outcome& outcome) {
  if (ctx.quiet) return;
  const Counts& c = outcome.counts;
  const auto& r = outcome.result;
  const long long skipped = c.invalid + c.missed;
  auto& e = ctx.err;
  e << ctx.tool_name << ": " << (o.dry_run ? "dry run, nothing committed: " : "")
    << (p.backfill ? "backfill" : "sweep") << " as of "
    << util::format_instant(outcome.now) << ": considered " << c.considered;
  if (c.edited > 0) e << " (" << c.edited << " new or edited)";
  e << ", due " << c.due << ", " << (o.dry_run ? "would queue " : "queued ")
    << r.queued.size() << ", already queued " << r.already_queued << ", already generated "
    << r.already_generated;
  if (c.cancelled > 0) e << ", cancelled " << c.cancelled;
  e << ", skipped " << skipped;
  if (skipped > 0) {
    e << " (invalid preference " << c.invalid;
    if (!p.backfill && c.invalid > 0) {
      e << ", warned about " << c.invalid - c.invalid_warned_earlier << " now and "
        << c.invalid_warned_earlier << " earlier today";
    }
    e << ", missed beyond catch-up " << c.missed << ")";
  }
  if (o.engagement_backoff) e << ", email held back by engagement backoff " << c.backoff;
  if (o.no_email) e << ", no email (--no-email) " << c.no_email;
  e << "\n";
}

}  // namespace briefos::schedule_command
