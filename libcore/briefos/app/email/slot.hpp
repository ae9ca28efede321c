// SPDX-License-Identifier: MIT
#pragma once

// For service.cpp and batching.cpp only: what a Sender keeps per worker
// slot (its renderer, its transport, and the state of its claimed batch).

#include "briefos/app/email/service.hpp"
#include "briefos/render.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace briefos::app::email {

// A row marked 'sending' by a group longer ago than this is checked again
// right before its hand-over, so a slow server cannot stretch the time
// between the cancellation checks and the send.
inline constexpr std::chrono::seconds recheck_after{1};

struct Sender::Slot {
  struct Prepared {
    db::email_store::EmailRow row;  // marked 'sending'; row.status is the status before
    std::chrono::steady_clock::time_point at;
  };
  std::unique_ptr<render::Renderer> renderer;
  std::unique_ptr<mail::Transport> transport;
  // Batching (set by begin_batch, cleared by end_batch).
  bool batching = false;
  std::vector<queue::Job> batch;
  std::size_t prepared_up_to = 0;                // batch[0, this) went through begin_send_many
  std::map<long long, Prepared> prepared;        // by job id, not yet handed over
  std::vector<db::email_store::SentRecord> accepted;  // accepted by the server, not yet recorded
  std::chrono::steady_clock::time_point oldest;  // when the first of `accepted` was
  std::string worker_id;
  std::vector<worker::BatchHooks::Recorded> recorded;  // recorded early, not yet reported
};

}  // namespace briefos::app::email
