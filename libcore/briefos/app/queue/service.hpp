// SPDX-License-Identifier: MIT
#pragma once

// The work of briefos-queue that is more than one store call: checking a
// request's job types and user against the database, and pruning batch by
// batch until nothing is left or a signal arrives. Prints nothing: the
// entry point (command.cpp) writes what comes back.

#include "briefos/app/queue/options.hpp"
#include "briefos/db/queue_admin.hpp"
#include "briefos/db/session.hpp"

#include <functional>

namespace briefos::app::queue {

// `request.filter` with --type checked against the queue_type labels and
// --user resolved to the user's id. Throws UsageError for an unknown type
// or user.
db::queue_admin::Filter resolve(db::Session& session, const Request& request);

struct Pruned {
  long long deleted = 0;
  int batches = 0;          // batches that deleted something
  bool interrupted = false; // a signal stopped it between batches
};

// Delete finished jobs older than request.retention, request.batch_size
// per transaction, until a batch deletes fewer than a full batch or a
// signal arrives; `on_batch` sees each batch that deleted something.
Pruned prune(db::Session& session, const Request& request,
             const std::function<void(int batch, long long deleted)>& on_batch);

}  // namespace briefos::app::queue
