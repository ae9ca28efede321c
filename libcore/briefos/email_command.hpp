// SPDX-License-Identifier: MIT
#pragma once

#include "briefos/cli.hpp"
#include "briefos/db/email_store.hpp"
#include "briefos/mail/transport.hpp"
#include "briefos/mime.hpp"
#include "briefos/render.hpp"
#include "briefos/worker.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace briefos::email_command {

// How messages are addressed and rendered (everything but the transport).
struct Settings {
  std::optional<mime::Mailbox> from;      // --from: overrides the email row's From
  std::optional<mime::Mailbox> reply_to;  // --reply-to
  std::string base_url = "https://localhost";
  std::string tracking_url;               // pixel URL prefix; default base + /api/email-tracking/
  std::string unsubscribe_url;            // "{token}" is replaced; default base + /unsubscribe/{token}
  std::string unsubscribe_mailto;         // address; default unsubscribe@<message id domain>
  std::string message_id_domain;          // default: the From address's domain
  render::TemplateSet templates = render::builtin_templates();
};

// Parse "Name <addr>" or "addr" into a mailbox. Throws UsageError naming
// `option` for anything else (and for CR/LF or quotes that would need
// encoding in an address).
mime::Mailbox parse_mailbox(const std::string& option, const std::string& text);

// A rendered message for `row`, and what went into it.
struct Built {
  mail::Outgoing outgoing;
  render::Rendered rendered;
  std::string recipient;
};

// Render and compose the message for `row` at `now`. Throws mime::MimeError
// for an unsafe header or address, briefos::Error for a template problem.
Built build_message(const Settings& settings,
                    render::Renderer& renderer,
                    const db::email_store::EmailRow& row,
                    std::chrono::system_clock::time_point now);

// Fault injection for the crash tests (BRIEFOS_FAULT): where the process
// kills itself with SIGKILL.
enum class Fault { none, after_claim, before_send, after_send };
Fault fault_from_env();

// What happened to one email, as reported on --json lines.
struct Delivery {
  std::string email_id;
  std::string status;  // sent, cancelled, failed, retrying, skipped
  std::string message_id;
  std::string recipient;
  std::string error;
  bool resent = false;  // sent again from 'sending' (the duplicate window)
};

// The job handler: decides, sends and records one generate_brief_email job
// (see the state machine in email_command.cpp and briefos-email(1)). One
// Sender serves all worker slots; each slot (keyed by its connection) gets
// its own renderer and transport, so SMTP connections stay open per slot.
class Sender {
public:
  using TransportFactory = std::function<std::unique_ptr<mail::Transport>()>;

  Sender(Settings settings,
         TransportFactory factory,
         std::shared_ptr<mail::RateLimiter> limiter,
         bool notify_events,
         Fault fault = Fault::none);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // The worker::Handler body. Returns Outcome::done(result, true) after
  // completing the job in the transaction that recorded the email's final
  // state; Outcome::transient / permanent after recording a failure. Inside
  // a batch begun with begin_batch() (and batching on), an accepted message
  // returns a deferred Outcome instead: flush() records it later.
  worker::Outcome handle(pqxx::connection& cx, const queue::Job& job);

  // The last Delivery recorded for `job_id` (and forget it), for reports.
  std::optional<Delivery> take(long long job_id);

  // Emails sent again from 'sending' since construction.
  long long resent() const;

  // Batch the database work of each claimed batch (see "Batching" in
  // email_command.cpp): `interval` is the longest an accepted message waits
  // for its 'sent' record, `group` the most messages checked and marked
  // 'sending', or recorded 'sent', in one statement. A zero `interval`
  // turns batching off: each message is checked right before its hand-over
  // and recorded right after it (one message per window).
  void set_batching(std::chrono::milliseconds interval, std::size_t group);

  // The worker::BatchHooks that batch this Sender's database work (pass
  // them to worker::run with handle() as the handler).
  worker::BatchHooks hooks();

  // The hooks' parts, public for the tests: begin a claimed batch, record
  // the deferred deliveries (all with Flush::now, else when due), and end a
  // batch whose `unstarted` jobs will be released.
  void begin_batch(pqxx::connection& cx, const std::vector<queue::Job>& jobs);
  std::vector<worker::BatchHooks::Recorded> flush(pqxx::connection& cx, worker::BatchHooks::Flush when);
  void end_batch(pqxx::connection& cx, const std::vector<queue::Job>& unstarted);

private:
  struct Slot;
  Slot& slot_for(pqxx::connection& cx);
  void remember(long long job_id, Delivery d);
  void prepare_group(pqxx::connection& cx, Slot& slot, std::size_t from);
  std::optional<std::string> id_domain() const;
  bool fault_due();
  std::optional<std::string> variant_for(const std::string& email_id) const;
  std::vector<worker::BatchHooks::Recorded> record(pqxx::connection& cx, Slot& slot);

  Settings m_settings;
  TransportFactory m_factory;
  std::shared_ptr<mail::RateLimiter> m_limiter;
  bool m_notify;
  Fault m_fault;
  mutable std::mutex m_mutex;
  std::map<const pqxx::connection*, std::unique_ptr<Slot>> m_slots;
  std::map<long long, Delivery> m_deliveries;
  long long m_resent = 0;
  std::atomic<long> m_fault_hits{0};
  std::chrono::milliseconds m_flush_interval{0};
  std::size_t m_group = 1;
};

// Declare briefos-email's options on `tool` and return its body.
std::function<int(cli::Context&)> setup(cli::Tool& tool);

}  // namespace briefos::email_command
