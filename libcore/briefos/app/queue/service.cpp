// SPDX-License-Identifier: MIT
//
// briefos-queue's work beyond single store calls. Policy: a job type or
// user the database does not know is a usage error (exit 2), as in
// briefos-stats, because it is a typo far more often than an empty result;
// pruning stops between batches on SIGINT/SIGTERM (each batch is its own
// transaction, so what was deleted stays deleted and a later run goes on).
#include "briefos/app/queue/service.hpp"

#include "briefos/db/brief_source.hpp"
#include "briefos/error.hpp"
#include "briefos/util/stop.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace briefos::app::queue {

namespace qa = db::queue_admin;

qa::Filter resolve(db::Session& session, const Request& request) {
  qa::Filter f = request.filter;
  if (!f.types.empty()) {
    const std::vector<std::string> known = qa::job_types(session);
    for (const std::string& t : f.types) {
      if (std::find(known.begin(), known.end(), t) == known.end()) {
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        throw UsageError("invalid value \"" + t + "\" for option --type: unknown job type", "Job types: " + list + ".");
      }
    }
  }
  if (!request.user.empty()) {
    const auto user = db::brief_store::find_user(session, request.user);
    if (!user) {
      throw UsageError("unknown user \"" + request.user + "\"", "Give a user id (UUID) or the user's email address.");
    }
    f.user_id = user->user.id;
  }
  return f;
}

Pruned prune(db::Session& session, const Request& request,
             const std::function<void(int batch, long long deleted)>& on_batch) {
  Pruned p;
  for (;;) {
    const long long n = qa::prune_batch(session, request.retention, request.batch_size);
    if (n > 0) {
      ++p.batches;
      p.deleted += n;
      on_batch(p.batches, n);
    }
    spdlog::debug("prune batch deleted {} job(s)", n);
    if (n < request.batch_size) break;
    if (util::stop_requested()) {
      p.interrupted = true;
      break;
    }
  }
  return p;
}

}  // namespace briefos::app::queue
