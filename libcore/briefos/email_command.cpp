// SPDX-License-Identifier: MIT
//
// briefos-email: claim generate_brief_email jobs and deliver each email once.
//
// The state machine, per job (the email row is locked while deciding):
//
//   email missing                  -> job failed (permanent), nothing sent
//   status sent/cancelled/failed   -> job completed, nothing sent (a retry or
//                                     a second run of the same job is a no-op)
//   user opted out or deactivated, brief gone, address suppressed
//                                  -> email and recipients 'cancelled' with the
//                                     reason, job completed, nothing sent
//   status pending                 -> render; 'sending' + Message-ID committed;
//                                     hand the message to the transport
//   status sending                 -> a previous run died after committing
//                                     'sending': it may or may not have been
//                                     accepted. Send again with the SAME
//                                     Message-ID (receivers can de-duplicate),
//                                     log it and count it. This is the one
//                                     documented duplicate window.
//
// After the hand-over, one statement records the outcome together with the
// job: accepted -> 'sent' (sent_at, recipients sent, a 'sent' event, job
// completed); 4xx / connection / timeout -> 'pending' again with the error,
// and the queue retries with backoff (on the last attempt 'failed'); 5xx ->
// 'failed', recipients 'bounced', the address suppressed, a 'failed' event and
// no retry. Failures are recorded at once, one by one.
//
// Batching (--flush-interval, default 50 ms; 0 turns it off). Two
// statements per message made PostgreSQL, not SMTP, the limit of a run, so
// the worker's BatchHooks let a slot do its database work per group of up
// to 32 messages of its claimed batch:
//
//   - begin: when a job of the batch comes up that no group covered yet,
//     one statement (begin_send_many) locks, checks and marks 'sending' the
//     emails of the next 32 jobs (at most). The checks (opt-out,
//     deactivation, suppression, brief gone) thus run up to 32 messages
//     before the hand-over; a marked row older than 1 s when its turn comes
//     is checked again (begin_send), so a slow server cannot stretch that.
//   - record: accepted messages wait in the slot, and one statement
//     (finish_sent_many) records them 'sent' with their jobs completed when
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
//
// Throughput: each worker slot keeps its own transport (one open SMTP
// connection) and renderer; a shared token bucket enforces --rate across
// slots; jobs are claimed in batches by the worker loop.
#include "briefos/email_command.hpp"

#include "briefos/db/connection.hpp"
#include "briefos/db/detail/pqxx_access.hpp"  // transitional: the email cut removes it
#include "briefos/db/detail/queue_sql.hpp"  // transitional: the email cut removes it
#include "briefos/error.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace briefos::email_command {

namespace {

namespace store = db::email_store;
using nlohmann::json;

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string percent_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

std::string json_string(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Why this email must not be sent now, if it must not.
std::optional<std::string> cancel_reason(const store::EmailRow& row) {
  if (!row.user_exists) return "the user no longer exists";
  if (!row.brief_id) return "the brief no longer exists";
  if (!row.email_daily_brief.value_or(false)) return "the user opted out of daily brief emails";
  if (!row.is_active.value_or(false)) return "the user's brief delivery is deactivated";
  if (row.suppressed) return "the address is on the suppression list (" + *row.suppressed + ")";
  return std::nullopt;
}

[[noreturn]] void crash_here(const char* where) {
  // Test hook (BRIEFOS_FAULT): die the way a crash or an OOM kill does, with
  // no destructors, no rollback and no chance to record anything.
  spdlog::warn("BRIEFOS_FAULT={}: killing the process", where);
  spdlog::default_logger()->flush();
  std::raise(SIGKILL);
  std::abort();
}

json event_payload(const char* event, const store::EmailRow& row) {
  return json{{"event", event},
              {"user_id", row.created_by},
              {"email_id", row.id},
              {"brief_id", row.brief_id ? json(*row.brief_id) : json(json_string(row.template_data, "brief_id"))},
              {"brief_date", row.brief_date ? json(*row.brief_date) : json(json_string(row.template_data, "brief_date"))}};
}

}  // namespace

mime::Mailbox parse_mailbox(const std::string& option, const std::string& text) {
  std::string name;
  std::string addr = text;
  const std::size_t lt = text.rfind('<');
  if (lt != std::string::npos) {
    if (text.back() != '>') {
      throw UsageError("invalid value \"" + text + "\" for option " + option
                       + ": expected ADDRESS or \"Name <ADDRESS>\"");
    }
    addr = text.substr(lt + 1, text.size() - lt - 2);
    name = text.substr(0, lt);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  }
  for (const char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') {
      throw UsageError("invalid value for option " + option + ": it contains a line break");
    }
  }
  if (!mime::is_valid_address(addr)) {
    throw UsageError("invalid value \"" + text + "\" for option " + option + ": \"" + addr
                     + "\" is not an email address");
  }
  return {addr, name};
}

Fault fault_from_env() {
  const char* v = std::getenv("BRIEFOS_FAULT");
  if (v == nullptr || *v == '\0') return Fault::none;
  const std::string s = v;
  if (s == "after_claim") return Fault::after_claim;
  if (s == "before_send") return Fault::before_send;
  if (s == "after_send") return Fault::after_send;
  throw UsageError("invalid BRIEFOS_FAULT \"" + s + "\": expected after_claim, before_send or after_send");
}

Built build_message(const Settings& settings,
                    render::Renderer& renderer,
                    const store::EmailRow& row,
                    std::chrono::system_clock::time_point now) {
  if (!row.recipient_email) throw mime::MimeError("email " + row.id + " has no recipient");
  mime::Mailbox from{row.from_email, row.from_name};
  if (settings.from) {
    from.address = settings.from->address;
    if (!settings.from->name.empty()) from.name = settings.from->name;
  }
  const std::string domain =
      settings.message_id_domain.empty() ? mime::domain_of(from.address) : settings.message_id_domain;
  // A Message-ID stored by an earlier attempt wins, so every attempt of an
  // email (and a resend from 'sending') carries the same one.
  const std::string message_id = row.message_id && !row.message_id->empty()
                                     ? *row.message_id
                                     : mime::message_id_for(row.id, domain);
  const std::string base = trim_slash(settings.base_url);
  std::string brief_id = row.brief_id.value_or(json_string(row.template_data, "brief_id"));
  std::string brief_date = row.brief_date.value_or(json_string(row.template_data, "brief_date"));

  render::EmailView v;
  v.email_id = row.id;
  v.subject = row.subject;
  v.brief_id = brief_id;
  v.brief_date = brief_date;
  v.markdown = row.markdown;
  v.recipient_name = row.recipient_name.value_or("");
  v.recipient_email = *row.recipient_email;
  v.from_name = from.name;
  const auto reeng = row.template_data.find("is_reengagement");
  v.is_reengagement = reeng != row.template_data.end() && reeng->is_boolean() && reeng->get<bool>();
  v.base_url = base;
  v.brief_url = base + "/briefs/" + percent_encode(brief_id);
  v.preferences_url = base + "/settings";
  const std::string token = percent_encode(row.unsubscribe_token.value_or(""));
  std::string unsub;
  if (!token.empty()) {
    const std::string tmpl =
        settings.unsubscribe_url.empty() ? base + "/unsubscribe/{token}" : settings.unsubscribe_url;
    unsub = tmpl.find("{token}") != std::string::npos
                ? replace_all(tmpl, "{token}", token)
                : tmpl + (tmpl.find('?') == std::string::npos ? "?token=" : "&token=") + token;
  }
  v.unsubscribe_url = unsub;
  if (row.tracking_enabled) {
    const std::string prefix =
        settings.tracking_url.empty() ? base + "/api/email-tracking/" : settings.tracking_url;
    const std::string tid = percent_encode(row.tracking_id);
    v.tracking_url = prefix.find("{id}") != std::string::npos ? replace_all(prefix, "{id}", tid)
                                                               : prefix + tid;
  }
  Built b;
  b.rendered = renderer.render(v);

  mime::Message m;
  m.from = from;
  if (settings.reply_to) {
    m.reply_to = settings.reply_to;
  } else if (row.reply_to && !row.reply_to->empty()) {
    m.reply_to = mime::Mailbox{*row.reply_to, ""};
  }
  m.to = {*row.recipient_email, row.recipient_name.value_or("")};
  m.subject = b.rendered.subject;
  m.message_id = message_id;
  m.date = now;
  // RFC 8058 one-click needs https; an http URL stays in the body only.
  if (unsub.rfind("https://", 0) == 0) m.unsubscribe_https = unsub;
  if (!token.empty()) {
    const std::string mailto =
        settings.unsubscribe_mailto.empty() ? "unsubscribe@" + domain : settings.unsubscribe_mailto;
    if (!mime::is_valid_address(mailto)) {
      throw mime::MimeError("invalid unsubscribe mailto address \"" + mailto + "\"");
    }
    // The token goes into the local part (unsubscribe+TOKEN@domain): it
    // survives mail clients that drop ?subject=, and keeps the line short.
    const std::size_t at = mailto.rfind('@');
    m.unsubscribe_mailto = "mailto:" + mailto.substr(0, at) + "+" + token + mailto.substr(at);
  }
  m.list_id = "Daily brief <daily-brief." + domain + ">";
  m.extra_headers = {{"Auto-Submitted", "auto-generated"}, {"X-Briefos-Email-Id", row.id}};
  if (!b.rendered.subject_variant.empty()) {
    m.extra_headers.emplace_back("X-Briefos-Subject-Variant", b.rendered.subject_variant);
  }
  m.text = b.rendered.text;
  m.html = b.rendered.html;
  m.boundary_seed = row.id;

  b.outgoing.email_id = row.id;
  b.outgoing.message_id = message_id;
  b.outgoing.envelope_from = from.address;
  b.outgoing.recipients = {*row.recipient_email};
  b.outgoing.subject = b.rendered.subject;
  b.outgoing.data = mime::build(m);
  b.recipient = *row.recipient_email;
  return b;
}

// --- Sender ---

namespace {

// A prepared row older than this is checked again right before its
// hand-over, so a slow server cannot stretch the time between the
// cancellation checks and the send.
constexpr std::chrono::seconds recheck_after{1};

}  // namespace

struct Sender::Slot {
  struct Prepared {
    store::EmailRow row;  // marked 'sending'; row.status is the status before
    std::chrono::steady_clock::time_point at;
  };
  struct Accepted {
    store::SentRecord record;
    json notify_payload;
  };
  std::unique_ptr<render::Renderer> renderer;
  std::unique_ptr<mail::Transport> transport;
  // Batching (set by begin_batch, cleared by end_batch).
  bool batching = false;
  std::vector<queue::Job> batch;
  std::size_t prepared_up_to = 0;          // batch[0, this) went through begin_send_many
  std::map<long long, Prepared> prepared;  // by job id, not yet handed over
  std::vector<Accepted> accepted;          // accepted by the server, not yet recorded
  std::chrono::steady_clock::time_point oldest;
  std::string worker_id;
  std::vector<worker::BatchHooks::Recorded> recorded;  // recorded early, not yet reported
};

Sender::Sender(Settings settings,
               TransportFactory factory,
               std::shared_ptr<mail::RateLimiter> limiter,
               bool notify_events,
               Fault fault)
    : m_settings(std::move(settings)),
      m_factory(std::move(factory)),
      m_limiter(std::move(limiter)),
      m_notify(notify_events),
      m_fault(fault) {}

Sender::~Sender() = default;

bool Sender::fault_due() {
  // BRIEFOS_FAULT_COUNT=N: the Nth time the fault point is reached (1).
  static const long at = [] {
    const char* v = std::getenv("BRIEFOS_FAULT_COUNT");
    return v != nullptr && std::atol(v) > 0 ? std::atol(v) : 1L;
  }();
  return ++m_fault_hits >= at;
}

Sender::Slot& Sender::slot_for(pqxx::connection& cx) {
  std::lock_guard lock(m_mutex);
  auto& slot = m_slots[&cx];
  if (!slot) {
    slot = std::make_unique<Slot>();
    slot->renderer = std::make_unique<render::Renderer>(m_settings.templates);
  }
  return *slot;
}

void Sender::remember(long long job_id, Delivery d) {
  std::lock_guard lock(m_mutex);
  m_deliveries[job_id] = std::move(d);
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

worker::Outcome Sender::handle(pqxx::connection& cx, const queue::Job& job) {
  Slot& slot = slot_for(cx);
  Delivery d;
  d.email_id = json_string(job.metadata, "emailId");
  if (!store::is_uuid(d.email_id)) {
    d.status = "failed";
    d.error = "job " + std::to_string(job.id) + " has no valid metadata.emailId";
    remember(job.id, d);
    throw queue::PermanentError(d.error);
  }
  if (m_fault == Fault::after_claim && fault_due()) crash_here("after_claim");

  // Phase 1: decide under the row lock, and commit 'sending' before any byte
  // goes out. The common case is one autocommit statement (begin_send, or
  // begin_send_many for a group of the batch); everything else (already
  // done, cancel, unusable rows) takes the transactional path below, which
  // re-reads the row under its lock.
  std::optional<Built> built;
  store::EmailRow row;
  bool resend = false;
  std::optional<store::EmailRow> fast;
  // The status before a batch marked the row 'sending', when one did.
  std::optional<std::string> before;
  if (slot.batching) {
    // A delivery of this same email still waiting for its record is
    // recorded first, so this job finds it 'sent'.
    for (const auto& a : slot.accepted) {
      if (a.record.email_id == d.email_id) {
        auto r = record(cx, slot);
        slot.recorded.insert(slot.recorded.end(), r.begin(), r.end());
        break;
      }
    }
    auto it = slot.prepared.find(job.id);
    if (it == slot.prepared.end()) {
      for (std::size_t k = slot.prepared_up_to; k < slot.batch.size(); ++k) {
        if (slot.batch[k].id == job.id) {
          prepare_group(cx, slot, k);
          it = slot.prepared.find(job.id);
          break;
        }
      }
    }
    if (it != slot.prepared.end()) {
      before = it->second.row.status;
      if (std::chrono::steady_clock::now() - it->second.at <= recheck_after) fast = std::move(it->second.row);
      slot.prepared.erase(it);
    }
  }
  if (!fast) {
    pqxx::nontransaction ntx{cx};
    fast = store::begin_send(ntx, d.email_id, id_domain(), variant_for(d.email_id));
  }
  if (fast && fast->marked_sending) {
    row = std::move(*fast);
    d.recipient = row.recipient_email.value_or("");
    d.message_id = row.message_id.value_or("");
    resend = before.value_or(row.status) == "sending";
    try {
      built = build_message(m_settings, *slot.renderer, row, std::chrono::system_clock::now());
    } catch (const std::exception& e) {
      // A message that cannot be built never will be: fail it for good.
      pqxx::work tx{cx};
      store::mark_failed(tx, row.id, e.what(), false, json{{"error", e.what()}, {"stage", "render"}});
      if (m_notify) store::notify_event(tx, event_payload("email_failed", row));
      tx.commit();
      d.status = "failed";
      d.error = e.what();
      remember(job.id, d);
      throw queue::PermanentError(e.what());
    }
  } else {
    pqxx::work tx{cx};
    auto loaded = store::load_email(tx, d.email_id, true);
    if (!loaded) {
      d.status = "failed";
      d.error = "email " + d.email_id + " does not exist";
      remember(job.id, d);
      throw queue::PermanentError(d.error);
    }
    row = std::move(*loaded);
    d.recipient = row.recipient_email.value_or("");
    d.message_id = row.message_id.value_or("");
    if (row.status == "sent" || row.status == "cancelled" || row.status == "failed") {
      d.status = "skipped";
      d.error = "email is already " + row.status;
      const json result{{"email_id", d.email_id}, {"status", "skipped"}, {"email_status", row.status}};
      if (!queue::detail::complete(tx, job, result)) throw queue::LeaseLost("job " + std::to_string(job.id) + " lost");
      tx.commit();
      remember(job.id, d);
      return worker::Outcome::done(result, true);
    }
    if (row.status != "pending" && row.status != "sending") {
      d.status = "failed";
      d.error = "email " + d.email_id + " is in status \"" + row.status + "\"; only pending emails are sent";
      remember(job.id, d);
      throw queue::PermanentError(d.error);
    }
    if (const auto reason = cancel_reason(row)) {
      store::mark_cancelled(tx, row.id, *reason);
      const json result{{"email_id", d.email_id}, {"status", "cancelled"}, {"reason", *reason}};
      if (!queue::detail::complete(tx, job, result)) throw queue::LeaseLost("job " + std::to_string(job.id) + " lost");
      if (m_notify) store::notify_event(tx, event_payload("email_cancelled", row));
      tx.commit();
      d.status = "cancelled";
      d.error = *reason;
      remember(job.id, d);
      return worker::Outcome::done(result, true);
    }
    try {
      if (row.recipient_count != 1) {
        throw mime::MimeError("email " + row.id + " has " + std::to_string(row.recipient_count)
                              + " recipients; a daily-brief email has exactly one");
      }
      built = build_message(m_settings, *slot.renderer, row, std::chrono::system_clock::now());
    } catch (const std::exception& e) {
      // A message that cannot be built never will be: fail it for good.
      store::mark_failed(tx, row.id, e.what(), false, json{{"error", e.what()}, {"stage", "render"}});
      if (m_notify) store::notify_event(tx, event_payload("email_failed", row));
      tx.commit();
      d.status = "failed";
      d.error = e.what();
      remember(job.id, d);
      throw queue::PermanentError(e.what());
    }
    resend = before.value_or(row.status) == "sending";
    d.message_id = built->outgoing.message_id;
    store::mark_sending(tx, row.id, built->outgoing.message_id,
                        built->rendered.subject_variant.empty()
                            ? std::nullopt
                            : std::optional<std::string>(built->rendered.subject_variant));
    tx.commit();
  }
  d.message_id = built->outgoing.message_id;
  if (resend) {
    std::lock_guard lock(m_mutex);
    ++m_resent;
    spdlog::warn("email {} was left in 'sending' by an earlier run (it may have been delivered): "
                 "sending it again with the same Message-ID <{}>",
                 row.id, d.message_id);
  }
  if (m_fault == Fault::before_send && fault_due()) crash_here("before_send");
  // Deliveries waiting for their record do not wait for the rate limiter
  // or for this message's hand-over beyond the flush interval.
  if (slot.batching && !slot.accepted.empty()
      && (m_limiter || std::chrono::steady_clock::now() - slot.oldest >= m_flush_interval)) {
    auto r = record(cx, slot);
    slot.recorded.insert(slot.recorded.end(), r.begin(), r.end());
  }
  if (m_limiter && !m_limiter->acquire([] { return cli::stop_requested(); })) {
    pqxx::work tx{cx};
    store::mark_retry(tx, row.id, "stopped before sending");
    tx.commit();
    d.status = "retrying";
    d.error = "stopped before sending";
    remember(job.id, d);
    worker::Outcome o = worker::Outcome::transient(d.error);
    o.retry_in = std::chrono::milliseconds(0);
    return o;
  }

  // Phase 2: hand over, then record at once.
  if (!slot.transport) slot.transport = m_factory();
  std::optional<mail::SendError> failure;
  try {
    slot.transport->send(built->outgoing);
  } catch (const mail::SendError& e) {
    failure = e;
  }
  if (!failure && m_fault == Fault::after_send && fault_due()) crash_here("after_send");

  if (!failure) {
    const json event{{"message_id", d.message_id},
                     {"transport", slot.transport->describe()},
                     {"resent", resend},
                     {"attempt", job.attempts}};
    const json result{{"email_id", d.email_id}, {"status", "sent"}, {"message_id", d.message_id},
                      {"recipient", d.recipient}, {"resent", resend}};
    if (slot.batching) {
      // Recorded with the next group (flush), at most the flush interval
      // from now: the worker reports the job when that record is written.
      if (slot.accepted.empty()) slot.oldest = std::chrono::steady_clock::now();
      slot.accepted.push_back(
          {store::SentRecord{row.id, d.message_id, event, job.id, job.attempts, result},
           m_notify ? event_payload("email_sent", row) : json()});
      d.status = "sent";
      d.resent = resend;
      remember(job.id, d);
      worker::Outcome o = worker::Outcome::done(result, false);
      o.deferred = true;
      return o;
    }
    // The server accepted the message: record it now, in one statement
    // (the email, its recipient, the event and the job). It is recorded even
    // if the job's lease was lost meanwhile, so whoever holds the job now
    // finds 'sent'.
    bool held = false;
    if (m_notify) {
      pqxx::work tx{cx};
      held = store::finish_sent(tx, row.id, d.message_id, event, job.id, job.worker_id, job.attempts, result);
      store::notify_event(tx, event_payload("email_sent", row));
      tx.commit();
    } else {
      pqxx::nontransaction ntx{cx};
      held = store::finish_sent(ntx, row.id, d.message_id, event, job.id, job.worker_id, job.attempts, result);
    }
    d.status = "sent";
    d.resent = resend;
    remember(job.id, d);
    if (!held) {
      throw queue::LeaseLost("job " + std::to_string(job.id)
                             + " lost its lease while sending; the email is recorded as sent");
    }
    return worker::Outcome::done(result, true);
  }
  pqxx::work tx{cx};
  d.error = failure->what();
  const json event{{"error", d.error}, {"reply_code", failure->reply_code()}, {"attempt", job.attempts}};
  switch (failure->kind()) {
    case mail::FailureKind::transient:
      if (job.attempts >= job.max_attempts) {
        store::mark_failed(tx, row.id, d.error, false, event);
        if (m_notify) store::notify_event(tx, event_payload("email_failed", row));
        d.status = "failed";
      } else {
        store::mark_retry(tx, row.id, d.error);
        d.status = "retrying";
      }
      tx.commit();
      remember(job.id, d);
      return worker::Outcome::transient(d.error);
    case mail::FailureKind::permanent:
    case mail::FailureKind::rejected:
      store::mark_failed(tx, row.id, d.error, failure->kind() == mail::FailureKind::rejected, event);
      if (m_notify) store::notify_event(tx, event_payload("email_failed", row));
      tx.commit();
      d.status = "failed";
      remember(job.id, d);
      return worker::Outcome::permanent(d.error);
  }
  return worker::Outcome::permanent(d.error);
}

std::optional<std::string> Sender::id_domain() const {
  if (!m_settings.message_id_domain.empty()) return m_settings.message_id_domain;
  if (m_settings.from) return mime::domain_of(m_settings.from->address);
  return std::nullopt;
}

std::optional<std::string> Sender::variant_for(const std::string& email_id) const {
  const auto& variants = m_settings.templates.variants;
  if (variants.empty()) return std::nullopt;
  return variants[render::pick_variant(email_id, variants.size())].name;
}

void Sender::set_batching(std::chrono::milliseconds interval, std::size_t group) {
  m_flush_interval = interval;
  m_group = std::max<std::size_t>(1, group);
}

worker::BatchHooks Sender::hooks() {
  worker::BatchHooks h;
  h.begin = [this](db::Session& s, const std::vector<queue::Job>& jobs) { begin_batch(db::detail::cx(s), jobs); };
  h.flush = [this](db::Session& s, worker::BatchHooks::Flush when) { return flush(db::detail::cx(s), when); };
  h.end = [this](db::Session& s, const std::vector<queue::Job>& unstarted) { end_batch(db::detail::cx(s), unstarted); };
  return h;
}

void Sender::begin_batch(pqxx::connection& cx, const std::vector<queue::Job>& jobs) {
  Slot& slot = slot_for(cx);
  slot.batching = m_flush_interval.count() > 0;
  slot.batch = slot.batching ? jobs : std::vector<queue::Job>();
  slot.prepared.clear();
  slot.prepared_up_to = 0;
  if (!jobs.empty()) slot.worker_id = jobs.front().worker_id;
}

void Sender::prepare_group(pqxx::connection& cx, Slot& slot, std::size_t from) {
  const std::size_t to = std::min(slot.batch.size(), from + m_group);
  slot.prepared_up_to = to;
  std::vector<std::pair<std::string, std::optional<std::string>>> emails;
  std::map<std::string, long long> job_of;
  for (std::size_t k = from; k < to; ++k) {
    const std::string id = json_string(slot.batch[k].metadata, "emailId");
    // An email named twice (or still waiting for its record) goes through
    // the one-by-one path, after the earlier delivery is recorded.
    if (!store::is_uuid(id) || job_of.count(id) > 0) continue;
    const bool waiting = std::any_of(slot.accepted.begin(), slot.accepted.end(),
                                     [&](const Slot::Accepted& a) { return a.record.email_id == id; });
    if (waiting) continue;
    job_of[id] = slot.batch[k].id;
    emails.emplace_back(id, variant_for(id));
  }
  if (emails.empty()) return;
  std::vector<store::EmailRow> rows;
  try {
    pqxx::nontransaction ntx{cx};
    rows = store::begin_send_many(ntx, emails, id_domain());
  } catch (const std::exception& e) {
    if (db::is_connection_lost(e) || !cx.is_open()) throw;
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

std::vector<worker::BatchHooks::Recorded> Sender::record(pqxx::connection& cx, Slot& slot) {
  std::vector<worker::BatchHooks::Recorded> out;
  if (slot.accepted.empty()) return out;
  std::vector<store::SentRecord> records;
  records.reserve(slot.accepted.size());
  for (const auto& a : slot.accepted) records.push_back(a.record);
  std::vector<long long> held;
  if (m_notify) {
    pqxx::work tx{cx};
    held = store::finish_sent_many(tx, records, slot.worker_id);
    for (const auto& a : slot.accepted) store::notify_event(tx, a.notify_payload);
    tx.commit();
  } else {
    pqxx::nontransaction ntx{cx};
    held = store::finish_sent_many(ntx, records, slot.worker_id);
  }
  const std::set<long long> ok(held.begin(), held.end());
  for (const auto& a : slot.accepted) {
    out.push_back({a.record.job_id, ok.count(a.record.job_id) > 0, a.record.result});
  }
  slot.accepted.clear();
  return out;
}

std::vector<worker::BatchHooks::Recorded> Sender::flush(pqxx::connection& cx, worker::BatchHooks::Flush when) {
  Slot& slot = slot_for(cx);
  std::vector<worker::BatchHooks::Recorded> out = std::move(slot.recorded);
  slot.recorded.clear();
  const bool due = when == worker::BatchHooks::Flush::now || slot.accepted.size() >= m_group
                   || std::chrono::steady_clock::now() - slot.oldest >= m_flush_interval;
  if (!slot.accepted.empty() && due) {
    auto r = record(cx, slot);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

void Sender::end_batch(pqxx::connection& cx, const std::vector<queue::Job>& /*unstarted*/) {
  Slot& slot = slot_for(cx);
  // Rows marked 'sending' here and never handed over go back to pending; a
  // row that was already 'sending' (a crashed run's) stays so.
  std::vector<std::string> revert;
  for (const auto& [job_id, p] : slot.prepared) {
    if (p.row.status == "pending") revert.push_back(p.row.id);
  }
  slot.prepared.clear();
  slot.batch.clear();
  slot.prepared_up_to = 0;
  slot.batching = false;
  if (!revert.empty()) {
    pqxx::nontransaction ntx{cx};
    store::revert_sending(ntx, revert);
  }
}

// --- The program ---

namespace {

// The most emails checked and marked 'sending', or recorded 'sent', in one
// statement when batching (--flush-interval above 0).
constexpr std::size_t flush_group = 32;

struct Options {
  worker::Options worker;
  std::string jobs_from;
  int connections = 0;
  std::string rate;
  std::string transport;
  std::string password_file;
  std::string ca_file;
  int connect_timeout_s = 10;
  int timeout_s = 600;
  std::string from;
  std::string reply_to;
  std::string base_url = "https://localhost";
  std::string tracking_url;
  std::string unsubscribe_url;
  std::string unsubscribe_mailto;
  std::string message_id_domain;
  std::string template_dir;
  bool dry_run = false;
  bool json = false;
  bool html = false;
  bool notify = false;
  int flush_interval_ms = 50;
  std::string preview;
  std::string output;
};

double parse_rate(const std::string& text) {
  std::string num = text;
  double per = 1.0;
  const std::size_t slash = text.find('/');
  if (slash != std::string::npos) {
    num = text.substr(0, slash);
    const std::string unit = text.substr(slash + 1);
    if (unit == "s" || unit == "sec") per = 1.0;
    else if (unit == "m" || unit == "min") per = 60.0;
    else if (unit == "h") per = 3600.0;
    else throw UsageError("invalid value \"" + text + "\" for option --rate: unit must be s, min or h");
  }
  double n = 0;
  try {
    std::size_t used = 0;
    n = std::stod(num, &used);
    if (used != num.size()) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    throw UsageError("invalid value \"" + text + "\" for option --rate: expected N, N/s, N/min or N/h");
  }
  if (!(n > 0)) throw UsageError("invalid value \"" + text + "\" for option --rate: must be above 0");
  return n / per;
}

void check_url_option(const std::string& option, const std::string& value) {
  if (value.empty()) return;
  if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0) {
    throw UsageError("invalid value \"" + value + "\" for option " + option + ": expected an http(s) URL");
  }
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '<' || c == '>') {
      throw UsageError("invalid value for option " + option + ": the URL contains a space, quote, "
                       "angle bracket or non-ASCII character");
    }
  }
}

Settings make_settings(const Options& o) {
  Settings s;
  if (!o.from.empty()) s.from = parse_mailbox("--from", o.from);
  if (!o.reply_to.empty()) s.reply_to = parse_mailbox("--reply-to", o.reply_to);
  check_url_option("--base-url", o.base_url);
  check_url_option("--tracking-url", o.tracking_url);
  check_url_option("--unsubscribe-url", o.unsubscribe_url);
  s.base_url = o.base_url;
  s.tracking_url = o.tracking_url;
  s.unsubscribe_url = o.unsubscribe_url;
  if (!o.unsubscribe_mailto.empty()) {
    std::string m = o.unsubscribe_mailto;
    if (m.rfind("mailto:", 0) == 0) m = m.substr(7);
    if (!mime::is_valid_address(m)) {
      throw UsageError("invalid value \"" + o.unsubscribe_mailto + "\" for option --unsubscribe-mailto");
    }
    s.unsubscribe_mailto = m;
  }
  if (!o.message_id_domain.empty()) {
    try {
      mime::message_id_for("x", o.message_id_domain);
    } catch (const mime::MimeError&) {
      throw UsageError("invalid value \"" + o.message_id_domain + "\" for option --message-id-domain");
    }
    s.message_id_domain = o.message_id_domain;
  }
  s.templates = render::load_templates(o.template_dir);
  return s;
}

// Email ids from `in`: a uuid per line, or JSON lines with "email_id"
// (briefos-generate --json); a null email_id means "no email" and is skipped.
std::vector<std::string> read_email_ids(std::istream& in) {
  std::vector<std::string> ids;
  std::string line;
  long long n = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.pop_back();
    if (line.front() == '{') {
      const json j = json::parse(line, nullptr, false);
      if (j.is_object()) {
        const auto it = j.find("email_id");
        if (it != j.end() && it->is_null()) continue;
        if (it != j.end() && it->is_string() && store::is_uuid(it->get<std::string>())) {
          ids.push_back(it->get<std::string>());
          continue;
        }
      }
    } else if (store::is_uuid(line)) {
      ids.push_back(line);
      continue;
    }
    spdlog::warn("input line {}: not an email id or a JSON line with \"email_id\"; skipped", n);
  }
  return ids;
}

std::vector<std::string> load_requested(const std::string& from) {
  if (from == "-") return read_email_ids(std::cin);
  std::ifstream in(from);
  if (!in) throw UsageError("could not read email list \"" + from + "\": " + std::strerror(errno));
  return read_email_ids(in);
}

// A row for --preview when the brief has no email yet: what briefos-generate
// would have created.
store::EmailRow synthesize(const store::BriefRow& b, const Settings& s) {
  store::EmailRow row;
  row.id = b.id;
  row.status = "pending";
  const std::string subj = json_string(b.metadata, "email_subject");
  row.subject = subj.empty() ? "Daily Brief - " + render::short_date(b.brief_date) : subj;
  row.from_email = s.from ? s.from->address : "briefs@localhost";
  row.from_name = s.from && !s.from->name.empty() ? s.from->name : "briefos";
  row.tracking_enabled = true;
  row.tracking_id = "preview";
  row.created_by = b.user_id;
  row.category = "daily_brief";
  row.template_data = json{{"brief_id", b.id}, {"brief_date", b.brief_date}, {"user_id", b.user_id}};
  row.recipient_count = 1;
  row.recipient_email = b.user_email;
  row.recipient_name = b.user_name;
  row.unsubscribe_token = "preview";
  row.user_exists = true;
  row.brief_id = b.id;
  row.brief_date = b.brief_date;
  row.markdown = b.markdown;
  return row;
}

std::string crlf_to_lf(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

int run_preview(cli::Context& ctx, const Options& o, const Settings& settings) {
  auto cx = db::connect(ctx.database_url, ctx.tool_name);
  pqxx::read_transaction tx{*cx};
  const auto brief = store::load_brief(tx, o.preview);
  if (!brief) throw Error("no brief with id \"" + o.preview + "\"");
  store::EmailRow row = synthesize(*brief, settings);
  if (brief->email_id) {
    if (auto e = store::load_email(tx, *brief->email_id, false)) {
      row = std::move(*e);
      row.markdown = brief->markdown;  // the brief as it is now
    }
  }
  render::Renderer renderer{settings.templates};
  const Built b = build_message(settings, renderer, row, std::chrono::system_clock::now());
  const std::string text = o.html ? b.rendered.html : b.outgoing.data;
  if (!o.output.empty()) {
    std::ofstream f(o.output, std::ios::binary);
    f << text;
    f.close();
    if (!f) throw Error("could not write \"" + o.output + "\": " + std::strerror(errno));
  } else {
    ctx.out << text;
  }
  if (!ctx.quiet) {
    ctx.err << ctx.tool_name << ": preview of " << (brief->email_id ? "email " + *brief->email_id : "a new email")
            << " for brief " << brief->id << " to " << b.recipient << ": \"" << b.rendered.subject
            << "\" (nothing was sent)\n";
  }
  return exit_ok;
}

int run_dry(cli::Context& ctx, const Options& o, const Settings& settings) {
  auto cx = db::connect(ctx.database_url, ctx.tool_name);
  pqxx::read_transaction tx{*cx};
  std::vector<store::PendingJob> jobs;
  if (!o.jobs_from.empty()) {
    jobs = store::pending_jobs_for(tx, load_requested(o.jobs_from));
  } else {
    jobs = store::due_jobs(tx, o.worker.max_jobs > 0 ? static_cast<int>(std::min<long long>(o.worker.max_jobs, 100000)) : 100000);
  }
  render::Renderer renderer{settings.templates};
  int would_send = 0;
  for (const auto& j : jobs) {
    const auto row = store::load_email(tx, j.email_id, false);
    nlohmann::ordered_json line{{"email_id", j.email_id}, {"job_id", j.job_id}, {"status", "dry_run"}};
    std::string what;
    if (!row) {
      what = "fail";
      line["error"] = "email does not exist";
    } else if (row->status != "pending" && row->status != "sending") {
      what = "skip";
      line["error"] = "email is already " + row->status;
    } else if (const auto reason = cancel_reason(*row)) {
      what = "cancel";
      line["error"] = *reason;
    } else {
      try {
        const Built b = build_message(settings, renderer, *row, std::chrono::system_clock::now());
        what = "send";
        ++would_send;
        line["recipient"] = b.recipient;
        line["message_id"] = "<" + b.outgoing.message_id + ">";
        line["subject"] = b.rendered.subject;
        if (!o.json) {
          ctx.out << "# job " << j.job_id << ", email " << j.email_id << ": would send to " << b.recipient
                  << "\n" << crlf_to_lf(b.outgoing.data) << "\n";
        }
      } catch (const std::exception& e) {
        what = "fail";
        line["error"] = e.what();
      }
    }
    line["would"] = what;
    if (o.json) {
      ctx.out << line.dump() << "\n";
    } else if (what != "send") {
      ctx.out << "# job " << j.job_id << ", email " << j.email_id << ": would " << what << ": "
              << line.value("error", "") << "\n\n";
    }
  }
  if (!ctx.quiet) {
    ctx.err << ctx.tool_name << ": dry run: " << jobs.size() << " job(s), " << would_send
            << " message(s) would be sent; nothing was claimed, sent or written\n";
  }
  return exit_ok;
}

}  // namespace

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto o = std::make_shared<Options>();
  CLI::App& app = tool.app();
  worker::add_options(app, o->worker, o->jobs_from);
  // The shared option reads job ids; here it reads email ids.
  app.get_option("--jobs")->description("Send exactly the emails in FILE ('-': stdin)");
  app.get_option("--lease")->description("Seconds a job is held before rescue [300]");
  app.get_option("--poll-interval")->description("Idle poll backstop in ms [2000]");
  app.add_option("--connections", o->connections, "SMTP sessions in parallel (= --concurrency)")
      ->type_name("N")
      ->default_str("")
      ->check(CLI::Range(1, 64));
  auto* rate = app.add_option("--rate", o->rate, "Send at most RATE messages (N, N/s, N/min, N/h)")
                   ->type_name("RATE");
  tool.bind_env(rate, {"BRIEFOS_EMAIL_RATE"});
  auto* tr = app.add_option("--transport", o->transport, "smtp://, smtps://, maildir:DIR, webhook+https://")
                 ->type_name("URL");
  tool.bind_env(tr, {"BRIEFOS_EMAIL_TRANSPORT"});
  auto* pwf = app.add_option("--smtp-password-file", o->password_file, "Read the SMTP password from FILE")
                  ->type_name("FILE");
  tool.bind_env(pwf, {"BRIEFOS_SMTP_PASSWORD_FILE"});
  auto* ca = app.add_option("--smtp-ca-file", o->ca_file, "Trust the CA certificates in FILE (PEM) for TLS")
                 ->type_name("FILE")
                 ->check(CLI::ExistingFile);
  tool.bind_env(ca, {"BRIEFOS_SMTP_CA_FILE"});
  app.add_option("--connect-timeout", o->connect_timeout_s, "Seconds to wait for a connection")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  app.add_option("--timeout", o->timeout_s, "Seconds for one message incl. final reply")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--from", o->from, "From header: ADDRESS or \"Name <ADDRESS>\"")->type_name("ADDR");
  app.add_option("--reply-to", o->reply_to, "Reply-To header")->type_name("ADDR");
  auto* base = app.add_option("--base-url", o->base_url, "Web app URL for links")
                   ->type_name("URL")
                   ->capture_default_str();
  tool.bind_env(base, {"BRIEFOS_BASE_URL"});
  auto* trk = app.add_option("--tracking-url", o->tracking_url, "Open-pixel URL prefix")->type_name("URL");
  tool.bind_env(trk, {"BRIEFOS_TRACKING_URL"});
  auto* unsub = app.add_option("--unsubscribe-url", o->unsubscribe_url, "Unsubscribe URL ({token})")
                    ->type_name("URL");
  tool.bind_env(unsub, {"BRIEFOS_UNSUBSCRIBE_URL"});
  app.add_option("--unsubscribe-mailto", o->unsubscribe_mailto, "Unsubscribe mailbox")->type_name("ADDR");
  auto* mid = app.add_option("--message-id-domain", o->message_id_domain, "Domain of Message-IDs")
                  ->type_name("DOMAIN");
  tool.bind_env(mid, {"BRIEFOS_MESSAGE_ID_DOMAIN"});
  auto* tdir = app.add_option("--template-dir", o->template_dir, "Mustache templates overriding the defaults")
                   ->type_name("DIR");
  tool.bind_env(tdir, {"BRIEFOS_TEMPLATE_DIR"});
  app.add_flag("-n,--dry-run", o->dry_run, "Print the messages; claim, send, write nothing");
  app.add_flag("--json", o->json, "One JSON line per email on stdout");
  app.add_flag("--notify-events", o->notify, "NOTIFY briefos_events after each email");
  app.add_option("--flush-interval", o->flush_interval_ms, "Record sent emails within MS (0: each at once)")
      ->type_name("MS")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  auto* prev = app.add_option("--preview", o->preview, "Render the email of brief BRIEF_ID")
                   ->type_name("BRIEF_ID");
  app.add_option("--output", o->output, "Write the --preview to FILE")->type_name("FILE")->needs(prev);
  app.add_flag("--html", o->html, "With --preview: only the HTML part")->needs(prev);

  return [o](cli::Context& ctx) -> int {
    const Settings settings = make_settings(*o);
    if (!o->preview.empty()) return run_preview(ctx, *o, settings);
    if (o->dry_run) return run_dry(ctx, *o, settings);

    mail::TransportConfig tc;
    tc.url = o->transport;
    tc.password = cli::read_secret({"BRIEFOS_SMTP_PASSWORD"}, o->password_file);
    tc.webhook_secret = cli::read_secret({"BRIEFOS_WEBHOOK_SECRET"}, "");
    tc.ca_file = o->ca_file;
    tc.connect_timeout = std::chrono::seconds(o->connect_timeout_s);
    tc.timeout = std::chrono::seconds(o->timeout_s);
    mail::validate(tc);
    const Fault fault = fault_from_env();
    std::shared_ptr<mail::RateLimiter> limiter;
    if (!o->rate.empty()) limiter = std::make_shared<mail::RateLimiter>(parse_rate(o->rate));
    if (o->connections > 0) o->worker.concurrency = o->connections;

    std::mutex out_mutex;
    std::map<std::string, long long> counts;
    auto print = [&](const Delivery& d, long long job_id, double seconds) {
      std::lock_guard lock(out_mutex);
      ++counts[d.status];
      if (o->json) {
        nlohmann::ordered_json line{{"email_id", d.email_id},
                  {"job_id", job_id > 0 ? nlohmann::ordered_json(job_id) : nlohmann::ordered_json(nullptr)},
                  {"status", d.status},
                  {"message_id", d.message_id.empty() ? nlohmann::ordered_json(nullptr)
                                                      : nlohmann::ordered_json("<" + d.message_id + ">")},
                  {"recipient", d.recipient.empty() ? nlohmann::ordered_json(nullptr)
                                                    : nlohmann::ordered_json(d.recipient)},
                  {"duration_ms", static_cast<long long>(seconds * 1000.0 + 0.5)}};
        if (!d.error.empty()) line["error"] = d.error;
        if (d.resent) line["resent"] = true;
        ctx.out << line.dump() << "\n";
      } else {
        char head[32];
        std::snprintf(head, sizeof head, "%-9s ", d.status.c_str());
        ctx.out << head << d.email_id << "  " << (d.recipient.empty() ? "-" : d.recipient);
        if (d.status == "sent") ctx.out << "  <" << d.message_id << ">";
        if (!d.error.empty()) ctx.out << "  (" << d.error << ")";
        ctx.out << "\n";
      }
    };

    if (!o->jobs_from.empty()) {
      const auto requested = load_requested(o->jobs_from);
      auto cx = db::connect(ctx.database_url, ctx.tool_name);
      pqxx::read_transaction tx{*cx};
      const auto jobs = store::pending_jobs_for(tx, requested);
      tx.commit();
      std::set<std::string> found;
      for (const auto& j : jobs) {
        o->worker.ids.push_back(j.job_id);
        found.insert(j.email_id);
      }
      for (const auto& id : requested) {
        if (found.count(id) == 0) {
          Delivery d;
          d.email_id = id;
          d.status = "skipped";
          d.error = "no pending email job";
          print(d, 0, 0);
        }
      }
      o->worker.mode = worker::Mode::ids;
    }

    auto sender = std::make_shared<Sender>(
        settings, [tc] { return mail::make_transport(tc); }, limiter, o->notify, fault);
    sender->set_batching(std::chrono::milliseconds(o->flush_interval_ms), flush_group);
    const worker::Handler handler = [sender](db::Session& session, const queue::Job& job) {
      return sender->handle(db::detail::cx(session), job);
    };
    const worker::Reporter reporter = [&](const worker::Report& r) {
      Delivery d = sender->take(r.job->id).value_or(Delivery{});
      if (d.email_id.empty()) d.email_id = json_string(r.job->metadata, "emailId");
      if (r.status == worker::Status::retrying || r.status == worker::Status::failed) {
        d.status = worker::to_string(r.status);
      } else if (r.status == worker::Status::lost || r.status == worker::Status::released) {
        if (d.status.empty() || d.status == "retrying") d.status = "skipped";
        if (d.error.empty()) d.error = r.status == worker::Status::lost ? "job lease lost" : "released at shutdown";
      } else if (d.status.empty()) {
        d.status = "sent";
      }
      if (d.error.empty() && !r.error.empty()) d.error = r.error;
      print(d, r.job->id, r.seconds);
    };

    const auto t0 = std::chrono::steady_clock::now();
    const worker::Totals totals = worker::run(ctx.database_url, ctx.tool_name, {"generate_brief_email"},
                                              o->worker, handler, reporter, sender->hooks());
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!ctx.quiet) {
      char rate_text[64];
      std::snprintf(rate_text, sizeof rate_text, "%.1f s (%.0f messages/s)", secs,
                    secs > 0 ? static_cast<double>(counts["sent"]) / secs : 0.0);
      ctx.err << ctx.tool_name << ": " << counts["sent"] << " sent, " << counts["cancelled"] << " cancelled, "
              << counts["skipped"] << " skipped, " << counts["failed"] << " failed, " << counts["retrying"]
              << " retrying in " << rate_text;
      if (sender->resent() > 0) ctx.err << "; " << sender->resent() << " resent from 'sending' (duplicate window)";
      ctx.err << "\n";
    }
    return worker::exit_status(totals);
  };
}

}  // namespace briefos::email_command
