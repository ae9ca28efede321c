// SPDX-License-Identifier: MIT
// The queue engine against a real PostgreSQL: dedup, claim order and
// exclusivity, completion fencing, backoff, permanent failures, rescue,
// cancellation and pruning.
#include "fixture.hpp"

#include <briefos/db/queue.hpp>
#include <briefos/error.hpp>

#include <doctest/doctest.h>

#include <set>
#include <thread>

using namespace briefos;
using briefos::testing::TestDb;

namespace {

queue::NewJob other(int n, std::optional<std::string> key = std::nullopt) {
  queue::NewJob j;
  j.type = "other";
  j.metadata = {{"n", n}};
  j.dedup_key = std::move(key);
  return j;
}

queue::ClaimOptions opts(int limit, const std::string& worker = "w1", int lease_s = 60) {
  return queue::ClaimOptions{{"other"}, limit, worker, std::chrono::seconds(lease_s)};
}

long long count(TestDb& db, const std::string& where) {
  return std::stoll(db.scalar("SELECT count(*) FROM queue_jobs WHERE " + where));
}

}  // namespace

TEST_SUITE_BEGIN("queue");

TEST_CASE("queue::enqueue inserts many in one call and dedups active keys") {
  TestDb db;
  std::vector<queue::NewJob> jobs{other(1, "k1"), other(2, "k2"), other(3), other(4, "k1")};
  std::vector<queue::Enqueued> first;
  {
    db::Transaction tx{db.session()};
    first = queue::enqueue(tx, jobs);
    tx.commit();
  }
  REQUIRE(first.size() == 4);
  CHECK(first[0].inserted);
  CHECK(first[1].inserted);
  CHECK(first[2].inserted);
  CHECK_FALSE(first[3].inserted);
  CHECK(first[3].id == first[0].id);
  CHECK(count(db, "true") == 3);
  // Again: every keyed job exists, only the unkeyed one is new.
  db::Transaction tx{db.session()};
  const auto again = queue::enqueue(tx, jobs);
  tx.commit();
  CHECK_FALSE(again[0].inserted);
  CHECK(again[0].id == first[0].id);
  CHECK(again[2].inserted);
  CHECK(count(db, "true") == 4);
}

TEST_CASE("queue::enqueue allows a key again once the old job finished") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    queue::enqueue(tx, {other(1, "same")});
    tx.commit();
  }
  auto jobs = queue::claim(db.session(), opts(10));
  REQUIRE(jobs.size() == 1);
  {
    db::Transaction tx{db.session()};
    CHECK(queue::complete(tx, jobs[0], {{"done", 1}}));
    tx.commit();
  }
  db::Transaction tx{db.session()};
  const auto r = queue::enqueue(tx, {other(2, "same")});
  tx.commit();
  CHECK(r[0].inserted);
  CHECK(r[0].id != jobs[0].id);
}

TEST_CASE("queue::enqueue joins the caller transaction") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    queue::enqueue(tx, {other(1)});
    // no commit: rolled back
  }
  CHECK(count(db, "true") == 0);
}

TEST_CASE("queue::validate rejects bad metadata at enqueue") {
  TestDb db;
  queue::NewJob brief;
  brief.type = "generate_daily_brief";
  brief.metadata = {{"userId", "not-a-uuid"}, {"briefDate", "2026-01-01"}};
  db::Transaction tx{db.session()};
  CHECK_THROWS_AS(queue::enqueue(tx, {brief}), UsageError);
  brief.metadata = {{"userId", "00000000-0000-0000-0000-000000000001"}};
  CHECK_THROWS_WITH_AS(queue::validate(brief), doctest::Contains("briefDate"), UsageError);
  queue::NewJob email;
  email.type = "generate_brief_email";
  email.metadata = nlohmann::json::array();
  CHECK_THROWS_WITH_AS(queue::validate(email), doctest::Contains("JSON object"), UsageError);
}

TEST_CASE("queue::claim orders by priority then scheduled_for and skips future jobs") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    auto low = other(1);
    low.priority = 10;
    auto high = other(2);
    high.priority = 1;
    auto future = other(3);
    future.priority = 0;
    future.scheduled_for = queue::Clock::now() + std::chrono::hours(1);
    auto old = other(4);
    old.priority = 10;
    old.scheduled_for = queue::Clock::now() - std::chrono::hours(1);
    queue::enqueue(tx, {low, high, future, old});
    tx.commit();
  }
  const auto jobs = queue::claim(db.session(), opts(10));
  REQUIRE(jobs.size() == 3);
  CHECK(jobs[0].metadata["n"] == 2);
  CHECK(jobs[1].metadata["n"] == 4);
  CHECK(jobs[2].metadata["n"] == 1);
  CHECK(jobs[0].attempts == 1);
  CHECK(count(db, "status = 'processing' AND locked_by = 'w1' AND locked_until > now()") == 3);
}

TEST_CASE("queue::claim never gives one job to two workers") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    std::vector<queue::NewJob> jobs;
    for (int i = 0; i < 2000; ++i) jobs.push_back(other(i));
    queue::enqueue(tx, jobs);
    tx.commit();
  }
  std::vector<std::vector<long long>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto cx = db::Session::open(db.url(), "claimer");
      for (;;) {
        const auto jobs = queue::claim(*cx, opts(25, "w" + std::to_string(t)));
        if (jobs.empty()) break;
        for (const auto& j : jobs) got[static_cast<std::size_t>(t)].push_back(j.id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<long long> all;
  std::size_t total = 0;
  for (const auto& g : got) {
    total += g.size();
    all.insert(g.begin(), g.end());
  }
  CHECK(total == 2000);
  CHECK(all.size() == 2000);
}

TEST_CASE("queue::claim_ids claims exactly the given pending jobs") {
  TestDb db;
  std::vector<queue::Enqueued> ids;
  {
    db::Transaction tx{db.session()};
    auto future = other(3);
    future.scheduled_for = queue::Clock::now() + std::chrono::hours(2);
    ids = queue::enqueue(tx, {other(1), other(2), future});
    tx.commit();
  }
  const auto jobs = queue::claim_ids(db.session(), {ids[0].id, ids[2].id, 999999}, opts(10));
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].id == ids[0].id);
  CHECK(jobs[1].id == ids[2].id);
  // Already claimed: nothing.
  CHECK(queue::claim_ids(db.session(), {ids[0].id}, opts(10, "w2")).empty());
}

TEST_CASE("queue::complete stores the result and detects a lost lease") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    queue::enqueue(tx, {other(1)});
    tx.commit();
  }
  auto first = queue::claim(db.session(), opts(1, "w1", 1));
  REQUIRE(first.size() == 1);
  // The lease expires and the job is rescued and claimed by another worker.
  db.exec("UPDATE queue_jobs SET locked_until = now() - interval '1 second'");
  {
    db::Transaction tx{db.session()};
    const auto c = queue::rescue_expired(tx);
    tx.commit();
    CHECK(c.retried == 1);
  }
  auto second = queue::claim(db.session(), opts(1, "w2"));
  REQUIRE(second.size() == 1);
  CHECK(second[0].attempts == 2);
  {
    db::Transaction tx{db.session()};
    CHECK_FALSE(queue::complete(tx, first[0], {{"from", "w1"}}));
    CHECK(queue::fail(tx, first[0], "late", queue::FailKind::transient) == queue::FailOutcome::lost);
    tx.commit();
  }
  {
    db::Transaction tx{db.session()};
    CHECK(queue::complete(tx, second[0], {{"from", "w2"}}));
    tx.commit();
  }
  CHECK(db.scalar("SELECT result->>'from' FROM queue_jobs") == "w2");
  CHECK(db.scalar("SELECT status FROM queue_jobs") == "completed");
  CHECK(db.scalar("SELECT locked_by IS NULL AND completed_at IS NOT NULL FROM queue_jobs") == "t");
}

TEST_CASE("queue::complete_many completes a batch in one statement") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    queue::enqueue(tx, {other(1), other(2), other(3)});
    tx.commit();
  }
  const auto jobs = queue::claim(db.session(), opts(3));
  std::vector<std::pair<long long, nlohmann::json>> results;
  for (const auto& j : jobs) results.emplace_back(j.id, nlohmann::json{{"n", j.metadata["n"]}});
  db::Transaction tx{db.session()};
  CHECK(queue::complete_many(tx, "w1", results).size() == 3);
  CHECK(queue::complete_many(tx, "w1", results).empty());
  tx.commit();
  CHECK(count(db, "status = 'completed' AND (result->>'n')::int = (metadata->>'n')::int") == 3);
}

TEST_CASE("queue::backoff_delay follows the documented formula") {
  const queue::Backoff b;  // 30 s base, 1 h cap, 20 % jitter
  CHECK(queue::backoff_delay(1, b, 0).count() == 30000);
  CHECK(queue::backoff_delay(2, b, 0).count() == 60000);
  CHECK(queue::backoff_delay(3, b, 0).count() == 120000);
  CHECK(queue::backoff_delay(20, b, 0).count() == 3600000);
  CHECK(queue::backoff_delay(1, b, 1).count() == 36000);
  CHECK(queue::backoff_delay(1, b, -1).count() == 24000);
}

TEST_CASE("queue::fail retries with backoff then fails after max_attempts") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    queue::enqueue(tx, {other(1)});
    tx.commit();
  }
  const queue::Backoff b{std::chrono::seconds(10), std::chrono::seconds(3600), 0.0};
  for (int attempt = 1; attempt <= 3; ++attempt) {
    // Make the job due again without waiting out the backoff.
    db.exec("UPDATE queue_jobs SET scheduled_for = now() WHERE status = 'pending'");
    const auto jobs = queue::claim(db.session(), opts(1));
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].attempts == attempt);
    db::Transaction tx{db.session()};
    const auto out = queue::fail(tx, jobs[0], "boom " + std::to_string(attempt), queue::FailKind::transient, b);
    tx.commit();
    if (attempt < 3) {
      CHECK(out == queue::FailOutcome::retried);
      const double delay = std::stod(db.scalar(
          "SELECT extract(epoch from scheduled_for - updated_at) FROM queue_jobs"));
      CHECK(delay == doctest::Approx(10.0 * (1 << (attempt - 1))).epsilon(0.02));
      CHECK(db.scalar("SELECT status FROM queue_jobs") == "pending");
    } else {
      CHECK(out == queue::FailOutcome::failed);
      CHECK(db.scalar("SELECT status FROM queue_jobs") == "failed");
    }
  }
  CHECK(db.scalar("SELECT error_message FROM queue_jobs") == "boom 3");
  CHECK(db.scalar("SELECT jsonb_array_length(errors) FROM queue_jobs") == "3");
}

TEST_CASE("queue::fail with a permanent error fails at once") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    queue::enqueue(tx, {other(1)});
    tx.commit();
  }
  const auto jobs = queue::claim(db.session(), opts(1));
  db::Transaction tx{db.session()};
  CHECK(queue::fail(tx, jobs[0], "no handler", queue::FailKind::permanent) == queue::FailOutcome::failed);
  tx.commit();
  CHECK(db.scalar("SELECT status || ' ' || attempts FROM queue_jobs") == "failed 1");
}

TEST_CASE("queue::rescue_expired fails a job whose attempts are used up") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    auto j = other(1);
    j.max_attempts = 2;
    queue::enqueue(tx, {j});
    tx.commit();
  }
  for (int i = 0; i < 2; ++i) {
    REQUIRE(queue::claim(db.session(), opts(1)).size() == 1);
    db.exec("UPDATE queue_jobs SET locked_until = now() - interval '1 second'");
    db::Transaction tx{db.session()};
    queue::rescue_expired(tx);
    tx.commit();
  }
  CHECK(db.scalar("SELECT status || ' ' || attempts FROM queue_jobs") == "failed 2");
  CHECK(db.scalar("SELECT error_message FROM queue_jobs").find("lease expired") != std::string::npos);
}

TEST_CASE("queue::extend_leases keeps a long job held") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    queue::enqueue(tx, {other(1)});
    tx.commit();
  }
  const auto jobs = queue::claim(db.session(), opts(1, "w1", 5));
  db::Transaction tx{db.session()};
  CHECK(queue::extend_leases(tx, "w1", {jobs[0].id}, std::chrono::seconds(600)) == 1);
  CHECK(queue::extend_leases(tx, "other-worker", {jobs[0].id}, std::chrono::seconds(600)) == 0);
  tx.commit();
  CHECK(db.scalar("SELECT locked_until > now() + interval '500 seconds' FROM queue_jobs") == "t");
}

TEST_CASE("queue::release gives a job back without using an attempt") {
  TestDb db;
  {
    db::Transaction tx{db.session()};
    queue::enqueue(tx, {other(1)});
    tx.commit();
  }
  const auto jobs = queue::claim(db.session(), opts(1));
  db::Transaction tx{db.session()};
  CHECK(queue::release(tx, jobs[0]));
  tx.commit();
  CHECK(db.scalar("SELECT status || ' ' || attempts FROM queue_jobs") == "pending 0");
}

TEST_CASE("queue::cancel stops pending and processing jobs") {
  TestDb db;
  std::vector<queue::Enqueued> ids;
  {
    db::Transaction tx{db.session()};
    ids = queue::enqueue(tx, {other(1), other(2)});
    tx.commit();
  }
  const auto held = queue::claim_ids(db.session(), {ids[1].id}, opts(1));
  REQUIRE(held.size() == 1);
  {
    db::Transaction tx{db.session()};
    CHECK(queue::cancel(tx, ids[0].id, "operator said so"));
    CHECK(queue::cancel(tx, ids[1].id, "operator said so"));
    CHECK_FALSE(queue::cancel(tx, ids[1].id, "again"));
    tx.commit();
  }
  CHECK(count(db, "status = 'cancelled' AND error_message = 'operator said so'") == 2);
  // The worker that held the processing job finds out when it completes.
  db::Transaction tx{db.session()};
  CHECK_FALSE(queue::complete(tx, held[0], {}));
}

TEST_CASE("queue::cancel_brief_jobs cancels the active jobs of one user and date") {
  TestDb db;
  db.exec("INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-00000000000a', 'a@example.org')");
  const std::string user = "00000000-0000-0000-0000-00000000000a";
  auto brief = [&](const std::string& date) {
    queue::NewJob j;
    j.type = "generate_daily_brief";
    j.user_id = user;
    j.metadata = {{"userId", user}, {"briefDate", date}, {"timezone", "UTC"}};
    j.dedup_key = "brief-" + user + "-" + date;
    return j;
  };
  {
    db::Transaction tx{db.session()};
    queue::enqueue(tx, {brief("2026-03-01"), brief("2026-03-02")});
    tx.commit();
  }
  db::Transaction tx{db.session()};
  const auto ids = queue::cancel_brief_jobs(tx, user, "2026-03-01", "regenerate");
  tx.commit();
  CHECK(ids.size() == 1);
  CHECK(count(db, "status = 'cancelled'") == 1);
  CHECK(count(db, "status = 'pending' AND metadata->>'briefDate' = '2026-03-02'") == 1);
}

TEST_CASE("queue::prune deletes old finished jobs in bounded batches") {
  TestDb db;
  db.exec("INSERT INTO queue_jobs (job_type, status, completed_at) "
          "SELECT 'other', 'completed', now() - interval '10 days' FROM generate_series(1, 250)");
  db.exec("INSERT INTO queue_jobs (job_type, status, completed_at) "
          "SELECT 'other', 'failed', now() - interval '1 hour' FROM generate_series(1, 5)");
  db.exec("INSERT INTO queue_jobs (job_type) SELECT 'other' FROM generate_series(1, 5)");
  long long deleted = 0;
  int rounds = 0;
  for (;;) {
    db::Transaction tx{db.session()};
    const long long n = queue::prune(tx, std::chrono::hours(24 * 7), 100);
    tx.commit();
    ++rounds;
    deleted += n;
    CHECK(n <= 100);
    if (n < 100) break;
  }
  CHECK(deleted == 250);
  CHECK(rounds == 3);
  CHECK(count(db, "true") == 10);
}

TEST_SUITE_END();
