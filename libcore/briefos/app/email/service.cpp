// SPDX-License-Identifier: MIT
//
// briefos-email's claim handler: deliver the email of each
// generate_brief_email job once.
//
// The state machine, per job (the email row is locked while deciding; the
// decision itself is delivery::decide()):
//
//   email missing                  -> job failed (permanent), nothing sent
//   status sent/cancelled/failed   -> job completed, nothing sent (a retry or
//                                     a second run of the same job is a no-op)
//   user opted out or deactivated, brief gone, address suppressed
//                                  -> email and recipients 'cancelled' with the
//                                     reason, job completed, nothing sent
//   status pending                 -> compose; 'sending' + Message-ID committed;
//                                     hand the message to the transport
//   status sending                 -> a previous run died after committing
//                                     'sending': it may or may not have been
//                                     accepted. Send again with the SAME
//                                     Message-ID (receivers can de-duplicate),
//                                     log it and count it. This is the one
//                                     documented duplicate window.
//
// The common case takes one autocommit statement (email_store::begin_send,
// or a group's begin_send_many, see batching.cpp) that decides and marks
// 'sending' at once; everything else (already done, cancel, unusable rows)
// takes the transactional path, which re-reads the row under its lock.
//
// After the hand-over, one statement records the outcome together with the
// job: accepted -> 'sent' (sent_at, recipients sent, a 'sent' event, job
// completed). A refusal is classified by mail::classify() (stage, reply
// code, enhanced code) and handled by delivery::after_failure(): the relay
// unreachable -> 'pending', the job handed back without using an attempt and
// the worker pausing (and stopping after --max-relay-failures); 4xx or a
// connection lost after MAIL -> 'pending' with the error and the reply, the
// queue retrying with backoff until the retry horizon, then 'failed'; a
// refused message -> 'failed', the address kept; a refused recipient ->
// 'failed', recipients 'bounced', the address suppressed. Failures are
// recorded at once, one by one, with the relay's reply.
//
// Throughput: each worker slot keeps its own transport (one open SMTP
// connection) and renderer; a shared token bucket enforces --rate across
// slots; jobs are claimed in batches by the worker loop.
#include "briefos/app/email/service.hpp"

#include "briefos/app/email/slot.hpp"
#include "briefos/delivery.hpp"
#include "briefos/error.hpp"
#include "briefos/mime.hpp"
#include "briefos/util/secrets.hpp"
#include "briefos/util/stop.hpp"
#include "briefos/util/text.hpp"

#include <spdlog/spdlog.h>

namespace briefos::app::email {

namespace store = db::email_store;
using nlohmann::json;

// A row marked 'sending' by a group: the row if it is still fresh, and the
// status it had before the group marked it.
struct Sender::Marked {
  std::optional<store::EmailRow> fast;
  std::optional<delivery::EmailStatus> before;
};

// An email marked 'sending' and composed, ready to hand over.
struct Sender::Ready {
  store::EmailRow row;
  Composed composed;
  bool resend = false;
};

const char* to_string(Result result) noexcept {
  switch (result) {
    case Result::none: return "";
    case Result::sent: return "sent";
    case Result::cancelled: return "cancelled";
    case Result::skipped: return "skipped";
    case Result::failed: return "failed";
    case Result::retrying: return "retrying";
    case Result::deferred: return "deferred";
  }
  return "";
}

const std::vector<std::string>& fault_hooks() {
  static const std::vector<std::string> hooks{"after_claim", "before_send", "after_send"};
  return hooks;
}

std::string email_id_of(const queue::Job& job) { return json_string(job.metadata, "emailId"); }

Sender::Sender(Settings settings,
               TransportFactory factory,
               std::shared_ptr<mail::RateLimiter> limiter,
               bool notify_events,
               util::FaultPlan fault)
    : m_settings(std::move(settings)),
      m_factory(std::move(factory)),
      m_limiter(std::move(limiter)),
      m_notify(notify_events),
      m_faults(std::move(fault)) {}

Sender::~Sender() = default;

// A slot whose session reconnected (the worker's --reconnect-for) drops the
// state of the batch it had: the worker rescues those jobs and does them
// again. Messages the relay accepted but that were not yet recorded go out
// again with their stored Message-ID (the documented window, counted as
// resends then), and so do rows marked 'sending' and never handed over
// (reverting them now could race another slot that already took their
// rescued jobs).
Sender::Slot& Sender::slot_for(db::Session& session) {
  std::lock_guard lock(m_mutex);
  auto& slot = m_slots[&session];
  if (!slot) {
    slot = std::make_unique<Slot>();
    slot->renderer = std::make_unique<render::Renderer>(m_settings.templates);
  }
  unsigned& epoch = m_epochs[&session];
  if (epoch != session.epoch()) {
    epoch = session.epoch();
    if (!slot->accepted.empty()) {
      spdlog::warn("{} message(s) the relay accepted were not recorded before the database connection was "
                   "lost; their jobs are done again and they go out again with the same Message-ID",
                   slot->accepted.size());
    }
    slot->accepted.clear();
    slot->recorded.clear();
    slot->prepared.clear();
    slot->batch.clear();
    slot->prepared_up_to = 0;
    slot->batching = false;
  }
  return *slot;
}

void Sender::remember(long long job_id, Delivery d) {
  std::lock_guard lock(m_mutex);
  m_deliveries[job_id] = std::move(d);
}

void Sender::fail_job(long long job_id, Delivery& d, const std::string& error) {
  d.status = Result::failed;
  d.error = error;
  remember(job_id, d);
  throw queue::PermanentError(error);
}

std::optional<Delivery> Sender::take(long long job_id) {
  std::lock_guard lock(m_mutex);
  const auto it = m_deliveries.find(job_id);
  if (it == m_deliveries.end()) return std::nullopt;
  Delivery d = std::move(it->second);
  m_deliveries.erase(it);
  return d;
}

long long Sender::resent() const {
  std::lock_guard lock(m_mutex);
  return m_resent;
}

json Sender::notify_payload(const char* event, const store::EmailRow& row) const {
  if (!m_notify) return nullptr;
  return json{{"event", event},
              {"user_id", row.created_by},
              {"email_id", row.id},
              {"brief_id", brief_id_of(row)},
              {"brief_date", brief_date_of(row)}};
}

worker::Outcome Sender::handle(db::Session& session, const queue::Job& job) {
  Slot& slot = slot_for(session);
  Delivery d;
  d.email_id = email_id_of(job);
  if (!util::is_uuid(d.email_id)) {
    fail_job(job.id, d, "job " + std::to_string(job.id) + " has no valid metadata.emailId");
  }
  m_faults.reach("after_claim");

  // Phase 1: decide under the row lock, and commit 'sending' before any byte
  // goes out.
  Ready ready;
  if (auto done = start(session, slot, job, d, ready)) return *done;
  d.message_id = ready.composed.outgoing.message_id;
  if (ready.resend) {
    std::lock_guard lock(m_mutex);
    ++m_resent;
    spdlog::warn("email {} was left in 'sending' by an earlier run (it may have been delivered): "
                 "sending it again with the same Message-ID <{}>",
                 ready.row.id, d.message_id);
  }
  m_faults.reach("before_send");
  if (auto stopped = wait_turn(session, slot, job, d, ready)) return *stopped;

  // Phase 2: hand over, then record.
  return hand_over(session, slot, job, d, ready);
}

Sender::Marked Sender::take_marked(db::Session& session, Slot& slot, const queue::Job& job,
                                   const std::string& email_id) {
  Marked m;
  if (!slot.batching) return m;
  // A delivery of this same email still waiting for its record is recorded
  // first, so this job finds it 'sent'.
  for (const auto& a : slot.accepted) {
    if (a.email_id == email_id) {
      record_into(session, slot);
      break;
    }
  }
  auto it = slot.prepared.find(job.id);
  if (it == slot.prepared.end()) {
    for (std::size_t k = slot.prepared_up_to; k < slot.batch.size(); ++k) {
      if (slot.batch[k].id == job.id) {
        prepare_group(session, slot, k);
        it = slot.prepared.find(job.id);
        break;
      }
    }
  }
  if (it != slot.prepared.end()) {
    m.before = delivery::email_status(it->second.row.status);
    if (std::chrono::steady_clock::now() - it->second.at <= recheck_after) m.fast = std::move(it->second.row);
    slot.prepared.erase(it);
  }
  return m;
}

std::optional<worker::Outcome> Sender::start(db::Session& session, Slot& slot, const queue::Job& job,
                                             Delivery& d, Ready& ready) {
  Marked m = take_marked(session, slot, job, d.email_id);
  if (!m.fast) {
    m.fast = store::begin_send(session, {d.email_id, subject_variant(m_settings, d.email_id)},
                               message_id_domain(m_settings));
  }
  // A row the fast path marked goes straight on only if the full decision
  // agrees (the address check is not in its SQL); any other goes the
  // transactional way, which decides under the row lock.
  if (m.fast && m.fast->marked_sending && delivery::decide(m.fast->facts()).verdict == delivery::Verdict::send) {
    ready.row = std::move(*m.fast);
    ready.resend = delivery::is_resend(m.before.value_or(delivery::email_status(ready.row.status)));
    start_marked(session, slot, job, d, ready);
    return std::nullopt;
  }
  auto done = start_locked(session, slot, job, d, ready);
  if (!done) ready.resend = delivery::is_resend(m.before.value_or(delivery::email_status(ready.row.status)));
  return done;
}

void Sender::start_marked(db::Session& session, Slot& slot, const queue::Job& job, Delivery& d, Ready& ready) {
  d.recipient = ready.row.recipient_email.value_or("");
  d.message_id = ready.row.message_id.value_or("");
  try {
    ready.composed = compose(m_settings, *slot.renderer, ready.row, std::chrono::system_clock::now());
  } catch (const std::exception& e) {
    // A message that cannot be composed never will be: fail it for good.
    store::record_failed(session, ready.row.id, e.what(), store::Bounce::no, json{{"error", e.what()}, {"stage", "render"}},
                         notify_payload("email_failed", ready.row));
    fail_job(job.id, d, e.what());
  }
}

std::optional<worker::Outcome> Sender::start_locked(db::Session& session, Slot& slot, const queue::Job& job,
                                                    Delivery& d, Ready& ready) {
  db::Transaction tx{session};
  auto loaded = store::load_email(tx, d.email_id, store::Lock::yes);
  if (!loaded) fail_job(job.id, d, "email " + d.email_id + " does not exist");
  store::EmailRow& row = ready.row = std::move(*loaded);
  // The email goes to whoever the user is now: a changed (valid) address
  // updates the recipient, with an event, before anything is decided.
  if (row.recipient_changed() && mime::is_valid_address(*row.user_email)) store::change_recipient(tx, row);
  d.recipient = row.recipient_email.value_or("");
  d.message_id = row.message_id.value_or("");
  const delivery::Decision decision = delivery::decide(row.facts());
  // Nothing to send: complete the job with the email's record, or lose both.
  const auto complete = [&](Result status, const std::string& error, json result, const json& notify) {
    if (!store::complete_job(tx, job, result)) throw queue::LeaseLost("job " + std::to_string(job.id) + " lost");
    if (!notify.is_null()) store::notify_event(tx, notify);
    tx.commit();
    d.status = status;
    d.error = error;
    remember(job.id, d);
    return worker::Outcome::done(std::move(result), true);
  };
  std::string unusable;
  switch (decision.verdict) {
    case delivery::Verdict::already_done:
      return complete(Result::skipped, "email is already " + row.status,
                      json{{"email_id", d.email_id}, {"status", "skipped"}, {"email_status", row.status}}, nullptr);
    case delivery::Verdict::wrong_status:
      fail_job(job.id, d, "email " + d.email_id + " is in status \"" + row.status + "\"; only pending emails are sent");
    case delivery::Verdict::cancel: {
      const std::string reason = delivery::describe(*decision.cancel, row.suppressed);
      store::mark_cancelled(tx, row.id, reason);
      return complete(Result::cancelled, reason,
                      json{{"email_id", d.email_id}, {"status", "cancelled"}, {"reason", reason}},
                      notify_payload("email_cancelled", row));
    }
    case delivery::Verdict::bad_recipients:
      unusable = "email " + row.id + " has " + std::to_string(row.recipient_count)
                 + " recipients; a daily-brief email has exactly one";
      break;
    case delivery::Verdict::send:
      try {
        ready.composed = compose(m_settings, *slot.renderer, row, std::chrono::system_clock::now());
      } catch (const std::exception& e) {
        unusable = e.what();
      }
      break;
  }
  if (!unusable.empty()) {
    // A message that cannot be composed never will be: fail it for good.
    store::mark_failed(tx, row.id, unusable, store::Bounce::no, json{{"error", unusable}, {"stage", "render"}},
                       notify_payload("email_failed", row));
    tx.commit();
    fail_job(job.id, d, unusable);
  }
  const std::string& variant = ready.composed.rendered.subject_variant;
  store::mark_sending(tx, row.id, ready.composed.outgoing.message_id,
                      variant.empty() ? std::nullopt : std::optional<std::string>(variant));
  tx.commit();
  return std::nullopt;
}

std::optional<worker::Outcome> Sender::wait_turn(db::Session& session, Slot& slot, const queue::Job& job,
                                                 Delivery& d, const Ready& ready) {
  // Deliveries waiting for their record do not wait for the rate limiter
  // or for this message's hand-over beyond the flush interval.
  if (slot.batching && !slot.accepted.empty()
      && (m_limiter || std::chrono::steady_clock::now() - slot.oldest >= m_flush_interval)) {
    record_into(session, slot);
  }
  if (!m_limiter || m_limiter->acquire([] { return util::stop_requested(); })) return std::nullopt;
  store::record_retry(session, ready.row.id, "stopped before sending");
  d.status = Result::deferred;
  d.error = "stopped before sending";
  remember(job.id, d);
  return worker::Outcome::interrupted(d.error);
}

worker::Outcome Sender::hand_over(db::Session& session, Slot& slot, const queue::Job& job, Delivery& d,
                                  const Ready& ready) {
  if (!slot.transport) slot.transport = m_factory();
  try {
    slot.transport->send(ready.composed.outgoing);
  } catch (const mail::SendError& e) {
    return refused(session, job, d, ready, e);
  }
  m_faults.reach("after_send");
  return accepted(session, slot, job, d, ready);
}

worker::Outcome Sender::accepted(db::Session& session, Slot& slot, const queue::Job& job, Delivery& d,
                                 const Ready& ready) {
  const json event{{"message_id", d.message_id},
                   {"transport", slot.transport->describe()},
                   {"resent", ready.resend},
                   {"attempt", job.attempts}};
  json result{{"email_id", d.email_id}, {"status", "sent"}, {"message_id", d.message_id},
              {"recipient", d.recipient}, {"resent", ready.resend}};
  store::SentRecord record{ready.row.id, d.message_id, event, job.id, job.attempts, result,
                           notify_payload("email_sent", ready.row)};
  d.status = Result::sent;
  d.resent = ready.resend;
  if (slot.batching) {
    remember(job.id, d);
    // Recorded with the next group (flush), at most the flush interval
    // from now: the worker reports the job when that record is written.
    if (slot.accepted.empty()) slot.oldest = std::chrono::steady_clock::now();
    slot.accepted.push_back(std::move(record));
    worker::Outcome o = worker::Outcome::done(std::move(result), false);
    o.deferred = true;
    return o;
  }
  // The server accepted the message: record it now, in one statement (the
  // email, its recipient, the event and the job). It is recorded even if the
  // job's lease was lost meanwhile, so whoever holds the job now finds 'sent'.
  const bool held = store::record_sent(session, record, job.worker_id);
  remember(job.id, d);
  if (!held) {
    throw queue::LeaseLost("job " + std::to_string(job.id)
                           + " lost its lease while sending; the email is recorded as sent");
  }
  return worker::Outcome::done(std::move(result), true);
}

worker::Outcome Sender::refused(db::Session& session, const queue::Job& job, Delivery& d, const Ready& ready,
                                const mail::SendError& failure) {
  // Masked where it is stored, too: a transport's text may quote a URL with
  // a token (the webhook's are masked at the source already).
  d.error = util::redact(failure.what());
  d.reply = failure.reply().to_json();
  const bool last = queue::gives_up(job, m_retry, queue::Clock::now());
  const delivery::AfterFailure next = delivery::after_failure(failure.kind(), last);
  worker::Outcome outcome;
  switch (next) {
    case delivery::AfterFailure::hand_back:
      // Nothing was handed over (or the run is stopping): pending again,
      // Message-ID kept, no attempt used.
      store::record_retry(session, ready.row.id, d.error, d.reply);
      d.status = Result::deferred;
      outcome = failure.kind() == mail::FailureKind::interrupted ? worker::Outcome::interrupted(d.error)
                                                                 : worker::Outcome::unavailable(d.error);
      break;
    case delivery::AfterFailure::retry:
      store::record_retry(session, ready.row.id, d.error, d.reply);
      d.status = Result::retrying;
      outcome = worker::Outcome::transient(d.error);
      break;
    case delivery::AfterFailure::fail:
    case delivery::AfterFailure::bounce: {
      const json event{{"error", d.error}, {"reply", d.reply}, {"attempt", job.attempts},
                       {"classified", mail::to_string(failure.kind())}};
      store::record_failed(session, ready.row.id, d.error,
                           next == delivery::AfterFailure::bounce ? store::Bounce::yes : store::Bounce::no, event,
                           notify_payload("email_failed", ready.row));
      d.status = Result::failed;
      outcome = worker::Outcome::permanent(d.error);
      break;
    }
  }
  remember(job.id, d);
  return outcome;
}

}  // namespace briefos::app::email
