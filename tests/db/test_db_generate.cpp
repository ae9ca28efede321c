// SPDX-License-Identifier: MIT
// briefos-generate against a real PostgreSQL: content of a seeded scenario,
// the email hand-off in the brief's own transaction, atomic regeneration,
// failure isolation, and two workers sharing one queue.
#include "fixture.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

using briefos::testing::run_shell;
using briefos::testing::TestDb;

namespace {

const std::string alice = "aaaaaaaa-0000-4000-8000-000000000001";
const std::string bob = "bbbbbbbb-0000-4000-8000-000000000002";
const std::string carol = "cccccccc-0000-4000-8000-000000000003";

void seed(TestDb& db) {
  std::ifstream in(std::string(BRIEFOS_SOURCE_DIR) + "/tests/cli/generate_seed.sql");
  std::ostringstream s;
  s << in.rdbuf();
  REQUIRE_FALSE(s.str().empty());
  db.exec(s.str());
}

std::string gen(const TestDb& db, const std::string& args) {
  return std::string(BRIEFOS_BIN_DIR) + "/briefos-generate --database-url '" + db.url() + "' " + args;
}

long long enqueue(TestDb& db, const std::string& user, const std::string& date) {
  return std::stoll(db.scalar(
      "INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key) VALUES ('generate_daily_brief', '"
      + user + "', jsonb_build_object('userId', '" + user + "', 'briefDate', '" + date
      + "', 'timezone', 'UTC', 'options', '{}'::jsonb), 'brief-" + user + "-" + date + "') RETURNING id"));
}

}  // namespace

TEST_SUITE_BEGIN("generate");

TEST_CASE("generate::a brief per user with the seeded content") {
  TestDb db;
  seed(db);
  for (const auto& u : {alice, bob, carol}) enqueue(db, u, "2025-10-01");
  std::string out;
  REQUIRE(run_shell(gen(db, "--drain -q"), &out) == 0);
  CHECK(db.scalar("SELECT count(*) FROM daily_briefs WHERE generation_status = 'completed'") == "3");
  const std::string md = db.scalar("SELECT summary_content FROM daily_briefs WHERE user_id = '" + alice + "'");
  CHECK(md.starts_with("# 🌅 Daily Brief - Oct 1, 2025\n"));
  CHECK(md.find("You have **2 active projects** with **1 tasks starting today** across **1 projects**. "
                "**1 tasks are overdue**.")
        != std::string::npos);
  CHECK(md.find("[Write landing copy]") != std::string::npos);
  CHECK(md.find("(high priority) - Oct 1, 2025 📅") != std::string::npos);
  CHECK(md.find("[Fix footer links]") != std::string::npos);  // 23:59 local on Sep 30: overdue
  CHECK(md.find("### 🎯 Current Phase: Chapter one") != std::string::npos);
  CHECK(md.find("Buy domain") != std::string::npos);       // completed within the last 24 h
  CHECK(md.find("Old done task") == std::string::npos);    // completed long ago (updated recently)
  CHECK(md.find("Deleted task") == std::string::npos);
  CHECK(md.find("Outdated task") == std::string::npos);
  CHECK(md.find("Paused thing") == std::string::npos);
  CHECK(md.find("Ancient note") == std::string::npos);
  CHECK(md.find("[Kickoff]") != std::string::npos);
  CHECK(db.scalar("SELECT array_to_string(priority_actions, '|') FROM daily_briefs WHERE user_id = '" + alice + "'")
        == "Write landing copy");
  CHECK(db.scalar("SELECT project_count || ' ' || failed_project_count || ' ' || is_empty || ' ' || llm_status"
                  " FROM daily_briefs WHERE user_id = '" + alice + "'")
        == "2 0 false skipped");
  CHECK(db.scalar("SELECT count(*) FROM project_daily_briefs WHERE user_id = '" + alice + "'") == "2");
  CHECK(db.scalar("SELECT metadata->>'overdue_task_count' FROM project_daily_briefs WHERE project_id ="
                  " '10000000-0000-4000-8000-000000000001'")
        == "1");
  // Carol's brief is built in Asia/Tokyo: 01:00Z on Oct 1 is 10:00 local, today.
  CHECK(db.scalar("SELECT summary_content FROM daily_briefs WHERE user_id = '" + carol + "'")
            .find("### 🎯 Starting Today\n- 📅 [Carol task]")
        != std::string::npos);
}

TEST_CASE("generate::opt-in creates one email and its job in the brief's transaction") {
  TestDb db;
  seed(db);
  enqueue(db, alice, "2025-10-01");
  enqueue(db, carol, "2025-10-01");
  REQUIRE(run_shell(gen(db, "--drain -q")) == 0);
  CHECK(db.scalar("SELECT count(*) FROM emails") == "1");
  CHECK(db.scalar("SELECT count(*) FROM email_recipients") == "1");
  CHECK(db.scalar("SELECT count(*) FROM queue_jobs WHERE job_type = 'generate_brief_email'") == "1");
  CHECK(db.scalar("SELECT count(*) FROM emails WHERE created_by = '" + carol + "'") == "0");
  // One transaction wrote the brief, the email, its recipient, the email job
  // and completed the brief job: they all carry the same xmin.
  CHECK(db.scalar("SELECT count(DISTINCT x) FROM ("
                  " SELECT xmin::text AS x FROM daily_briefs WHERE user_id = '" + alice + "'"
                  " UNION ALL SELECT xmin::text FROM emails"
                  " UNION ALL SELECT xmin::text FROM email_recipients"
                  " UNION ALL SELECT xmin::text FROM queue_jobs WHERE user_id = '" + alice + "') s")
        == "1");
}

TEST_CASE("generate::a user without projects gets a completed empty brief and no email") {
  TestDb db;
  seed(db);
  enqueue(db, bob, "2025-10-01");
  REQUIRE(run_shell(gen(db, "--drain -q")) == 0);
  CHECK(db.scalar("SELECT generation_status || ' ' || is_empty || ' ' || project_count FROM daily_briefs")
        == "completed true 0");
  CHECK(db.scalar("SELECT summary_content LIKE '%no active projects%' FROM daily_briefs") == "t");
  CHECK(db.scalar("SELECT count(*) FROM emails") == "0");
  CHECK(db.scalar("SELECT status || ' ' || attempts FROM queue_jobs") == "completed 1");
  // Unless asked for.
  enqueue(db, bob, "2025-10-02");
  REQUIRE(run_shell(gen(db, "--drain -q --email-empty")) == 0);
  CHECK(db.scalar("SELECT count(*) FROM emails") == "1");
}

TEST_CASE("generate::one failing project is left out and the brief completes") {
  TestDb db;
  seed(db);
  const long long id = enqueue(db, alice, "2025-10-01");
  REQUIRE(run_shell("BRIEFOS_FAULT_PROJECTS=10000000-0000-4000-8000-000000000001 " + gen(db, "--drain -q")) == 0);
  CHECK(db.scalar("SELECT project_count || ' ' || failed_project_count FROM daily_briefs") == "1 1");
  CHECK(db.scalar("SELECT summary_content LIKE '%Website relaunch%' FROM daily_briefs") == "f");
  CHECK(db.scalar("SELECT summary_content LIKE '%## [Reading]%' FROM daily_briefs") == "t");
  CHECK(db.scalar("SELECT result->'projects'->>'failed' || ' ' || (result->'failed_projects'->0->>'name')"
                  " FROM queue_jobs WHERE id = " + std::to_string(id))
        == "1 Website relaunch");
  CHECK(db.scalar("SELECT metadata->'failed_projects'->0->>'error' FROM daily_briefs")
            .find("fault injected") != std::string::npos);
}

TEST_CASE("generate::regeneration replaces the brief atomically") {
  TestDb db;
  seed(db);
  enqueue(db, alice, "2025-10-01");
  REQUIRE(run_shell(gen(db, "--drain -q")) == 0);
  const std::string id1 = db.scalar("SELECT id FROM daily_briefs");
  const std::string v1 = db.scalar("SELECT summary_content FROM daily_briefs");
  db.exec("UPDATE tasks SET title = 'Renamed task' WHERE id = '20000000-0000-4000-8000-000000000001'");

  // Hold the project briefs table so the regeneration stops inside its
  // transaction, after it rewrote daily_briefs and before it commits.
  pqxx::connection blocker{db.url()};
  pqxx::work hold{blocker};
  hold.exec("LOCK TABLE project_daily_briefs IN SHARE MODE");
  int rc = -1;
  std::thread regen([&] { rc = run_shell(gen(db, "-q --force --user " + alice + " --date 2025-10-01")); });
  // Wait until the generator is blocked on that lock.
  pqxx::connection watcher{db.url()};
  bool waiting = false;
  for (int i = 0; i < 600 && !waiting; ++i) {
    pqxx::nontransaction w{watcher};
    waiting = w.exec1("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'briefos-generate'"
                      " AND wait_event_type = 'Lock'")[0]
                  .as<int>() > 0;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(waiting);
  // Meanwhile readers see the complete old brief.
  CHECK(db.scalar("SELECT generation_status FROM daily_briefs") == "completed");
  CHECK(db.scalar("SELECT summary_content FROM daily_briefs") == v1);
  CHECK(db.scalar("SELECT count(*) FROM project_daily_briefs WHERE brief_content LIKE '%Write landing copy%'") == "1");
  hold.commit();
  regen.join();
  CHECK(rc == 0);
  CHECK(db.scalar("SELECT id FROM daily_briefs") == id1);  // same row, new content
  const std::string v2 = db.scalar("SELECT summary_content FROM daily_briefs");
  CHECK(v2 != v1);
  CHECK(v2.find("Renamed task") != std::string::npos);
  CHECK(db.scalar("SELECT count(*) FROM project_daily_briefs WHERE brief_content LIKE '%Renamed task%'") == "1");
}

TEST_CASE("generate::two workers on the same queue produce one brief each") {
  TestDb db;
  db.exec("INSERT INTO users (id, email) SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,"
          " 'u' || i || '@example.com' FROM generate_series(1, 60) i");
  db.exec("INSERT INTO projects (user_id, name) SELECT id, 'Project' FROM users");
  db.exec("INSERT INTO tasks (project_id, user_id, title, start_date)"
          " SELECT p.id, p.user_id, 'Task ' || g, '2025-10-01T12:00:00Z'::timestamptz + g * interval '1 hour'"
          " FROM projects p, generate_series(1, 5) g");
  db.exec("INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key)"
          " SELECT 'generate_daily_brief', id, jsonb_build_object('userId', id, 'briefDate', '2025-10-01',"
          " 'timezone', 'UTC', 'options', '{}'::jsonb), 'brief-' || id || '-2025-10-01' FROM users");
  std::string out1, out2;
  int rc1 = -1, rc2 = -1;
  std::thread a([&] { rc1 = run_shell(gen(db, "--drain --json --batch 3 --concurrency 2"), &out1); });
  std::thread b([&] { rc2 = run_shell(gen(db, "--drain --json --batch 3 --concurrency 2"), &out2); });
  a.join();
  b.join();
  CHECK(rc1 == 0);
  CHECK(rc2 == 0);
  std::set<std::string> seen;
  int lines = 0;
  for (const std::string* o : {&out1, &out2}) {
    std::istringstream in(*o);
    std::string line;
    while (std::getline(in, line)) {
      const auto p = line.find("{\"job_id\":");
      if (p != 0) continue;
      ++lines;
      seen.insert(line.substr(10, line.find(',') - 10));
    }
  }
  CHECK(lines == 60);
  CHECK(seen.size() == 60);  // no job handled twice
  CHECK(db.scalar("SELECT count(*) FROM daily_briefs") == "60");
  CHECK(db.scalar("SELECT count(*) FROM queue_jobs WHERE status = 'completed' AND attempts = 1") == "60");
}

TEST_SUITE_END();
