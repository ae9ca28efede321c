// SPDX-License-Identifier: MIT
#pragma once

// For db/ only: the schedule store's window insert on a libpqxx
// transaction, for enqueue_chunks (db/schedule_shares.cpp), which runs it
// on the sweep's transaction and on the shares' own.

#include "briefos/db/schedule_store.hpp"

#include <pqxx/pqxx>

namespace briefos::db::schedule_sql {

// In ONE statement, the window inserts of one chunk (see
// schedule_store::enqueue_chunks for the rules). Runs in a savepoint, so
// that an error (a lock timeout) leaves `tx` usable. Returns how many runs
// were due. A dry run (`dry_run`) inserts nothing and draws no job id; it
// reports what the insert would make, with id 0.
long long enqueue_windows(pqxx::dbtransaction& tx,
                          const std::vector<schedule_store::Window>& windows,
                          std::int64_t known,
                          std::int64_t lead_s,
                          schedule_store::EnqueueResult& out,
                          bool dry_run);

}  // namespace briefos::db::schedule_sql
