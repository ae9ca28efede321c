// SPDX-License-Identifier: MIT
// briefos-schedule against a real PostgreSQL: the built program is run as a
// separate process (as cron would), and the queue is checked with SQL.
#include "fixture.hpp"

#include <briefos/schedule.hpp>
#include <briefos/util/time.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using briefos::testing::TestDb;
using briefos::testing::run_shell;

namespace {

struct Run {
  int status = 0;
  std::string out;
  std::string err;
  std::vector<nlohmann::json> lines;  // stdout parsed as JSON lines
};

std::string temp_path(const std::string& what) {
  static int n = 0;
  return "/tmp/briefos_sched_test_" + std::to_string(getpid()) + "_" + std::to_string(n++) + "_" + what;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(path.c_str());
  return ss.str();
}

std::string command(const TestDb& db, const std::string& args) {
  return std::string(BRIEFOS_BIN_DIR) + "/briefos-schedule --database-url '" + db.url() + "' " + args;
}

// Run briefos-schedule with `args`; stdout and stderr kept apart.
Run schedule(const TestDb& db, const std::string& args) {
  const std::string out = temp_path("out");
  const std::string err = temp_path("err");
  Run r;
  r.status = run_shell("(" + command(db, args) + " >" + out + " 2>" + err + ")");
  r.out = slurp(out);
  r.err = slurp(err);
  if (args.find("--json") != std::string::npos) {
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) r.lines.push_back(nlohmann::json::parse(line));
    }
  }
  return r;
}

// A user with a brief preference; updated_at is set in the past so the
// first sweep searches from a known instant.
std::string add_user(TestDb& db, const std::string& email, const std::string& frequency,
                     const std::string& time, const std::string& zone,
                     const std::string& dow = "NULL",
                     const std::string& edited = "2026-01-01T00:00:00Z") {
  pqxx::work tx{db.cx()};
  const std::string id =
      tx.exec_params1("INSERT INTO users (email, last_visit) VALUES ($1, now()) RETURNING id::text", email)[0]
          .as<std::string>();
  tx.exec_params("INSERT INTO user_brief_preferences (user_id, frequency, day_of_week, time_of_day,"
                 " timezone, created_at, updated_at) VALUES ($1::uuid, $2, " + dow + ", $3::time, $4,"
                 " $5::timestamptz, $5::timestamptz)",
                 id, frequency, time, zone, edited);
  tx.commit();
  return id;
}

long long count(TestDb& db, const std::string& sql) { return std::stoll(db.scalar(sql)); }

}  // namespace

TEST_SUITE_BEGIN("schedule");

TEST_CASE("schedule sweep queues a due brief with the queue conventions") {
  TestDb db;
  const std::string ny = add_user(db, "ny@example.com", "daily", "09:00", "America/New_York");
  const std::string kiri = add_user(db, "kiri@example.com", "daily", "09:00", "Pacific/Kiritimati");
  add_user(db, "later@example.com", "daily", "19:30", "UTC");
  // 13:50Z: New York's 09:00 EST (14:00Z) is within the 20 min lookahead.
  Run r = schedule(db, "--now 2026-01-15T13:50:00Z --json");
  CHECK_MESSAGE(r.status == 0, r.err);
  REQUIRE(r.lines.size() == 1);
  const auto& line = r.lines[0];
  CHECK(line["user_id"] == ny);
  CHECK(line["brief_date"] == "2026-01-15");
  CHECK(line["scheduled_for"] == "2026-01-15T13:58:00Z");
  const long long job_id = line["job_id"].get<long long>();
  const auto row = db.exec("SELECT job_type::text, status::text, priority, max_attempts, dedup_key,"
                           " metadata::text, user_id::text,"
                           " to_char(scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
                           " FROM queue_jobs WHERE id = " + std::to_string(job_id));
  REQUIRE(row.size() == 1);
  CHECK(row[0][0].as<std::string>() == "generate_daily_brief");
  CHECK(row[0][1].as<std::string>() == "pending");
  CHECK(row[0][2].as<int>() == 10);
  CHECK(row[0][3].as<int>() == 3);
  CHECK(row[0][4].as<std::string>() == "brief-" + ny + "-2026-01-15");
  const auto meta = nlohmann::json::parse(row[0][5].as<std::string>());
  CHECK(meta == nlohmann::json{{"userId", ny}, {"briefDate", "2026-01-15"},
                               {"timezone", "America/New_York"}, {"options", nlohmann::json::object()}});
  CHECK(row[0][6].as<std::string>() == ny);
  CHECK(row[0][7].as<std::string>() == "2026-01-15T13:58:00");
  // The summary goes to stderr, never to stdout.
  CHECK(r.err.find("queued 1") != std::string::npos);
  // The sweep recorded how far it got: now + the 20 min lookahead.
  CHECK(db.scalar("SELECT swept_to AT TIME ZONE 'UTC' FROM schedule_state") == "2026-01-15 14:10:00");
  // Kiritimati (+14): 09:00 on Jan 16 local is 19:00Z on Jan 15.
  r = schedule(db, "--now 2026-01-15T18:50:00Z --json");
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0]["user_id"] == kiri);
  CHECK(r.lines[0]["brief_date"] == "2026-01-16");
}

TEST_CASE("schedule two runs queue each brief once") {
  TestDb db;
  const std::string id = add_user(db, "a@example.com", "daily", "09:00", "UTC");
  Run r = schedule(db, "--now 2026-01-15T08:45:00Z --json");
  REQUIRE(r.lines.size() == 1);
  r = schedule(db, "--now 2026-01-15T08:45:00Z --json");
  CHECK(r.status == 0);
  CHECK(r.lines.empty());
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 1);
  // Even when the run is looked at again (an edit since the last sweep),
  // the dedup key keeps it to one active job.
  db.exec("UPDATE user_brief_preferences SET email_daily_brief = true");
  r = schedule(db, "--now 2026-01-15T08:50:00Z --json");
  CHECK(r.lines.empty());
  CHECK(r.err.find("already queued 1") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 1);
  // Once the brief is done, it is not queued again for that date either.
  db.exec("UPDATE queue_jobs SET status = 'completed', completed_at = now()");
  db.exec("INSERT INTO daily_briefs (user_id, brief_date, generation_status) VALUES ('" + id
          + "', '2026-01-15', 'completed')");
  db.exec("UPDATE user_brief_preferences SET email_daily_brief = false");
  r = schedule(db, "--now 2026-01-15T08:55:00Z --json");
  CHECK(r.lines.empty());
  CHECK(r.err.find("already generated 1") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 1);
}

TEST_CASE("schedule two concurrent processes queue each job once") {
  TestDb db;
  // 300 users due in the same window, in many zones.
  db.exec("INSERT INTO users (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 300) g");
  db.exec("INSERT INTO user_brief_preferences (user_id, time_of_day, timezone, updated_at)"
          " SELECT id, '09:00', (ARRAY['UTC','Europe/London','Africa/Abidjan'])[1 + ((row_number() OVER ()) % 3)::int],"
          " '2026-01-01' FROM users");
  const std::string out1 = temp_path("c1");
  const std::string out2 = temp_path("c2");
  const std::string args = "--now 2026-01-15T08:45:00Z --json --batch-size 7";
  const auto both = [&](const std::string& a) {
    return run_shell("(" + command(db, a) + " >" + out1 + " 2>/dev/null & " + command(db, a) + " >" + out2
                     + " 2>/dev/null; s2=$?; wait $!; s1=$?; exit $((s1 + s2)))");
  };
  CHECK(both(args) == 0);
  std::set<long long> ids;
  long long lines = 0;
  for (const std::string& text : {slurp(out1), slurp(out2)}) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      ++lines;
      ids.insert(nlohmann::json::parse(line)["job_id"].get<long long>());
    }
  }
  CHECK(lines == 300);
  CHECK(ids.size() == 300);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 300);
  CHECK(count(db, "SELECT count(DISTINCT user_id) FROM queue_jobs") == 300);
  // Backfills take no lock: the dedup index alone keeps concurrent ones apart.
  CHECK(both("--date 2026-01-20 --json --batch-size 11") == 0);
  ids.clear();
  lines = 0;
  for (const std::string& text : {slurp(out1), slurp(out2)}) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      ++lines;
      ids.insert(nlohmann::json::parse(line)["job_id"].get<long long>());
    }
  }
  CHECK(lines == 300);
  CHECK(ids.size() == 300);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs WHERE metadata->>'briefDate' = '2026-01-20'") == 300);
}

TEST_CASE("schedule catch-up window queues recent misses and skips older ones") {
  TestDb db;
  add_user(db, "six@example.com", "daily", "06:00", "UTC", "NULL", "2026-01-15T04:00:00Z");
  add_user(db, "eight@example.com", "daily", "08:00", "UTC", "NULL", "2026-01-15T04:00:00Z");
  add_user(db, "nine@example.com", "daily", "09:30", "UTC", "NULL", "2026-01-15T04:00:00Z");
  // A sweep at 05:00 finds nothing due and records how far it got.
  Run r = schedule(db, "--now 2026-01-15T05:00:00Z --json");
  CHECK(r.lines.empty());
  CHECK(db.scalar("SELECT swept_to AT TIME ZONE 'UTC' FROM schedule_state") == "2026-01-15 05:20:00");
  // The scheduler is down until 10:00; catch-up is 2 h.
  r = schedule(db, "--now 2026-01-15T10:00:00Z --catch-up 2h --json");
  CHECK(r.status == 0);
  std::set<std::string> queued;
  for (const auto& l : r.lines) queued.insert(l["scheduled_for"].get<std::string>());
  CHECK(queued == std::set<std::string>{"2026-01-15T07:58:00Z", "2026-01-15T09:28:00Z"});
  CHECK(r.err.find("missed beyond catch-up 1") != std::string::npos);
  CHECK(db.scalar("SELECT swept_to AT TIME ZONE 'UTC' FROM schedule_state") == "2026-01-15 10:20:00");
  // After a three-day outage with a 2 h window nothing stale is sent.
  r = schedule(db, "--now 2026-01-19T05:00:00Z --json");
  CHECK(r.lines.empty());
  CHECK(r.err.find("missed beyond catch-up 9") != std::string::npos);
}

TEST_CASE("schedule DST gap in the database run") {
  TestDb db;
  add_user(db, "gap@example.com", "daily", "02:30", "America/New_York", "NULL", "2026-03-07T12:00:00Z");
  Run r = schedule(db, "--now 2026-03-08T07:15:00Z --json");
  REQUIRE(r.lines.size() == 1);
  // 02:30 does not exist on 2026-03-08: it runs at 03:30 EDT = 07:30Z.
  CHECK(r.lines[0]["scheduled_for"] == "2026-03-08T07:28:00Z");
  CHECK(r.lines[0]["brief_date"] == "2026-03-08");
  // The next day's 02:30 exists (EDT): 06:30Z, once.
  r = schedule(db, "--now 2026-03-09T06:15:00Z --json");
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0]["scheduled_for"] == "2026-03-09T06:28:00Z");
}

// How many warnings about `user_id`'s preference `err` holds.
long long warnings_about(const std::string& err, const std::string& user_id) {
  long long n = 0;
  for (std::size_t at = err.find("user " + user_id + ": invalid brief preference"); at != std::string::npos;
       at = err.find("user " + user_id + ": invalid brief preference", at + 1)) {
    ++n;
  }
  return n;
}

TEST_CASE("schedule warns about an invalid preference once per UTC day and when edited") {
  TestDb db;
  const std::string bad = add_user(db, "bad@example.com", "daily", "09:00", "Mars/Olympus_Mons");
  add_user(db, "good@example.com", "daily", "09:00", "UTC");
  // The day's first sweep warns.
  Run r = schedule(db, "--now 2026-01-15T08:45:00Z");
  CHECK(r.status == 1);
  CHECK(warnings_about(r.err, bad) == 1);
  CHECK(r.err.find("invalid preference 1, warned about 1 now and 0 earlier today") != std::string::npos);
  // Every later sweep that day counts it (and exits 1) without a warning.
  for (const char* now : {"2026-01-15T08:50:00Z", "2026-01-15T12:00:00Z", "2026-01-15T23:59:00Z"}) {
    CAPTURE(now);
    r = schedule(db, std::string("--now ") + now);
    CHECK(r.status == 1);
    CHECK(warnings_about(r.err, bad) == 0);
    CHECK(r.err.find("invalid preference 1, warned about 0 now and 1 earlier today") != std::string::npos);
  }
  // A dry run of the same day is as quiet, and changes nothing.
  r = schedule(db, "--now 2026-01-15T23:59:30Z --dry-run");
  CHECK(warnings_about(r.err, bad) == 0);
  // The next UTC day's first sweep warns again, its second does not.
  r = schedule(db, "--now 2026-01-16T00:04:00Z");
  CHECK(warnings_about(r.err, bad) == 1);
  r = schedule(db, "--now 2026-01-16T00:09:00Z");
  CHECK(warnings_about(r.err, bad) == 0);
  // An edit (to another bad zone) is warned about by the next sweep, once.
  {
    pqxx::work tx{db.cx()};
    tx.exec("SET LOCAL session_replication_role = replica");  // keep our updated_at, not now()
    tx.exec_params("UPDATE user_brief_preferences SET timezone = 'Nowhere/Land',"
                   " updated_at = '2026-01-16T00:11:00Z' WHERE user_id = $1::uuid", bad);
    tx.commit();
  }
  r = schedule(db, "--now 2026-01-16T00:14:00Z");
  CHECK(warnings_about(r.err, bad) == 1);
  CHECK(r.err.find("Invalid timezone \"Nowhere/Land\"") != std::string::npos);
  r = schedule(db, "--now 2026-01-16T00:19:00Z");
  CHECK(warnings_about(r.err, bad) == 0);
  CHECK(r.status == 1);
  // A backfill names every invalid preference it meets: the operator asked.
  r = schedule(db, "--user bad@example.com --date 2026-01-16");
  CHECK(warnings_about(r.err, bad) == 1);
}

TEST_CASE("schedule backfill --no-email stores briefs without emails") {
  TestDb db;
  const std::string id = add_user(db, "ada@example.com", "daily", "09:00", "UTC");
  Run r = schedule(db, "--user ada@example.com --from 2026-01-01 --to 2026-01-03 --no-email --json");
  CHECK(r.status == 0);
  REQUIRE(r.lines.size() == 3);
  CHECK(r.err.find("no email (--no-email) 3") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs WHERE user_id = '" + id
                      + "' AND (metadata->'options'->>'holdEmail')::boolean") == 3);
  // Without it, a backfill's jobs carry no such mark.
  r = schedule(db, "--user ada@example.com --date 2026-01-04 --json");
  REQUIRE(r.lines.size() == 1);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs WHERE user_id = '" + id
                      + "' AND COALESCE((metadata->'options'->>'holdEmail')::boolean, false)") == 3);
  // A sweep cannot take it.
  r = schedule(db, "--no-email");
  CHECK(r.status == 2);
  CHECK(r.err.find("--no-email only applies to a backfill") != std::string::npos);
}

TEST_CASE("schedule invalid preferences are reported and skipped") {
  TestDb db;
  const std::string bad = add_user(db, "bad@example.com", "daily", "09:00", "Mars/Olympus_Mons");
  add_user(db, "good@example.com", "daily", "09:00", "UTC");
  Run r = schedule(db, "--now 2026-01-15T08:45:00Z --json");
  CHECK(r.status == 1);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0]["user_id"] != bad);
  CHECK(r.err.find(bad) != std::string::npos);
  CHECK(r.err.find("Invalid timezone \"Mars/Olympus_Mons\"") != std::string::npos);
  CHECK(r.err.find("invalid preference 1") != std::string::npos);
  // Never scheduled in UTC instead.
  CHECK(count(db, "SELECT count(*) FROM queue_jobs WHERE user_id = '" + bad + "'") == 0);
  // Fixing the zone makes it schedulable at the next sweep.
  db.exec("UPDATE user_brief_preferences SET timezone = 'Europe/Paris' WHERE user_id = '" + bad + "'");
  r = schedule(db, "--now 2026-01-15T07:45:00Z --json");
  CHECK(r.status == 0);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0]["user_id"] == bad);
  CHECK(r.lines[0]["scheduled_for"] == "2026-01-15T07:58:00Z");
}

TEST_CASE("schedule never writes preferences and catches edits behind the window") {
  TestDb db;
  add_user(db, "e@example.com", "daily", "11:00", "UTC");
  const std::string before = db.scalar("SELECT xmin::text || updated_at::text FROM user_brief_preferences");
  Run r = schedule(db, "--now 2026-01-15T09:45:00Z --json");
  CHECK(r.lines.empty());
  CHECK(db.scalar("SELECT xmin::text || updated_at::text FROM user_brief_preferences") == before);
  // At 09:50 the user moves the brief to 10:00, which the 09:45 sweep had
  // already covered (up to 10:05) with the old time. The 10:00 sweep
  // covers 10:05 to 10:20 and still queues it, from the edit.
  db.exec("ALTER TABLE user_brief_preferences DISABLE TRIGGER user_brief_preferences_touch_updated_at");
  db.exec("UPDATE user_brief_preferences SET time_of_day = '10:00', updated_at = '2026-01-15T09:50:00Z'");
  db.exec("ALTER TABLE user_brief_preferences ENABLE TRIGGER user_brief_preferences_touch_updated_at");
  r = schedule(db, "--now 2026-01-15T10:00:00Z --json");
  CHECK(r.status == 0);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0]["scheduled_for"] == "2026-01-15T09:58:00Z");
  CHECK(r.err.find("(1 new or edited)") != std::string::npos);
  // An edit to a time already past today waits for tomorrow.
  db.exec("ALTER TABLE user_brief_preferences DISABLE TRIGGER user_brief_preferences_touch_updated_at");
  db.exec("UPDATE user_brief_preferences SET time_of_day = '08:00', updated_at = '2026-01-15T10:05:00Z'");
  db.exec("ALTER TABLE user_brief_preferences ENABLE TRIGGER user_brief_preferences_touch_updated_at");
  r = schedule(db, "--now 2026-01-15T10:15:00Z --json");
  CHECK(r.lines.empty());
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 1);
  // A plain edit through the trigger stamps updated_at.
  db.exec("UPDATE user_brief_preferences SET email_daily_brief = true");
  CHECK(db.scalar("SELECT updated_at > '2026-01-16' FROM user_brief_preferences") == "t");
}

TEST_CASE("schedule sweeps every 30 minutes for two days queue each run once") {
  namespace s = briefos::schedule;
  TestDb db;
  const std::vector<std::string> zones = {"UTC", "America/New_York", "Europe/Berlin", "Asia/Kathmandu",
                                          "Pacific/Kiritimati", "Australia/Lord_Howe", "America/St_Johns"};
  const std::vector<std::string> times = {"00:00:00", "02:30:00", "09:00:00", "12:07:00", "23:45:00"};
  struct User {
    std::string id;
    std::string zone;
    s::TimeOfDay time;
  };
  std::vector<User> users;
  for (const auto& z : zones) {
    for (const auto& t : times) {
      const std::string id = add_user(db, "u" + std::to_string(users.size()) + "@example.com", "daily", t, z);
      users.push_back({id, z, *s::parse_time_of_day(t)});
    }
  }
  // Across New York's spring-forward night (2026-03-08).
  const s::Instant first = *s::parse_instant("2026-03-07T12:00:00Z");
  std::set<std::string> got;
  for (int i = 0; i <= 96; ++i) {
    const s::Instant now = first + std::chrono::minutes(30 * i);
    const Run r = schedule(db, "--now " + s::format_instant(now) + " --json");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    for (const auto& l : r.lines) {
      const std::string key = l["user_id"].get<std::string>() + " " + l["brief_date"].get<std::string>() + " "
                              + l["scheduled_for"].get<std::string>();
      CHECK_MESSAGE(got.insert(key).second, key);
    }
  }
  // Every run in [first - 2h catch-up, last + 20 min lookahead], once.
  const s::Instant from = first - std::chrono::hours(2);
  const s::Instant upto = first + std::chrono::minutes(30 * 96 + 20);
  std::set<std::string> want;
  for (const auto& u : users) {
    const s::Days d0 = *briefos::util::local_date(u.zone, from) - std::chrono::days(1);
    for (s::Days d = d0; d <= d0 + std::chrono::days(5); d += std::chrono::days(1)) {
      const s::Instant run = *s::resolve_local(u.zone, d, u.time);
      if (run < from || run > upto) continue;
      want.insert(u.id + " " + s::format_date(*briefos::util::local_date(u.zone, run)) + " "
                  + s::format_instant(run - std::chrono::minutes(2)));
    }
  }
  CHECK(want.size() > 60);
  CHECK(got == want);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == static_cast<long long>(want.size()));
}

TEST_CASE("schedule backfill and force") {
  TestDb db;
  const std::string id = add_user(db, "Back@Example.com", "weekly", "09:00", "Europe/Berlin", "3");
  Run r = schedule(db, "--user back@example.com --from 2026-01-10 --to 2026-01-12 --json");
  CHECK_MESSAGE(r.status == 0, r.err);
  REQUIRE(r.lines.size() == 3);
  std::set<std::string> dates;
  for (const auto& l : r.lines) dates.insert(l["brief_date"].get<std::string>());
  CHECK(dates == std::set<std::string>{"2026-01-10", "2026-01-11", "2026-01-12"});
  // Claimable now, whatever the preferred time.
  CHECK(count(db, "SELECT count(*) FROM queue_jobs WHERE scheduled_for <= now()") == 3);
  r = schedule(db, "--user " + id + " --from 2026-01-10 --to 2026-01-12 --json");
  CHECK(r.lines.empty());
  CHECK(r.err.find("already queued 3") != std::string::npos);
  // --force cancels the active jobs and queues fresh ones.
  db.exec("UPDATE queue_jobs SET status = 'completed', completed_at = now()"
          " WHERE metadata->>'briefDate' = '2026-01-10'");
  db.exec("INSERT INTO daily_briefs (user_id, brief_date, generation_status) VALUES ('" + id
          + "', '2026-01-10', 'completed')");
  r = schedule(db, "--user back@example.com --from 2026-01-10 --to 2026-01-12 --force --json");
  CHECK(r.status == 0);
  CHECK(r.lines.size() == 3);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs WHERE status = 'cancelled'"
                  " AND error_message = 'Cancelled: regenerate requested'") == 2);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs WHERE status = 'pending'") == 3);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 6);
  // --user alone: today's brief in the user's zone.
  r = schedule(db, "--user back@example.com --now 2026-02-01T23:30:00Z --json");
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0]["brief_date"] == "2026-02-02");
  // Unknown users and bad dates are usage errors; nothing is written.
  r = schedule(db, "--user nobody@example.com --date 2026-01-10");
  CHECK(r.status == 2);
  CHECK(r.err.find("nobody@example.com") != std::string::npos);
  CHECK(schedule(db, "--user " + id + " --date 2026-02-30").status == 2);
  r = schedule(db, "--user " + id + " --from 2026-01-12 --to 2026-01-10");
  CHECK(r.status == 2);
  CHECK(r.err.find("--from 2026-01-12 is after --to 2026-01-10") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 7);
}

TEST_CASE("schedule engagement backoff flags re-engagement") {
  TestDb db;
  const std::string active = add_user(db, "active@example.com", "daily", "09:00", "UTC");
  const std::string cooling = add_user(db, "cooling@example.com", "daily", "09:00", "UTC");
  const std::string four = add_user(db, "four@example.com", "daily", "09:00", "UTC");
  db.exec("UPDATE users SET last_visit = '2026-01-14T12:00:00Z' WHERE id = '" + active + "'");
  db.exec("UPDATE users SET last_visit = '2026-01-12T08:00:00Z' WHERE id = '" + cooling + "'");
  db.exec("UPDATE users SET last_visit = '2026-01-11T08:00:00Z' WHERE id = '" + four + "'");
  db.exec("UPDATE user_brief_preferences SET email_daily_brief = true");
  Run r = schedule(db, "--now 2026-01-15T08:45:00Z --engagement-backoff --json");
  CHECK(r.status == 0);
  REQUIRE(r.lines.size() == 3);
  CHECK(r.err.find("email held back by engagement backoff 1") != std::string::npos);
  CHECK(r.err.find("skipped 0") != std::string::npos);
  // Backoff withholds the email, not the brief (the original's defect 12).
  const auto held = nlohmann::json::parse(
      db.scalar("SELECT metadata::text FROM queue_jobs WHERE user_id = '" + cooling + "'"));
  CHECK(held["options"] == nlohmann::json{{"holdEmail", true}});
  // And briefos-generate stores that brief without creating an email.
  std::string out;
  REQUIRE(briefos::testing::run_shell(std::string(BRIEFOS_BIN_DIR) + "/briefos-generate --database-url '"
                                          + db.url() + "' --drain -q --email-empty",
                                      &out) == 0);
  CHECK(count(db, "SELECT count(*) FROM daily_briefs WHERE generation_status = 'completed'") == 3);
  CHECK(count(db, "SELECT count(*) FROM emails WHERE created_by = '" + cooling + "'") == 0);
  CHECK(count(db, "SELECT count(*) FROM emails WHERE created_by = '" + active + "'") == 1);
  CHECK(db.scalar("SELECT result->>'email_action' FROM queue_jobs WHERE user_id = '" + cooling + "'")
        == "held_back");
  const auto meta = nlohmann::json::parse(
      db.scalar("SELECT metadata::text FROM queue_jobs WHERE user_id = '" + four + "'"));
  CHECK(meta["options"] == nlohmann::json{{"isReengagement", true}, {"daysSinceLastLogin", 4}});
  const auto normal = nlohmann::json::parse(
      db.scalar("SELECT metadata::text FROM queue_jobs WHERE user_id = '" + active + "'"));
  CHECK(normal["options"] == nlohmann::json::object());
}

TEST_CASE("schedule waits for the sweep lock and gives up with exit 4") {
  TestDb db;
  add_user(db, "l@example.com", "daily", "09:00", "UTC");
  // Another sweep in progress: hold the sweep lock on a second connection.
  pqxx::connection other{db.url()};
  pqxx::work holder{other};
  holder.exec("SELECT pg_advisory_xact_lock(4778973703033930801)");
  Run r = schedule(db, "--now 2026-01-15T08:45:00Z --lock-timeout 1");
  CHECK(r.status == 4);
  CHECK(r.err.find("held the sweep lock") != std::string::npos);
  r = schedule(db, "--now 2026-01-15T08:45:00Z --lock-timeout 0");
  CHECK(r.status == 4);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 0);
  holder.abort();
  r = schedule(db, "--now 2026-01-15T08:45:00Z --lock-timeout 0");
  CHECK(r.status == 0);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 1);
}

TEST_CASE("schedule dry run changes nothing") {
  TestDb db;
  add_user(db, "d@example.com", "daily", "09:00", "UTC");
  Run r = schedule(db, "--now 2026-01-15T08:45:00Z --dry-run --json");
  CHECK(r.status == 0);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0]["job_id"].is_null());
  CHECK(r.err.find("would queue 1") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM queue_jobs") == 0);
  CHECK(count(db, "SELECT count(*) FROM schedule_state") == 0);
}

TEST_SUITE_END();
