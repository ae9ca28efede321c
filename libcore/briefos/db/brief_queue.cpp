// SPDX-License-Identifier: MIT
//
// briefos-generate's queue reads and its backfill enqueue. The backfill goes
// through the queue like any scheduled job, so it can never race a worker:
// the job is built by jobs::brief_job (type, key, priority, attempts) and
// enqueued by the queue's own statement; --force cancels the brief's active
// jobs in the same transaction. The reads filter on the brief job's type,
// passed as a bound parameter from jobs::.
#include "briefos/db/brief_queue.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/queue_sql.hpp"
#include "briefos/db/detail/sql.hpp"
#include "briefos/jobs.hpp"

#include <pqxx/pqxx>

#include <chrono>

namespace briefos::db::brief_store {

namespace {

// One row of (id, job_type, status, user_id, metadata).
JobInfo job_info(const pqxx::row& row) {
  JobInfo j;
  j.id = row[0].as<long long>();
  j.type = row[1].as<std::string>();
  j.status = row[2].as<std::string>();
  j.user_id = opt_text(row[3]);
  j.metadata = nlohmann::json::parse(row[4].as<std::string>(), nullptr, false);
  return j;
}

}  // namespace

Backfill enqueue_backfill(Session& session, const std::string& user_id, const std::string& date,
                          const std::string& timezone, bool force) {
  Backfill out;
  pqxx::work tx{detail::cx(session)};
  queue::NewJob job = jobs::brief_job(user_id, date, timezone);
  if (force) {
    out.cancelled = queue::detail::cancel_brief_jobs(tx, user_id, date,
                                                     "Cancelled: regeneration forced by briefos-generate --force");
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    job.dedup_key = jobs::forced_brief_key(user_id, date, ms);
    job.metadata["options"]["forceRegenerate"] = true;
  }
  const auto r = queue::detail::enqueue(tx, {job});
  tx.commit();
  out.job_id = r.at(0).id;
  out.inserted = r.at(0).inserted;
  return out;
}

std::vector<JobInfo> read_jobs(Session& session, const std::vector<long long>& ids) {
  pqxx::read_transaction tx{detail::cx(session)};
  std::vector<std::optional<std::string>> texts;
  for (long long id : ids) texts.emplace_back(std::to_string(id));
  std::vector<JobInfo> out;
  const pqxx::result r = tx.exec_params(
      "SELECT q.id, q.job_type::text, q.status::text, q.user_id::text, q.metadata::text"
      " FROM unnest($1::bigint[]) WITH ORDINALITY AS i(id, ord) JOIN queue_jobs q ON q.id = i.id"
      " ORDER BY i.ord",
      array_literal(texts));
  for (const auto& row : r) out.push_back(job_info(row));
  return out;
}

std::vector<JobInfo> due_brief_jobs(Session& session, long long limit) {
  pqxx::read_transaction tx{detail::cx(session)};
  std::vector<JobInfo> out;
  const pqxx::result r = tx.exec_params(
      "SELECT id, job_type::text, status::text, user_id::text, metadata::text FROM queue_jobs"
      " WHERE job_type = $2::queue_type AND status = 'pending' AND scheduled_for <= now()"
      " ORDER BY priority, scheduled_for, id LIMIT $1",
      limit, jobs::brief_type);
  for (const auto& row : r) out.push_back(job_info(row));
  return out;
}

long long count_due_brief_jobs(Session& session) {
  pqxx::read_transaction tx{detail::cx(session)};
  return tx.exec_params1("SELECT count(*) FROM queue_jobs WHERE job_type = $1::queue_type"
                         " AND status = 'pending' AND scheduled_for <= now()",
                         jobs::brief_type)[0]
      .as<long long>();
}

}  // namespace briefos::db::brief_store
