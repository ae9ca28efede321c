// SPDX-License-Identifier: MIT
//
// The job queue: one table, many workers, any number of hosts.
//
// Claiming is one short statement: a CTE selects due pending jobs ordered by
// priority (lower first), scheduled_for and id with FOR UPDATE SKIP LOCKED, and
// the UPDATE marks them processing, counts the attempt, and writes the lease
// (locked_by, locked_until). Two workers never get the same job, and a worker
// never waits for another's locks. Counting the attempt at claim time, not at
// failure time, is what makes a job that kills its worker every time end as
// failed instead of looping: rescue sees attempts = max_attempts.
//
// Every write that finishes a job is fenced by (locked_by, attempts): the
// worker id and attempt number it was claimed with. If the lease expired and
// the job was rescued and claimed again, the old holder's complete() or fail()
// matches no row and reports the loss; the caller rolls back its own writes in
// the same transaction, so nothing is silently applied twice.
//
// Dedup is the partial unique index on dedup_key over active jobs: enqueue is
// INSERT ... ON CONFLICT DO NOTHING, never check-then-insert, so it holds under
// any concurrency. Ids are drawn from the sequence before the insert so that
// each input row can be matched to its result even without a dedup key.
//
// Retry delay after attempt n: min(cap, base * 2^(n-1)) scaled by a random
// factor in [1 - jitter, 1 + jitter]; defaults base 30 s, cap 1 h, jitter 0.2.
// The jitter spreads retries of jobs that failed together (an SMTP outage)
// so they do not return as one thundering herd.
#include "briefos/db/queue.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/queue_sql.hpp"

#include "briefos/db/detail/sql.hpp"
#include "briefos/error.hpp"
#include "briefos/util/text.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <cmath>
#include <regex>
#include <set>

namespace briefos::queue {

namespace {

Clock::time_point from_epoch(double seconds) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(seconds)));
}

double to_epoch(Clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

constexpr const char* job_columns =
    "q.id, q.job_type::text, q.user_id::text, q.metadata::text, q.priority, q.attempts, "
    "q.max_attempts, q.dedup_key, q.locked_by, extract(epoch from q.scheduled_for)::float8, "
    "extract(epoch from q.locked_until)::float8, extract(epoch from q.created_at)::float8";

Job to_job(const pqxx::row& row) {
  Job j;
  j.id = row[0].as<long long>();
  j.type = row[1].as<std::string>();
  j.user_id = db::opt_text(row[2]);
  try {
    j.metadata = nlohmann::json::parse(row[3].as<std::string>());
  } catch (const nlohmann::json::exception&) {
    j.metadata = nullptr;  // cannot happen for jsonb, kept total for safety
  }
  j.priority = row[4].as<int>();
  j.attempts = row[5].as<int>();
  j.max_attempts = row[6].as<int>();
  j.dedup_key = db::opt_text(row[7]);
  j.worker_id = row[8].as<std::string>();
  j.scheduled_for = from_epoch(row[9].as<double>());
  j.locked_until = from_epoch(row[10].as<double>());
  j.created_at = from_epoch(row[11].as<double>());
  return j;
}

bool is_uuid(const std::string& s) { return util::is_uuid(s); }

bool is_date(const std::string& s) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}$)");
  return std::regex_match(s, re);
}

std::string error_entry(const std::string& error) {
  // Error text is stored, so keep it bounded: a 1 MB message from a remote
  // server must not bloat every row that retries.
  constexpr std::size_t max_len = 2000;
  if (error.size() <= max_len) return error;
  return error.substr(0, max_len) + "...";
}

}  // namespace

std::chrono::milliseconds backoff_delay(int attempt, const Backoff& b, double u) {
  const double base_ms = static_cast<double>(std::chrono::milliseconds(b.base).count());
  const double cap_ms = static_cast<double>(std::chrono::milliseconds(b.cap).count());
  const int n = std::clamp(attempt, 1, 40);
  double d = std::min(cap_ms, base_ms * std::pow(2.0, n - 1));
  d *= 1.0 + b.jitter * std::clamp(u, -1.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(std::max(0.0, d)));
}

bool gives_up(const Job& job, const RetryPolicy& policy, Clock::time_point now) {
  const int limit = policy.max_attempts.value_or(job.max_attempts);
  if (limit > 0 && job.attempts >= limit) return true;
  return policy.give_up_after.count() > 0 && now - job.created_at >= policy.give_up_after;
}

void validate(const NewJob& job) {
  auto bad = [&](const std::string& why) {
    throw UsageError("invalid " + job.type + " job"
                     + (job.user_id ? " for user " + *job.user_id : std::string()) + ": " + why);
  };
  if (!job.metadata.is_object()) bad("metadata must be a JSON object");
  if (job.max_attempts < 1) bad("max_attempts must be at least 1");
  if (job.user_id && !is_uuid(*job.user_id)) bad("user id \"" + *job.user_id + "\" is not a uuid");
  auto need_string = [&](const char* key, bool (*check)(const std::string&), const char* what) {
    const auto it = job.metadata.find(key);
    if (it == job.metadata.end() || !it->is_string()) bad(std::string("metadata lacks \"") + key + "\"");
    if (!check(it->get<std::string>())) bad(std::string("metadata \"") + key + "\" is not " + what);
  };
  if (job.type == "generate_daily_brief") {
    need_string("userId", is_uuid, "a uuid");
    need_string("briefDate", is_date, "a YYYY-MM-DD date");
  } else if (job.type == "generate_brief_email") {
    need_string("emailId", is_uuid, "a uuid");
  }
}

void validate_claimed(const Job& job) {
  NewJob j;
  j.type = job.type;
  j.user_id = job.user_id;
  j.metadata = job.metadata;
  j.max_attempts = job.max_attempts;
  try {
    validate(j);
  } catch (const UsageError& e) {
    throw PermanentError(e.what());
  }
}

std::vector<Enqueued> detail::enqueue(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs) {
  std::vector<Enqueued> out(jobs.size());
  if (jobs.empty()) return out;
  std::vector<std::optional<std::string>> types, users, metas, prios, whens, maxes, keys;
  bool due_now = false;
  std::set<std::string> due_types;
  const auto now = Clock::now();
  for (const NewJob& j : jobs) {
    validate(j);
    types.emplace_back(j.type);
    users.push_back(j.user_id);
    metas.emplace_back(j.metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    prios.emplace_back(std::to_string(j.priority));
    if (j.scheduled_for) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6f", to_epoch(*j.scheduled_for));
      whens.emplace_back(buf);
    } else {
      whens.emplace_back(std::nullopt);
    }
    maxes.emplace_back(std::to_string(j.max_attempts));
    keys.push_back(j.dedup_key);
    if (!j.scheduled_for || *j.scheduled_for <= now) {
      due_now = true;
      due_types.insert(j.type);
    }
  }
  // Prepared once per connection (db::detail::run; unnamed behind a
  // transaction pooler):
  // generate enqueues one email job per brief, and parsing and planning
  // this statement cost more than running it.
  static const db::detail::Statement enqueue_stmt{"briefos_enqueue",
      "WITH input AS ("
      "  SELECT t.*, nextval(pg_get_serial_sequence('queue_jobs', 'id')) AS new_id"
      "  FROM unnest($1::text[], $2::uuid[], $3::jsonb[], $4::int[], $5::float8[], $6::int[], $7::text[])"
      "       WITH ORDINALITY AS t(job_type, user_id, metadata, priority, at, max_attempts, dedup_key, ord)"
      "), ins AS ("
      "  INSERT INTO queue_jobs (id, job_type, user_id, metadata, priority, scheduled_for, max_attempts, dedup_key)"
      "  OVERRIDING SYSTEM VALUE"
      "  SELECT new_id, job_type::queue_type, user_id, metadata, priority,"
      "         coalesce(to_timestamp(at), now()), max_attempts, dedup_key"
      "  FROM input ORDER BY ord"
      "  ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL AND status IN ('pending', 'processing')"
      "  DO NOTHING RETURNING id"
      ") SELECT input.ord, input.new_id, ins.id IS NOT NULL, input.dedup_key"
      "  FROM input LEFT JOIN ins ON ins.id = input.new_id ORDER BY input.ord"};
  const pqxx::result r = db::detail::run(tx, enqueue_stmt,
      db::array_literal(types), db::array_literal(users), db::array_literal(metas),
      db::array_literal(prios), db::array_literal(whens), db::array_literal(maxes),
      db::array_literal(keys));
  std::vector<std::optional<std::string>> missing_keys;
  for (const auto& row : r) {
    const auto i = static_cast<std::size_t>(row[0].as<long long>() - 1);
    if (row[2].as<bool>()) {
      out[i] = {row[1].as<long long>(), true};
    } else {
      missing_keys.push_back(db::opt_text(row[3]));
    }
  }
  if (!missing_keys.empty()) {
    // The conflicting active job committed before our insert finished, so a
    // new statement sees it.
    const pqxx::result existing = tx.exec_params(
        "SELECT dedup_key, min(id) FROM queue_jobs WHERE dedup_key = ANY($1::text[])"
        " AND status IN ('pending', 'processing') GROUP BY dedup_key",
        db::array_literal(missing_keys));
    std::map<std::string, long long> by_key;
    for (const auto& row : existing) by_key[row[0].as<std::string>()] = row[1].as<long long>();
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if (out[i].id != 0 || !jobs[i].dedup_key) continue;
      const auto it = by_key.find(*jobs[i].dedup_key);
      if (it != by_key.end()) {
        out[i] = {it->second, false};
      } else {
        // Two inputs with one key in the same call: the first one inserted.
        for (std::size_t k = 0; k < i; ++k) {
          if (jobs[k].dedup_key == jobs[i].dedup_key && out[k].id != 0) out[i] = {out[k].id, false};
        }
      }
    }
  }
  if (due_now) {
    for (const std::string& t : due_types) tx.exec_params("SELECT pg_notify('briefos_jobs', $1)", t);
  }
  return out;
}

std::vector<Job> claim(db::Session& session, const ClaimOptions& opts) {
  pqxx::connection& cx = db::detail::cx(session);
  // One statement per job type, each with an equality on job_type so the
  // planner walks the claim index (job_type, priority, scheduled_for, id) in
  // order and stops at the limit; `= ANY(array)` would sort every pending
  // row instead. Prepared once per connection: the claim runs thousands of
  // times and its plan never changes.
  static const db::detail::Statement claim_stmt{"briefos_claim",
             std::string("WITH picked AS ("
                         "  SELECT id FROM queue_jobs"
                         "  WHERE status = 'pending' AND job_type = $1::queue_type AND scheduled_for <= now()"
                         "  ORDER BY priority, scheduled_for, id"
                         "  LIMIT $2 FOR UPDATE SKIP LOCKED"
                         ") UPDATE queue_jobs q SET status = 'processing', attempts = q.attempts + 1,"
                         "  locked_by = $3, locked_until = now() + make_interval(secs => $4),"
                         "  started_at = now(), updated_at = now()"
                         " FROM picked WHERE q.id = picked.id RETURNING ")
                 + job_columns};
  std::vector<Job> jobs;
  pqxx::work tx{cx};
  for (const std::string& type : opts.types) {
    const int left = opts.limit - static_cast<int>(jobs.size());
    if (left <= 0) break;
    const pqxx::result r = db::detail::run(tx, claim_stmt, type, left, opts.worker_id,
                                            static_cast<double>(opts.lease.count()));
    for (const auto& row : r) jobs.push_back(to_job(row));
  }
  tx.commit();
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return std::tie(a.priority, a.scheduled_for, a.id) < std::tie(b.priority, b.scheduled_for, b.id);
  });
  return jobs;
}

std::vector<Job> claim_ids(db::Session& session,
                           const std::vector<long long>& ids,
                           const ClaimOptions& opts) {
  if (ids.empty()) return {};
  pqxx::connection& cx = db::detail::cx(session);
  std::vector<std::optional<std::string>> id_text;
  for (long long id : ids) id_text.emplace_back(std::to_string(id));
  pqxx::work tx{cx};
  const pqxx::result r = tx.exec_params(
      std::string("WITH picked AS ("
                  "  SELECT id FROM queue_jobs"
                  "  WHERE id = ANY($1::bigint[]) AND status = 'pending'"
                  "  ORDER BY priority, scheduled_for, id FOR UPDATE SKIP LOCKED"
                  ") UPDATE queue_jobs q SET status = 'processing', attempts = q.attempts + 1,"
                  "  locked_by = $2, locked_until = now() + make_interval(secs => $3),"
                  "  started_at = now(), updated_at = now()"
                  " FROM picked WHERE q.id = picked.id RETURNING ")
          + job_columns,
      db::array_literal(id_text), opts.worker_id, static_cast<double>(opts.lease.count()));
  tx.commit();
  std::vector<Job> jobs;
  for (const auto& row : r) jobs.push_back(to_job(row));
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
  return jobs;
}


std::string detail::completion_set(std::string_view result_expr) {
  return "status = 'completed', result = " + std::string(result_expr)
         + ", completed_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL";
}

std::string detail::completion_fence(std::string_view table, std::string_view worker_expr,
                                     std::string_view attempts_expr) {
  const std::string t(table);
  return t + ".status = 'processing' AND " + t + ".locked_by = " + std::string(worker_expr) + " AND " + t
         + ".attempts = " + std::string(attempts_expr);
}

bool detail::complete(pqxx::transaction_base& tx, const Job& job, const nlohmann::json& result) {
  // Prepared: it runs once per job, and its plan never changes.
  static const db::detail::Statement stmt{"briefos_complete", "UPDATE queue_jobs SET " + completion_set("$4::jsonb")
                                                     + " WHERE id = $1 AND "
                                                     + completion_fence("queue_jobs", "$2", "$3")};
  const pqxx::result r = db::detail::run(tx, stmt, job.id, job.worker_id, job.attempts,
      result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return r.affected_rows() == 1;
}

std::vector<long long> detail::complete_many(
    pqxx::transaction_base& tx,
    const std::string& worker_id,
    const std::vector<std::pair<long long, nlohmann::json>>& results) {
  if (results.empty()) return {};
  std::vector<std::optional<std::string>> ids, docs;
  for (const auto& [id, doc] : results) {
    ids.emplace_back(std::to_string(id));
    docs.emplace_back(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  static const db::detail::Statement stmt{"briefos_complete_many",
                    "UPDATE queue_jobs q SET status = 'completed', result = r.result, completed_at = now(),"
                    " updated_at = now(), locked_by = NULL, locked_until = NULL"
                    " FROM unnest($1::bigint[], $2::jsonb[]) AS r(id, result)"
                    " WHERE q.id = r.id AND q.status = 'processing' AND q.locked_by = $3 RETURNING q.id"};
  const pqxx::result r = db::detail::run(tx, stmt, db::array_literal(ids),
                                          db::array_literal(docs), worker_id);
  std::vector<long long> done;
  for (const auto& row : r) done.push_back(row[0].as<long long>());
  return done;
}

std::vector<long long> detail::complete_each(pqxx::transaction_base& tx,
                                     const std::vector<std::pair<const Job*, nlohmann::json>>& results) {
  if (results.empty()) return {};
  std::vector<std::optional<std::string>> ids, workers, attempts, docs;
  for (const auto& [job, doc] : results) {
    ids.emplace_back(std::to_string(job->id));
    workers.emplace_back(job->worker_id);
    attempts.emplace_back(std::to_string(job->attempts));
    docs.emplace_back(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  static const db::detail::Statement stmt{"briefos_complete_each", "UPDATE queue_jobs q SET " + completion_set("r.result")
                                  + " FROM unnest($1::bigint[], $2::text[], $3::int[], $4::jsonb[])"
                                    "  AS r(id, locked_by, attempts, result)"
                                    " WHERE q.id = r.id AND "
                                  + completion_fence("q", "r.locked_by", "r.attempts") + " RETURNING q.id"};
  const pqxx::result r = db::detail::run(tx, stmt, db::array_literal(ids),
                                          db::array_literal(workers), db::array_literal(attempts),
                                          db::array_literal(docs));
  std::vector<long long> done;
  for (const auto& row : r) done.push_back(row[0].as<long long>());
  return done;
}

FailOutcome detail::fail(pqxx::transaction_base& tx,
                 const Job& job,
                 const std::string& error,
                 FailKind kind,
                 const RetryPolicy& policy,
                 std::optional<std::chrono::milliseconds> retry_in) {
  const bool last = kind == FailKind::permanent || gives_up(job, policy, Clock::now());
  std::chrono::milliseconds delay{0};
  if (!last) {
    if (retry_in) {
      delay = *retry_in;
    } else {
      static thread_local std::uint64_t seed =
          static_cast<std::uint64_t>(Clock::now().time_since_epoch().count())
          ^ static_cast<std::uint64_t>(job.id);
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      const double u = static_cast<double>(seed >> 11) / 9007199254740992.0 * 2.0 - 1.0;
      delay = backoff_delay(job.attempts, policy.backoff, u);
    }
  }
  const pqxx::result r = tx.exec_params(
      "UPDATE queue_jobs SET"
      " status = (CASE WHEN $4 THEN 'failed' ELSE 'pending' END)::queue_status,"
      " scheduled_for = CASE WHEN $4 THEN scheduled_for"
      "   ELSE now() + make_interval(secs => $5) END,"
      " completed_at = CASE WHEN $4 THEN now() ELSE NULL END,"
      " error_message = $6,"
      " errors = (CASE WHEN jsonb_array_length(errors) >= 10 THEN errors - 0 ELSE errors END)"
      "   || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(), 'error', $6::text)),"
      " locked_by = NULL, locked_until = NULL, updated_at = now()"
      " WHERE id = $1 AND status = 'processing' AND locked_by = $2 AND attempts = $3",
      job.id, job.worker_id, job.attempts, last,
      static_cast<double>(delay.count()) / 1000.0, error_entry(error));
  if (r.affected_rows() != 1) return FailOutcome::lost;
  return last ? FailOutcome::failed : FailOutcome::retried;
}

bool detail::release(pqxx::transaction_base& tx, const Job& job) {
  const pqxx::result r = tx.exec_params(
      "UPDATE queue_jobs SET status = 'pending', attempts = greatest(attempts - 1, 0),"
      " locked_by = NULL, locked_until = NULL, updated_at = now()"
      " WHERE id = $1 AND status = 'processing' AND locked_by = $2 AND attempts = $3",
      job.id, job.worker_id, job.attempts);
  return r.affected_rows() == 1;
}

int detail::extend_leases(pqxx::transaction_base& tx,
                  const std::string& worker_id,
                  const std::vector<long long>& ids,
                  std::chrono::seconds lease) {
  if (ids.empty()) return 0;
  std::vector<std::optional<std::string>> id_text;
  for (long long id : ids) id_text.emplace_back(std::to_string(id));
  const pqxx::result r = tx.exec_params(
      "UPDATE queue_jobs SET locked_until = now() + make_interval(secs => $3)"
      " WHERE id = ANY($1::bigint[]) AND status = 'processing' AND locked_by = $2",
      db::array_literal(id_text), worker_id, static_cast<double>(lease.count()));
  return static_cast<int>(r.affected_rows());
}

RescueCounts detail::rescue_expired(pqxx::transaction_base& tx) {
  const pqxx::result r = tx.exec(
      "WITH expired AS ("
      "  SELECT id FROM queue_jobs WHERE status = 'processing' AND locked_until < now()"
      "  ORDER BY locked_until LIMIT 10000 FOR UPDATE SKIP LOCKED"
      ") UPDATE queue_jobs q SET"
      " status = (CASE WHEN q.attempts >= q.max_attempts THEN 'failed' ELSE 'pending' END)::queue_status,"
      " completed_at = CASE WHEN q.attempts >= q.max_attempts THEN now() ELSE NULL END,"
      " scheduled_for = CASE WHEN q.attempts >= q.max_attempts THEN q.scheduled_for ELSE now() END,"
      " error_message = 'lease expired: worker ' || coalesce(q.locked_by, '?') || ' stopped or crashed',"
      " errors = (CASE WHEN jsonb_array_length(q.errors) >= 10 THEN q.errors - 0 ELSE q.errors END)"
      "   || jsonb_build_array(jsonb_build_object('attempt', q.attempts, 'at', now(),"
      "      'error', 'lease expired: worker ' || coalesce(q.locked_by, '?') || ' stopped or crashed')),"
      " locked_by = NULL, locked_until = NULL, updated_at = now()"
      " FROM expired WHERE q.id = expired.id RETURNING q.status::text");
  RescueCounts c;
  for (const auto& row : r) {
    if (row[0].as<std::string>() == "failed") {
      ++c.failed;
    } else {
      ++c.retried;
    }
  }
  return c;
}

bool detail::cancel(pqxx::transaction_base& tx, long long id, const std::string& reason) {
  const pqxx::result r = tx.exec_params(
      "UPDATE queue_jobs SET status = 'cancelled', error_message = $2, completed_at = now(),"
      " locked_by = NULL, locked_until = NULL, updated_at = now()"
      " WHERE id = $1 AND status IN ('pending', 'processing')",
      id, reason);
  return r.affected_rows() == 1;
}

std::vector<long long> detail::cancel_brief_jobs(pqxx::transaction_base& tx,
                                         const std::string& user_id,
                                         const std::string& brief_date,
                                         const std::string& reason) {
  const pqxx::result r = tx.exec_params(
      "UPDATE queue_jobs SET status = 'cancelled', error_message = $3, completed_at = now(),"
      " locked_by = NULL, locked_until = NULL, updated_at = now()"
      " WHERE user_id = $1::uuid AND job_type = 'generate_daily_brief'"
      " AND status IN ('pending', 'processing') AND metadata->>'briefDate' = $2 RETURNING id",
      user_id, brief_date, reason);
  std::vector<long long> ids;
  for (const auto& row : r) ids.push_back(row[0].as<long long>());
  return ids;
}

long long detail::prune(pqxx::transaction_base& tx, std::chrono::seconds retention, int batch) {
  const pqxx::result r = tx.exec_params(
      "DELETE FROM queue_jobs WHERE id IN ("
      "  SELECT id FROM queue_jobs WHERE status IN ('completed', 'failed', 'cancelled')"
      "  AND completed_at < now() - make_interval(secs => $1) LIMIT $2 FOR UPDATE SKIP LOCKED)",
      static_cast<double>(retention.count()), batch);
  return static_cast<long long>(r.affected_rows());
}

// The public forms: the same statements on the db::Transaction's own
// libpqxx transaction.
std::vector<Enqueued> enqueue(db::Transaction& tx, const std::vector<NewJob>& jobs) {
  return detail::enqueue(db::detail::tx(tx), jobs);
}
bool complete(db::Transaction& tx, const Job& job, const nlohmann::json& result) {
  return detail::complete(db::detail::tx(tx), job, result);
}
std::vector<long long> complete_many(db::Transaction& tx, const std::string& worker_id,
                                     const std::vector<std::pair<long long, nlohmann::json>>& results) {
  return detail::complete_many(db::detail::tx(tx), worker_id, results);
}
std::vector<long long> complete_each(db::Transaction& tx,
                                     const std::vector<std::pair<const Job*, nlohmann::json>>& results) {
  return detail::complete_each(db::detail::tx(tx), results);
}
FailOutcome fail(db::Transaction& tx, const Job& job, const std::string& error, FailKind kind,
                 const RetryPolicy& policy, std::optional<std::chrono::milliseconds> retry_in) {
  return detail::fail(db::detail::tx(tx), job, error, kind, policy, retry_in);
}
bool release(db::Transaction& tx, const Job& job) { return detail::release(db::detail::tx(tx), job); }
int extend_leases(db::Transaction& tx, const std::string& worker_id, const std::vector<long long>& ids,
                  std::chrono::seconds lease) {
  return detail::extend_leases(db::detail::tx(tx), worker_id, ids, lease);
}
RescueCounts rescue_expired(db::Transaction& tx) { return detail::rescue_expired(db::detail::tx(tx)); }
RescueCounts rescue_held_by(db::Transaction& tx, const std::string& worker_id) {
  pqxx::transaction_base& t = db::detail::tx(tx);
  t.exec_params("UPDATE queue_jobs SET locked_until = now() - interval '1 millisecond'"
                " WHERE status = 'processing' AND locked_by = $1",
                worker_id);
  return detail::rescue_expired(t);
}
bool cancel(db::Transaction& tx, long long id, const std::string& reason) {
  return detail::cancel(db::detail::tx(tx), id, reason);
}
std::vector<long long> cancel_brief_jobs(db::Transaction& tx, const std::string& user_id,
                                         const std::string& brief_date, const std::string& reason) {
  return detail::cancel_brief_jobs(db::detail::tx(tx), user_id, brief_date, reason);
}
long long prune(db::Transaction& tx, std::chrono::seconds retention, int batch) {
  return detail::prune(db::detail::tx(tx), retention, batch);
}

bool is_permanent(const std::exception& e) noexcept {
  return dynamic_cast<const PermanentError*>(&e) != nullptr
         || dynamic_cast<const DataError*>(&e) != nullptr
         || dynamic_cast<const UsageError*>(&e) != nullptr;
}

}  // namespace briefos::queue
