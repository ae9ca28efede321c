// SPDX-License-Identifier: MIT
// db/bounce_store against a real PostgreSQL: matching by email id (checked
// against the quoted Message-ID) and by address, the effects of each kind,
// the soft-bounce window, and recording the same report twice.
#include "fixture.hpp"

#include <briefos/db/bounce_store.hpp>

#include <doctest/doctest.h>

using briefos::testing::TestDb;
namespace bs = briefos::db::bounce_store;

namespace {

// A user with a preference (opted in) and one sent email to `address`, id `email`.
void seed(TestDb& db, const std::string& email, const std::string& address) {
  db.exec("WITH u AS (INSERT INTO users (email, name) VALUES ('" + address + "', 'T') RETURNING id),"
          " p AS (INSERT INTO user_brief_preferences (user_id, email_daily_brief) SELECT id, true FROM u),"
          " e AS (INSERT INTO emails (id, subject, from_email, from_name, status, created_by, message_id, sent_at)"
          "       SELECT '" + email + "', 's', 'briefs@example.com', 'b', 'sent', id,"
          "              'briefos." + email + "@example.com', now() FROM u RETURNING id)"
          " INSERT INTO email_recipients (email_id, recipient_email, status, sent_at)"
          " SELECT id, '" + address + "', 'sent', now() FROM e");
}

bs::Notice notice(const std::string& report, bs::Kind kind, const std::string& email, const std::string& address) {
  bs::Notice n;
  n.report_id = report;
  n.kind = kind;
  n.email_id = email;
  n.message_id = email.empty() ? "" : "briefos." + email + "@example.com";
  n.address = address;
  n.status = kind == bs::Kind::complaint ? "" : "5.1.1";
  n.detail_json = R"({"kind": "test"})";
  n.summary = "5.1.1 test";
  return n;
}

bs::Recorded record(TestDb& db, const bs::Notice& n, bs::Policy p = {}) {
  briefos::db::Transaction tx{db.session()};
  auto r = bs::record(tx, n, p);
  tx.commit();
  return r;
}

const std::string e1 = "0b0a0000-0000-4000-8000-00000000000a";
const std::string e2 = "0b0b0000-0000-4000-8000-00000000000b";

}  // namespace

TEST_CASE("bounce_store::a hard bounce suppresses, bounces the recipient, once") {
  TestDb db;
  seed(db, e1, "gone@example.org");
  auto r = record(db, notice("<r1@mx>", bs::Kind::hard_bounce, e1, "Gone@Example.org"));
  CHECK(r.state == bs::State::recorded);
  CHECK(r.email_id == e1);
  CHECK(r.address == "gone@example.org");
  CHECK(r.suppressed);
  CHECK(db.scalar("SELECT reason FROM email_suppressions WHERE email = 'gone@example.org'") == "hard_bounce");
  CHECK(db.scalar("SELECT status FROM email_recipients") == "bounced");
  CHECK(db.scalar("SELECT count(*) FROM email_tracking_events WHERE event_type = 'bounced'") == "1");
  r = record(db, notice("<r1@mx>", bs::Kind::hard_bounce, e1, "gone@example.org"));
  CHECK(r.state == bs::State::duplicate);
  CHECK(db.scalar("SELECT count(*) FROM email_tracking_events") == "1");
  CHECK(db.scalar("SELECT count(*) FROM email_bounce_reports") == "1");
}

TEST_CASE("bounce_store::a quoted Message-ID that is not the email's is unmatched") {
  TestDb db;
  seed(db, e1, "gone@example.org");
  auto n = notice("<r1@mx>", bs::Kind::hard_bounce, e1, "gone@example.org");
  n.message_id = "briefos." + e1 + "@other.example";
  auto r = record(db, n);
  CHECK(r.state == bs::State::unmatched);
  CHECK(r.why.find("no email with Message-ID") != std::string::npos);
  n = notice("<r2@mx>", bs::Kind::hard_bounce, "", "gone@example.org");
  n.message_id = "ticket-1@helpdesk.example";
  r = record(db, n);
  CHECK(r.state == bs::State::unmatched);
  CHECK(r.why.find("not an email of ours") != std::string::npos);
  r = record(db, notice("<r3@mx>", bs::Kind::hard_bounce, e2, "gone@example.org"));
  CHECK(r.state == bs::State::unmatched);
  CHECK(db.scalar("SELECT count(*) FROM email_suppressions") == "0");
  CHECK(db.scalar("SELECT count(*) FROM email_bounce_reports") == "0");
}

TEST_CASE("bounce_store::without a quoted original, the last email sent to the address") {
  TestDb db;
  seed(db, e1, "full@example.org");
  auto r = record(db, notice("<r1@mx>", bs::Kind::soft_bounce, "", "FULL@example.org"));
  CHECK(r.state == bs::State::recorded);
  CHECK(r.email_id == e1);
  r = record(db, notice("<r2@mx>", bs::Kind::soft_bounce, "", "nobody@example.org"));
  CHECK(r.state == bs::State::unmatched);
}

TEST_CASE("bounce_store::soft bounces suppress at the limit, within the window only") {
  TestDb db;
  seed(db, e1, "full@example.org");
  const bs::Policy p{2, std::chrono::hours(24)};
  auto r = record(db, notice("<s1@mx>", bs::Kind::soft_bounce, e1, "full@example.org"), p);
  CHECK(r.soft_count == 1);
  CHECK_FALSE(r.suppressed);
  CHECK(db.scalar("SELECT status FROM email_recipients") == "sent");
  // One outside the window does not count.
  db.exec("UPDATE email_bounce_reports SET recorded_at = now() - interval '2 days'");
  r = record(db, notice("<s2@mx>", bs::Kind::soft_bounce, e1, "full@example.org"), p);
  CHECK(r.soft_count == 1);
  CHECK_FALSE(r.suppressed);
  r = record(db, notice("<s3@mx>", bs::Kind::soft_bounce, e1, "full@example.org"), p);
  CHECK(r.soft_count == 2);
  CHECK(r.suppressed);
  CHECK(db.scalar("SELECT reason FROM email_suppressions") == "soft_bounce");
  CHECK(db.scalar("SELECT count(*) FROM email_tracking_events WHERE event_type = 'bounced'") == "3");
  // A limit of 0 never suppresses.
  TestDb db2;
  seed(db2, e2, "x@example.org");
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(record(db2, notice("<z" + std::to_string(i) + ">", bs::Kind::soft_bounce, e2, "x@example.org"),
                       bs::Policy{0, std::chrono::hours(24)})
                    .suppressed);
  }
  CHECK(db2.scalar("SELECT count(*) FROM email_suppressions") == "0");
}

TEST_CASE("bounce_store::a complaint suppresses and opts the user out, an existing reason stays") {
  TestDb db;
  seed(db, e1, "angry@example.org");
  db.exec("INSERT INTO email_suppressions (email, reason) VALUES ('angry@example.org', 'manual')");
  auto r = record(db, notice("<c1@fbl>", bs::Kind::complaint, e1, "angry@example.org"));
  CHECK(r.state == bs::State::recorded);
  CHECK_FALSE(r.suppressed);  // already suppressed: the first reason stays
  CHECK(r.opted_out);
  CHECK(db.scalar("SELECT reason FROM email_suppressions") == "manual");
  CHECK(db.scalar("SELECT email_daily_brief FROM user_brief_preferences") == "f");
  CHECK(db.scalar("SELECT event_type FROM email_tracking_events") == "complained");
  CHECK(db.scalar("SELECT status FROM email_recipients") == "sent");
}
