// SPDX-License-Identifier: MIT
//
// The SQL of briefos-email's operator commands (email_admin.hpp). Values are
// bound; the email job's type, key and priority come from jobs::email_job.
#include "briefos/db/email_admin.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/sql.hpp"
#include "briefos/error.hpp"
#include "briefos/jobs.hpp"
#include "briefos/util/text.hpp"

#include <pqxx/pqxx>

namespace briefos::db::email_admin {

namespace {

constexpr const char* iso = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

Suppression suppression_of(const pqxx::row& row) {
  Suppression s;
  s.address = row["email"].as<std::string>();
  s.reason = row["reason"].as<std::string>();
  s.detail = opt_text(row["detail"]);
  s.created_at = row["created_at"].as<std::string>();
  return s;
}

}  // namespace

std::optional<std::string> brief_email_of(Transaction& tx, const std::string& user_id, const std::string& brief_date) {
  const pqxx::result res = detail::tx(tx).exec_params(R"SQL(
SELECT e.id FROM daily_briefs b
  JOIN emails e ON e.category = 'daily_brief' AND e.template_data->>'brief_id' = b.id::text
 WHERE b.user_id = $1::uuid AND b.brief_date = $2::date AND e.resent_from IS NULL
 ORDER BY e.created_at DESC, e.id LIMIT 1
)SQL",
                                                      user_id, brief_date);
  if (res.empty()) return std::nullopt;
  return res[0][0].as<std::string>();
}

std::optional<ActiveResend> lock_and_find_resend(Transaction& tx, const std::string& original) {
  auto& t = detail::tx(tx);
  t.exec_params("SELECT 1 FROM emails WHERE id = $1::uuid FOR UPDATE", original);
  const pqxx::result res = t.exec_params(R"SQL(
SELECT e.id, e.status,
       (SELECT q.id FROM queue_jobs q
         WHERE q.dedup_key = $2 || e.id::text AND q.job_type = $3
           AND q.status IN ('pending', 'processing')
         ORDER BY q.id DESC LIMIT 1) AS job_id
  FROM emails e
 WHERE e.resent_from = $1::uuid AND e.status IN ('pending', 'sending')
 ORDER BY e.created_at DESC, e.id LIMIT 1
)SQL",
                                         original, jobs::email_key(""), jobs::email_type);
  if (res.empty()) return std::nullopt;
  ActiveResend a;
  a.email_id = res[0]["id"].as<std::string>();
  a.status = res[0]["status"].as<std::string>();
  if (!res[0]["job_id"].is_null()) a.job_id = res[0]["job_id"].as<long long>();
  return a;
}

Resent resend(Transaction& tx, const std::string& original, const std::string& user_id,
              const std::string& brief_id, bool forced) {
  // The job's rules from their one home; the function fills in the new
  // email's id (metadata and key) as jobs::email_job would.
  const queue::NewJob shape = jobs::email_job("", user_id, brief_id);
  const pqxx::result res = detail::tx(tx).exec_params(
      "SELECT email_id, job_id FROM briefos_resend_email($1::uuid, $2::boolean, $3, $4, $5, $6)", original, forced,
      shape.type, jobs::email_key(""), shape.priority, shape.max_attempts);
  if (res.empty()) {
    throw Error("email " + original + " cannot be resent: it is not a daily-brief email of an existing user");
  }
  Resent r;
  r.email_id = res[0]["email_id"].as<std::string>();
  r.job_id = res[0]["job_id"].as<long long>();
  return r;
}

Suppressed suppress(Transaction& tx, const std::string& address, const std::string& reason,
                    const std::optional<std::string>& detail_text) {
  auto& t = detail::tx(tx);
  const std::string a = util::lower(address);
  pqxx::result res = t.exec_params(std::string("INSERT INTO email_suppressions (email, reason, detail) "
                                               "VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING "
                                               "RETURNING email, reason, detail, ")
                                       + iso + " AS created_at",
                                   a, reason, detail_text);
  Suppressed s;
  s.added = !res.empty();
  if (res.empty()) {
    res = t.exec_params(std::string("SELECT email, reason, detail, ") + iso
                            + " AS created_at FROM email_suppressions WHERE email = $1",
                        a);
  }
  // Absent only if a concurrent unsuppress removed it between the two
  // statements: report the request as made.
  if (res.empty()) {
    s.entry = {a, reason, detail_text, ""};
  } else {
    s.entry = suppression_of(res[0]);
  }
  return s;
}

std::optional<Suppression> unsuppress(Transaction& tx, const std::string& address) {
  const pqxx::result res = detail::tx(tx).exec_params(
      std::string("DELETE FROM email_suppressions WHERE email = $1 RETURNING email, reason, detail, ") + iso
          + " AS created_at",
      util::lower(address));
  if (res.empty()) return std::nullopt;
  return suppression_of(res[0]);
}

std::vector<Suppression> suppressions(Transaction& tx, const ListFilter& f) {
  const pqxx::result res = detail::tx(tx).exec_params(
      std::string("SELECT email, reason, detail, ") + iso + " AS created_at FROM email_suppressions"
          " WHERE ($1::text IS NULL OR reason = $1)"
          "   AND ($2::bigint IS NULL OR created_at >= now() - $2::bigint * interval '1 second')"
          "   AND ($3::timestamptz IS NULL OR created_at >= $3::timestamptz)"
          " ORDER BY created_at DESC, email",
      f.reason, f.since_seconds_ago, f.since);
  std::vector<Suppression> out;
  for (const auto& row : res) out.push_back(suppression_of(row));
  return out;
}

UnsubscribeResult unsubscribe(Transaction& tx, const std::string& token) {
  const pqxx::result res = detail::tx(tx).exec_params(
      "SELECT outcome, email_id, user_id, address FROM briefos_unsubscribe($1)", token);
  UnsubscribeResult r;
  const std::string outcome = res.empty() ? "unknown_token" : res[0]["outcome"].as<std::string>();
  r.outcome = outcome == "unsubscribed"           ? Unsubscribed::unsubscribed
              : outcome == "already_unsubscribed" ? Unsubscribed::already
                                                  : Unsubscribed::unknown_token;
  if (!res.empty()) {
    r.email_id = opt_text(res[0]["email_id"]);
    r.user_id = opt_text(res[0]["user_id"]);
    r.address = opt_text(res[0]["address"]);
  }
  return r;
}

}  // namespace briefos::db::email_admin
