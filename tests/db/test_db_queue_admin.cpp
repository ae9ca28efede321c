// SPDX-License-Identifier: MIT
// briefos-queue's store (db/queue_admin) against a real PostgreSQL: the
// list's filters, retry with its email and its refusals (bounced or
// suppressed recipient, an active duplicate, wrong status, unknown id),
// cancel with the worker's fence, prune in batches, dry runs that change
// nothing, and every change run twice.
#include "fixture.hpp"

#include <briefos/db/queue.hpp>
#include <briefos/db/queue_admin.hpp>

#include <doctest/doctest.h>

#include <map>
#include <set>

using namespace briefos;
using briefos::testing::TestDb;
namespace qa = briefos::db::queue_admin;

namespace {

// A user `address` with a daily-brief email in `email_status` (its one
// recipient in `recipient_status`) and its generate_brief_email job in
// `job_status` after its last attempt; returns the job id.
long long email_job(TestDb& db, const std::string& address, const std::string& job_status,
                    const std::string& email_status, const std::string& recipient_status) {
  pqxx::work w{db.cx()};
  const pqxx::result r = w.exec_params(R"SQL(
WITH u AS (
  INSERT INTO users (email) VALUES ($1) RETURNING id
), e AS (
  INSERT INTO emails (subject, from_email, from_name, status, created_by, category, error_message)
  SELECT 'Daily Brief', 'briefs@example.com', 'briefos', $3, id, 'daily_brief',
         CASE WHEN $3 = 'failed' THEN '451 try later' END
    FROM u RETURNING id, created_by
), r AS (
  INSERT INTO email_recipients (email_id, recipient_email, status, error_message)
  SELECT id, $1, $4, CASE WHEN $4 IN ('failed', 'bounced') THEN '451 try later' END FROM e
)
INSERT INTO queue_jobs (job_type, user_id, metadata, priority, dedup_key, status, attempts,
                        completed_at, error_message, errors)
SELECT 'generate_brief_email', created_by,
       jsonb_build_object('emailId', id, 'userId', created_by), 5, 'email-' || id,
       $2::queue_status, 3, now() - interval '1 hour', '451 try later',
       '[{"attempt": 3, "at": "2026-03-08T07:30:00Z", "error": "451 try later"}]'::jsonb
  FROM e RETURNING id
)SQL",
                                       address, job_status, email_status, recipient_status);
  w.commit();
  return r[0][0].as<long long>();
}

// An "other" job in `status`, created `age` ago and finished then when
// `status` is final.
long long other_job(TestDb& db, const std::string& status, const std::string& age = "0 seconds",
                    const std::optional<std::string>& key = std::nullopt) {
  pqxx::work w{db.cx()};
  const pqxx::result r = w.exec_params(
      "INSERT INTO queue_jobs (job_type, status, created_at, completed_at, dedup_key, locked_by, locked_until)"
      " VALUES ('other', $1::queue_status, now() - $2::interval,"
      "  CASE WHEN $1 IN ('completed', 'failed', 'cancelled') THEN now() - $2::interval END, $3,"
      "  CASE WHEN $1 = 'processing' THEN 'w1' END,"
      "  CASE WHEN $1 = 'processing' THEN now() + interval '1 hour' END) RETURNING id",
      status, age, key);
  w.commit();
  return r[0][0].as<long long>();
}

// Everything a change could touch, and the id sequence, as one text.
std::string snapshot(TestDb& db) {
  return db.scalar("SELECT (SELECT coalesce(string_agg(q::text, '|' ORDER BY id), '') FROM queue_jobs q)"
                   " || (SELECT coalesce(string_agg(e::text, '|' ORDER BY id), '') FROM emails e)"
                   " || (SELECT coalesce(string_agg(r::text, '|' ORDER BY id), '') FROM email_recipients r)"
                   " || (SELECT last_value::text || is_called::text FROM queue_jobs_id_seq)");
}

std::set<long long> ids(const std::vector<qa::Change>& changes) {
  std::set<long long> out;
  for (const qa::Change& c : changes) out.insert(c.id);
  return out;
}

qa::Filter of_type(const std::string& type) {
  qa::Filter f;
  f.types = {type};
  return f;
}

}  // namespace

TEST_SUITE_BEGIN("queue_admin");

TEST_CASE("queue_admin::list filters by id, type, status, user, creation time and limit") {
  TestDb db;
  const long long old_failed = other_job(db, "failed", "3 days");
  const long long pending = other_job(db, "pending");
  const long long mail = email_job(db, "ada@example.org", "failed", "failed", "failed");
  const std::string ada = db.scalar("SELECT id FROM users WHERE email = 'ada@example.org'");

  CHECK(qa::list(db.session(), {}).size() == 3);
  const auto newest = qa::list(db.session(), qa::Filter{{}, {}, {}, {}, {}, {}, 1});
  REQUIRE(newest.size() == 1);
  CHECK(newest[0].id == mail);
  CHECK(qa::list(db.session(), of_type("other")).size() == 2);
  qa::Filter failed;
  failed.statuses = {"failed"};
  std::set<long long> got;
  for (const auto& j : qa::list(db.session(), failed)) got.insert(j.id);
  CHECK(got == std::set<long long>{old_failed, mail});
  qa::Filter by_user;
  by_user.user_id = ada;
  const auto mine = qa::list(db.session(), by_user);
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].user_id == ada);
  CHECK(mine[0].error == std::optional<std::string>("451 try later"));
  qa::Filter recent;
  recent.since.ago = std::chrono::hours(24);
  CHECK(qa::list(db.session(), recent).size() == 2);
  qa::Filter older;
  older.before.ago = std::chrono::hours(24);
  const auto old = qa::list(db.session(), older);
  REQUIRE(old.size() == 1);
  CHECK(old[0].id == old_failed);
  qa::Filter by_id;
  by_id.ids = {pending};
  CHECK(qa::list(db.session(), by_id).at(0).status == "pending");
}

TEST_CASE("queue_admin::show has every column, the metadata and the attempts") {
  TestDb db;
  const long long id = email_job(db, "ada@example.org", "failed", "failed", "failed");
  const auto d = qa::show(db.session(), id);
  REQUIRE(d);
  CHECK(d->row.type == "generate_brief_email");
  CHECK(d->user_email == std::optional<std::string>("ada@example.org"));
  CHECK(d->dedup_key->rfind("email-", 0) == 0);
  CHECK(d->metadata.at("emailId").is_string());
  CHECK(d->result.is_null());
  REQUIRE(d->attempts.size() == 1);
  CHECK(d->attempts[0].attempt == 3);
  CHECK(d->attempts[0].error == "451 try later");
  CHECK_FALSE(qa::show(db.session(), id + 1000));
}

TEST_CASE("queue_admin::retry puts a failed email job and its failed email back to pending, once") {
  TestDb db;
  const long long id = email_job(db, "ada@example.org", "failed", "failed", "failed");
  const qa::Outcome first = qa::retry(db.session(), of_type("generate_brief_email"), false);
  REQUIRE(first.changed.size() == 1);
  CHECK(first.refused.empty());
  CHECK(first.changed[0].id == id);
  CHECK(first.changed[0].from_status == "failed");
  CHECK(first.changed[0].email_reset);
  CHECK(db.scalar("SELECT status || ' ' || attempts || ' ' || (scheduled_for <= now()) || ' '"
                  " || (completed_at IS NULL) || ' ' || (error_message IS NULL) || ' '"
                  " || jsonb_array_length(errors) FROM queue_jobs WHERE id = " + std::to_string(id))
        == "pending 0 true true true 1");
  CHECK(db.scalar("SELECT e.status || ' ' || r.status || ' ' || (e.error_message IS NULL)"
                  " FROM emails e JOIN email_recipients r ON r.email_id = e.id") == "pending pending true");
  // Twice: nothing is failed any more, so nothing changes.
  const std::string after = snapshot(db);
  const qa::Outcome second = qa::retry(db.session(), of_type("generate_brief_email"), false);
  CHECK(second.changed.empty());
  CHECK(second.refused.empty());
  CHECK(snapshot(db) == after);
}

TEST_CASE("queue_admin::retry refuses bounced and suppressed recipients and active duplicates") {
  TestDb db;
  const long long bounced = email_job(db, "bounce@example.org", "failed", "failed", "bounced");
  const long long suppressed = email_job(db, "gone@example.org", "failed", "failed", "failed");
  db.exec("INSERT INTO email_suppressions (email, reason) VALUES ('gone@example.org', 'unsubscribed')");
  const long long dup_old = other_job(db, "failed", "1 hour", "same-key");
  const long long dup_active = other_job(db, "pending", "0 seconds", "same-key");
  const long long fine = other_job(db, "cancelled");
  const std::string before = snapshot(db);

  qa::Filter all;
  const qa::Outcome out = qa::retry(db.session(), all, false);
  CHECK(ids(out.changed) == std::set<long long>{fine});
  REQUIRE(out.refused.size() == 3);
  std::map<long long, std::string> why;
  for (const auto& r : out.refused) why[r.id] = r.reason;
  CHECK(why[bounced].find("bounce@example.org bounced") != std::string::npos);
  CHECK(why[suppressed].find("gone@example.org is suppressed (unsubscribed)") != std::string::npos);
  CHECK(why[dup_old].find("job " + std::to_string(dup_active) + " with the same dedup key") != std::string::npos);
  CHECK(db.scalar("SELECT count(*) FROM emails WHERE status = 'failed'") == "2");
  CHECK(db.scalar("SELECT status FROM queue_jobs WHERE id = " + std::to_string(bounced)) == "failed");
  CHECK(snapshot(db) != before);
}

TEST_CASE("queue_admin::retry by id refuses jobs in another status and ids that match nothing") {
  TestDb db;
  const long long pending = other_job(db, "pending");
  const long long failed = other_job(db, "failed");
  qa::Filter f;
  f.ids = {pending, failed, 999999};
  const qa::Outcome out = qa::retry(db.session(), f, false);
  CHECK(ids(out.changed) == std::set<long long>{failed});
  REQUIRE(out.refused.size() == 2);
  CHECK(out.refused[0].id == pending);
  CHECK(out.refused[0].reason.find("is pending: only failed or cancelled jobs are retried") != std::string::npos);
  CHECK(out.refused[1].id == 999999);
  // --status narrows what an id may be taken from.
  const long long cancelled = other_job(db, "cancelled");
  qa::Filter only_failed;
  only_failed.ids = {cancelled};
  only_failed.statuses = {"failed"};
  CHECK(qa::retry(db.session(), only_failed, false).changed.empty());
}

TEST_CASE("queue_admin dry runs decide like the real run and change nothing") {
  TestDb db;
  email_job(db, "ada@example.org", "failed", "failed", "failed");
  email_job(db, "bounce@example.org", "failed", "failed", "bounced");
  other_job(db, "pending");
  other_job(db, "processing");
  other_job(db, "completed", "30 days");
  const std::string before = snapshot(db);
  const qa::Outcome retry = qa::retry(db.session(), {}, true);
  CHECK(retry.changed.size() == 1);
  CHECK(retry.refused.size() == 1);
  const qa::Outcome cancel = qa::cancel(db.session(), of_type("other"), "test", true);
  CHECK(cancel.changed.size() == 2);
  CHECK(qa::prunable(db.session(), std::chrono::hours(24 * 14)).at(0).count == 1);
  CHECK(snapshot(db) == before);
}

TEST_CASE("queue_admin::cancel cancels pending and processing jobs; the worker loses its fence") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    queue::NewJob a;
    a.type = "other";
    queue::NewJob b = a;
    queue::enqueue(tx, {a, b});
    tx.commit();
  }
  const auto claimed = queue::claim(db.session(), {{"other"}, 1, "w1", std::chrono::seconds(60)});
  REQUIRE(claimed.size() == 1);
  const long long done = other_job(db, "completed");
  const qa::Outcome out = qa::cancel(db.session(), of_type("other"), "operator says no", false);
  CHECK(out.changed.size() == 2);
  CHECK(out.refused.empty());
  CHECK(db.scalar("SELECT count(*) FROM queue_jobs WHERE status = 'cancelled'"
                  " AND error_message = 'operator says no' AND locked_by IS NULL") == "2");
  CHECK(db.scalar("SELECT status FROM queue_jobs WHERE id = " + std::to_string(done)) == "completed");
  {
    db::Transaction tx{db.session()};
    CHECK_FALSE(queue::complete(tx, claimed[0], {{"late", true}}));
  }
  // Twice: nothing active is left.
  const std::string after = snapshot(db);
  CHECK(qa::cancel(db.session(), of_type("other"), "again", false).changed.empty());
  CHECK(snapshot(db) == after);
  // By id, a finished job is refused.
  qa::Filter f;
  f.ids = {done};
  const qa::Outcome refused = qa::cancel(db.session(), f, "x", false);
  REQUIRE(refused.refused.size() == 1);
  CHECK(refused.refused[0].reason.find("is completed") != std::string::npos);
}

TEST_CASE("queue_admin::prunable counts exactly what prune_batch then deletes") {
  TestDb db;
  for (int i = 0; i < 3; ++i) other_job(db, "completed", "20 days");
  other_job(db, "failed", "20 days");
  other_job(db, "completed", "1 day");  // within the retention
  other_job(db, "pending", "30 days");  // not finished
  const auto retention = std::chrono::hours(24 * 14);
  long long counted = 0;
  for (const auto& g : qa::prunable(db.session(), retention)) counted += g.count;
  CHECK(counted == 4);
  CHECK(qa::prune_batch(db.session(), retention, 3) == 3);
  CHECK(qa::prune_batch(db.session(), retention, 3) == 1);
  CHECK(qa::prune_batch(db.session(), retention, 3) == 0);
  CHECK(db.scalar("SELECT count(*) FROM queue_jobs") == "2");
  CHECK(qa::prunable(db.session(), retention).empty());
}

TEST_SUITE_END();
