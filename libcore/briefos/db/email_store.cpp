// SPDX-License-Identifier: MIT
//
// Every SQL statement of briefos-email.
//
// The email row is the single source of truth about a delivery. Its status
// moves pending -> sending -> sent | failed | cancelled, and each move updates
// the recipients in the same statement (BuildOS left recipients 'pending' on
// cancelled emails), so "recipients in step" holds after every commit, not
// just eventually. The statements that run once per message are prepared per
// connection; the rest are plain parameterised statements. Values are always
// bound parameters: the sendable statuses and the recipient count come from
// delivery::, the email job's type and dedup key from jobs::.
//
// The hot path is two autocommit statements per group of messages, one that
// marks the group 'sending' (begin_send_many) and one that records it 'sent'
// with its jobs completed (record_sent_many); a single message is a group of
// one. Everything else runs once per failure, cancellation or look-up.
#include "briefos/db/email_store.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/queue_sql.hpp"
#include "briefos/db/detail/sql.hpp"
#include "briefos/jobs.hpp"
#include "briefos/util/text.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <cctype>
#include <map>

namespace briefos::db::email_store {

namespace {

constexpr const char* load_sql = R"SQL(
SELECT e.id, e.status, e.subject, e.from_email, e.from_name, e.reply_to,
       e.tracking_enabled, e.tracking_id, e.created_by, e.category,
       e.template_data::text AS template_data, e.message_id, e.subject_variant,
       COALESCE(r.recipient_count, 0) AS recipient_count,
       r.id AS recipient_id, r.recipient_email, r.recipient_name, r.unsubscribe_token,
       u.id IS NOT NULL AS user_exists, u.email AS user_email, u.name AS user_name,
       -- A resend forced by an operator (resend --force, migration 0010)
       -- goes out despite the opt-out and the suppression list.
       CASE WHEN e.forced THEN true ELSE p.email_daily_brief END AS email_daily_brief, p.is_active,
       b.id AS brief_id, b.brief_date::text AS brief_date,
       b.summary_content AS markdown, b.llm_analysis AS analysis,
       CASE WHEN e.forced THEN NULL ELSE s.reason END AS suppressed
  FROM emails e
  LEFT JOIN LATERAL (SELECT r.*, count(*) OVER () AS recipient_count
                       FROM email_recipients r
                      WHERE r.email_id = e.id
                      ORDER BY r.created_at, r.id LIMIT 1) r ON true
  LEFT JOIN users u ON u.id = e.created_by
  LEFT JOIN user_brief_preferences p ON p.user_id = e.created_by
  LEFT JOIN daily_briefs b
         ON b.id = CASE WHEN e.template_data->>'brief_id'
                             ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                        THEN (e.template_data->>'brief_id')::uuid END
  LEFT JOIN email_suppressions s ON s.email = lower(COALESCE(u.email, r.recipient_email))
 WHERE e.id = $1::uuid
)SQL";

constexpr const char* mark_sending_sql = R"SQL(
WITH r AS (
  UPDATE email_recipients SET status = 'sending'
   WHERE email_id = $1::uuid AND status IN ('pending', 'sending', 'failed')
)
UPDATE emails SET status = 'sending', message_id = $2, subject_variant = $3
 WHERE id = $1::uuid
)SQL";

// The common case in one autocommit statement (one round trip instead of
// four per message): lock and read every email of $1 (a JSON array of
// {"id", "variant"}), and mark those that are sendable, with their
// recipient, 'sending' with the Message-ID. "go" applies delivery::decide()'s
// send verdict: a status of delivery::sendable_statuses ($3), user present,
// brief present, opted in, active, address not suppressed, and
// delivery::recipients_per_email ($4) recipients whose address is still the
// user's (a changed address takes the transactional path, which updates the
// recipient). The CTE "cur" sees the rows
// as they were, so the caller can tell a first send from a resend. Anything
// else is left untouched for the caller's slower, transactional path. The
// Message-ID formula is mime::message_id_for's: briefos.<id>@<domain>. Rows
// are locked in id order, so two groups can never deadlock on each other.
constexpr const char* begin_send_many_head = R"SQL(
WITH want AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS w(id uuid, variant text)
), cur AS (
)SQL";
constexpr const char* begin_send_many_tail = R"SQL(
), go AS (
  SELECT cur.id, want.variant FROM cur JOIN want ON want.id = cur.id
   WHERE cur.status = ANY($3::text[]) AND cur.user_exists AND cur.brief_id IS NOT NULL
     AND COALESCE(cur.email_daily_brief, false) AND COALESCE(cur.is_active, false)
     AND cur.suppressed IS NULL AND cur.recipient_count = $4::bigint
     AND cur.user_email = cur.recipient_email
), r AS (
  UPDATE email_recipients SET status = 'sending'
   WHERE email_id IN (SELECT id FROM go) AND status IN ('pending', 'sending', 'failed')
), m AS (
  UPDATE emails
     SET status = 'sending', subject_variant = go.variant,
         message_id = COALESCE(emails.message_id,
                               'briefos.' || emails.id || '@'
                               || COALESCE($2, split_part(emails.from_email, '@', 2)))
    FROM go
   WHERE emails.id = go.id
  RETURNING emails.id, emails.message_id
)
SELECT cur.*, m.message_id AS marked_message_id FROM cur LEFT JOIN m ON m.id = cur.id
)SQL";

// The deliveries of a group recorded 'sent' with their jobs completed, in
// one statement: $1 is a JSON array of {"email_id", "message_id", "event",
// "job_id", "attempts", "result"}, $2 the worker id. Every email is recorded
// as sent; the jobs still held are completed and returned. One statement is
// atomic under autocommit, so a group costs one round trip; completing the
// jobs with queue::detail::complete_each() instead would need BEGIN, a
// second statement and COMMIT per group. The final UPDATE is therefore the
// queue's own completion (queue::detail::completion_set and
// completion_fence: the same SET list, the same fencing by locked_by and
// attempts), built into this statement.
const std::string& record_sent_many_sql() {
  static const std::string sql = std::string(R"SQL(
WITH x AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS x(email_id uuid, message_id text, event jsonb, job_id bigint, attempts int, result jsonb)
), e AS (
  UPDATE emails SET status = 'sent', sent_at = now(), message_id = x.message_id, error_message = NULL,
                    smtp_reply = NULL
    FROM x WHERE emails.id = x.email_id
), r AS (
  UPDATE email_recipients SET status = 'sent', sent_at = now(), error_message = NULL, smtp_reply = NULL
    FROM x WHERE email_recipients.email_id = x.email_id
  RETURNING email_recipients.id, email_recipients.email_id
), ev AS (
  INSERT INTO email_tracking_events (email_id, recipient_id, event_type, event_data)
  SELECT r.email_id, r.id, 'sent', x.event FROM r JOIN x ON x.email_id = r.email_id
)
UPDATE queue_jobs SET )SQL") + queue::detail::completion_set("x.result")
                                 + "\n  FROM x\n WHERE queue_jobs.id = x.job_id AND "
                                 + queue::detail::completion_fence("queue_jobs", "$2", "x.attempts")
                                 + "\nRETURNING queue_jobs.id\n";
  return sql;
}

// Emails a batch marked 'sending' and then never handed over (shutdown, a
// lost lease): back to pending, so the next run is not mistaken for a
// resend. Only rows still 'sending' are touched.
constexpr const char* revert_sending_sql = R"SQL(
WITH e AS (
  UPDATE emails SET status = 'pending'
   WHERE id = ANY($1::uuid[]) AND status = 'sending'
  RETURNING id
)
UPDATE email_recipients SET status = 'pending'
 WHERE email_id IN (SELECT id FROM e) AND status = 'sending'
)SQL";

constexpr const char* mark_retry_sql = R"SQL(
WITH r AS (
  UPDATE email_recipients SET status = 'pending', error_message = $2, smtp_reply = $3::jsonb
   WHERE email_id = $1::uuid
)
UPDATE emails SET status = 'pending', error_message = $2, smtp_reply = $3::jsonb WHERE id = $1::uuid
)SQL";

// The recipient takes the user's current address, and the change is an
// event: the private brief goes to whoever the user is now.
// The copy is briefos_recipient_follow_user() (migration 0009): the role
// may not write an address of its own choosing.
constexpr const char* change_recipient_sql = R"SQL(
WITH r AS (
  SELECT $2::uuid AS id, briefos_recipient_follow_user($2::uuid) AS address
)
INSERT INTO email_tracking_events (email_id, recipient_id, event_type, event_data)
SELECT $1::uuid, r.id, 'recipient_changed', jsonb_build_object('from', $3::text, 'to', r.address)
  FROM r WHERE r.address IS NOT NULL
)SQL";

constexpr const char* mark_failed_sql = R"SQL(
WITH e AS (
  UPDATE emails SET status = 'failed', error_message = $2, smtp_reply = $5::jsonb WHERE id = $1::uuid
), r AS (
  UPDATE email_recipients
     SET status = CASE WHEN $3::boolean THEN 'bounced' ELSE 'failed' END, error_message = $2,
         smtp_reply = $5::jsonb
   WHERE email_id = $1::uuid
  RETURNING id, recipient_email
), s AS (
  INSERT INTO email_suppressions (email, reason, detail)
  SELECT DISTINCT lower(recipient_email), 'hard_bounce', $2 FROM r WHERE $3::boolean
  ON CONFLICT (email) DO NOTHING
)
INSERT INTO email_tracking_events (email_id, recipient_id, event_type, event_data)
SELECT $1::uuid, r.id, 'failed', $4::jsonb FROM r
)SQL";

constexpr const char* mark_cancelled_sql = R"SQL(
WITH e AS (
  UPDATE emails SET status = 'cancelled', error_message = $2 WHERE id = $1::uuid
), r AS (
  UPDATE email_recipients SET status = 'cancelled', error_message = $2
   WHERE email_id = $1::uuid
  RETURNING id
)
INSERT INTO email_tracking_events (email_id, recipient_id, event_type, event_data)
SELECT $1::uuid, r.id, 'cancelled', jsonb_build_object('reason', $2::text) FROM r
)SQL";

template <typename T>
std::optional<T> opt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

using util::lower;

// The prepared statements of this module (run through detail::run).
struct Statements {
  detail::Statement load, load_lock, mark_sending, begin_send_many, record_sent_many;
};

const Statements& statements() {
  static const Statements s = [] {
    std::string many_load = load_sql;
    const std::string one = "WHERE e.id = $1::uuid";
    many_load.replace(many_load.find(one), one.size(), "WHERE e.id IN (SELECT id FROM want)\n ORDER BY e.id");
    return Statements{
        {"email_load", load_sql},
        {"email_load_lock", std::string(load_sql) + " FOR UPDATE OF e"},
        {"email_mark_sending", mark_sending_sql},
        {"email_begin_send_many",
         std::string(begin_send_many_head) + many_load + " FOR UPDATE OF e" + begin_send_many_tail},
        {"email_record_sent_many", record_sent_many_sql()},
    };
  }();
  return s;
}

EmailRow parse_email(const pqxx::row& row) {
  EmailRow e;
  e.id = row["id"].as<std::string>();
  e.status = row["status"].as<std::string>();
  e.subject = row["subject"].as<std::string>();
  e.from_email = row["from_email"].as<std::string>();
  e.from_name = row["from_name"].as<std::string>();
  e.reply_to = opt<std::string>(row["reply_to"]);
  e.tracking_enabled = row["tracking_enabled"].as<bool>();
  e.tracking_id = row["tracking_id"].as<std::string>();
  e.created_by = row["created_by"].as<std::string>();
  e.category = row["category"].as<std::string>();
  e.template_data = nlohmann::json::parse(row["template_data"].as<std::string>("{}"), nullptr, false);
  if (e.template_data.is_discarded() || !e.template_data.is_object()) e.template_data = nlohmann::json::object();
  e.message_id = opt<std::string>(row["message_id"]);
  e.subject_variant = opt<std::string>(row["subject_variant"]);
  e.recipient_count = row["recipient_count"].as<long long>();
  e.recipient_id = opt<std::string>(row["recipient_id"]);
  e.recipient_email = opt<std::string>(row["recipient_email"]);
  e.recipient_name = opt<std::string>(row["recipient_name"]);
  e.unsubscribe_token = opt<std::string>(row["unsubscribe_token"]);
  e.user_exists = row["user_exists"].as<bool>();
  e.user_email = opt<std::string>(row["user_email"]);
  // The name is cosmetic: the user's current one when there is a user.
  if (e.user_exists) e.recipient_name = opt<std::string>(row["user_name"]);
  e.email_daily_brief = opt<bool>(row["email_daily_brief"]);
  e.is_active = opt<bool>(row["is_active"]);
  e.brief_id = opt<std::string>(row["brief_id"]);
  e.brief_date = opt<std::string>(row["brief_date"]);
  e.markdown = row["markdown"].as<std::string>("");
  e.analysis = row["analysis"].as<std::string>("");
  e.suppressed = opt<std::string>(row["suppressed"]);
  return e;
}

std::string json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void exec_notify(pqxx::transaction_base& tx, const nlohmann::json& payload) {
  tx.exec_params("SELECT pg_notify('briefos_events', $1)", payload.dump());
}

}  // namespace

delivery::Facts EmailRow::facts() const {
  delivery::Facts f;
  f.status = delivery::email_status(status);
  f.user_exists = user_exists;
  f.brief_exists = brief_id.has_value();
  f.email_daily_brief = email_daily_brief;
  f.is_active = is_active;
  f.suppressed = suppressed;
  f.recipient_count = recipient_count;
  f.address = user_exists ? user_email.value_or("") : recipient_email.value_or("");
  return f;
}

bool EmailRow::recipient_changed() const {
  return user_exists && recipient_id && user_email && user_email != recipient_email;
}

// --- The fast path ---

std::vector<EmailRow> begin_send_many(Session& session,
                                      const std::vector<SendRequest>& emails,
                                      const std::optional<std::string>& message_id_domain) {
  nlohmann::json want = nlohmann::json::array();
  // By the id as PostgreSQL returns it (lower case).
  std::map<std::string, std::optional<std::string>> variants;
  for (const auto& e : emails) {
    if (!util::is_uuid(e.email_id)) continue;
    want.push_back({{"id", e.email_id},
                    {"variant", e.subject_variant ? nlohmann::json(*e.subject_variant) : nlohmann::json(nullptr)}});
    variants[lower(e.email_id)] = e.subject_variant;
  }
  std::vector<EmailRow> out;
  if (want.empty()) return out;
  std::vector<std::string_view> statuses(delivery::sendable_statuses.begin(), delivery::sendable_statuses.end());
  Transaction tx{session, Transaction::Kind::autocommit};
  pqxx::transaction_base& t = detail::tx(tx);
  const pqxx::result res = detail::run(t, statements().begin_send_many, want.dump(), message_id_domain,
                                           array_literal(statuses), delivery::recipients_per_email);
  for (const auto& row : res) {
    EmailRow e = parse_email(row);
    if (const auto marked = opt<std::string>(row["marked_message_id"])) {
      e.marked_sending = true;
      e.message_id = marked;
      e.subject_variant = variants[e.id];
    }
    out.push_back(std::move(e));
  }
  tx.commit();
  return out;
}

std::optional<EmailRow> begin_send(Session& session,
                                   const SendRequest& email,
                                   const std::optional<std::string>& message_id_domain) {
  auto rows = begin_send_many(session, {email}, message_id_domain);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::vector<long long> record_sent_many(Session& session,
                                        const std::vector<SentRecord>& sent,
                                        const std::string& worker_id) {
  if (sent.empty()) return {};
  nlohmann::json x = nlohmann::json::array();
  bool notify = false;
  for (const auto& s : sent) {
    x.push_back({{"email_id", s.email_id},
                 {"message_id", s.message_id},
                 {"event", s.event_data},
                 {"job_id", s.job_id},
                 {"attempts", s.attempts},
                 {"result", s.result}});
    notify = notify || !s.notify.is_null();
  }
  // The NOTIFYs must commit with the record: then it takes a transaction;
  // else the one statement is its own.
  Transaction tx{session, notify ? Transaction::Kind::write : Transaction::Kind::autocommit};
  pqxx::transaction_base& t = detail::tx(tx);
  const pqxx::result res = detail::run(t, statements().record_sent_many, json_text(x), worker_id);
  std::vector<long long> held;
  for (const auto& row : res) held.push_back(row[0].as<long long>());
  for (const auto& s : sent) {
    if (!s.notify.is_null()) exec_notify(t, s.notify);
  }
  tx.commit();
  return held;
}

bool record_sent(Session& session, const SentRecord& sent, const std::string& worker_id) {
  return !record_sent_many(session, {sent}, worker_id).empty();
}

void revert_sending(Session& session, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  Transaction tx{session, Transaction::Kind::autocommit};
  detail::tx(tx).exec_params0(revert_sending_sql, array_literal(std::vector<std::string_view>(ids.begin(), ids.end())));
  tx.commit();
}

// --- Failures ---

void record_failed(Session& session,
                   const std::string& id,
                   const std::string& error,
                   Bounce bounce,
                   const nlohmann::json& event_data,
                   const nlohmann::json& notify) {
  in_transaction(session, [&](Transaction& tx) { mark_failed(tx, id, error, bounce, event_data, notify); });
}

void record_retry(Session& session, const std::string& id, const std::string& error, const nlohmann::json& reply) {
  in_transaction(session, [&](Transaction& tx) {
    detail::tx(tx).exec_params0(mark_retry_sql, id, error,
                                reply.is_null() ? std::optional<std::string>() : std::optional(json_text(reply)));
  });
}

// --- Parts of a unit of work ---

std::optional<EmailRow> load_email(Transaction& tx, const std::string& id, Lock lock) {
  if (!util::is_uuid(id)) return std::nullopt;
  pqxx::transaction_base& t = detail::tx(tx);
  const pqxx::result res = detail::run(t, lock == Lock::yes ? statements().load_lock : statements().load, id);
  if (res.empty()) return std::nullopt;
  return parse_email(res[0]);
}

void mark_sending(Transaction& tx,
                  const std::string& id,
                  const std::string& message_id,
                  const std::optional<std::string>& subject_variant) {
  pqxx::transaction_base& t = detail::tx(tx);
  detail::run(t, statements().mark_sending, id, message_id, subject_variant);
}

void change_recipient(Transaction& tx, EmailRow& row) {
  if (!row.recipient_changed()) return;
  detail::tx(tx).exec_params0(change_recipient_sql, row.id, *row.recipient_id, row.recipient_email);
  row.recipient_email = row.user_email;
}

void mark_cancelled(Transaction& tx, const std::string& id, const std::string& reason) {
  detail::tx(tx).exec_params0(mark_cancelled_sql, id, reason);
}

void mark_failed(Transaction& tx,
                 const std::string& id,
                 const std::string& error,
                 Bounce bounce,
                 const nlohmann::json& event_data,
                 const nlohmann::json& notify) {
  pqxx::transaction_base& t = detail::tx(tx);
  const auto reply = event_data.find("reply");
  const std::optional<std::string> reply_text =
      reply == event_data.end() || reply->is_null() ? std::nullopt : std::optional(json_text(*reply));
  t.exec_params0(mark_failed_sql, id, error, bounce == Bounce::yes, json_text(event_data), reply_text);
  if (!notify.is_null()) exec_notify(t, notify);
}

bool complete_job(Transaction& tx, const queue::Job& job, const nlohmann::json& result) {
  return queue::detail::complete(detail::tx(tx), job, result);
}

void notify_event(Transaction& tx, const nlohmann::json& payload) { exec_notify(detail::tx(tx), payload); }

// --- Look-ups ---

std::vector<PendingJob> pending_jobs_for(Transaction& tx, const std::vector<std::string>& email_ids) {
  std::map<std::string, std::string> id_of_key;
  std::vector<std::string_view> keys;
  for (const auto& id : email_ids) {
    if (!util::is_uuid(id)) continue;
    const auto [it, added] = id_of_key.emplace(jobs::email_key(id), id);
    if (added) keys.push_back(it->first);
  }
  std::vector<PendingJob> out;
  if (keys.empty()) return out;
  // The dedup key is covered by the partial unique index over active jobs,
  // so this is an index look-up per id, not a scan of metadata.
  const pqxx::result res = detail::tx(tx).exec_params(
      "SELECT id, dedup_key FROM queue_jobs "
      " WHERE dedup_key = ANY($1::text[]) AND status = 'pending' "
      "   AND job_type = $2",
      array_literal(keys), jobs::email_type);
  for (const auto& row : res) {
    out.push_back({row["id"].as<long long>(), id_of_key[row["dedup_key"].as<std::string>()]});
  }
  return out;
}

std::vector<PendingJob> due_jobs(Transaction& tx, int limit) {
  const pqxx::result res = detail::tx(tx).exec_params(
      "SELECT id, COALESCE(metadata->>'emailId', '') AS email_id FROM queue_jobs "
      " WHERE job_type = $2 AND status = 'pending' AND scheduled_for <= now() "
      " ORDER BY priority, scheduled_for, id LIMIT $1",
      limit, jobs::email_type);
  std::vector<PendingJob> out;
  for (const auto& row : res) {
    out.push_back({row["id"].as<long long>(), row["email_id"].as<std::string>()});
  }
  return out;
}

std::optional<BriefRow> load_brief(Transaction& tx, const std::string& brief_id) {
  if (!util::is_uuid(brief_id)) return std::nullopt;
  const pqxx::result res = detail::tx(tx).exec_params(R"SQL(
SELECT b.id, b.user_id, b.brief_date::text AS brief_date,
       b.summary_content AS markdown, b.llm_analysis AS analysis,
       b.metadata::text AS metadata, u.email, u.name,
       (SELECT e.id FROM emails e
         WHERE e.category = 'daily_brief' AND e.template_data->>'brief_id' = b.id::text
         ORDER BY e.created_at DESC LIMIT 1) AS email_id
  FROM daily_briefs b JOIN users u ON u.id = b.user_id
 WHERE b.id = $1::uuid
)SQL",
                                                      brief_id);
  if (res.empty()) return std::nullopt;
  const pqxx::row row = res[0];
  BriefRow b;
  b.id = row["id"].as<std::string>();
  b.user_id = row["user_id"].as<std::string>();
  b.brief_date = row["brief_date"].as<std::string>();
  b.markdown = row["markdown"].as<std::string>("");
  b.analysis = row["analysis"].as<std::string>("");
  b.metadata = nlohmann::json::parse(row["metadata"].as<std::string>("{}"), nullptr, false);
  if (b.metadata.is_discarded() || !b.metadata.is_object()) b.metadata = nlohmann::json::object();
  b.user_email = row["email"].as<std::string>();
  b.user_name = opt<std::string>(row["name"]);
  b.email_id = opt<std::string>(row["email_id"]);
  return b;
}

}  // namespace briefos::db::email_store
