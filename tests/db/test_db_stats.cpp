// SPDX-License-Identifier: MIT
// briefos-stats over a seeded history (tests/cli/stats_seed.sql) with known
// counts: every number of every report is checked, the Prometheus output is
// validated line by line against the text exposition format, health exit
// statuses are checked for passing and failing thresholds, and the tool is
// run under a role that may only CONNECT and SELECT.
#include "fixture.hpp"

#include <briefos/db/stats_queries.hpp>
#include <briefos/error.hpp>
#include <briefos/stats/health.hpp>
#include <briefos/stats/render.hpp>
#include <briefos/stats/time.hpp>
#include <briefos/stats/user_report.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace sq = briefos::db::stats_queries;
namespace st = briefos::stats;
using briefos::testing::TestDb;
using briefos::testing::run_shell;

namespace {

const std::string bin = BRIEFOS_BIN_DIR;

void seed(TestDb& db) {
  std::ifstream f(std::string(BRIEFOS_SOURCE_DIR) + "/tests/cli/stats_seed.sql");
  REQUIRE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  db.exec(ss.str());
}

sq::Window window(const std::string& zone = "UTC") {
  return {"2025-03-10", "2025-03-12", 3, zone};
}

// Validate `text` against the Prometheus text exposition format (0.0.4),
// line by line: HELP and TYPE once per family and before its samples,
// samples of a family contiguous, names and labels well-formed, label values
// escaped, values parseable, no duplicate series, summary suffixes only on
// summaries, a trailing newline. Returns the problems found.
std::vector<std::string> validate_exposition(const std::string& text) {
  std::vector<std::string> problems;
  static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? ([-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|Inf|NaN))$)");
  if (text.empty() || text.back() != '\n') problems.push_back("no trailing newline");
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  std::set<std::string> finished;  // families whose samples are over
  std::set<std::string> series;
  std::string current;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "line " + std::to_string(n) + ": " + line;
    std::smatch m;
    if (line.empty()) {
      problems.push_back(where + ": empty line");
    } else if (std::regex_match(line, m, help)) {
      if (!helps.insert(m[1]).second) problems.push_back(where + ": second HELP");
      if (m[1] != current) {
        if (!current.empty()) finished.insert(current);
        current = m[1];
      }
    } else if (std::regex_match(line, m, type)) {
      if (types.count(m[1]) != 0) problems.push_back(where + ": second TYPE");
      types[m[1]] = m[2];
      if (m[1] != current) problems.push_back(where + ": TYPE without HELP first");
    } else if (std::regex_match(line, m, sample)) {
      std::string name = m[1];
      std::string family = name;
      for (const std::string suffix : {"_sum", "_count"}) {
        if (types.count(name) == 0 && name.size() > suffix.size()
            && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
          family = name.substr(0, name.size() - suffix.size());
          if (types.count(family) != 0 && types[family] != "summary" && types[family] != "histogram") {
            problems.push_back(where + ": " + suffix + " on a " + types[family]);
          }
        }
      }
      if (types.count(family) == 0) problems.push_back(where + ": sample before its TYPE");
      if (family != current || finished.count(family) != 0) problems.push_back(where + ": family not contiguous");
      if (!series.insert(name + m[2].str()).second) problems.push_back(where + ": duplicate series");
      if (types[family] == "gauge" && name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0) {
        problems.push_back(where + ": _total suffix on a gauge");
      }
      if (name.rfind("briefos_", 0) != 0) problems.push_back(where + ": not in the briefos_ namespace");
    } else {
      problems.push_back(where + ": not a HELP, TYPE or sample line");
    }
  }
  return problems;
}

// The value of sample `series` (name with labels, as printed) in `text`.
std::optional<double> sample_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

st::Meta meta_for(const std::string& report, int days = 3) {
  st::Meta m;
  m.report = report;
  m.zone = "UTC";
  m.days = days;
  m.from = "2025-03-10";
  m.until = "2025-03-12";
  m.generated_at = st::Time{std::chrono::seconds{1741780800}};  // 2025-03-12T12:00:00Z
  return m;
}

st::RenderOptions as(st::Format f) {
  st::RenderOptions o;
  o.format = f;
  return o;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace

TEST_SUITE_BEGIN("stats");

TEST_CASE("stats emails report counts every status per day in UTC") {
  TestDb db;
  seed(db);
  const auto snap = sq::emails(db.session(), window(), true);
  const st::EmailReport& r = snap.report;
  REQUIRE(r.days.size() == 3);

  const st::EmailDay& d10 = r.days[0];
  CHECK(d10.date == "2025-03-10");
  CHECK(d10.total == 3);
  CHECK(d10.sent == 2);
  CHECK(d10.failed == 1);
  CHECK(d10.pending == 0);
  CHECK(d10.cancelled == 0);
  CHECK(d10.opened == 1);
  CHECK(d10.open_rate().value() == doctest::Approx(0.5));
  CHECK(d10.avg_send_seconds.value() == doctest::Approx(120));
  CHECK(d10.p95_send_seconds.value() == doctest::Approx(174));  // 60 + 0.95 * 120
  CHECK(d10.send_samples == 2);

  const st::EmailDay& d11 = r.days[1];
  CHECK(d11.date == "2025-03-11");
  CHECK(d11.total == 2);
  CHECK(d11.sent == 0);
  CHECK(d11.failed == 0);
  CHECK(d11.pending == 1);
  CHECK(d11.cancelled == 1);
  CHECK(d11.opened == 0);
  CHECK_FALSE(d11.open_rate().has_value());
  CHECK_FALSE(d11.avg_send_seconds.has_value());
  CHECK_FALSE(d11.p95_send_seconds.has_value());

  const st::EmailDay& d12 = r.days[2];
  CHECK(d12.date == "2025-03-12");
  CHECK(d12.total == 1);
  CHECK(d12.sent == 1);
  CHECK(d12.opened == 1);
  CHECK(d12.open_rate().value() == doctest::Approx(1.0));
  CHECK(d12.avg_send_seconds.value() == doctest::Approx(30));
  CHECK(d12.p95_send_seconds.value() == doctest::Approx(30));

  const st::EmailDay& t = r.total;
  CHECK(t.total == 6);
  CHECK(t.sent == 3);
  CHECK(t.failed == 1);
  CHECK(t.pending == 1);
  CHECK(t.cancelled == 1);
  CHECK(t.opened == 2);
  CHECK(t.open_rate().value() == doctest::Approx(2.0 / 3.0));
  CHECK(t.avg_send_seconds.value() == doctest::Approx(90));
  CHECK(t.p95_send_seconds.value() == doctest::Approx(168));  // 60 + 0.9 * 120
  CHECK(t.sum_send_seconds == doctest::Approx(270));
  CHECK(t.send_samples == 3);

  // Variants per day: 03-10 A sent 1 opened 1, B sent 1 opened 0;
  // 03-11 none sent 0; 03-12 B sent 1 opened 1.
  REQUIRE(r.variants.size() == 4);
  CHECK(r.variants[0].date == "2025-03-10");
  CHECK(r.variants[0].variant == std::optional<std::string>("A"));
  CHECK(r.variants[0].sent == 1);
  CHECK(r.variants[0].opened == 1);
  CHECK(r.variants[1].variant == std::optional<std::string>("B"));
  CHECK(r.variants[1].sent == 1);
  CHECK(r.variants[1].opened == 0);
  CHECK(r.variants[2].date == "2025-03-11");
  CHECK_FALSE(r.variants[2].variant.has_value());
  CHECK(r.variants[2].sent == 0);
  CHECK(r.variants[3].date == "2025-03-12");
  CHECK(r.variants[3].variant == std::optional<std::string>("B"));
  CHECK(r.variants[3].sent == 1);
  CHECK(r.variants[3].opened == 1);
  // Whole window: none 0/0, A 1 sent 1 opened, B 2 sent 1 opened.
  REQUIRE(r.variant_totals.size() == 3);
  CHECK_FALSE(r.variant_totals[0].variant.has_value());
  CHECK(r.variant_totals[0].sent == 0);
  CHECK(r.variant_totals[1].variant == std::optional<std::string>("A"));
  CHECK(r.variant_totals[1].sent == 1);
  CHECK(r.variant_totals[1].opened == 1);
  CHECK(r.variant_totals[2].variant == std::optional<std::string>("B"));
  CHECK(r.variant_totals[2].sent == 2);
  CHECK(r.variant_totals[2].opened == 1);
  CHECK(r.variant_totals[2].open_rate().value() == doctest::Approx(0.5));
}

TEST_CASE("stats emails report buckets days in the requested zone") {
  TestDb db;
  seed(db);
  // In Europe/Berlin (UTC+1 in March) e5, created 23:30 UTC on 03-11, is on
  // 03-12; everything else stays on its UTC date.
  const auto r = sq::emails(db.session(), window("Europe/Berlin"), false).report;
  REQUIRE(r.days.size() == 3);
  CHECK(r.days[0].total == 3);
  CHECK(r.days[1].total == 1);
  CHECK(r.days[1].cancelled == 1);
  CHECK(r.days[1].pending == 0);
  CHECK(r.days[2].total == 2);
  CHECK(r.days[2].pending == 1);
  CHECK(r.total.total == 6);
  // A window ending before the data is all zeros, still one row per day.
  const auto empty = sq::emails(db.session(), {"2025-01-01", "2025-01-05", 5, "UTC"}, false).report;
  REQUIRE(empty.days.size() == 5);
  CHECK(empty.days[4].date == "2025-01-05");
  CHECK(empty.total.total == 0);
  CHECK_FALSE(empty.total.avg_send_seconds.has_value());
}

TEST_CASE("stats emails report agrees with the brief_email_stats view") {
  TestDb db;
  db.exec(R"(
    INSERT INTO users (id, email) VALUES ('00000000-0000-4000-8000-0000000000aa', 'v@example.com');
    INSERT INTO emails (id, subject, from_email, from_name, status, created_by, category, created_at)
    SELECT gen_random_uuid(), 's', 'f', 'n', (ARRAY['sent','failed','pending','cancelled'])[1 + i % 4],
           '00000000-0000-4000-8000-0000000000aa', 'daily_brief',
           date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - (i % 3) * interval '1 day'
             + interval '1 minute'
      FROM generate_series(1, 40) i;
    INSERT INTO email_recipients (email_id, recipient_email, status, sent_at, opened_at)
    SELECT id, 'v@example.com', 'sent',
           CASE WHEN status = 'sent' THEN created_at + interval '42 seconds' END,
           CASE WHEN status = 'sent' AND id::text < '8' THEN created_at + interval '1 hour' END
      FROM emails;)");
  const std::string today = db.scalar("SELECT to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD')");
  const auto days = st::date_range(today, 3);
  const auto r = sq::emails(db.session(), {days.front(), today, 3, "UTC"}, false).report;
  pqxx::work tx{db.cx()};
  tx.exec("SET LOCAL TimeZone = 'UTC'");
  int compared = 0;
  for (const auto& row : tx.exec("SELECT to_char(date, 'YYYY-MM-DD') AS d, total_emails, sent_count, "
                                 "failed_count, pending_count, opened_count, avg_send_time_seconds::float8 AS avg "
                                 "FROM brief_email_stats")) {
    for (const st::EmailDay& d : r.days) {
      if (d.date != row["d"].c_str()) continue;
      INFO("day " << d.date);
      CHECK(d.total == row["total_emails"].as<long long>());
      CHECK(d.sent == row["sent_count"].as<long long>());
      CHECK(d.failed == row["failed_count"].as<long long>());
      CHECK(d.pending == row["pending_count"].as<long long>());
      CHECK(d.opened == row["opened_count"].as<long long>());
      CHECK(d.avg_send_seconds.value() == doctest::Approx(row["avg"].as<double>()));
      ++compared;
    }
  }
  CHECK(compared == 3);
}

TEST_CASE("stats briefs report counts outcomes and generation times") {
  TestDb db;
  seed(db);
  const auto r = sq::briefs(db.session(), window()).report;
  REQUIRE(r.days.size() == 3);
  const st::BriefDay& d10 = r.days[0];
  CHECK(d10.date == "2025-03-10");
  CHECK(d10.total == 3);
  CHECK(d10.generated == 2);
  CHECK(d10.failed == 1);
  CHECK(d10.empty == 1);
  CHECK(d10.with_llm == 1);
  CHECK(d10.avg_generation_seconds.value() == doctest::Approx(15));
  CHECK(d10.p95_generation_seconds.value() == doctest::Approx(19.5));
  CHECK(d10.avg_projects.value() == doctest::Approx(2.0));
  const st::BriefDay& d11 = r.days[1];
  CHECK(d11.total == 2);
  CHECK(d11.generated == 1);
  CHECK(d11.failed == 0);
  CHECK(d11.empty == 0);
  CHECK(d11.with_llm == 1);  // llm_status failed, but the analysis text is there
  CHECK(d11.avg_generation_seconds.value() == doctest::Approx(40));
  CHECK(d11.p95_generation_seconds.value() == doctest::Approx(40));
  CHECK(d11.avg_projects.value() == doctest::Approx(2.0));
  const st::BriefDay& d12 = r.days[2];
  CHECK(d12.date == "2025-03-12");
  CHECK(d12.total == 0);
  CHECK(d12.generated == 0);
  CHECK_FALSE(d12.avg_generation_seconds.has_value());
  CHECK_FALSE(d12.avg_projects.has_value());
  const st::BriefDay& t = r.total;
  CHECK(t.total == 5);
  CHECK(t.generated == 3);
  CHECK(t.failed == 1);
  CHECK(t.empty == 1);
  CHECK(t.with_llm == 2);
  CHECK(t.avg_generation_seconds.value() == doctest::Approx(70.0 / 3.0));
  CHECK(t.p95_generation_seconds.value() == doctest::Approx(38));  // 20 + 0.9 * 20
  CHECK(t.sum_generation_seconds == doctest::Approx(70));
  CHECK(t.generation_samples == 3);
  CHECK(t.avg_projects.value() == doctest::Approx(2.0));
}

TEST_CASE("stats queue report counts per job type and status") {
  TestDb db;
  seed(db);
  const auto r = sq::queue(db.session(), 5).report;
  REQUIRE(r.types.size() == 2);
  // Ordered by name: generate_brief_email, generate_daily_brief.
  const st::QueueType& e = r.types[0];
  CHECK(e.job_type == "generate_brief_email");
  CHECK(e.pending == 1);
  CHECK(e.due == 1);
  CHECK(e.oldest_due_seconds.value() == doctest::Approx(60).epsilon(0.05));
  CHECK(e.processing == 0);
  CHECK(e.expired == 0);
  CHECK(e.completed == 2);
  CHECK(e.failed == 1);
  CHECK(e.cancelled == 0);
  CHECK(e.retrying == 0);
  CHECK(e.failed_24h == 1);
  const st::QueueType& b = r.types[1];
  CHECK(b.job_type == "generate_daily_brief");
  CHECK(b.pending == 3);
  CHECK(b.due == 2);
  CHECK(b.oldest_due_seconds.value() == doctest::Approx(1200).epsilon(0.02));
  CHECK(b.processing == 2);
  CHECK(b.expired == 1);
  CHECK(b.completed == 3);
  CHECK(b.failed == 4);
  CHECK(b.cancelled == 1);
  CHECK(b.failed_24h == 3);
  // Errors of the last 24 hours, most common first per type.
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].job_type == "generate_brief_email");
  CHECK(r.errors[0].message == "550 mailbox unavailable");
  CHECK(r.errors[0].count == 1);
  CHECK(r.errors[1].job_type == "generate_daily_brief");
  CHECK(r.errors[1].message == "LLM timeout");
  CHECK(r.errors[1].count == 2);
  CHECK(r.errors[2].message == "no projects");
  CHECK(r.errors[2].count == 1);
  CHECK(r.errors[1].last_seen.has_value());
  // --top 1 keeps the most common message per type.
  const auto top1 = sq::queue(db.session(), 1).report;
  REQUIRE(top1.errors.size() == 2);
  CHECK(top1.errors[1].message == "LLM timeout");
}

TEST_CASE("stats user report explains what became of each brief email") {
  TestDb db;
  seed(db);
  SUBCASE("alice by email in any case") {
    const auto r = sq::user(db.session(), "ALICE@Example.com", window()).report;
    CHECK(r.user.id == "00000000-0000-4000-8000-00000000000a");
    CHECK(r.user.name == std::optional<std::string>("Alice"));
    CHECK(r.user.timezone == std::optional<std::string>("Europe/Berlin"));
    CHECK(r.user.time_of_day == std::optional<std::string>("07:30"));
    CHECK(r.user.email_daily_brief);
    REQUIRE(r.briefs.size() == 2);  // 03-11 and 03-10; 03-09 is outside
    CHECK(r.briefs[0].brief_date == "2025-03-11");
    CHECK(r.briefs[0].generation_seconds.value() == doctest::Approx(40));
    REQUIRE(r.briefs[0].emails.size() == 1);
    CHECK(r.briefs[0].emails[0].status == "cancelled");
    CHECK(r.briefs[0].emails[0].error == std::optional<std::string>("user opted out"));
    CHECK(st::email_outcome(r.user, r.briefs[0]) == "cancelled, not sent");
    CHECK(r.briefs[1].brief_date == "2025-03-10");
    REQUIRE(r.briefs[1].emails.size() == 1);
    const st::UserEmail& m = r.briefs[1].emails[0];
    CHECK(m.status == "sent");
    CHECK(m.open_count == 2);
    CHECK(m.recipient == std::optional<std::string>("alice@example.com"));
    CHECK(m.sent_at.has_value());
    CHECK(st::email_outcome(r.user, r.briefs[1]) == "sent, opened 2 times");
    // Alice's two failed brief jobs, with their error.
    REQUIRE(r.jobs.size() == 2);
    CHECK(r.jobs[0].status == "failed");
    CHECK(r.jobs[0].error == std::optional<std::string>("LLM timeout"));
    CHECK(r.jobs[0].brief_date == std::optional<std::string>("2025-03-12"));
  }
  SUBCASE("bob by id: bounced email and a pending brief") {
    const auto r = sq::user(db.session(), "00000000-0000-4000-8000-00000000000b", window()).report;
    CHECK(r.user.email == "bob@example.com");
    CHECK_FALSE(r.user.email_daily_brief);
    REQUIRE(r.briefs.size() == 2);
    CHECK(r.briefs[0].status == "pending");
    CHECK(st::email_outcome(r.user, r.briefs[0]) == "no email yet: brief is pending");
    REQUIRE(r.briefs[1].emails.size() == 1);
    CHECK(r.briefs[1].emails[0].recipient_error == std::optional<std::string>("550 mailbox unavailable"));
    CHECK(st::email_outcome(r.user, r.briefs[1]) == "failed: bounced");
    CHECK(r.jobs.empty());
  }
  SUBCASE("carol without preferences: failed brief") {
    const auto r = sq::user(db.session(), "carol@example.com", window()).report;
    CHECK_FALSE(r.user.has_preferences);
    REQUIRE(r.briefs.size() == 1);
    CHECK(r.briefs[0].error == std::optional<std::string>("LLM timeout"));
    CHECK(st::email_outcome(r.user, r.briefs[0]) == "no email: brief generation failed");
  }
  SUBCASE("a user id without its hyphens, in upper case, is still an id") {
    const auto r = sq::user(db.session(), "0000000000004000800000000000000B", window()).report;
    CHECK(r.user.email == "bob@example.com");
  }
  SUBCASE("unknown user is a usage error") {
    CHECK_THROWS_AS(sq::user(db.session(), "nobody@example.com", window()), briefos::UsageError);
    CHECK_THROWS_AS(sq::user(db.session(), "00000000-0000-4000-8000-0000000000ff", window()), briefos::UsageError);
  }
}

TEST_CASE("stats health inputs and checks over the seeded history") {
  TestDb db;
  seed(db);
  const auto in = sq::health(db.session(), 24 * 3600).report;
  CHECK(in.due == 3);
  CHECK(in.oldest_due_seconds.value() == doctest::Approx(1200).epsilon(0.02));
  CHECK(in.finished_ok == 5);
  CHECK(in.finished_failed == 4);
  CHECK(in.active_users == 2);
  CHECK(in.expired_leases == 1);
  CHECK(in.last_brief_age_seconds.value() > 100 * 86400.0);  // last brief in March 2025
  const st::HealthReport failing = st::evaluate_health(in, {});
  CHECK_FALSE(failing.ok());
  REQUIRE(failing.checks.size() == 5);
  for (std::size_t i = 0; i < 4; ++i) {  // every check of the seeded failures; the zones are all valid
    const auto& c = failing.checks[i];
    INFO(c.name);
    CHECK_FALSE(c.ok);
  }
  CHECK(failing.checks[4].name == "invalid_zones");
  CHECK(failing.checks[4].ok);
  CHECK(in.invalid_zone_preferences == 0);
  CHECK(failing.checks[1].value.value() == doctest::Approx(4.0 / 9.0));
  // Loosen the thresholds: everything but the expired lease passes.
  st::HealthThresholds loose;
  loose.max_queue_age_seconds = 3600;
  loose.max_failure_rate = 0.5;
  loose.max_brief_age_seconds = 1000 * 86400.0;
  const st::HealthReport mostly = st::evaluate_health(in, loose);
  CHECK(mostly.checks[0].ok);
  CHECK(mostly.checks[1].ok);
  CHECK(mostly.checks[2].ok);
  CHECK_FALSE(mostly.checks[3].ok);
}

TEST_CASE("stats health counts active preferences in zones the tz database lacks") {
  TestDb db;
  seed(db);
  // Carol gets two preferences' worth of trouble: hers and a new user's,
  // both active, in zones the system tz database does not know; an
  // inactive one does not count.
  db.exec("INSERT INTO users (id, email) VALUES ('00000000-0000-4000-8000-00000000000d', 'dan@example.com'),"
          " ('00000000-0000-4000-8000-00000000000e', 'eve@example.com')");
  db.exec("INSERT INTO user_brief_preferences (user_id, timezone, is_active) VALUES"
          " ('00000000-0000-4000-8000-00000000000c', 'Mars/Olympus_Mons', true),"
          " ('00000000-0000-4000-8000-00000000000d', 'Mars/Olympus_Mons', true),"
          " ('00000000-0000-4000-8000-00000000000e', 'Nowhere/Land', false)");
  const auto in = sq::health(db.session(), 24 * 3600).report;
  CHECK(in.invalid_zone_preferences == 2);
  CHECK(in.invalid_zones == std::vector<std::string>{"Mars/Olympus_Mons"});
  const st::HealthCheck c = st::evaluate_health(in, {}).checks.at(4);
  CHECK_FALSE(c.ok);
  CHECK(c.detail.find("2 active brief preference(s)") == 0);
  st::HealthThresholds allow;
  allow.max_invalid_zones = 2;
  CHECK(st::evaluate_health(in, allow).checks.at(4).ok);
}

TEST_CASE("stats user report dates briefs in the user's zone, with a diagnosis") {
  TestDb db;
  seed(db);
  // Kiritimati (+14) is always at least a calendar day ahead of Pago Pago
  // (-11): the operator there (the fallback or --tz zone) has an earlier
  // "today" than the user, whatever time the test runs. The user's brief
  // of their own today, completed, must show (it did not: "no briefs in
  // the window").
  db.exec("INSERT INTO users (id, email, name) VALUES ('00000000-0000-4000-8000-00000000000f', 'kiri@example.com', 'Kiri')");
  db.exec("INSERT INTO user_brief_preferences (user_id, timezone, time_of_day, email_daily_brief) VALUES"
          " ('00000000-0000-4000-8000-00000000000f', 'Pacific/Kiritimati', '00:05', true)");
  db.exec("INSERT INTO daily_briefs (id, user_id, brief_date, generation_status, generation_started_at,"
          " generation_completed_at) VALUES ('10000000-0000-4000-8000-0000000000f1',"
          " '00000000-0000-4000-8000-00000000000f', (now() AT TIME ZONE 'Pacific/Kiritimati')::date,"
          " 'completed', now(), now())");
  db.exec("INSERT INTO emails (id, subject, from_email, from_name, status, created_by, category, template_data,"
          " error_message) VALUES ('20000000-0000-4000-8000-0000000000f1', 'Daily Brief', 'b@x', 'b', 'cancelled',"
          " '00000000-0000-4000-8000-00000000000f', 'daily_brief',"
          " '{\"brief_id\": \"10000000-0000-4000-8000-0000000000f1\"}', 'address suppressed: complaint')");
  db.exec("INSERT INTO email_suppressions (email, reason, detail) VALUES ('kiri@example.com', 'complaint', 'ARF')");
  st::UserWindowRequest req;
  req.days = 1;
  req.fallback_zone = "Pacific/Pago_Pago";
  for (const bool with_tz : {false, true}) {
    CAPTURE(with_tz);
    if (with_tz) req.tz = "Pacific/Pago_Pago";
    const auto snap = sq::user(db.session(), "KIRI@example.com", req);
    const st::UserReport& r = snap.report;
    CHECK(r.window.zone == (with_tz ? "Pacific/Pago_Pago" : "Pacific/Kiritimati"));
    CHECK(r.window.until == st::local_date(snap.as_of, "Pacific/Kiritimati"));
    REQUIRE(r.briefs.size() == 1);
    CHECK(r.briefs[0].status == "completed");
    REQUIRE(r.briefs[0].emails.size() == 1);
    REQUIRE(r.suppression.has_value());
    CHECK(r.suppression->reason == "complaint");
    CHECK(r.suppression->detail == std::optional<std::string>("ARF"));
    REQUIRE(r.last_email.has_value());
    CHECK(r.last_email->id == "20000000-0000-4000-8000-0000000000f1");
    CHECK(r.last_email_brief_date == r.briefs[0].brief_date);
    const st::Diagnosis d = st::diagnose(r, snap.as_of);
    REQUIRE(d.next_run.has_value());
    CHECK(*d.next_run > snap.as_of);
    CHECK(*d.next_run - snap.as_of <= std::chrono::hours(24));
    CHECK(st::format_time_iso(*d.next_run, "Pacific/Kiritimati").substr(10, 9) == "T00:05:00");
  }
  // Alice's latest daily-brief email is e6 of 03-12 06:00 UTC, which has no
  // brief; her address is not suppressed.
  const auto alice = sq::user(db.session(), "alice@example.com", window()).report;
  REQUIRE(alice.last_email.has_value());
  CHECK(alice.last_email->id == "20000000-0000-4000-8000-000000000006");
  CHECK_FALSE(alice.last_email_brief_date.has_value());
  CHECK_FALSE(alice.suppression.has_value());
  CHECK(alice.user.schedule_time == "07:30:00");
  CHECK(alice.user.frequency == "daily");
}

TEST_CASE("stats prometheus output is valid exposition format") {
  TestDb db;
  seed(db);
  const std::string emails = st::render(sq::emails(db.session(), window(), true).report, meta_for("emails"),
                                        as(st::Format::prometheus));
  const std::string briefs = st::render(sq::briefs(db.session(), window()).report, meta_for("briefs"),
                                        as(st::Format::prometheus));
  const std::string queue = st::render(sq::queue(db.session(), 5).report, meta_for("queue", 0),
                                       as(st::Format::prometheus));
  const std::string health = st::render(st::evaluate_health(sq::health(db.session(), 86400).report, {}),
                                        meta_for("health", 0), as(st::Format::prometheus));
  for (const std::string* text : {&emails, &briefs, &queue, &health}) {
    const auto problems = validate_exposition(*text);
    for (const auto& p : problems) FAIL_CHECK(p);
    CHECK(problems.empty());
  }
  // The validator itself rejects what it should.
  CHECK_FALSE(validate_exposition("briefos_x 1\n").empty());                           // no TYPE
  CHECK_FALSE(validate_exposition("# HELP briefos_x h\n# TYPE briefos_x gauge\nbriefos_x{a=\"\"\"} 1\n").empty());
  CHECK_FALSE(validate_exposition("# HELP briefos_x h\n# TYPE briefos_x gauge\nbriefos_x 1\nbriefos_x 2\n").empty());
  CHECK_FALSE(validate_exposition("# HELP briefos_x_total h\n# TYPE briefos_x_total gauge\nbriefos_x_total 1\n").empty());
  // The numbers are the report's.
  CHECK(sample_value(emails, "briefos_brief_emails{status=\"sent\"}") == 3);
  CHECK(sample_value(emails, "briefos_brief_emails{status=\"failed\"}") == 1);
  CHECK(sample_value(emails, "briefos_brief_emails{status=\"pending\"}") == 1);
  CHECK(sample_value(emails, "briefos_brief_emails{status=\"cancelled\"}") == 1);
  CHECK(sample_value(emails, "briefos_brief_emails{status=\"other\"}") == 0);
  CHECK(sample_value(emails, "briefos_brief_emails_opened") == 2);
  CHECK(sample_value(emails, "briefos_brief_email_open_ratio").value() == doctest::Approx(2.0 / 3.0).epsilon(1e-5));
  CHECK(sample_value(emails, "briefos_brief_email_send_delay_seconds{quantile=\"0.95\"}") == 168);
  CHECK(sample_value(emails, "briefos_brief_email_send_delay_seconds_sum") == 270);
  CHECK(sample_value(emails, "briefos_brief_email_send_delay_seconds_count") == 3);
  CHECK(sample_value(emails, "briefos_brief_emails_sent_by_variant{variant=\"B\"}") == 2);
  CHECK(sample_value(emails, "briefos_brief_email_open_ratio_by_variant{variant=\"A\"}") == 1);
  CHECK(sample_value(emails, "briefos_stats_generated_timestamp_seconds{report=\"emails\"}") == 1741780800);
  CHECK(sample_value(briefs, "briefos_daily_briefs{outcome=\"generated\"}") == 3);
  CHECK(sample_value(briefs, "briefos_daily_briefs{outcome=\"failed\"}") == 1);
  CHECK(sample_value(briefs, "briefos_daily_briefs{outcome=\"other\"}") == 1);
  CHECK(sample_value(briefs, "briefos_daily_briefs_empty") == 1);
  CHECK(sample_value(briefs, "briefos_daily_briefs_with_llm_analysis") == 2);
  CHECK(sample_value(briefs, "briefos_daily_brief_generation_seconds{quantile=\"0.95\"}") == 38);
  CHECK(sample_value(briefs, "briefos_daily_brief_generation_seconds_sum") == 70);
  CHECK(sample_value(briefs, "briefos_daily_brief_generation_seconds_count") == 3);
  CHECK(sample_value(briefs, "briefos_daily_brief_projects_avg") == 2);
  CHECK(sample_value(queue, "briefos_queue_jobs{job_type=\"generate_daily_brief\",status=\"failed\"}") == 4);
  CHECK(sample_value(queue, "briefos_queue_jobs{job_type=\"generate_daily_brief\",status=\"pending\"}") == 3);
  CHECK(sample_value(queue, "briefos_queue_jobs{job_type=\"generate_brief_email\",status=\"completed\"}") == 2);
  CHECK(sample_value(queue, "briefos_queue_jobs_due{job_type=\"generate_daily_brief\"}") == 2);
  CHECK(sample_value(queue, "briefos_queue_expired_leases{job_type=\"generate_daily_brief\"}") == 1);
  CHECK(sample_value(queue, "briefos_queue_jobs_failed_last_24h{job_type=\"generate_daily_brief\"}") == 3);
  CHECK(sample_value(queue, "briefos_queue_oldest_due_age_seconds{job_type=\"generate_daily_brief\"}").value()
        == doctest::Approx(1200).epsilon(0.02));
  CHECK(sample_value(health, "briefos_health_ok") == 0);
  CHECK(sample_value(health, "briefos_health_check_ok{check=\"expired_leases\"}") == 0);
  CHECK(sample_value(health, "briefos_health_check_value{check=\"expired_leases\"}") == 1);
  CHECK(sample_value(health, "briefos_health_check_threshold{check=\"queue_age\"}") == 900);
  // The user report has no Prometheus form.
  CHECK_THROWS_AS(st::render(st::UserReport{}, meta_for("user"), as(st::Format::prometheus)), briefos::UsageError);
}

TEST_CASE("stats json and csv carry the same numbers in machine units") {
  TestDb db;
  seed(db);
  const auto r = sq::emails(db.session(), window(), false).report;
  const auto j = nlohmann::json::parse(st::render(r, meta_for("emails"), as(st::Format::json)));
  CHECK(j["report"] == "emails");
  CHECK(j["generated_at"] == "2025-03-12T12:00:00+00:00");
  CHECK(j["zone"] == "UTC");
  CHECK(j["window"]["days"] == 3);
  CHECK(j["window"]["from"] == "2025-03-10");
  CHECK(j["window"]["until"] == "2025-03-12");
  CHECK(j["days"].size() == 3);
  CHECK(j["days"][0]["date"] == "2025-03-10");
  CHECK(j["days"][0]["sent"] == 2);
  CHECK(j["days"][0]["p95_send_seconds"].get<double>() == doctest::Approx(174));
  CHECK(j["days"][1]["open_rate"].is_null());
  CHECK(j["total"]["total"] == 6);
  CHECK(j["total"]["open_rate"].get<double>() == doctest::Approx(2.0 / 3.0));
  const std::string csv = st::render(r, meta_for("emails"), as(st::Format::csv));
  CHECK(csv ==
        "date,total,sent,failed,pending,cancelled,opened,open_rate,avg_send_seconds,p95_send_seconds\n"
        "2025-03-10,3,2,1,0,0,1,0.5,120,174\n"
        "2025-03-11,2,0,0,1,1,0,,,\n"
        "2025-03-12,1,1,0,0,0,1,1,30,30\n");
  const auto q = nlohmann::json::parse(
      st::render(sq::queue(db.session(), 5).report, meta_for("queue", 0), as(st::Format::json)));
  CHECK(q["job_types"][1]["failed_24h"] == 3);
  CHECK(q["failures_24h"][1]["message"] == "LLM timeout");
  const auto u = nlohmann::json::parse(
      st::render(sq::user(db.session(), "alice@example.com", window()).report, meta_for("user"), as(st::Format::json)));
  CHECK(u["user"]["email"] == "alice@example.com");
  CHECK(u["briefs"][0]["email_status"] == "cancelled");
  CHECK(u["briefs"][0]["reason"] == "user opted out");
  CHECK(u["briefs"][1]["open_count"] == 2);
  CHECK(u["jobs"].size() == 2);
}

TEST_CASE("stats tool exit statuses for health usage errors and the database") {
  TestDb db;
  seed(db);
  const std::string tool = bin + "/briefos-stats --database-url " + shell_quote(db.url()) + " ";
  std::string out;
  CHECK(run_shell(tool + "health", &out) == briefos::exit_check_failed);
  CHECK(out.find("FAIL") != std::string::npos);
  CHECK(run_shell(tool + "health --format prometheus", &out) == briefos::exit_check_failed);
  // Fix the state: rescue the expired lease and clear the due and failed
  // jobs; with the default thresholds only the brief age still fails.
  db.exec("DELETE FROM queue_jobs WHERE status IN ('failed', 'processing') "
          "OR (status = 'pending' AND scheduled_for <= now())");
  CHECK(run_shell(tool + "health --json", &out) == briefos::exit_check_failed);
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  CHECK(j["ok"] == false);
  CHECK(j["checks"][0]["ok"] == true);
  CHECK(j["checks"][1]["ok"] == true);
  CHECK(j["checks"][2]["ok"] == false);
  CHECK(j["checks"][3]["ok"] == true);
  db.exec("UPDATE daily_briefs SET generation_completed_at = now() - interval '2 hours' "
          "WHERE id = '10000000-0000-4000-8000-000000000001'");
  CHECK(run_shell(tool + "health", &out) == briefos::exit_ok);
  CHECK(out.find("all checks passed") != std::string::npos);
  CHECK(run_shell(tool + "health --max-brief-age 1h", &out) == briefos::exit_check_failed);
  // Usage errors exit 2 with one clear line, before touching the database.
  CHECK(run_shell(tool + "emails --days 0", &out) == briefos::exit_usage);
  CHECK(out.find("invalid value \"0\" for option --days: must be between 1 and 365") != std::string::npos);
  CHECK(run_shell(tool + "emails --format yaml", &out) == briefos::exit_usage);
  CHECK(out.find("--format") != std::string::npos);
  CHECK(run_shell(tool + "emails --tz Mars/Olympus", &out) == briefos::exit_usage);
  CHECK(run_shell(tool + "emails --until 2025-02-30", &out) == briefos::exit_usage);
  CHECK(run_shell(tool + "health --max-queue-age soon", &out) == briefos::exit_usage);
  CHECK(run_shell(tool + "health --max-failure-rate 2", &out) == briefos::exit_usage);
  CHECK(run_shell(tool + "user nobody@example.com", &out) == briefos::exit_usage);
  CHECK(out.find("unknown user \"nobody@example.com\"") != std::string::npos);
  CHECK(run_shell(tool + "user alice@example.com --format prometheus", &out) == briefos::exit_usage);
  // An unreachable database exits 3 without echoing the password.
  CHECK(run_shell(bin + "/briefos-stats --database-url 'postgresql://u:s3cret@127.0.0.1:1/x' queue", &out)
        == briefos::exit_db_unreachable);
  CHECK(out.find("s3cret") == std::string::npos);
}

TEST_CASE("stats runs under a role with only CONNECT and SELECT") {
  TestDb db;
  seed(db);
  const std::string role = "stats_ro_" + db.name();
  db.exec("DROP ROLE IF EXISTS " + db.cx().quote_name(role));
  db.exec("CREATE ROLE " + db.cx().quote_name(role) + " LOGIN");
  db.exec("REVOKE ALL ON DATABASE " + db.cx().quote_name(db.name()) + " FROM PUBLIC");
  db.exec("GRANT CONNECT ON DATABASE " + db.cx().quote_name(db.name()) + " TO " + db.cx().quote_name(role));
  db.exec("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + db.cx().quote_name(role));
  // The same URL with the read-only role as user.
  std::string url = db.url();
  const std::regex user_part(R"(^(postgres(?:ql)?://)[^@/]*@)");
  if (std::regex_search(url, user_part)) {
    url = std::regex_replace(url, user_part, "$1" + role + "@");
  } else {
    url += " user=" + role;
  }
  const std::string tool = bin + "/briefos-stats --database-url " + shell_quote(url) + " --tz UTC ";
  std::string out;
  CHECK(run_shell(tool + "emails --by-variant --until 2025-03-12 --days 3 --json", &out) == 0);
  CHECK(out.find("\"sent\": 3") != std::string::npos);
  CHECK(run_shell(tool + "briefs --until 2025-03-12 --days 3 --format csv", &out) == 0);
  CHECK(run_shell(tool + "queue --format prometheus", &out) == 0);
  CHECK(run_shell(tool + "user alice@example.com --until 2025-03-12", &out) == 0);
  CHECK(run_shell(tool + "health", &out) == briefos::exit_check_failed);
  // And the role really cannot write: the reports succeed without it.
  const std::string psql_fail = "psql -X " + shell_quote(url) + " -c 'DELETE FROM queue_jobs' ";
  CHECK(run_shell(psql_fail, &out) != 0);
  CHECK(out.find("permission denied") != std::string::npos);
  db.exec("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM " + db.cx().quote_name(role));
  db.exec("REVOKE ALL ON DATABASE " + db.cx().quote_name(db.name()) + " FROM " + db.cx().quote_name(role));
  db.exec("DROP ROLE " + db.cx().quote_name(role));
}

TEST_SUITE_END();
