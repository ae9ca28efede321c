// SPDX-License-Identifier: MIT
//
// briefos-stats's service: one report read and rendered (see service.hpp).
// Policy: every report's Meta carries the database's now() of its snapshot
// as "generated at", so ages and the as-of time agree; the window reports
// (emails, briefs, user) also carry their days. health exits 5
// (exit_check_failed) when any check fails, in every format, after all
// checks are rendered.
#include "briefos/app/stats/service.hpp"

#include "briefos/db/stats_queries.hpp"
#include "briefos/stats/render.hpp"

#include <spdlog/spdlog.h>

namespace briefos::app::stats {

namespace st = briefos::stats;
namespace sq = briefos::db::stats_queries;

namespace {

st::Meta meta_of(const Request& r, const std::string& report, st::Time as_of, bool with_window) {
  st::Meta meta;
  meta.report = report;
  meta.generated_at = as_of;
  meta.zone = r.window.zone;
  if (with_window) {
    meta.days = r.window.days;
    meta.from = r.window.from;
    meta.until = r.window.until;
  }
  return meta;
}

}  // namespace

Produced produce(db::Session& session, const Request& r, bool quiet) {
  Produced out;
  switch (r.report) {
    case Report::emails: {
      const auto snap = sq::emails(session, r.window, r.by_variant);
      out.text = st::render(snap.report, meta_of(r, "emails", snap.as_of, true), r.render);
      break;
    }
    case Report::briefs: {
      const auto snap = sq::briefs(session, r.window);
      out.text = st::render(snap.report, meta_of(r, "briefs", snap.as_of, true), r.render);
      break;
    }
    case Report::queue: {
      const auto snap = sq::queue(session, r.top);
      out.text = st::render(snap.report, meta_of(r, "queue", snap.as_of, false), r.render);
      break;
    }
    case Report::user: {
      const auto snap = sq::user(session, r.user, r.user_window);
      const st::UserWindow& w = snap.report.window;
      st::Meta meta = meta_of(r, "user", snap.as_of, false);
      meta.zone = w.zone;
      meta.zone_source = w.zone_source;
      meta.days = w.days;
      meta.from = w.from;
      meta.until = w.until;
      meta.ahead = w.ahead;
      out.text = st::render(snap.report, meta, r.render);
      break;
    }
    case Report::health: {
      const auto snap = sq::health(session, r.thresholds.failure_window_seconds);
      const st::HealthReport report = st::evaluate_health(snap.report, r.thresholds);
      out.text = st::render(report, meta_of(r, "health", snap.as_of, false), r.render);
      if (!report.ok()) {
        out.status = exit_check_failed;
        std::size_t failed = 0;
        for (const auto& c : report.checks) failed += c.ok ? 0 : 1;
        if (!quiet) spdlog::warn("{} of {} health checks failed", failed, report.checks.size());
      }
      break;
    }
  }
  return out;
}

}  // namespace briefos::app::stats
