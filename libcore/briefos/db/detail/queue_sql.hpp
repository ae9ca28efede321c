// SPDX-License-Identifier: MIT
#pragma once

// For db/ only: the queue's statements on a libpqxx transaction that another
// store already holds, so that it can enqueue or complete (fenced by worker
// and attempt) a job in its own unit of work without restating the queue's
// SQL. The public forms in queue.hpp take a db::Transaction and call these.

#include "briefos/db/queue.hpp"

#include <pqxx/pqxx>

namespace briefos::queue::detail {

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
                 const Backoff& backoff = {},
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
