// SPDX-License-Identifier: MIT
#pragma once

// briefos-email's service: the Sender, the claim handler that decides,
// sends and records one generate_brief_email job (the state machine in
// service.cpp), and the batching hooks that do its database work per group
// of messages (batching.cpp).

#include "briefos/app/email/compose.hpp"
#include "briefos/db/email_store.hpp"
#include "briefos/db/session.hpp"
#include "briefos/mail/transport.hpp"
#include "briefos/util/fault.hpp"
#include "briefos/worker.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace briefos::app::email {

// What happened to one email, as reported on --json lines and counted in
// the summary.
enum class Result {
  none,       // nothing recorded yet
  sent,       // handed over and recorded 'sent'
  cancelled,  // not sent: see delivery::Cancel
  skipped,    // nothing to do (already done, no job, lease lost, released)
  failed,     // failed for good
  retrying,   // failed this time, pending again
  deferred,   // handed back, pending again, no attempt used (the relay was
              // unreachable, or the run was stopped)
};

// "sent", "cancelled", ...: the word --json lines and summaries print.
const char* to_string(Result result) noexcept;

// What happened to one email.
struct Delivery {
  std::string email_id;
  Result status = Result::none;
  std::string message_id;
  std::string recipient;
  std::string error;
  nlohmann::json reply;  // the relay's reply to a failed hand-over (mail::Reply::to_json), or null
  bool resent = false;  // sent again from 'sending' (the duplicate window)
};

// The email id a generate_brief_email job names (metadata.emailId; ""
// when none).
std::string email_id_of(const queue::Job& job);

// briefos-email's fault-injection hooks (BRIEFOS_FAULT): where the process
// kills itself, after a claim, before a hand-over, after one.
const std::vector<std::string>& fault_hooks();

// The job handler (see the state machine in service.cpp and
// briefos-email(1)). One Sender serves all worker slots; each slot (keyed
// by its session) gets its own renderer and transport, so SMTP connections
// stay open per slot.
class Sender {
public:
  using TransportFactory = std::function<std::unique_ptr<mail::Transport>()>;

  Sender(Settings settings,
         TransportFactory factory,
         std::shared_ptr<mail::RateLimiter> limiter,
         bool notify_events,
         util::FaultPlan fault = {});
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // The worker::Handler body. Returns Outcome::done(result, true) after
  // completing the job in the transaction that recorded the email's final
  // state; Outcome::transient / permanent after recording a failure. Inside
  // a batch begun with begin_batch() (and batching on), an accepted message
  // returns a deferred Outcome instead: flush() records it later. Throws
  // queue::PermanentError for a job that can never be sent (bad metadata,
  // no such email, an email that cannot be composed) and queue::LeaseLost.
  worker::Outcome handle(db::Session& session, const queue::Job& job);

  // The last Delivery recorded for `job_id` (and forget it), for reports.
  std::optional<Delivery> take(long long job_id);

  // Emails sent again from 'sending' since construction.
  long long resent() const;

  // The retry policy of the worker (queue::gives_up decides, with it,
  // whether a transient refusal is the email's last).
  void set_retry_policy(queue::RetryPolicy policy) { m_retry = std::move(policy); }

  // Batch the database work of each claimed batch (see batching.cpp):
  // `interval` is the longest an accepted message waits for its 'sent'
  // record, `group` the most messages checked and marked 'sending', or
  // recorded 'sent', in one statement. A zero `interval` turns batching
  // off: each message is checked right before its hand-over and recorded
  // right after it (one message per window).
  void set_batching(std::chrono::milliseconds interval, std::size_t group);

  // The worker::BatchHooks that batch this Sender's database work (pass
  // them to worker::run with handle() as the handler).
  worker::BatchHooks hooks();

  // The hooks' parts, public for the tests: begin a claimed batch, record
  // the deferred deliveries (all with Flush::now, else when due), and end a
  // batch whose `unstarted` jobs will be released.
  void begin_batch(db::Session& session, const std::vector<queue::Job>& jobs);
  std::vector<worker::BatchHooks::Recorded> flush(db::Session& session, worker::BatchHooks::Flush when);
  void end_batch(db::Session& session, const std::vector<queue::Job>& unstarted);

private:
  struct Slot;
  struct Marked;
  struct Ready;

  Slot& slot_for(db::Session& session);
  void remember(long long job_id, Delivery d);
  [[noreturn]] void fail_job(long long job_id, Delivery& d, const std::string& error);
  nlohmann::json notify_payload(const char* event, const db::email_store::EmailRow& row) const;

  // The steps of handle(), in order.
  Marked take_marked(db::Session& session, Slot& slot, const queue::Job& job, const std::string& email_id);
  std::optional<worker::Outcome> start(db::Session& session, Slot& slot, const queue::Job& job, Delivery& d,
                                       Ready& ready);
  void start_marked(db::Session& session, Slot& slot, const queue::Job& job, Delivery& d, Ready& ready);
  std::optional<worker::Outcome> start_locked(db::Session& session, Slot& slot, const queue::Job& job,
                                              Delivery& d, Ready& ready);
  std::optional<worker::Outcome> wait_turn(db::Session& session, Slot& slot, const queue::Job& job,
                                           Delivery& d, const Ready& ready);
  worker::Outcome hand_over(db::Session& session, Slot& slot, const queue::Job& job, Delivery& d,
                            const Ready& ready);
  worker::Outcome accepted(db::Session& session, Slot& slot, const queue::Job& job, Delivery& d,
                           const Ready& ready);
  worker::Outcome refused(db::Session& session, const queue::Job& job, Delivery& d, const Ready& ready,
                          const mail::SendError& failure);

  // Batching (batching.cpp).
  void prepare_group(db::Session& session, Slot& slot, std::size_t from);
  std::vector<worker::BatchHooks::Recorded> record(db::Session& session, Slot& slot);
  void record_into(db::Session& session, Slot& slot);

  Settings m_settings;
  TransportFactory m_factory;
  std::shared_ptr<mail::RateLimiter> m_limiter;
  bool m_notify;
  util::FaultHooks m_faults;
  mutable std::mutex m_mutex;
  std::map<const db::Session*, std::unique_ptr<Slot>> m_slots;
  // The Session::epoch() each slot's state belongs to; see slot_for().
  std::map<const db::Session*, unsigned> m_epochs;
  std::map<long long, Delivery> m_deliveries;
  long long m_resent = 0;
  std::chrono::milliseconds m_flush_interval{0};
  queue::RetryPolicy m_retry;
  std::size_t m_group = 1;
};

}  // namespace briefos::app::email
