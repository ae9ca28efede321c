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
// bound parameters.
#include "briefos/db/email_store.hpp"

#include "briefos/db/detail/queue_sql.hpp"

#include <map>

namespace briefos::db::email_store {

namespace {

constexpr const char* load_sql = R"SQL(
SELECT e.id, e.status, e.subject, e.from_email, e.from_name, e.reply_to,
       e.tracking_enabled, e.tracking_id, e.created_by, e.category,
       e.template_data::text AS template_data, e.message_id, e.subject_variant,
       COALESCE(r.recipient_count, 0) AS recipient_count,
       r.id AS recipient_id, r.recipient_email, r.recipient_name, r.unsubscribe_token,
       u.id IS NOT NULL AS user_exists, p.email_daily_brief, p.is_active,
       b.id AS brief_id, b.brief_date::text AS brief_date,
       COALESCE(NULLIF(btrim(b.llm_analysis), ''), b.summary_content) AS markdown,
       s.reason AS suppressed
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
  LEFT JOIN email_suppressions s ON s.email = lower(r.recipient_email)
 WHERE e.id = $1::uuid
)SQL";

// The common case in one autocommit statement (one round trip instead of
// four): lock and read the email, and when it is sendable (pending, or
// sending after a crash; user opted in and active; brief present; address
// not suppressed; exactly one recipient) mark it and its recipient
// 'sending' with the Message-ID. The CTE "cur" sees the row as it was, so
// the caller can tell a first send from a resend. Anything else is left
// untouched for the caller's slower, transactional path. The Message-ID
// formula is mime::message_id_for's: briefos.<id>@<domain>.
constexpr const char* begin_send_tail = R"SQL(
), go AS (
  SELECT id FROM cur
   WHERE status IN ('pending', 'sending') AND user_exists AND brief_id IS NOT NULL
     AND COALESCE(email_daily_brief, false) AND COALESCE(is_active, false)
     AND suppressed IS NULL AND recipient_count = 1
), r AS (
  UPDATE email_recipients SET status = 'sending'
   WHERE email_id IN (SELECT id FROM go) AND status IN ('pending', 'sending', 'failed')
), m AS (
  UPDATE emails
     SET status = 'sending', subject_variant = $3,
         message_id = COALESCE(emails.message_id,
                               'briefos.' || emails.id || '@'
                               || COALESCE($2, split_part(emails.from_email, '@', 2)))
   WHERE id IN (SELECT id FROM go)
  RETURNING message_id
)
SELECT cur.*, (SELECT message_id FROM m) AS marked_message_id FROM cur
)SQL";

constexpr const char* mark_sending_sql = R"SQL(
WITH r AS (
  UPDATE email_recipients SET status = 'sending'
   WHERE email_id = $1::uuid AND status IN ('pending', 'sending', 'failed')
)
UPDATE emails SET status = 'sending', message_id = $2, subject_variant = $3
 WHERE id = $1::uuid
)SQL";

constexpr const char* mark_sent_sql = R"SQL(
WITH e AS (
  UPDATE emails SET status = 'sent', sent_at = now(), message_id = $2, error_message = NULL
   WHERE id = $1::uuid
), r AS (
  UPDATE email_recipients SET status = 'sent', sent_at = now(), error_message = NULL
   WHERE email_id = $1::uuid
  RETURNING id
)
INSERT INTO email_tracking_events (email_id, recipient_id, event_type, event_data)
SELECT $1::uuid, r.id, 'sent', $3::jsonb FROM r
)SQL";

// mark_sent and the job's completion in one statement, so the common case
// records a delivery in one round trip (a single statement is atomic). The
// job part is queue::detail::complete()'s statement: same columns, same "still held
// by this worker in this attempt" condition. Keep the two in step.
constexpr const char* finish_sent_sql = R"SQL(
WITH e AS (
  UPDATE emails SET status = 'sent', sent_at = now(), message_id = $2, error_message = NULL
   WHERE id = $1::uuid
), r AS (
  UPDATE email_recipients SET status = 'sent', sent_at = now(), error_message = NULL
   WHERE email_id = $1::uuid
  RETURNING id
), ev AS (
  INSERT INTO email_tracking_events (email_id, recipient_id, event_type, event_data)
  SELECT $1::uuid, r.id, 'sent', $3::jsonb FROM r
), j AS (
  UPDATE queue_jobs SET status = 'completed', result = $7::jsonb, completed_at = now(),
         updated_at = now(), locked_by = NULL, locked_until = NULL
   WHERE id = $4 AND status = 'processing' AND locked_by = $5 AND attempts = $6
  RETURNING id
)
SELECT count(*) AS held FROM j
)SQL";

// begin_send for a batch: the same decision and the same writes, for every
// email of $1 (a JSON array of {"id", "variant"}) in one statement. Rows are
// locked in id order, so two batches can never deadlock on each other.
constexpr const char* begin_send_many_head = R"SQL(
WITH want AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS w(id uuid, variant text)
), cur AS (
)SQL";
constexpr const char* begin_send_many_tail = R"SQL(
), go AS (
  SELECT cur.id, want.variant FROM cur JOIN want ON want.id = cur.id
   WHERE cur.status IN ('pending', 'sending') AND cur.user_exists AND cur.brief_id IS NOT NULL
     AND COALESCE(cur.email_daily_brief, false) AND COALESCE(cur.is_active, false)
     AND cur.suppressed IS NULL AND cur.recipient_count = 1
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

// finish_sent for a group of deliveries: $1 is a JSON array of
// {"email_id", "message_id", "event", "job_id", "attempts", "result"}, $2
// the worker id. Every email is recorded as sent; the jobs still held are
// completed and returned. Keep in step with finish_sent_sql.
constexpr const char* finish_sent_many_sql = R"SQL(
WITH x AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS x(email_id uuid, message_id text, event jsonb, job_id bigint, attempts int, result jsonb)
), e AS (
  UPDATE emails SET status = 'sent', sent_at = now(), message_id = x.message_id, error_message = NULL
    FROM x WHERE emails.id = x.email_id
), r AS (
  UPDATE email_recipients SET status = 'sent', sent_at = now(), error_message = NULL
    FROM x WHERE email_recipients.email_id = x.email_id
  RETURNING email_recipients.id, email_recipients.email_id
), ev AS (
  INSERT INTO email_tracking_events (email_id, recipient_id, event_type, event_data)
  SELECT r.email_id, r.id, 'sent', x.event FROM r JOIN x ON x.email_id = r.email_id
)
UPDATE queue_jobs SET status = 'completed', result = x.result, completed_at = now(),
       updated_at = now(), locked_by = NULL, locked_until = NULL
  FROM x
 WHERE queue_jobs.id = x.job_id AND queue_jobs.status = 'processing'
   AND queue_jobs.locked_by = $2 AND queue_jobs.attempts = x.attempts
RETURNING queue_jobs.id
)SQL";

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
  UPDATE email_recipients SET status = 'pending', error_message = $2
   WHERE email_id = $1::uuid
)
UPDATE emails SET status = 'pending', error_message = $2 WHERE id = $1::uuid
)SQL";

constexpr const char* mark_failed_sql = R"SQL(
WITH e AS (
  UPDATE emails SET status = 'failed', error_message = $2 WHERE id = $1::uuid
), r AS (
  UPDATE email_recipients
     SET status = CASE WHEN $3::boolean THEN 'bounced' ELSE 'failed' END, error_message = $2
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

std::string uuid_array(const std::vector<std::string>& ids, const std::string& prefix) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += prefix + ids[i];
  }
  return out + "}";
}

}  // namespace

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

void prepare(pqxx::connection_base& cx) {
  cx.prepare("email_load", load_sql);
  cx.prepare("email_load_lock", std::string(load_sql) + " FOR UPDATE OF e");
  cx.prepare("email_begin_send",
             std::string("WITH cur AS (") + load_sql + " FOR UPDATE OF e" + begin_send_tail);
  cx.prepare("email_mark_sending", mark_sending_sql);
  cx.prepare("email_mark_sent", mark_sent_sql);
  cx.prepare("email_finish_sent", finish_sent_sql);
  std::string many_load = load_sql;
  const std::string one = "WHERE e.id = $1::uuid";
  many_load.replace(many_load.find(one), one.size(), "WHERE e.id IN (SELECT id FROM want)\n ORDER BY e.id");
  cx.prepare("email_begin_send_many",
             std::string(begin_send_many_head) + many_load + " FOR UPDATE OF e" + begin_send_many_tail);
  cx.prepare("email_finish_sent_many", finish_sent_many_sql);
}

namespace {

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
  e.email_daily_brief = opt<bool>(row["email_daily_brief"]);
  e.is_active = opt<bool>(row["is_active"]);
  e.brief_id = opt<std::string>(row["brief_id"]);
  e.brief_date = opt<std::string>(row["brief_date"]);
  e.markdown = row["markdown"].as<std::string>("");
  e.suppressed = opt<std::string>(row["suppressed"]);
  return e;
}

}  // namespace

std::optional<EmailRow> load_email(pqxx::transaction_base& tx, const std::string& id, bool lock) {
  if (!is_uuid(id)) return std::nullopt;
  prepare(tx.conn());
  const pqxx::result res = tx.exec_prepared(lock ? "email_load_lock" : "email_load", id);
  if (res.empty()) return std::nullopt;
  return parse_email(res[0]);
}

std::optional<EmailRow> begin_send(pqxx::transaction_base& tx,
                                   const std::string& id,
                                   const std::optional<std::string>& message_id_domain,
                                   const std::optional<std::string>& subject_variant) {
  if (!is_uuid(id)) return std::nullopt;
  prepare(tx.conn());
  const pqxx::result res = tx.exec_prepared("email_begin_send", id, message_id_domain, subject_variant);
  if (res.empty()) return std::nullopt;
  EmailRow e = parse_email(res[0]);
  if (const auto marked = opt<std::string>(res[0]["marked_message_id"])) {
    e.marked_sending = true;
    e.message_id = marked;
    e.subject_variant = subject_variant;
  }
  return e;
}

std::vector<EmailRow> begin_send_many(pqxx::transaction_base& tx,
                                     const std::vector<std::pair<std::string, std::optional<std::string>>>& emails,
                                     const std::optional<std::string>& message_id_domain) {
  nlohmann::json want = nlohmann::json::array();
  for (const auto& [id, variant] : emails) {
    if (!is_uuid(id)) continue;
    want.push_back({{"id", id}, {"variant", variant ? nlohmann::json(*variant) : nlohmann::json(nullptr)}});
  }
  std::vector<EmailRow> out;
  if (want.empty()) return out;
  prepare(tx.conn());
  const pqxx::result res = tx.exec_prepared("email_begin_send_many", want.dump(), message_id_domain);
  std::map<std::string, std::optional<std::string>> variants(emails.begin(), emails.end());
  for (const auto& row : res) {
    EmailRow e = parse_email(row);
    if (const auto marked = opt<std::string>(row["marked_message_id"])) {
      e.marked_sending = true;
      e.message_id = marked;
      e.subject_variant = variants[e.id];
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<long long> finish_sent_many(pqxx::transaction_base& tx,
                                        const std::vector<SentRecord>& sent,
                                        const std::string& worker_id) {
  if (sent.empty()) return {};
  nlohmann::json x = nlohmann::json::array();
  for (const auto& s : sent) {
    x.push_back({{"email_id", s.email_id},
                 {"message_id", s.message_id},
                 {"event", s.event_data},
                 {"job_id", s.job_id},
                 {"attempts", s.attempts},
                 {"result", s.result}});
  }
  prepare(tx.conn());
  const pqxx::result res = tx.exec_prepared("email_finish_sent_many",
      x.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), worker_id);
  std::vector<long long> held;
  for (const auto& row : res) held.push_back(row[0].as<long long>());
  return held;
}

void revert_sending(pqxx::transaction_base& tx, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  tx.exec_params0(revert_sending_sql, uuid_array(ids, ""));
}

void mark_sending(pqxx::transaction_base& tx,
                  const std::string& id,
                  const std::string& message_id,
                  const std::optional<std::string>& subject_variant) {
  prepare(tx.conn());
  tx.exec_prepared0("email_mark_sending", id, message_id, subject_variant);
}

void mark_sent(pqxx::transaction_base& tx,
               const std::string& id,
               const std::string& message_id,
               const nlohmann::json& event_data) {
  prepare(tx.conn());
  tx.exec_prepared0("email_mark_sent", id, message_id, event_data.dump());
}

bool finish_sent(pqxx::transaction_base& tx,
                 const std::string& id,
                 const std::string& message_id,
                 const nlohmann::json& event_data,
                 long long job_id,
                 const std::string& worker_id,
                 int attempts,
                 const nlohmann::json& result) {
  prepare(tx.conn());
  const pqxx::row row = tx.exec_prepared1("email_finish_sent", id, message_id, event_data.dump(), job_id,
                                          worker_id, attempts, result.dump());
  return row["held"].as<long long>() == 1;
}

void mark_retry(pqxx::transaction_base& tx, const std::string& id, const std::string& error) {
  tx.exec_params0(mark_retry_sql, id, error);
}

void mark_failed(pqxx::transaction_base& tx,
                 const std::string& id,
                 const std::string& error,
                 bool bounced,
                 const nlohmann::json& event_data) {
  tx.exec_params0(mark_failed_sql, id, error, bounced, event_data.dump());
}

void mark_cancelled(pqxx::transaction_base& tx, const std::string& id, const std::string& reason) {
  tx.exec_params0(mark_cancelled_sql, id, reason);
}

void notify_event(pqxx::transaction_base& tx, const nlohmann::json& payload) {
  tx.exec_params("SELECT pg_notify('briefos_events', $1)", payload.dump());
}

std::vector<PendingJob> pending_jobs_for(pqxx::transaction_base& tx,
                                         const std::vector<std::string>& email_ids) {
  std::vector<std::string> valid;
  for (const auto& id : email_ids) {
    if (is_uuid(id)) valid.push_back(id);
  }
  std::vector<PendingJob> out;
  if (valid.empty()) return out;
  // The dedup key "email-<id>" is covered by the partial unique index over
  // active jobs, so this is an index look-up per id, not a scan of metadata.
  const pqxx::result res = tx.exec_params(
      "SELECT id, substr(dedup_key, 7) AS email_id FROM queue_jobs "
      " WHERE dedup_key = ANY($1::text[]) AND status = 'pending' "
      "   AND job_type = 'generate_brief_email'",
      uuid_array(valid, "email-"));
  for (const auto& row : res) {
    out.push_back({row["id"].as<long long>(), row["email_id"].as<std::string>()});
  }
  return out;
}

std::vector<PendingJob> due_jobs(pqxx::transaction_base& tx, int limit) {
  const pqxx::result res = tx.exec_params(
      "SELECT id, COALESCE(metadata->>'emailId', '') AS email_id FROM queue_jobs "
      " WHERE job_type = 'generate_brief_email' AND status = 'pending' AND scheduled_for <= now() "
      " ORDER BY priority, scheduled_for, id LIMIT $1",
      limit);
  std::vector<PendingJob> out;
  for (const auto& row : res) {
    out.push_back({row["id"].as<long long>(), row["email_id"].as<std::string>()});
  }
  return out;
}

std::optional<BriefRow> load_brief(pqxx::transaction_base& tx, const std::string& brief_id) {
  if (!is_uuid(brief_id)) return std::nullopt;
  const pqxx::result res = tx.exec_params(R"SQL(
SELECT b.id, b.user_id, b.brief_date::text AS brief_date,
       COALESCE(NULLIF(btrim(b.llm_analysis), ''), b.summary_content) AS markdown,
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
  b.metadata = nlohmann::json::parse(row["metadata"].as<std::string>("{}"), nullptr, false);
  if (b.metadata.is_discarded() || !b.metadata.is_object()) b.metadata = nlohmann::json::object();
  b.user_email = row["email"].as<std::string>();
  b.user_name = opt<std::string>(row["name"]);
  b.email_id = opt<std::string>(row["email_id"]);
  return b;
}

}  // namespace briefos::db::email_store
