// SPDX-License-Identifier: MIT
#pragma once

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

namespace briefos::db::email_store {

// Register the prepared statements of this module on `cx` (cheap to call
// again: libpqxx ignores an identical redefinition).
void prepare(pqxx::connection_base& cx);

// One email with everything deciding whether and how it is sent.
struct EmailRow {
  std::string id;
  std::string status;  // pending, sending, sent, failed, cancelled, ...
  std::string subject;
  std::string from_email;
  std::string from_name;
  std::optional<std::string> reply_to;
  bool tracking_enabled = true;
  std::string tracking_id;
  std::string created_by;
  std::string category;
  nlohmann::json template_data = nlohmann::json::object();
  std::optional<std::string> message_id;
  std::optional<std::string> subject_variant;
  // The first recipient (daily-brief emails have exactly one).
  long long recipient_count = 0;
  std::optional<std::string> recipient_id;
  std::optional<std::string> recipient_email;
  std::optional<std::string> recipient_name;
  std::optional<std::string> unsubscribe_token;
  // The user and their preferences (absent when the rows are gone).
  bool user_exists = false;
  std::optional<bool> email_daily_brief;
  std::optional<bool> is_active;
  // The brief named by template_data.brief_id, if it still exists.
  std::optional<std::string> brief_id;
  std::optional<std::string> brief_date;
  std::string markdown;  // llm_analysis when non-blank, else summary_content
  // Reason the recipient address is suppressed, if it is.
  std::optional<std::string> suppressed;
  // Set by begin_send(): the row is now 'sending' (`status` still holds
  // the status it had before), with `message_id` as stored.
  bool marked_sending = false;
};

// Read email `id` (a uuid) with its recipient, user preferences, brief and
// suppression; with `lock`, lock the email row (FOR UPDATE) so two workers
// can never decide about the same email at once. nullopt if there is no
// such email.
std::optional<EmailRow> load_email(pqxx::transaction_base& tx, const std::string& id, bool lock);

// The fast path of a send, in one statement meant for an autocommit
// (nontransaction) `tx`: lock and read email `id` like load_email(), and if
// it can be sent now, mark it and its recipient 'sending' with its
// Message-ID (kept when already stored, else briefos.<id>@<domain> with
// `message_id_domain`, or the From address's domain when that is nullopt)
// and `subject_variant`; then `marked_sending` is true. Otherwise nothing
// changes and the caller decides under a transaction. nullopt: no such
// email.
std::optional<EmailRow> begin_send(pqxx::transaction_base& tx,
                                   const std::string& id,
                                   const std::optional<std::string>& message_id_domain,
                                   const std::optional<std::string>& subject_variant);

// begin_send() for many emails in one statement: `emails` holds each
// email's id and subject variant. Returns a row per existing email (in no
// particular order), `marked_sending` set on those now 'sending'; the others
// are untouched, for the caller's transactional path. Invalid ids are
// skipped.
std::vector<EmailRow> begin_send_many(pqxx::transaction_base& tx,
                                     const std::vector<std::pair<std::string, std::optional<std::string>>>& emails,
                                     const std::optional<std::string>& message_id_domain);

// One accepted delivery to record with finish_sent_many().
struct SentRecord {
  std::string email_id;
  std::string message_id;
  nlohmann::json event_data;
  long long job_id = 0;
  int attempts = 0;
  nlohmann::json result;
};

// finish_sent() for a group of deliveries in one statement (run it on an
// autocommit `tx`): every email is recorded as sent; the jobs still held by
// `worker_id` in their attempt are completed. Returns the ids of the jobs
// completed (a job missing from it lost its lease).
std::vector<long long> finish_sent_many(pqxx::transaction_base& tx,
                                        const std::vector<SentRecord>& sent,
                                        const std::string& worker_id);

// Emails `ids` that begin_send_many() marked and that were then not handed
// over: 'sending' -> 'pending' (email and recipients). Rows in any other
// status are left alone.
void revert_sending(pqxx::transaction_base& tx, const std::vector<std::string>& ids);

// pending -> sending, storing the Message-ID and subject variant first, so a
// crash after the server accepted leaves a row that says "maybe sent".
void mark_sending(pqxx::transaction_base& tx,
                  const std::string& id,
                  const std::string& message_id,
                  const std::optional<std::string>& subject_variant);

// -> sent: sent_at, recipients sent, one 'sent' tracking event per
// recipient with `event_data`.
void mark_sent(pqxx::transaction_base& tx,
               const std::string& id,
               const std::string& message_id,
               const nlohmann::json& event_data);

// mark_sent() and the completion of job `job_id` (held by `worker_id` in
// attempt `attempts`, as queue::complete() checks) with `result`, in one
// statement: run it on an autocommit (nontransaction) `tx` and the delivery
// is recorded in one round trip. The email is recorded as sent either way;
// returns false if the job was no longer held (lease lost).
bool finish_sent(pqxx::transaction_base& tx,
                 const std::string& id,
                 const std::string& message_id,
                 const nlohmann::json& event_data,
                 long long job_id,
                 const std::string& worker_id,
                 int attempts,
                 const nlohmann::json& result);

// -> pending again after a transient failure, the error noted on the email
// and its recipients.
void mark_retry(pqxx::transaction_base& tx, const std::string& id, const std::string& error);

// -> failed with `error`; recipients 'bounced' (and their addresses added to
// email_suppressions as hard_bounce) when `bounced`, else 'failed'; one
// 'failed' tracking event per recipient.
void mark_failed(pqxx::transaction_base& tx,
                 const std::string& id,
                 const std::string& error,
                 bool bounced,
                 const nlohmann::json& event_data);

// -> cancelled with `reason` on the email and its recipients, and a
// 'cancelled' tracking event.
void mark_cancelled(pqxx::transaction_base& tx, const std::string& id, const std::string& reason);

// NOTIFY briefos_events with `payload` (delivered when `tx` commits).
void notify_event(pqxx::transaction_base& tx, const nlohmann::json& payload);

// A pending generate_brief_email job and the email it sends.
struct PendingJob {
  long long job_id = 0;
  std::string email_id;
};

// The pending jobs of `email_ids` (found by their dedup key
// "email-<id>"), in no particular order; ids with no pending job are
// simply absent.
std::vector<PendingJob> pending_jobs_for(pqxx::transaction_base& tx,
                                         const std::vector<std::string>& email_ids);

// Up to `limit` due pending email jobs in claim order (for --dry-run, which
// claims nothing).
std::vector<PendingJob> due_jobs(pqxx::transaction_base& tx, int limit);

// A brief for --preview: the brief and its user, and the newest daily-brief
// email made for it, if any.
struct BriefRow {
  std::string id;
  std::string user_id;
  std::string brief_date;
  std::string markdown;
  std::string user_email;
  std::optional<std::string> user_name;
  nlohmann::json metadata = nlohmann::json::object();
  std::optional<std::string> email_id;
};
std::optional<BriefRow> load_brief(pqxx::transaction_base& tx, const std::string& brief_id);

// True if `s` is a canonical textual uuid.
bool is_uuid(const std::string& s);

}  // namespace briefos::db::email_store
