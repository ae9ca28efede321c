// SPDX-License-Identifier: MIT
//
// Batching of briefos-email's database work (--flush-interval, default
// 50 ms; 0 turns it off). Two statements per message made PostgreSQL, not
// SMTP, the limit of a run, so the worker's BatchHooks let a slot do its
// database work per group of up to 32 messages of its claimed batch:
//
//   - begin: when a job of the batch comes up that no group covered yet,
//     one statement (begin_send_many) locks, checks and marks 'sending' the
//     emails of the next 32 jobs (at most). The checks (opt-out,
//     deactivation, suppression, brief gone) thus run up to 32 messages
//     before the hand-over; a marked row older than 1 s when its turn comes
//     is checked again (begin_send), so a slow server cannot stretch that.
//   - record: accepted messages wait in the slot, and one statement
//     (record_sent_many) records them 'sent' with their jobs completed when
//     32 are waiting, when the oldest has waited --flush-interval (checked
//     before each hand-over and after each job), at the end of the batch,
//     and before waiting for the rate limiter. The worker reports a job
//     (its --json line) only once that statement has run.
//   - end: rows marked 'sending' and never handed over (a stop or a limit
//     in the middle of the batch) go back to 'pending' before their jobs are
//     released, so the next run does not take them for resends.
//
// So the duplicate window is no longer two statements long but one group:
// a crash can leave up to 32 messages per slot that the server accepted in
// the last --flush-interval unrecorded, and up to 32 marked but never sent,
// all in 'sending'. Their jobs are rescued and each is sent (again) with
// its stored Message-ID and flagged "resent", as for the single message of
// the unbatched window; nothing recorded 'sent' is ever sent again. Two
// jobs of the same email in one slot stay safe: the later one waits until
// the earlier delivery is recorded.
#include "briefos/app/email/service.hpp"

#include "briefos/app/email/slot.hpp"
#include "briefos/db/connection.hpp"
#include "briefos/delivery.hpp"
#include "briefos/util/text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace briefos::app::email {

namespace store = db::email_store;

namespace {

// The id as PostgreSQL spells a uuid (lower case), to match returned rows.
std::string canonical(const std::string& id) { return util::lower(id); }

}  // namespace

void Sender::set_batching(std::chrono::milliseconds interval, std::size_t group) {
  m_flush_interval = interval;
  m_group = std::max<std::size_t>(1, group);
}

worker::BatchHooks Sender::hooks() {
  worker::BatchHooks h;
  h.begin = [this](db::Session& s, const std::vector<queue::Job>& jobs) { begin_batch(s, jobs); };
  h.flush = [this](db::Session& s, worker::BatchHooks::Flush when) { return flush(s, when); };
  h.end = [this](db::Session& s, const std::vector<queue::Job>& unstarted) { end_batch(s, unstarted); };
  return h;
}

void Sender::begin_batch(db::Session& session, const std::vector<queue::Job>& jobs) {
  Slot& slot = slot_for(session);
  slot.batching = m_flush_interval.count() > 0;
  slot.batch = slot.batching ? jobs : std::vector<queue::Job>();
  slot.prepared.clear();
  slot.prepared_up_to = 0;
  if (!jobs.empty()) slot.worker_id = jobs.front().worker_id;
}

void Sender::prepare_group(db::Session& session, Slot& slot, std::size_t from) {
  const std::size_t to = std::min(slot.batch.size(), from + m_group);
  slot.prepared_up_to = to;
  std::vector<store::SendRequest> emails;
  std::map<std::string, long long> job_of;  // by canonical email id
  for (std::size_t k = from; k < to; ++k) {
    const std::string id = email_id_of(slot.batch[k]);
    // An email named twice (or still waiting for its record) goes through
    // the one-by-one path, after the earlier delivery is recorded.
    if (!util::is_uuid(id) || job_of.count(canonical(id)) > 0) continue;
    const bool waiting = std::any_of(slot.accepted.begin(), slot.accepted.end(),
                                     [&](const store::SentRecord& a) { return a.email_id == id; });
    if (waiting) continue;
    job_of[canonical(id)] = slot.batch[k].id;
    emails.push_back({id, subject_variant(m_settings, id)});
  }
  if (emails.empty()) return;
  std::vector<store::EmailRow> rows;
  try {
    rows = store::begin_send_many(session, emails, message_id_domain(m_settings));
  } catch (const std::exception& e) {
    if (session.lost(e)) throw;
    // One statement: nothing was marked. Each job checks its email alone.
    spdlog::warn("could not check {} emails at once, checking them one by one: {}", emails.size(),
                 db::redact(e.what()));
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto& r : rows) {
    if (!r.marked_sending) continue;
    const long long job_id = job_of[r.id];
    slot.prepared[job_id] = Slot::Prepared{std::move(r), now};
  }
}

std::vector<worker::BatchHooks::Recorded> Sender::record(db::Session& session, Slot& slot) {
  std::vector<worker::BatchHooks::Recorded> out;
  if (slot.accepted.empty()) return out;
  const std::vector<long long> held = store::record_sent_many(session, slot.accepted, slot.worker_id);
  const std::set<long long> ok(held.begin(), held.end());
  for (const auto& a : slot.accepted) out.push_back({a.job_id, ok.count(a.job_id) > 0, a.result});
  slot.accepted.clear();
  return out;
}

void Sender::record_into(db::Session& session, Slot& slot) {
  auto r = record(session, slot);
  slot.recorded.insert(slot.recorded.end(), r.begin(), r.end());
}

std::vector<worker::BatchHooks::Recorded> Sender::flush(db::Session& session, worker::BatchHooks::Flush when) {
  Slot& slot = slot_for(session);
  std::vector<worker::BatchHooks::Recorded> out = std::move(slot.recorded);
  slot.recorded.clear();
  const bool due = when == worker::BatchHooks::Flush::now || slot.accepted.size() >= m_group
                   || std::chrono::steady_clock::now() - slot.oldest >= m_flush_interval;
  if (!slot.accepted.empty() && due) {
    auto r = record(session, slot);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

void Sender::end_batch(db::Session& session, const std::vector<queue::Job>& /*unstarted*/) {
  Slot& slot = slot_for(session);
  // Rows marked 'sending' here and never handed over go back to pending; a
  // row that was already 'sending' (a crashed run's) stays so.
  std::vector<std::string> revert;
  for (const auto& [job_id, p] : slot.prepared) {
    if (delivery::email_status(p.row.status) == delivery::EmailStatus::pending) revert.push_back(p.row.id);
  }
  slot.prepared.clear();
  slot.batch.clear();
  slot.prepared_up_to = 0;
  slot.batching = false;
  store::revert_sending(session, revert);
}

}  // namespace briefos::app::email
