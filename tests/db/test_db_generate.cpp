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

// A generate_daily_brief job with its own dedup key suffix and options.
long long enqueue_with(TestDb& db, const std::string& user, const std::string& date, const std::string& suffix,
                       const std::string& options = "{}") {
  return std::stoll(db.scalar(
      "INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key) VALUES ('generate_daily_brief', '"
      + user + "', jsonb_build_object('userId', '" + user + "', 'briefDate', '" + date
      + "', 'timezone', 'UTC', 'options', '" + options + "'::jsonb), 'brief-" + user + "-" + date + suffix
      + "') RETURNING id"));
}

// Everything a brief run wrote, without the ids and times that differ
// between two runs.
std::string stored_content(TestDb& db) {
  return db.scalar(
      "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
      " SELECT d.user_id || ' ' || d.brief_date || ' ' || d.summary_content || ' '"
      "  || array_to_string(d.priority_actions, '|') || ' ' || d.project_count || ' '"
      "  || d.failed_project_count || ' ' || d.is_empty || ' ' || d.llm_status || ' '"
      "  || (d.metadata - 'queue_job_id')::text || ' ' || cardinality(d.project_brief_ids) AS x"
      "  FROM daily_briefs d"
      " UNION ALL SELECT p.user_id || ' ' || p.project_id || ' ' || p.brief_date || ' ' || p.brief_content"
      "  || ' ' || p.metadata::text || ' ' || (p.id = ANY (d.project_brief_ids))"
      "  FROM project_daily_briefs p JOIN daily_briefs d ON d.id = p.daily_brief_id"
      " UNION ALL SELECT e.created_by || ' ' || e.subject || ' ' || e.status || ' '"
      "  || (e.template_data - 'brief_id')::text || ' ' || (d.id IS NOT NULL) || ' ' || r.recipient_email"
      "  FROM emails e JOIN email_recipients r ON r.email_id = e.id"
      "  LEFT JOIN daily_briefs d ON d.id::text = e.template_data->>'brief_id'"
      " UNION ALL SELECT q.job_type || ' ' || q.status || ' ' || q.user_id || ' '"
      "  || (q.metadata->>'emailId' = e.id::text) || ' ' || (q.metadata->>'briefId' = e.template_data->>'brief_id')"
      "  FROM queue_jobs q JOIN emails e ON e.id::text = q.metadata->>'emailId'"
      " UNION ALL SELECT 'job ' || q.user_id || ' ' || (q.metadata->>'briefDate') || ' ' || q.status || ' '"
      "  || (q.result - 'timing_ms' - 'brief_id' - 'email_id' - 'email_job_id')::text"
      "  FROM queue_jobs q WHERE q.job_type = 'generate_daily_brief') s");
}

}  // namespace

TEST_SUITE_BEGIN("generate");

TEST_CASE("generate::a batch stores exactly what one job at a time stores") {
  std::string one, batched;
  for (const char* batch : {"1", "10"}) {
    TestDb db;
    seed(db);
    for (const auto& u : {alice, bob, carol}) enqueue(db, u, "2025-10-01");
    enqueue(db, alice, "2025-10-02");  // the same user twice in one batch
    REQUIRE(run_shell(gen(db, std::string("--drain -q --concurrency 1 --batch ") + batch)) == 0);
    CHECK(db.scalar("SELECT count(*) FROM daily_briefs") == "4");
    // And regenerated, with one project's content changed.
    db.exec("UPDATE tasks SET title = 'Renamed task' WHERE id = '20000000-0000-4000-8000-000000000001'");
    for (const auto& u : {alice, bob, carol}) enqueue_with(db, u, "2025-10-01", "-again");
    enqueue_with(db, alice, "2025-10-02", "-again");
    REQUIRE(run_shell(gen(db, std::string("--drain -q --concurrency 1 --batch ") + batch)) == 0);
    CHECK(db.scalar("SELECT count(*) FROM queue_jobs WHERE result->>'replaced' = 'true'") == "4");
    (std::string(batch) == "1" ? one : batched) = stored_content(db);
  }
  CHECK(one.find("alice@example.com") != std::string::npos);
  CHECK(batched == one);
}

TEST_CASE("generate::a batch follows the regeneration and email rules brief by brief") {
  TestDb db;
  seed(db);
  const auto drain = [&] { return run_shell(gen(db, "--drain -q --concurrency 1 --batch 10")); };
  const auto result = [&](long long job, const char* key) {
    return db.scalar("SELECT result->>'" + std::string(key) + "' FROM queue_jobs WHERE id = " + std::to_string(job));
  };
  enqueue(db, alice, "2025-10-01");
  enqueue(db, carol, "2025-10-01");
  REQUIRE(drain() == 0);
  const std::string brief = db.scalar("SELECT id FROM daily_briefs WHERE user_id = '" + alice + "'");
  const std::string pbriefs = db.scalar("SELECT string_agg(id::text, ',' ORDER BY id) FROM project_daily_briefs"
                                        " WHERE user_id = '" + alice + "'");
  const std::string email = db.scalar("SELECT id FROM emails");

  // Regenerated while its email is pending: same brief and project brief
  // rows, new content, the pending email reused.
  db.exec("UPDATE tasks SET title = 'Renamed task' WHERE id = '20000000-0000-4000-8000-000000000001'");
  long long a = enqueue_with(db, alice, "2025-10-01", "-2");
  enqueue_with(db, carol, "2025-10-01", "-2");
  REQUIRE(drain() == 0);
  CHECK(db.scalar("SELECT id FROM daily_briefs WHERE user_id = '" + alice + "'") == brief);
  CHECK(db.scalar("SELECT string_agg(id::text, ',' ORDER BY id) FROM project_daily_briefs"
                  " WHERE user_id = '" + alice + "'") == pbriefs);
  CHECK(db.scalar("SELECT summary_content LIKE '%Renamed task%' FROM daily_briefs WHERE id = '" + brief + "'") == "t");
  CHECK(result(a, "replaced") == "true");
  CHECK(result(a, "email_action") == "reused");
  CHECK(result(a, "email_id") == email);
  CHECK(db.scalar("SELECT count(*) FROM emails") == "1");
  CHECK(db.scalar("SELECT count(*) FROM queue_jobs WHERE job_type = 'generate_brief_email'") == "1");

  // Sent: not sent again.
  db.exec("UPDATE emails SET status = 'sent'");
  a = enqueue_with(db, alice, "2025-10-01", "-3");
  enqueue_with(db, carol, "2025-10-01", "-3");
  REQUIRE(drain() == 0);
  CHECK(result(a, "email_action") == "kept_sent");
  CHECK(db.scalar("SELECT count(*) FROM emails") == "1");

  // Forced but unchanged: still not sent again.
  a = enqueue_with(db, alice, "2025-10-01", "-3f", R"({"forceRegenerate": true})");
  enqueue_with(db, carol, "2025-10-01", "-3f", R"({"forceRegenerate": true})");
  REQUIRE(drain() == 0);
  CHECK(result(a, "replaced") == "true");
  CHECK(result(a, "email_action") == "kept_sent");
  CHECK(db.scalar("SELECT count(*) FROM emails") == "1");

  // Forced and changed: a new email, recipient and job.
  db.exec("UPDATE tasks SET title = 'Renamed again' WHERE id = '20000000-0000-4000-8000-000000000001'");
  a = enqueue_with(db, alice, "2025-10-01", "-4", R"({"forceRegenerate": true})");
  enqueue_with(db, carol, "2025-10-01", "-4", R"({"forceRegenerate": true})");
  REQUIRE(drain() == 0);
  CHECK(result(a, "email_action") == "created");
  CHECK(db.scalar("SELECT count(*) FROM emails") == "2");
  CHECK(db.scalar("SELECT count(*) FROM email_recipients") == "2");
  CHECK(db.scalar("SELECT count(*) FROM queue_jobs WHERE job_type = 'generate_brief_email'") == "2");
  CHECK(db.scalar("SELECT count(*) FROM daily_briefs") == "2");
}

TEST_CASE("generate::in a batch, one user's failure fails that user's job alone") {
  TestDb db;
  seed(db);
  // The database refuses carol's brief; a zone nobody knows and a user
  // nobody has fail while loading.
  db.exec("CREATE FUNCTION refuse_carol() RETURNS trigger LANGUAGE plpgsql AS $$"
          " BEGIN IF NEW.user_id = '" + carol + "' THEN RAISE EXCEPTION 'carol refused'; END IF;"
          " RETURN NEW; END $$");
  db.exec("CREATE TRIGGER refuse_carol BEFORE INSERT OR UPDATE ON daily_briefs"
          " FOR EACH ROW EXECUTE FUNCTION refuse_carol()");
  db.exec("INSERT INTO users (id, email) VALUES ('dddddddd-0000-4000-8000-000000000004', 'dave@example.com')");
  db.exec("INSERT INTO user_brief_preferences (user_id, timezone) VALUES"
          " ('dddddddd-0000-4000-8000-000000000004', 'Mars/Olympus_Mons')");
  const long long ja = enqueue(db, alice, "2025-10-01");
  const long long jc = enqueue(db, carol, "2025-10-01");
  const long long jb = enqueue(db, bob, "2025-10-01");
  const long long jd = enqueue(db, "dddddddd-0000-4000-8000-000000000004", "2025-10-01");
  // (queue_jobs.user_id references users, so the missing user is only in
  // the metadata.)
  const long long jn = std::stoll(db.scalar(
      "INSERT INTO queue_jobs (job_type, metadata) VALUES ('generate_daily_brief',"
      " '{\"userId\": \"eeeeeeee-0000-4000-8000-000000000005\", \"briefDate\": \"2025-10-01\"}')"
      " RETURNING id"));
  std::string out;
  CHECK(run_shell(gen(db, "--drain --json --concurrency 1 --batch 10"), &out) == 1);
  const auto job = [&](long long id) {
    return db.scalar("SELECT status || ' ' || attempts FROM queue_jobs WHERE id = " + std::to_string(id));
  };
  CHECK(job(ja) == "completed 1");
  CHECK(job(jb) == "completed 1");
  CHECK(job(jc) == "pending 1");  // retried later: the database may accept it then
  CHECK(db.scalar("SELECT error_message FROM queue_jobs WHERE id = " + std::to_string(jc)).find("carol refused")
        != std::string::npos);
  CHECK(job(jd) == "failed 1");
  CHECK(db.scalar("SELECT error_message FROM queue_jobs WHERE id = " + std::to_string(jd)).find("Mars/Olympus_Mons")
        != std::string::npos);
  CHECK(job(jn) == "failed 1");
  CHECK(db.scalar("SELECT string_agg(user_id::text, ' ' ORDER BY user_id) FROM daily_briefs") == alice + " " + bob);
  CHECK(db.scalar("SELECT count(*) FROM emails") == "1");  // alice's (bob's brief is empty)
  CHECK(db.scalar("SELECT count(*) FROM queue_jobs WHERE job_type = 'generate_brief_email'") == "1");
  // One --json line per job, each with its own status.
  CHECK(out.find("\"job_id\":" + std::to_string(ja) + ",") != std::string::npos);
  std::size_t lines = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("{\"job_id\":", 0) == 0) ++lines;
  }
  CHECK(lines == 5);
  CHECK(out.find("\"status\":\"retrying\"") != std::string::npos);
}

TEST_CASE("generate::a brief per user with the seeded content") {
  TestDb db;
  seed(db);
  for (const auto& u : {alice, bob, carol}) enqueue(db, u, "2025-10-01");
  std::string out;
  REQUIRE(run_shell(gen(db, "--drain -q"), &out) == 0);
  CHECK(db.scalar("SELECT count(*) FROM daily_briefs WHERE generation_status = 'completed'") == "3");
  const std::string md = db.scalar("SELECT summary_content FROM daily_briefs WHERE user_id = '" + alice + "'");
  CHECK(md.starts_with("# 🌅 Daily Brief - Oct 1, 2025\n"));
  CHECK(md.find("You have **2 active projects** with **1 task starting today** across **1 project**. "
                "**1 task is overdue**.")
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
