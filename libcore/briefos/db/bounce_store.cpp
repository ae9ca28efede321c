// SPDX-License-Identifier: MIT
//
// The statements of `briefos-email bounces` (policy in bounce_store.hpp).
// A report is matched to one recipient row of one email, then recorded in
// email_bounce_reports first: the insert that conflicts is the second
// reading of the same report, and nothing after it runs. Addresses are
// compared and stored lower-cased, as email_suppressions keeps them.
#include "briefos/db/bounce_store.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/sql.hpp"
#include "briefos/util/text.hpp"

#include <pqxx/pqxx>

namespace briefos::db::bounce_store {

namespace {

constexpr const char* by_id_sql = R"SQL(
SELECT e.id, r.id AS recipient_id, lower(r.recipient_email) AS address, e.created_by,
       e.message_id
  FROM emails e JOIN email_recipients r ON r.email_id = e.id
 WHERE e.id = $1::uuid
 ORDER BY (lower(r.recipient_email) = lower($2)) DESC, r.created_at, r.id
 LIMIT 1
)SQL";

// A report that quotes nothing of the original: the last email sent to the
// address it names.
constexpr const char* by_address_sql = R"SQL(
SELECT e.id, r.id AS recipient_id, lower(r.recipient_email) AS address, e.created_by,
       e.message_id
  FROM email_recipients r JOIN emails e ON e.id = r.email_id
 WHERE lower(r.recipient_email) = lower($1) AND r.sent_at IS NOT NULL
 ORDER BY r.sent_at DESC, r.id
 LIMIT 1
)SQL";

constexpr const char* insert_report_sql = R"SQL(
INSERT INTO email_bounce_reports (report_id, address, kind, email_id, recipient_id, status, detail)
VALUES ($1, $2, $3, $4::uuid, $5::uuid, NULLIF($6, ''), $7::jsonb)
ON CONFLICT (report_id, address) DO NOTHING
RETURNING 1
)SQL";

constexpr const char* suppress_sql = R"SQL(
INSERT INTO email_suppressions (email, reason, detail) VALUES ($1, $2, $3)
ON CONFLICT (email) DO NOTHING
RETURNING 1
)SQL";

constexpr const char* event_sql = R"SQL(
INSERT INTO email_tracking_events (email_id, recipient_id, event_type, event_data)
VALUES ($1::uuid, $2::uuid, $3, $4::jsonb)
)SQL";

constexpr const char* bounced_sql = R"SQL(
UPDATE email_recipients SET status = 'bounced', error_message = $2 WHERE id = $1::uuid
)SQL";

constexpr const char* soft_count_sql = R"SQL(
SELECT count(*) FROM email_bounce_reports
 WHERE address = $1 AND kind = 'soft_bounce'
   AND recorded_at > now() - make_interval(hours => $2::int)
)SQL";

constexpr const char* opt_out_sql = R"SQL(
UPDATE user_brief_preferences SET email_daily_brief = false
 WHERE user_id = $1::uuid AND email_daily_brief
RETURNING 1
)SQL";

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::hard_bounce: return "hard_bounce";
    case Kind::soft_bounce: return "soft_bounce";
    case Kind::complaint: return "complaint";
  }
  return "hard_bounce";
}

struct Match {
  std::string email_id, recipient_id, address, user_id;
  std::optional<std::string> message_id;
};

std::optional<Match> match_of(const pqxx::result& res) {
  if (res.empty()) return std::nullopt;
  const auto row = res[0];
  return Match{row["id"].c_str(), row["recipient_id"].c_str(), row["address"].c_str(),
               row["created_by"].c_str(), opt_text(row["message_id"])};
}

}  // namespace

Recorded record(Transaction& t, const Notice& n, const Policy& policy) {
  auto& x = detail::tx(t);
  Recorded out;
  std::optional<Match> m;
  if (!n.email_id.empty()) {
    m = match_of(x.exec_params(by_id_sql, n.email_id, n.address));
    if (!m) {
      out.why = "no email with id " + n.email_id;
      return out;
    }
    if (!n.message_id.empty() && util::lower(m->message_id.value_or("")) != util::lower(n.message_id)) {
      out.why = "no email with Message-ID <" + n.message_id + ">";
      return out;
    }
  } else if (!n.message_id.empty()) {
    out.why = "about <" + n.message_id + ">, not an email of ours";
    return out;
  } else {
    m = match_of(x.exec_params(by_address_sql, n.address));
    if (!m) {
      out.why = "no Message-ID of ours and no email sent to " + n.address;
      return out;
    }
  }
  out.email_id = m->email_id;
  out.recipient_id = m->recipient_id;
  out.address = m->address;
  if (x.exec_params(insert_report_sql, n.report_id, m->address, kind_name(n.kind), m->email_id,
                    m->recipient_id, n.status, n.detail_json)
          .empty()) {
    out.state = State::duplicate;
    return out;
  }
  out.state = State::recorded;
  switch (n.kind) {
    case Kind::hard_bounce:
      x.exec_params(bounced_sql, m->recipient_id, n.summary);
      out.suppressed = !x.exec_params(suppress_sql, m->address, "hard_bounce", n.summary).empty();
      x.exec_params(event_sql, m->email_id, m->recipient_id, "bounced", n.detail_json);
      break;
    case Kind::soft_bounce: {
      x.exec_params(event_sql, m->email_id, m->recipient_id, "bounced", n.detail_json);
      const auto hours = static_cast<int>(policy.soft_window.count());
      out.soft_count = x.exec_params(soft_count_sql, m->address, hours)[0][0].as<long long>();
      if (policy.soft_limit > 0 && out.soft_count >= policy.soft_limit) {
        const std::string why = std::to_string(out.soft_count) + " soft bounces within "
                                + std::to_string(hours) + " h; last: " + n.summary;
        out.suppressed = !x.exec_params(suppress_sql, m->address, "soft_bounce", why).empty();
      }
      break;
    }
    case Kind::complaint:
      out.suppressed = !x.exec_params(suppress_sql, m->address, "complaint", n.summary).empty();
      out.opted_out = !x.exec_params(opt_out_sql, m->user_id).empty();
      x.exec_params(event_sql, m->email_id, m->recipient_id, "complained", n.detail_json);
      break;
  }
  return out;
}

}  // namespace briefos::db::bounce_store
