// SPDX-License-Identifier: MIT
//
// The SQL of briefos-stats. Policy:
//
// - One transaction per report, READ ONLY and REPEATABLE READ, so every
//   statement of a report sees the same snapshot (the totals of the queue
//   report add up even while workers run). A read-only transaction takes
//   only ACCESS SHARE locks, which conflict with nothing a worker does
//   (row locks, inserts, updates); only DDL such as a migration waits for
//   it. lock_timeout (5 s) keeps a report from waiting behind a migration
//   for long, and statement_timeout (60 s) bounds a runaway report. No row
//   is ever locked: there is no FOR UPDATE/SHARE here.
// - Days are calendar days in the operator's zone: a row's day is
//   (created_at AT TIME ZONE zone)::date, and the window's bounds are local
//   midnights turned into timestamptz, so the range predicate can use the
//   created_at indexes of migration 0005.
// - The emails counts use exactly the definitions of the brief_email_stats
//   view (one count per email x recipient row, sent/failed/pending by
//   emails.status, opened by recipient opened_at, send time from the
//   email's created_at to the recipient's sent_at), so for the days the view
//   covers its numbers and ours agree; the view itself is limited to 30 days
//   and to the session's zone, so the query is written out here.
// - Per-day rows and the window total come from one GROUPING SETS query:
//   a p95 over the window cannot be computed from per-day p95s.
// - Timestamps travel as integer microseconds since the epoch, durations as
//   float seconds; the zone conversion for display happens in stats/time.cpp.
#include "briefos/db/stats_queries.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/sql.hpp"
#include "briefos/db/detail/stats_read.hpp"
#include "briefos/db/schedule_store.hpp"

#include <map>

namespace briefos::db::stats_queries {

namespace detail {

// SET TRANSACTION must be the first statement of the transaction; libpqxx's
// read_transaction has sent only BEGIN READ ONLY by then.
ReadTx::ReadTx(Session& session) : m_tx(session, Transaction::Kind::read_only) {
  pqxx::transaction_base& t = tx();
  t.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  // work_mem: the percentile sorts of a long window stay in memory
  // instead of spilling to disk (measured: 70,000 rows spilled at 4MB).
  t.exec("SELECT set_config('lock_timeout', '5s', true), "
         "set_config('statement_timeout', '60s', true), "
         "set_config('work_mem', '64MB', true)");
}

pqxx::transaction_base& ReadTx::tx() { return db::detail::tx(m_tx); }

stats::Time ReadTx::now() {
  return to_time(tx().exec1("SELECT (EXTRACT(EPOCH FROM now()) * 1000000)::bigint")[0]);
}

stats::Time to_time(const pqxx::field& f) {
  return stats::Time{std::chrono::microseconds{f.as<long long>()}};
}

std::optional<stats::Time> opt_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return to_time(f);
}

std::optional<double> opt_double(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

std::optional<std::string> opt_text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::string(f.c_str());
}

}  // namespace detail

using namespace detail;

namespace {

stats::EmailDay email_day(const pqxx::row& r) {
  stats::EmailDay d;
  d.date = r["day"].is_null() ? "" : r["day"].c_str();
  d.total = r["total"].as<long long>();
  d.sent = r["sent"].as<long long>();
  d.failed = r["failed"].as<long long>();
  d.pending = r["pending"].as<long long>();
  d.cancelled = r["cancelled"].as<long long>();
  d.opened = r["opened"].as<long long>();
  d.avg_send_seconds = opt_double(r["avg_send"]);
  d.p95_send_seconds = opt_double(r["p95_send"]);
  d.sum_send_seconds = r["sum_send"].is_null() ? 0.0 : r["sum_send"].as<double>();
  d.send_samples = r["send_samples"].as<long long>();
  return d;
}

// The window's bounds as timestamptz: local midnight of `from` to local
// midnight after `until`, in zone $3.
constexpr const char* email_rows_sql = R"(
      FROM emails e
      LEFT JOIN email_recipients er ON er.email_id = e.id
     WHERE e.category = 'daily_brief'
       AND e.created_at >= ($1::date::timestamp AT TIME ZONE $3)
       AND e.created_at <  (($2::date + 1)::timestamp AT TIME ZONE $3))";

}  // namespace

Snapshot<stats::EmailReport> emails(Session& session, const Window& w, bool by_variant) {
  return with_zone_check(w.zone, [&] {
    ReadTx rt{session};
    Snapshot<stats::EmailReport> out;
    out.as_of = rt.now();
    const std::string sql = std::string(R"(
    SELECT to_char(x.day, 'YYYY-MM-DD') AS day,
           count(*) AS total,
           count(*) FILTER (WHERE x.status = 'sent') AS sent,
           count(*) FILTER (WHERE x.status = 'failed') AS failed,
           count(*) FILTER (WHERE x.status = 'pending') AS pending,
           count(*) FILTER (WHERE x.status = 'cancelled') AS cancelled,
           count(*) FILTER (WHERE x.opened_at IS NOT NULL) AS opened,
           avg(x.delay) AS avg_send,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY x.delay) AS p95_send,
           sum(x.delay) AS sum_send,
           count(x.delay) AS send_samples
      FROM (SELECT (e.created_at AT TIME ZONE $3)::date AS day,
                   e.status, er.opened_at,
                   EXTRACT(EPOCH FROM (er.sent_at - e.created_at))::float8 AS delay
           )") + email_rows_sql + R"() x
     GROUP BY GROUPING SETS ((x.day), ())
     ORDER BY x.day NULLS LAST)";
    std::map<std::string, stats::EmailDay> by_day;
    for (const auto& r : rt.tx().exec_params(sql, w.from, w.until, w.zone)) {
      stats::EmailDay d = email_day(r);
      if (d.date.empty()) out.report.total = d;
      else by_day[d.date] = d;
    }
    // Every day of the window, zero where nothing happened (charts need them).
    for (const std::string& d : stats::date_range(w.until, w.days)) {
      auto it = by_day.find(d);
      stats::EmailDay e = it == by_day.end() ? stats::EmailDay{} : it->second;
      e.date = d;
      out.report.days.push_back(e);
    }
    out.report.by_variant = by_variant;
    if (by_variant) {
      const std::string vsql = std::string(R"(
    SELECT to_char(x.day, 'YYYY-MM-DD') AS day, x.variant,
           count(*) FILTER (WHERE x.status = 'sent') AS sent,
           count(*) FILTER (WHERE x.opened_at IS NOT NULL) AS opened
      FROM (SELECT (e.created_at AT TIME ZONE $3)::date AS day,
                   e.subject_variant AS variant, e.status, er.opened_at
           )") + email_rows_sql + R"() x
     GROUP BY GROUPING SETS ((x.day, x.variant), (x.variant))
     ORDER BY x.day NULLS LAST, x.variant NULLS FIRST)";
      for (const auto& r : rt.tx().exec_params(vsql, w.from, w.until, w.zone)) {
        stats::EmailVariant v;
        v.date = r["day"].is_null() ? "" : r["day"].c_str();
        v.variant = opt_text(r["variant"]);
        v.sent = r["sent"].as<long long>();
        v.opened = r["opened"].as<long long>();
        (v.date.empty() ? out.report.variant_totals : out.report.variants).push_back(v);
      }
    }
    return out;
  });
}

Snapshot<stats::BriefReport> briefs(Session& session, const Window& w) {
  ReadTx rt{session};
  Snapshot<stats::BriefReport> out;
  out.as_of = rt.now();
  const char* sql = R"(
    SELECT to_char(x.brief_date, 'YYYY-MM-DD') AS day,
           count(*) AS total,
           count(*) FILTER (WHERE x.generation_status = 'completed') AS generated,
           count(*) FILTER (WHERE x.generation_status = 'failed') AS failed,
           count(*) FILTER (WHERE x.is_empty) AS empty,
           count(*) FILTER (WHERE x.llm_status = 'ok' OR x.llm_analysis IS NOT NULL) AS with_llm,
           avg(x.took) AS avg_took,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY x.took) AS p95_took,
           sum(x.took) AS sum_took,
           count(x.took) AS took_samples,
           avg(x.project_count) FILTER (WHERE x.generation_status = 'completed')::float8 AS avg_projects
      FROM (SELECT b.brief_date, b.generation_status, b.is_empty, b.llm_status, b.llm_analysis,
                   b.project_count,
                   CASE WHEN b.generation_status = 'completed'
                        THEN EXTRACT(EPOCH FROM (b.generation_completed_at
                                                 - b.generation_started_at))::float8
                   END AS took
              FROM daily_briefs b
             WHERE b.brief_date BETWEEN $1::date AND $2::date) x
     GROUP BY GROUPING SETS ((x.brief_date), ())
     ORDER BY x.brief_date NULLS LAST)";
  std::map<std::string, stats::BriefDay> by_day;
  for (const auto& r : rt.tx().exec_params(sql, w.from, w.until)) {
    stats::BriefDay d;
    d.date = r["day"].is_null() ? "" : r["day"].c_str();
    d.total = r["total"].as<long long>();
    d.generated = r["generated"].as<long long>();
    d.failed = r["failed"].as<long long>();
    d.empty = r["empty"].as<long long>();
    d.with_llm = r["with_llm"].as<long long>();
    d.avg_generation_seconds = opt_double(r["avg_took"]);
    d.p95_generation_seconds = opt_double(r["p95_took"]);
    d.sum_generation_seconds = r["sum_took"].is_null() ? 0.0 : r["sum_took"].as<double>();
    d.generation_samples = r["took_samples"].as<long long>();
    d.avg_projects = opt_double(r["avg_projects"]);
    if (d.date.empty()) out.report.total = d;
    else by_day[d.date] = d;
  }
  for (const std::string& d : stats::date_range(w.until, w.days)) {
    auto it = by_day.find(d);
    stats::BriefDay b = it == by_day.end() ? stats::BriefDay{} : it->second;
    b.date = d;
    out.report.days.push_back(b);
  }
  return out;
}

Snapshot<stats::QueueReport> queue(Session& session, int top) {
  ReadTx rt{session};
  Snapshot<stats::QueueReport> out;
  out.as_of = rt.now();
  // One pass over the table for the counts; the per-status aggregates that
  // only concern pending or processing jobs are cheap filters in the same
  // scan.
  const char* sql = R"(
    SELECT job_type::text AS job_type,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'processing') AS processing,
           count(*) FILTER (WHERE status = 'retrying') AS retrying,
           count(*) FILTER (WHERE status = 'completed') AS completed,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           count(*) FILTER (WHERE status = 'pending' AND scheduled_for <= now()) AS due,
           EXTRACT(EPOCH FROM now() - min(scheduled_for)
                   FILTER (WHERE status = 'pending' AND scheduled_for <= now()))::float8 AS oldest_due,
           count(*) FILTER (WHERE status = 'processing' AND locked_until < now()) AS expired,
           count(*) FILTER (WHERE status = 'failed'
                              AND completed_at >= now() - interval '24 hours') AS failed_24h
      FROM queue_jobs
     GROUP BY job_type
     ORDER BY job_type::text)";
  for (const auto& r : rt.tx().exec(sql)) {
    stats::QueueType t;
    t.job_type = r["job_type"].c_str();
    t.pending = r["pending"].as<long long>();
    t.processing = r["processing"].as<long long>();
    t.retrying = r["retrying"].as<long long>();
    t.completed = r["completed"].as<long long>();
    t.failed = r["failed"].as<long long>();
    t.cancelled = r["cancelled"].as<long long>();
    t.due = r["due"].as<long long>();
    t.oldest_due_seconds = opt_double(r["oldest_due"]);
    t.expired = r["expired"].as<long long>();
    t.failed_24h = r["failed_24h"].as<long long>();
    out.report.types.push_back(t);
  }
  const char* errors = R"(
    SELECT job_type, message, n, last_seen
      FROM (SELECT job_type::text AS job_type,
                   COALESCE(error_message, '(no message)') AS message,
                   count(*) AS n,
                   (EXTRACT(EPOCH FROM max(completed_at)) * 1000000)::bigint AS last_seen,
                   row_number() OVER (PARTITION BY job_type
                                      ORDER BY count(*) DESC, max(completed_at) DESC) AS rank
              FROM queue_jobs
             WHERE status = 'failed' AND completed_at >= now() - interval '24 hours'
             GROUP BY job_type, COALESCE(error_message, '(no message)')) ranked
     WHERE rank <= $1
     ORDER BY job_type, n DESC, last_seen DESC)";
  for (const auto& r : rt.tx().exec_params(errors, top)) {
    stats::QueueError e;
    e.job_type = r["job_type"].c_str();
    e.message = r["message"].c_str();
    e.count = r["n"].as<long long>();
    e.last_seen = opt_time(r["last_seen"]);
    out.report.errors.push_back(e);
  }
  return out;
}

Snapshot<stats::HealthInputs> health(Session& session, double failure_window_seconds) {
  ReadTx rt{session};
  Snapshot<stats::HealthInputs> out;
  out.as_of = rt.now();
  const char* sql = R"(
    SELECT (SELECT EXTRACT(EPOCH FROM now() - min(scheduled_for))::float8
              FROM queue_jobs WHERE status = 'pending' AND scheduled_for <= now()) AS oldest_due,
           (SELECT count(*) FROM queue_jobs
             WHERE status = 'pending' AND scheduled_for <= now()) AS due,
           f.ok, f.failed,
           (SELECT EXTRACT(EPOCH FROM now() - max(generation_completed_at))::float8
              FROM daily_briefs WHERE generation_status = 'completed') AS last_brief_age,
           (SELECT count(*) FROM user_brief_preferences WHERE is_active) AS active_users,
           (SELECT count(*) FROM queue_jobs
             WHERE status = 'processing' AND locked_until < now()) AS expired
      FROM (SELECT count(*) FILTER (WHERE status = 'completed') AS ok,
                   count(*) FILTER (WHERE status = 'failed') AS failed
              FROM queue_jobs
             WHERE status IN ('completed', 'failed', 'cancelled')
               AND completed_at >= now() - make_interval(secs => $1)) f)";
  const pqxx::row r = rt.tx().exec_params1(sql, failure_window_seconds);
  stats::HealthInputs& in = out.report;
  in.oldest_due_seconds = opt_double(r["oldest_due"]);
  in.due = r["due"].as<long long>();
  in.finished_ok = r["ok"].as<long long>();
  in.finished_failed = r["failed"].as<long long>();
  in.last_brief_age_seconds = opt_double(r["last_brief_age"]);
  in.active_users = r["active_users"].as<long long>();
  in.expired_leases = r["expired"].as<long long>();
  // On a hot standby: how old its data is. Zero while a WAL receiver runs
  // (its pid is all a role without pg_read_all_stats may see of it) and
  // everything received is replayed; otherwise the age of the
  // last replayed transaction (which grows while replay waits, and while the
  // standby is cut off from its primary). A standby that has replayed no
  // transaction since it started has no such age: then the time since it
  // started, the most it can be behind, so that a standby stuck from the
  // start fails the check instead of passing it with no value.
  const pqxx::row lag = rt.tx().exec1(R"(
    SELECT pg_is_in_recovery() AS standby,
           CASE WHEN NOT pg_is_in_recovery() THEN NULL
                WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE pid IS NOT NULL)
                     AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE greatest(0, EXTRACT(EPOCH FROM clock_timestamp()
                                                - coalesce(pg_last_xact_replay_timestamp(), pg_postmaster_start_time()))::float8)
           END AS lag)");
  in.standby = lag["standby"].as<bool>();
  in.replica_lag_seconds = opt_double(lag["lag"]);
  // Zones judged as briefos-schedule judges them (the system tz database,
  // not PostgreSQL's), found with the scheduler's own skip scan.
  for (const auto& z : schedule_store::active_zones(rt.transaction())) {
    if (!stats::is_valid_zone(z.zone)) in.invalid_zones.push_back(z.zone);
  }
  if (!in.invalid_zones.empty()) {
    std::vector<std::optional<std::string>> zones(in.invalid_zones.begin(), in.invalid_zones.end());
    in.invalid_zone_preferences =
        rt.tx()
            .exec_params1("SELECT count(*) FROM user_brief_preferences WHERE is_active AND timezone = ANY($1::text[])",
                          array_literal(zones))[0]
            .as<long long>();
  }
  return out;
}

}  // namespace briefos::db::stats_queries
