// SPDX-License-Identifier: MIT
//
// The operator's statements on queue_jobs (see queue_admin.hpp). Policy:
//
// - One filter, one WHERE clause: every statement that selects jobs by an
//   operator's filter uses filter_where() with the same eight bound
//   parameters ($1..$8), so list, retry and cancel can never disagree about
//   which jobs a filter names. Absent parts are NULL and drop out.
// - Decide, then change with the decision re-checked: retry and cancel read
//   the candidates without locking them, then change each in a statement
//   that matches only a job still in a status the command takes it from
//   (queue::cancel does so for cancel). A concurrent run of the same command
//   (cron twice, two operators) therefore changes each job once, and the
//   loser reports the job as changed meanwhile. A dry run stops after the
//   decision, in a read-only transaction.
// - Retry never resurrects an email the system decided not to send: an
//   email job whose recipient bounced or whose address is suppressed is
//   refused with that reason (delivery would cancel it anyway, and a
//   suppressed address must not receive mail because an operator retried
//   a batch). The email of a retried job goes from failed back to pending,
//   with its failed recipients, in the same transaction as the job.
// - A retried job keeps its error history (`errors`), so `show` still tells
//   why it failed before; attempts start again from zero.
// - Prune is queue::prune, one short transaction per batch, so cron runs
//   hold no long locks and two concurrent runs skip each other's rows.
#include "briefos/db/queue_admin.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/sql.hpp"
#include "briefos/db/queue.hpp"
#include "briefos/error.hpp"
#include "briefos/jobs.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <cmath>
#include <set>

namespace briefos::db::queue_admin {

namespace {

// The filter's bound parameters, in the order filter_where() numbers them.
struct Params {
  std::optional<std::string> ids, types, statuses, user;
  std::optional<double> since_at, since_ago, before_at, before_ago;
};

std::optional<std::string> array_or_null(const std::vector<std::string>& v) {
  if (v.empty()) return std::nullopt;
  std::vector<std::optional<std::string>> items(v.begin(), v.end());
  return array_literal(items);
}

double epoch(Time t) {
  return static_cast<double>(t.time_since_epoch().count()) / 1e6;
}

Params params_of(const Filter& f, const std::vector<std::string>& statuses) {
  Params p;
  std::vector<std::string> ids;
  for (long long id : f.ids) ids.push_back(std::to_string(id));
  p.ids = array_or_null(ids);
  p.types = array_or_null(f.types);
  p.statuses = array_or_null(statuses);
  p.user = f.user_id;
  if (f.since.at) p.since_at = epoch(*f.since.at);
  if (f.since.ago) p.since_ago = static_cast<double>(f.since.ago->count());
  if (f.before.at) p.before_at = epoch(*f.before.at);
  if (f.before.ago) p.before_ago = static_cast<double>(f.before.ago->count());
  return p;
}

// The WHERE clause of a filter on queue_jobs aliased q: $1..$8 of Params.
constexpr const char* filter_where = R"SQL(
     ($1::bigint[] IS NULL OR q.id = ANY($1::bigint[]))
 AND ($2::text[] IS NULL OR q.job_type::text = ANY($2::text[]))
 AND ($3::text[] IS NULL OR q.status::text = ANY($3::text[]))
 AND ($4::uuid IS NULL OR q.user_id = $4::uuid)
 AND ($5::float8 IS NULL OR q.created_at >= to_timestamp($5::float8))
 AND ($6::float8 IS NULL OR q.created_at >= now() - make_interval(secs => $6::float8))
 AND ($7::float8 IS NULL OR q.created_at < to_timestamp($7::float8))
 AND ($8::float8 IS NULL OR q.created_at < now() - make_interval(secs => $8::float8))
)SQL";

template <typename... Extra>
pqxx::result exec_filtered(pqxx::transaction_base& tx, const std::string& sql, const Params& p,
                           Extra&&... extra) {
  return tx.exec_params(sql, p.ids, p.types, p.statuses, p.user, p.since_at, p.since_ago, p.before_at,
                        p.before_ago, std::forward<Extra>(extra)...);
}

Time to_time(const pqxx::field& f) {
  return Time(std::chrono::microseconds(std::llround(f.as<double>() * 1e6)));
}

std::optional<Time> opt_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return to_time(f);
}

nlohmann::json opt_json(const pqxx::field& f) {
  if (f.is_null()) return nullptr;
  try {
    return nlohmann::json::parse(f.c_str());
  } catch (const nlohmann::json::exception&) {
    return f.c_str();  // jsonb always parses; kept total for safety
  }
}

constexpr const char* row_columns =
    "q.id, q.job_type::text AS job_type, q.status::text AS status, q.user_id::text AS user_id,"
    " q.attempts, q.max_attempts, q.priority,"
    " extract(epoch FROM q.created_at)::float8 AS created_at,"
    " extract(epoch FROM q.scheduled_for)::float8 AS scheduled_for,"
    " extract(epoch FROM q.completed_at)::float8 AS completed_at, q.error_message";

JobRow to_row(const pqxx::row& r) {
  JobRow j;
  j.id = r["id"].as<long long>();
  j.type = r["job_type"].c_str();
  j.status = r["status"].c_str();
  j.user_id = opt_text(r["user_id"]);
  j.attempts = r["attempts"].as<int>();
  j.max_attempts = r["max_attempts"].as<int>();
  j.priority = r["priority"].as<int>();
  j.created_at = to_time(r["created_at"]);
  j.scheduled_for = to_time(r["scheduled_for"]);
  j.completed_at = opt_time(r["completed_at"]);
  j.error = opt_text(r["error_message"]);
  return j;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v, const char* last) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += i + 1 == v.size() ? std::string(" ") + last + " " : ", ";
    out += v[i];
  }
  return out;
}

// Jobs named by id that the select did not return.
void refuse_missing(const Filter& f, const std::set<long long>& seen, Outcome& out) {
  for (long long id : f.ids) {
    if (seen.count(id) == 0) out.refused.push_back({id, "no job " + std::to_string(id) + " matches"});
  }
}

// A job found by id in a status the command does not take it from.
std::string wrong_status(long long id, const std::string& status, const std::vector<std::string>& allowed,
                         const char* verb) {
  return "job " + std::to_string(id) + " is " + status + ": only " + join(allowed, "or") + " jobs are "
         + verb;
}

// Wake long-running workers for the job types that became due now.
void notify(pqxx::transaction_base& tx, const std::set<std::string>& types) {
  for (const std::string& t : types) tx.exec_params("SELECT pg_notify('briefos_jobs', $1)", t);
}

}  // namespace

std::vector<std::string> job_types(Session& session) {
  Transaction t{session, Transaction::Kind::read_only};
  const pqxx::result r = detail::tx(t).exec("SELECT unnest(enum_range(NULL::queue_type))::text");
  std::vector<std::string> out;
  for (const auto& row : r) out.emplace_back(row[0].c_str());
  return out;
}

std::vector<JobRow> list(Session& session, const Filter& filter) {
  Transaction t{session, Transaction::Kind::read_only};
  const std::string sql = std::string("SELECT ") + row_columns + " FROM queue_jobs q WHERE " + filter_where
                          + " ORDER BY q.id DESC LIMIT NULLIF($9::int, 0)";
  const pqxx::result r = exec_filtered(detail::tx(t), sql, params_of(filter, filter.statuses), filter.limit);
  std::vector<JobRow> out;
  for (const auto& row : r) out.push_back(to_row(row));
  return out;
}

std::optional<JobDetail> show(Session& session, long long id) {
  Transaction t{session, Transaction::Kind::read_only};
  const pqxx::result r = detail::tx(t).exec_params(
      std::string("SELECT ") + row_columns
          + ", u.email AS user_email, q.dedup_key, q.locked_by,"
            " extract(epoch FROM q.locked_until)::float8 AS locked_until,"
            " extract(epoch FROM q.started_at)::float8 AS started_at,"
            " extract(epoch FROM q.updated_at)::float8 AS updated_at,"
            " q.metadata::text AS metadata, q.result::text AS result, q.errors::text AS errors"
            " FROM queue_jobs q LEFT JOIN users u ON u.id = q.user_id WHERE q.id = $1",
      id);
  if (r.empty()) return std::nullopt;
  const pqxx::row row = r[0];
  JobDetail d;
  d.row = to_row(row);
  d.user_email = opt_text(row["user_email"]);
  d.dedup_key = opt_text(row["dedup_key"]);
  d.locked_by = opt_text(row["locked_by"]);
  d.locked_until = opt_time(row["locked_until"]);
  d.started_at = opt_time(row["started_at"]);
  d.updated_at = to_time(row["updated_at"]);
  d.metadata = opt_json(row["metadata"]);
  d.result = opt_json(row["result"]);
  const nlohmann::json errors = opt_json(row["errors"]);
  if (errors.is_array()) {
    for (const auto& e : errors) {
      if (!e.is_object()) continue;
      Attempt a;
      if (e.contains("attempt") && e["attempt"].is_number_integer()) a.attempt = e["attempt"].get<long long>();
      if (e.contains("at") && e["at"].is_string()) a.at = e["at"].get<std::string>();
      if (e.contains("error") && e["error"].is_string()) a.error = e["error"].get<std::string>();
      d.attempts.push_back(a);
    }
  }
  return d;
}

Outcome retry(Session& session, const Filter& filter, bool dry_run) {
  const std::vector<std::string>& allowed = filter.statuses.empty() ? retryable_statuses : filter.statuses;
  // By id, every named job comes back, so a wrong status can be reported.
  const Params p = params_of(filter, filter.ids.empty() ? allowed : std::vector<std::string>{});
  Transaction t{session, dry_run ? Transaction::Kind::read_only : Transaction::Kind::write};
  pqxx::transaction_base& tx = detail::tx(t);
  // $9: the email job's type (jobs.hpp); its metadata.emailId names the email.
  const std::string sql = std::string(R"SQL(
SELECT q.id, q.job_type::text AS job_type, q.status::text AS status, q.user_id::text AS user_id,
       e.id::text AS email_id, bad.recipient_email, bad.recipient_status, bad.suppressed,
       dup.id AS active_duplicate
  FROM queue_jobs q
  LEFT JOIN emails e
         ON q.job_type::text = $9
        AND e.id = CASE WHEN q.metadata->>'emailId'
                             ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                        THEN (q.metadata->>'emailId')::uuid END
  LEFT JOIN LATERAL (
    SELECT r.recipient_email, r.status AS recipient_status, s.reason AS suppressed
      FROM email_recipients r
      LEFT JOIN email_suppressions s ON s.email = lower(r.recipient_email)
     WHERE r.email_id = e.id AND (r.status = 'bounced' OR s.email IS NOT NULL)
     ORDER BY r.created_at, r.id LIMIT 1) bad ON true
  LEFT JOIN LATERAL (
    SELECT a.id FROM queue_jobs a
     WHERE q.dedup_key IS NOT NULL AND a.dedup_key = q.dedup_key AND a.id <> q.id
       AND a.status IN ('pending', 'processing')
     LIMIT 1) dup ON true
 WHERE )SQL") + filter_where + " ORDER BY q.id";
  const pqxx::result r = exec_filtered(tx, sql, p, std::string(jobs::email_type));
  Outcome out;
  std::set<long long> seen;
  std::vector<Change> accepted;
  for (const auto& row : r) {
    const long long id = row["id"].as<long long>();
    seen.insert(id);
    const std::string status = row["status"].c_str();
    const std::string job = "job " + std::to_string(id);
    if (!contains(allowed, status)) {
      out.refused.push_back({id, wrong_status(id, status, allowed, "retried")});
    } else if (!row["active_duplicate"].is_null()) {
      out.refused.push_back({id, job + ": job " + row["active_duplicate"].c_str()
                                     + " with the same dedup key is already active"});
    } else if (!row["recipient_email"].is_null()) {
      const std::string who = row["recipient_email"].c_str();
      const std::string why = !row["suppressed"].is_null()
                                  ? "the address " + who + " is suppressed (" + row["suppressed"].c_str() + ")"
                                  : "the recipient " + who + " bounced";
      out.refused.push_back({id, job + ": " + why + "; not sending to it again"});
    } else {
      accepted.push_back({id, row["job_type"].c_str(), status, opt_text(row["user_id"]),
                          opt_text(row["email_id"]), false});
    }
  }
  refuse_missing(filter, seen, out);
  if (dry_run || accepted.empty()) {
    out.changed = std::move(accepted);
    return out;
  }
  std::vector<std::optional<std::string>> ids;
  for (const Change& c : accepted) ids.emplace_back(std::to_string(c.id));
  pqxx::result done;
  try {
    done = tx.exec_params(
        "UPDATE queue_jobs SET status = 'pending', attempts = 0, scheduled_for = now(), started_at = NULL,"
        " completed_at = NULL, error_message = NULL, result = NULL, locked_by = NULL, locked_until = NULL,"
        " updated_at = now()"
        " WHERE id = ANY($1::bigint[]) AND status::text = ANY($2::text[]) RETURNING id",
        array_literal(ids), *array_or_null(allowed));
  } catch (const pqxx::unique_violation&) {
    // A job with the same dedup key was queued after the check above.
    throw Error("another job with the same dedup key became active while retrying; nothing was changed",
                "Run the command again.");
  }
  std::set<long long> retried;
  for (const auto& row : done) retried.insert(row[0].as<long long>());
  std::vector<std::optional<std::string>> emails;
  std::set<std::string> types;
  for (const Change& c : accepted) {
    if (retried.count(c.id) == 0) {
      out.refused.push_back({c.id, "job " + std::to_string(c.id) + " changed meanwhile: not retried"});
      continue;
    }
    types.insert(c.type);
    if (c.email_id) emails.emplace_back(*c.email_id);
  }
  std::set<std::string> reset;
  if (!emails.empty()) {
    const pqxx::result e = tx.exec_params(R"SQL(
WITH e AS (
  UPDATE emails SET status = 'pending', error_message = NULL
   WHERE id = ANY($1::uuid[]) AND status = 'failed'
  RETURNING id
), r AS (
  UPDATE email_recipients SET status = 'pending', error_message = NULL
   WHERE email_id IN (SELECT id FROM e) AND status = 'failed'
)
SELECT id::text FROM e
)SQL",
                                          array_literal(emails));
    for (const auto& row : e) reset.insert(row[0].c_str());
  }
  notify(tx, types);
  t.commit();
  for (Change& c : accepted) {
    if (retried.count(c.id) == 0) continue;
    c.email_reset = c.email_id && reset.count(*c.email_id) > 0;
    out.changed.push_back(c);
  }
  return out;
}

Outcome cancel(Session& session, const Filter& filter, const std::string& reason, bool dry_run) {
  const std::vector<std::string>& allowed = filter.statuses.empty() ? cancellable_statuses : filter.statuses;
  const Params p = params_of(filter, filter.ids.empty() ? allowed : std::vector<std::string>{});
  Transaction t{session, dry_run ? Transaction::Kind::read_only : Transaction::Kind::write};
  const pqxx::result r = exec_filtered(
      detail::tx(t),
      "SELECT q.id, q.job_type::text AS job_type, q.status::text AS status, q.user_id::text AS user_id"
      " FROM queue_jobs q WHERE " + std::string(filter_where) + " ORDER BY q.id",
      p);
  Outcome out;
  std::set<long long> seen;
  std::vector<Change> accepted;
  for (const auto& row : r) {
    const long long id = row["id"].as<long long>();
    seen.insert(id);
    const std::string status = row["status"].c_str();
    if (!contains(allowed, status)) {
      out.refused.push_back({id, wrong_status(id, status, allowed, "cancelled")});
      continue;
    }
    accepted.push_back({id, row["job_type"].c_str(), status, opt_text(row["user_id"]), std::nullopt, false});
  }
  refuse_missing(filter, seen, out);
  if (dry_run) {
    out.changed = std::move(accepted);
    return out;
  }
  for (const Change& c : accepted) {
    // queue::cancel matches only a job still pending or processing, and
    // clears the lease: the worker holding it loses its fence.
    if (queue::cancel(t, c.id, reason)) {
      out.changed.push_back(c);
    } else {
      out.refused.push_back({c.id, "job " + std::to_string(c.id) + " finished meanwhile: not cancelled"});
    }
  }
  t.commit();
  return out;
}

std::vector<PruneGroup> prunable(Session& session, std::chrono::seconds retention) {
  Transaction t{session, Transaction::Kind::read_only};
  // The predicate of queue::prune (tests/db/test_db_queue_admin.cpp checks
  // that the counts here are what prune then deletes).
  const pqxx::result r = detail::tx(t).exec_params(
      "SELECT job_type::text, status::text, count(*) FROM queue_jobs"
      " WHERE status IN ('completed', 'failed', 'cancelled')"
      " AND completed_at < now() - make_interval(secs => $1) GROUP BY 1, 2 ORDER BY 1, 2",
      static_cast<double>(retention.count()));
  std::vector<PruneGroup> out;
  for (const auto& row : r) out.push_back({row[0].c_str(), row[1].c_str(), row[2].as<long long>()});
  return out;
}

long long prune_batch(Session& session, std::chrono::seconds retention, int batch) {
  Transaction t{session};
  const long long n = queue::prune(t, retention, batch);
  t.commit();
  return n;
}

}  // namespace briefos::db::queue_admin
