// SPDX-License-Identifier: MIT
#pragma once

// For db/ only: the queue's statements on a libpqxx transaction that another
// store already holds, so that it can enqueue or complete (fenced by worker
// and attempt) a job in its own unit of work without restating the queue's
// SQL. The public forms in queue.hpp take a db::Transaction and call these.

#include "briefos/db/queue.hpp"

#include <pqxx/pqxx>

#include <string>
#include <string_view>

namespace briefos::queue::detail {

// The queue's completion of a job its worker still holds, as SQL text for
// statements that complete jobs together with other writes (the email
// store's one-statement group record): the SET list, with the job's result
// taken from `result_expr`, and the fence, which matches only a job of
// `table` still 'processing' under `worker_expr` at attempt
// `attempts_expr`. The queue's own complete statements are built from the
// same two functions, so the rule lives here once.
std::string completion_set(std::string_view result_expr);
std::string completion_fence(std::string_view table, std::string_view worker_expr,
                             std::string_view attempts_expr);

std::vector<Enqueued> enqueue(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs);

bool complete(pqxx::transaction_base& tx, const Job& job, const nlohmann::json& result);

std::vector<long long> complete_many(pqxx::transaction_base& tx,
                                     const std::string& worker_id,
                                     const std::vector<std::pair<long long, nlohmann::json>>& results);

std::vector<long long> complete_each(pqxx::transaction_base& tx,
                                     const std::vector<std::pair<const Job*, nlohmann::json>>& results);

FailOutcome fail(pqxx::transaction_base& tx,
                 const Job& job,
                 const std::string& error,
                 FailKind kind,
                 const RetryPolicy& policy = {},
                 std::optional<std::chrono::milliseconds> retry_in = std::nullopt);

bool release(pqxx::transaction_base& tx, const Job& job);

int extend_leases(pqxx::transaction_base& tx,
                  const std::string& worker_id,
                  const std::vector<long long>& ids,
                  std::chrono::seconds lease);

RescueCounts rescue_expired(pqxx::transaction_base& tx);

bool cancel(pqxx::transaction_base& tx, long long id, const std::string& reason);

std::vector<long long> cancel_brief_jobs(pqxx::transaction_base& tx,
                                         const std::string& user_id,
                                         const std::string& brief_date,
                                         const std::string& reason);

long long prune(pqxx::transaction_base& tx, std::chrono::seconds retention, int batch);

}  // namespace briefos::queue::detail
