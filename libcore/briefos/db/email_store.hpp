// SPDX-License-Identifier: MIT
#pragma once

// briefos-email's database side: the email row with everything that
// decides its delivery, the statements that move it pending -> sending ->
// sent | failed | cancelled (its recipients in step), and the look-ups of
// --jobs, --dry-run and --preview. Functions on a db::Session open and
// commit their own transactions (or run one autocommit statement);
// functions on a db::Transaction are parts of a unit of work the caller
// composes (briefos-email decides under the email's row lock between them).

#include "briefos/db/queue.hpp"
#include "briefos/db/session.hpp"
#include "briefos/delivery.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace briefos::db::email_store {

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
  // The user and their preferences (absent when the rows are gone). The
  // address the email goes to is the user's as of now: `user_email`; when
  // it differs from `recipient_email`, change_recipient() brings the
  // recipient row up to date. `recipient_name` is the user's current name.
  bool user_exists = false;
  std::optional<std::string> user_email;
  std::optional<bool> email_daily_brief;
  std::optional<bool> is_active;
  // The brief named by template_data.brief_id, if it still exists.
  std::optional<std::string> brief_id;
  std::optional<std::string> brief_date;
  std::string markdown;  // summary_content: the brief, always sent
  std::string analysis;  // llm_analysis: its own section when not blank
  // Reason the recipient address is suppressed, if it is.
  std::optional<std::string> suppressed;
  // Set by begin_send(): the row is now 'sending' (`status` still holds
  // the status it had before), with `message_id` as stored.
  bool marked_sending = false;

  // What delivery::decide() needs of this row.
  delivery::Facts facts() const;
  // True when the user's current address is not the recipient's.
  bool recipient_changed() const;
};

// --- The fast path: one autocommit statement per group of messages ---

// An email to mark 'sending', with the subject variant to store.
struct SendRequest {
  std::string email_id;
  std::optional<std::string> subject_variant;
};

// In one autocommit statement: lock and read every email of `emails` (in id
// order, so two groups never deadlock), and mark those that
// delivery::decide() would send now, with their recipient, 'sending' with
// their Message-ID (kept when already stored, else briefos.<id>@<domain>
// with `message_id_domain`, or the From address's domain when that is
// nullopt) and subject variant; their `marked_sending` is set. Returns a row
// per existing email, in no particular order; the rows not marked are
// untouched, for the caller's transactional path. Invalid ids are skipped.
std::vector<EmailRow> begin_send_many(Session& session,
                                      const std::vector<SendRequest>& emails,
                                      const std::optional<std::string>& message_id_domain);

// begin_send_many() for one email; nullopt: no such email.
std::optional<EmailRow> begin_send(Session& session,
                                   const SendRequest& email,
                                   const std::optional<std::string>& message_id_domain);

// One accepted delivery to record.
struct SentRecord {
  std::string email_id;
  std::string message_id;
  nlohmann::json event_data;  // the 'sent' tracking event's data
  long long job_id = 0;
  int attempts = 0;
  nlohmann::json result;  // the job's result
  // NOTIFY briefos_events with this payload when recorded (null: none).
  nlohmann::json notify = nullptr;
};

// Record a group of accepted deliveries in one statement: every email is
// recorded 'sent' (sent_at, recipients sent, one 'sent' event per
// recipient), even when its job was lost, so whoever holds the job now finds
// 'sent'; the jobs still held by `worker_id` in their attempt are completed.
// Autocommit, or one transaction with the NOTIFYs when a record has one.
// Returns the ids of the jobs completed (a job missing from it lost its
// lease).
std::vector<long long> record_sent_many(Session& session,
                                        const std::vector<SentRecord>& sent,
                                        const std::string& worker_id);

// record_sent_many() for one delivery: false if its job was lost.
bool record_sent(Session& session, const SentRecord& sent, const std::string& worker_id);

// Emails `ids` that begin_send_many() marked and that were then not handed
// over: 'sending' -> 'pending' (email and recipients). Rows in any other
// status are left alone. Autocommit.
void revert_sending(Session& session, const std::vector<std::string>& ids);

// --- Failures, each in its own transaction ---

enum class Bounce { no, yes };

// -> failed with `error`; recipients 'bounced' (and their addresses added to
// email_suppressions as hard_bounce) with Bounce::yes, else 'failed'; one
// 'failed' tracking event per recipient with `event_data` (its "reply", when
// present, is also kept in smtp_reply of the email and recipients); NOTIFY
// briefos_events with `notify` unless it is null.
void record_failed(Session& session,
                   const std::string& id,
                   const std::string& error,
                   Bounce bounce,
                   const nlohmann::json& event_data,
                   const nlohmann::json& notify);

// -> pending again after a transient failure or a hand-back, the error and
// the relay's reply (mail::Reply::to_json(), or null) noted on the email and
// its recipients. The Message-ID stays, so the next hand-over reuses it.
void record_retry(Session& session, const std::string& id, const std::string& error,
                  const nlohmann::json& reply = nullptr);

// --- Parts of a unit of work under the email's row lock ---

enum class Lock { no, yes };

// Read email `id` (a uuid) with its recipient, user preferences, brief and
// suppression; with Lock::yes, lock the email row (FOR UPDATE) so two
// workers can never decide about the same email at once. nullopt if there
// is no such email.
std::optional<EmailRow> load_email(Transaction& tx, const std::string& id, Lock lock);

// pending -> sending, storing the Message-ID and subject variant first, so a
// crash after the server accepted leaves a row that says "maybe sent".
void mark_sending(Transaction& tx,
                  const std::string& id,
                  const std::string& message_id,
                  const std::optional<std::string>& subject_variant);

// When row.recipient_changed(): the recipient takes the user's current
// address (row updated too) and a 'recipient_changed' event records the old
// and the new one. Call only with a valid address (delivery::decide()).
void change_recipient(Transaction& tx, EmailRow& row);

// -> cancelled with `reason` on the email and its recipients, and a
// 'cancelled' tracking event.
void mark_cancelled(Transaction& tx, const std::string& id, const std::string& reason);

// record_failed() inside the caller's transaction.
void mark_failed(Transaction& tx,
                 const std::string& id,
                 const std::string& error,
                 Bounce bounce,
                 const nlohmann::json& event_data,
                 const nlohmann::json& notify);

// Complete `job` (fenced by worker and attempt, the queue's own statement)
// in the caller's transaction; false if the job was no longer held.
bool complete_job(Transaction& tx, const queue::Job& job, const nlohmann::json& result);

// NOTIFY briefos_events with `payload` (delivered when `tx` commits).
void notify_event(Transaction& tx, const nlohmann::json& payload);

// --- Look-ups for --jobs, --dry-run and --preview ---

// A pending generate_brief_email job and the email it sends.
struct PendingJob {
  long long job_id = 0;
  std::string email_id;
};

// The pending jobs of `email_ids` (found by their dedup key,
// jobs::email_key()), in no particular order; ids with no pending job are
// simply absent.
std::vector<PendingJob> pending_jobs_for(Transaction& tx, const std::vector<std::string>& email_ids);

// Up to `limit` due pending email jobs in claim order (for --dry-run, which
// claims nothing).
std::vector<PendingJob> due_jobs(Transaction& tx, int limit);

// A brief for --preview: the brief and its user, and the newest daily-brief
// email made for it, if any.
struct BriefRow {
  std::string id;
  std::string user_id;
  std::string brief_date;
  std::string markdown;  // summary_content
  std::string analysis;  // llm_analysis
  std::string user_email;
  std::optional<std::string> user_name;
  nlohmann::json metadata = nlohmann::json::object();
  std::optional<std::string> email_id;
};
std::optional<BriefRow> load_brief(Transaction& tx, const std::string& brief_id);

}  // namespace briefos::db::email_store
