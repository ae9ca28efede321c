// SPDX-License-Identifier: MIT
// db/email_admin (briefos-email's operator commands) against a real
// PostgreSQL: the resend's email and job in the shape of jobs::email_job,
// the suppression list, and briefos_unsubscribe's idempotence, each change
// run twice.
#include "fixture.hpp"

#include <briefos/db/email_admin.hpp>
#include <briefos/db/email_store.hpp>
#include <briefos/jobs.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using briefos::testing::TestDb;
namespace ea = briefos::db::email_admin;
namespace store = briefos::db::email_store;
namespace db = briefos::db;
namespace jobs = briefos::jobs;

namespace {

// One seeded user with a brief, its pending email and job (email_seed.sql).
void seed(TestDb& t, const std::string& prefix) {
  std::ifstream in(std::string(BRIEFOS_SOURCE_DIR) + "/tests/cli/email_seed.sql");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string sql = ss.str();
  for (std::size_t p; (p = sql.find(":'prefix'")) != std::string::npos;) sql.replace(p, 9, "'" + prefix + "'");
  for (std::size_t p; (p = sql.find(":count")) != std::string::npos;) sql.replace(p, 6, "1");
  t.exec(sql);
}

std::string email_of(TestDb& t, const std::string& address) {
  return t.scalar("SELECT e.id FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email = '" + address
                  + "' AND e.resent_from IS NULL");
}

}  // namespace

TEST_CASE("email_admin::resend: a copy to the user's current address, linked, with the email job's exact shape") {
  TestDb t;
  seed(t, "rs");
  const std::string orig = email_of(t, "rs1@example.org");
  const std::string user = t.scalar("SELECT created_by FROM emails WHERE id = '" + orig + "'");
  const std::string brief = t.scalar("SELECT template_data->>'brief_id' FROM emails WHERE id = '" + orig + "'");
  t.exec("UPDATE users SET email = 'moved@example.org' WHERE id = '" + user + "'");

  db::Transaction tx{t.session()};
  CHECK_FALSE(ea::lock_and_find_resend(tx, orig));
  const ea::Resent r = ea::resend(tx, orig, user, brief, false);
  const auto active = ea::lock_and_find_resend(tx, orig);
  REQUIRE(active);
  CHECK(active->email_id == r.email_id);
  CHECK(active->job_id == r.job_id);
  tx.commit();

  CHECK(t.scalar("SELECT resent_from::text || ',' || forced::text || ',' || status FROM emails WHERE id = '"
                 + r.email_id + "'")
        == orig + ",false,pending");
  CHECK(t.scalar("SELECT recipient_email FROM email_recipients WHERE email_id = '" + r.email_id + "'")
        == "moved@example.org");
  CHECK(t.scalar("SELECT subject FROM emails WHERE id = '" + r.email_id + "'")
        == t.scalar("SELECT subject FROM emails WHERE id = '" + orig + "'"));
  CHECK(t.scalar("SELECT count(*) FROM email_recipients WHERE unsubscribe_token = (SELECT unsubscribe_token "
                 "FROM email_recipients WHERE email_id = '" + orig + "')")
        == "1");
  // The job is exactly what jobs::email_job makes for the new email.
  const auto want = jobs::email_job(r.email_id, user, brief);
  const pqxx::result job = t.exec("SELECT job_type::text, user_id::text, metadata::text, priority, max_attempts, "
                                  "dedup_key, status FROM queue_jobs WHERE id = " + std::to_string(r.job_id));
  REQUIRE(job.size() == 1);
  CHECK(job[0][0].as<std::string>() == want.type);
  CHECK(job[0][1].as<std::string>() == *want.user_id);
  CHECK(nlohmann::json::parse(job[0][2].as<std::string>()) == want.metadata);
  CHECK(job[0][3].as<int>() == want.priority);
  CHECK(job[0][4].as<int>() == want.max_attempts);
  CHECK(job[0][5].as<std::string>() == *want.dedup_key);
  CHECK(job[0][6].as<std::string>() == "pending");
}

TEST_CASE("email_admin::resend: brief_email_of finds the original, not a resend, a forced resend ignores suppression") {
  TestDb t;
  seed(t, "rb");
  const std::string orig = email_of(t, "rb1@example.org");
  const std::string user = t.scalar("SELECT created_by FROM emails WHERE id = '" + orig + "'");
  const std::string brief = t.scalar("SELECT template_data->>'brief_id' FROM emails WHERE id = '" + orig + "'");
  t.exec("INSERT INTO email_suppressions (email, reason) VALUES ('rb1@example.org', 'manual')");
  std::string forced;
  {
    db::Transaction tx{t.session()};
    CHECK(ea::brief_email_of(tx, user, "2025-10-01") == orig);
    CHECK_FALSE(ea::brief_email_of(tx, user, "2025-10-02"));
    forced = ea::resend(tx, orig, user, brief, true).email_id;
    CHECK(ea::brief_email_of(tx, user, "2025-10-01") == orig);
    tx.commit();
  }
  db::Transaction tx{t.session(), db::Transaction::Kind::read_only};
  const auto plain = store::load_email(tx, orig, store::Lock::no);
  const auto row = store::load_email(tx, forced, store::Lock::no);
  REQUIRE(plain);
  REQUIRE(row);
  CHECK(plain->suppressed == std::optional<std::string>("manual"));
  CHECK_FALSE(row->suppressed);
}

TEST_CASE("email_admin::resend: not a daily-brief email is refused") {
  TestDb t;
  seed(t, "rn");
  const std::string orig = email_of(t, "rn1@example.org");
  t.exec("UPDATE emails SET category = 'general' WHERE id = '" + orig + "'");
  db::Transaction tx{t.session()};
  CHECK_THROWS_AS(ea::resend(tx, orig, "00000000-0000-4000-8000-000000000000", "x", false), briefos::Error);
}

TEST_CASE("email_admin::suppress, unsuppress and the listing: idempotent, lower-cased, filtered") {
  TestDb t;
  {
    db::Transaction tx{t.session()};
    const auto a = ea::suppress(tx, "Some@Example.ORG", "manual", std::string("phone"));
    CHECK(a.added);
    CHECK(a.entry.address == "some@example.org");
    const auto b = ea::suppress(tx, "some@example.org", "complaint", std::nullopt);
    CHECK_FALSE(b.added);
    CHECK(b.entry.reason == "manual");
    CHECK(b.entry.detail == std::optional<std::string>("phone"));
    ea::suppress(tx, "old@example.org", "hard_bounce", std::nullopt);
    tx.commit();
  }
  t.exec("UPDATE email_suppressions SET created_at = now() - interval '3 days' WHERE email = 'old@example.org'");
  db::Transaction tx{t.session()};
  CHECK(ea::suppressions(tx, {}).size() == 2);
  CHECK(ea::suppressions(tx, {}).front().address == "some@example.org");
  ea::ListFilter recent;
  recent.since_seconds_ago = 86400;
  REQUIRE(ea::suppressions(tx, recent).size() == 1);
  ea::ListFilter bounced;
  bounced.reason = "hard_bounce";
  REQUIRE(ea::suppressions(tx, bounced).size() == 1);
  CHECK(ea::suppressions(tx, bounced).front().address == "old@example.org");
  ea::ListFilter at;
  at.since = "2000-01-01T00:00:00Z";
  CHECK(ea::suppressions(tx, at).size() == 2);
  const auto gone = ea::unsuppress(tx, "OLD@example.org");
  REQUIRE(gone);
  CHECK(gone->reason == "hard_bounce");
  CHECK_FALSE(ea::unsuppress(tx, "old@example.org"));
}

TEST_CASE("email_admin::unsubscribe: opt-out, suppression and one event, twice changes nothing, unknown tokens") {
  TestDb t;
  seed(t, "un");
  const std::string orig = email_of(t, "un1@example.org");
  const std::string token = t.scalar("SELECT unsubscribe_token FROM email_recipients WHERE email_id = '" + orig + "'");
  db::Transaction tx{t.session()};
  const auto first = ea::unsubscribe(tx, token);
  CHECK(first.outcome == ea::Unsubscribed::unsubscribed);
  CHECK(first.email_id == orig);
  CHECK(first.address == std::optional<std::string>("un1@example.org"));
  CHECK(ea::unsubscribe(tx, token).outcome == ea::Unsubscribed::already);
  CHECK(ea::unsubscribe(tx, "no-such-token").outcome == ea::Unsubscribed::unknown_token);
  CHECK(ea::unsubscribe(tx, "").outcome == ea::Unsubscribed::unknown_token);
  tx.commit();
  CHECK(t.scalar("SELECT email_daily_brief::text FROM user_brief_preferences p JOIN users u ON u.id = p.user_id "
                 "WHERE u.email = 'un1@example.org'")
        == "false");
  CHECK(t.scalar("SELECT reason FROM email_suppressions WHERE email = 'un1@example.org'") == "unsubscribed");
  CHECK(t.scalar("SELECT count(*) FROM email_tracking_events WHERE event_type = 'unsubscribed'") == "1");
  CHECK(t.scalar("SELECT event_data::text FROM email_tracking_events WHERE event_type = 'unsubscribed'")
        == R"({"opted_out": true, "suppressed": true})");
}

TEST_CASE("email_admin::unsubscribe: an address suppressed for a bounce keeps its reason, the opt-out still counts") {
  TestDb t;
  seed(t, "ub");
  const std::string orig = email_of(t, "ub1@example.org");
  const std::string token = t.scalar("SELECT unsubscribe_token FROM email_recipients WHERE email_id = '" + orig + "'");
  t.exec("INSERT INTO email_suppressions (email, reason) VALUES ('ub1@example.org', 'hard_bounce')");
  db::Transaction tx{t.session()};
  CHECK(ea::unsubscribe(tx, token).outcome == ea::Unsubscribed::unsubscribed);
  tx.commit();
  CHECK(t.scalar("SELECT reason FROM email_suppressions WHERE email = 'ub1@example.org'") == "hard_bounce");
  CHECK(t.scalar("SELECT event_data::text FROM email_tracking_events WHERE event_type = 'unsubscribed'")
        == R"({"opted_out": true, "suppressed": false})");
}
