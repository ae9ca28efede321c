// SPDX-License-Identifier: MIT
#include <briefos/brief.hpp>
#include <briefos/render.hpp>
#include <briefos/error.hpp>

#include <doctest/doctest.h>

#include <date/date.h>

#include <fstream>
#include <sstream>

using namespace briefos::brief;
using namespace std::chrono_literals;

namespace {

// "2025-10-01T04:00:00Z" -> TimePoint
TimePoint at(const std::string& iso) {
  std::istringstream in(iso);
  date::sys_time<std::chrono::milliseconds> t;
  in >> date::parse("%FT%TZ", t);
  REQUIRE_FALSE(in.fail());
  return TimePoint{t.time_since_epoch()};
}

std::string iso(TimePoint t) { return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t)); }

Task task(const std::string& id, std::optional<std::string> start, std::string status = "backlog") {
  Task t;
  t.id = id;
  t.project_id = "p1";
  t.title = "Task " + id;
  t.status = std::move(status);
  if (start) t.start_date = at(*start);
  t.updated_at = at("2025-09-01T00:00:00Z");
  return t;
}

bool has(const std::vector<const Task*>& v, const std::string& id) {
  for (const Task* t : v) {
    if (t->id == id) return true;
  }
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Compare with a golden file; BRIEFOS_UPDATE_GOLDEN=1 rewrites it.
void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(BRIEFOS_SOURCE_DIR) + "/tests/unit/golden/" + name;
  if (std::getenv("BRIEFOS_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
  }
  const std::string expected = read_file(path);
  INFO("golden file ", path);
  CHECK(actual == expected);
}

// A fixed scenario for 2025-10-01 in America/New_York (UTC-4), generated at
// 09:00 local (13:00Z).
std::vector<Project> scenario() {
  Project p;
  p.id = "11111111-1111-1111-1111-111111111111";
  p.name = "Launch website";
  p.description = "Ship the new marketing site.";
  auto add = [&](Task t) {
    t.project_id = p.id;
    p.tasks.push_back(std::move(t));
  };
  {
    Task t = task("a1", "2025-10-01T14:00:00Z", "in_progress");
    t.title = "Write landing copy";
    t.priority = "high";
    t.description = "Hero, features and pricing sections.";
    t.has_calendar_event = true;
    add(t);
  }
  {
    Task t = task("a2", "2025-10-02T03:30:00Z");  // 23:30 local on Oct 1: today
    t.title = "Review analytics";
    add(t);
  }
  {
    Task t = task("a3", "2025-10-01T03:59:00Z");  // 23:59 local on Sep 30: overdue
    t.title = "Fix footer links";
    t.priority = "low";
    add(t);
  }
  {
    Task t = task("a4", "2025-09-20T13:00:00Z", "blocked");
    t.title = "Pick a CDN";
    t.details = std::string(240, 'x') + ". Then more text that should be cut away entirely, because"
                " all of it runs past the 295 characters the reference allows.";
    add(t);
  }
  {
    Task t = task("a5", "2025-10-03T13:00:00Z");
    t.title = "Launch checklist";
    t.priority = "high";
    add(t);
  }
  {
    Task t = task("a6", "2025-10-20T13:00:00Z");
    t.title = "Retrospective";
    add(t);
  }
  {
    Task t = task("a7", std::nullopt, "done");
    t.title = "Buy domain";
    t.completed_at = at("2025-09-30T20:00:00Z");  // 16:00 local yesterday
    t.updated_at = at("2025-09-30T20:00:00Z");
    add(t);
  }
  {
    Task t = task("a8", "2025-09-29T13:00:00Z");
    t.title = "Deleted task";
    t.deleted = true;
    add(t);
  }
  {
    Task t = task("a9", "2025-09-29T13:00:00Z");
    t.title = "Outdated task";
    t.outdated = true;
    add(t);
  }
  Note n;
  n.id = "n1";
  n.project_id = p.id;
  n.title = "Meeting notes";
  n.content = "Agreed on a soft launch.";
  n.updated_at = at("2025-09-30T18:05:00Z");  // 2:05 PM local
  p.notes.push_back(n);

  Project q;
  q.id = "22222222-2222-2222-2222-222222222222";
  q.name = "Garden";
  Phase ph;
  ph.id = "ph1";
  ph.project_id = q.id;
  ph.name = "Autumn planting";
  ph.description = "Bulbs before the frost.";
  ph.start_date = "2025-09-15";
  ph.end_date = "2025-10-31";
  ph.order = 1;
  ph.task_ids = {"b1"};
  {
    Task t = task("b1", "2025-10-05T12:00:00Z");
    t.project_id = q.id;
    t.title = "Plant tulips";
    q.tasks.push_back(t);
  }
  {
    Task t = task("b2", "2025-10-06T12:00:00Z");
    t.project_id = q.id;
    t.title = "Not in phase";
    q.tasks.push_back(t);
  }
  q.phases.push_back(ph);

  Project r;
  r.id = "33333333-3333-3333-3333-333333333333";
  r.name = "Someday";
  return {p, q, r};
}

// Not a namespace-scope constant: at() uses REQUIRE, which only works
// inside a test case.
TimePoint scenario_now_at() { return at("2025-10-01T13:00:00Z"); }

}  // namespace

TEST_SUITE_BEGIN("brief");

TEST_CASE("brief::day_bounds of 2025-10-01 in several zones") {
  struct Case {
    const char* zone;
    const char* start;
    const char* end;
  };
  const Case cases[] = {
      {"UTC", "2025-10-01T00:00:00Z", "2025-10-02T00:00:00Z"},
      {"Europe/Berlin", "2025-09-30T22:00:00Z", "2025-10-01T22:00:00Z"},
      {"Asia/Tokyo", "2025-09-30T15:00:00Z", "2025-10-01T15:00:00Z"},
      {"Asia/Kolkata", "2025-09-30T18:30:00Z", "2025-10-01T18:30:00Z"},
      // West of UTC: the reference got these a day early.
      {"America/New_York", "2025-10-01T04:00:00Z", "2025-10-02T04:00:00Z"},
      {"America/Los_Angeles", "2025-10-01T07:00:00Z", "2025-10-02T07:00:00Z"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.zone);
    const DayBounds b = day_bounds("2025-10-01", c.zone);
    CHECK(iso(b.start) == c.start);
    CHECK(iso(b.end) == c.end);
  }
}

TEST_CASE("brief::day_bounds across DST changes") {
  const DayBounds spring = day_bounds("2025-03-09", "America/New_York");
  CHECK(iso(spring.start) == "2025-03-09T05:00:00Z");
  CHECK(spring.end - spring.start == 23h);
  const DayBounds fall = day_bounds("2025-11-02", "America/New_York");
  CHECK(iso(fall.start) == "2025-11-02T04:00:00Z");
  CHECK(fall.end - fall.start == 25h);
  // Chile skips local midnight: the day starts when the gap ends.
  const DayBounds chile = day_bounds("2025-09-07", "America/Santiago");
  CHECK(iso(chile.start) == "2025-09-07T04:00:00Z");
  CHECK(iso(chile.end) == "2025-09-08T03:00:00Z");
}

TEST_CASE("brief::day_bounds rejects bad input") {
  CHECK_THROWS_AS(day_bounds("2025-02-30", "UTC"), briefos::DataError);
  CHECK_THROWS_AS(day_bounds("20251001", "UTC"), briefos::DataError);
  CHECK_THROWS_AS(day_bounds("2025-10-01", "Mars/Olympus"), briefos::DataError);
  CHECK_FALSE(is_valid_zone("Mars/Olympus"));
  CHECK(is_valid_zone("America/New_York"));
}

TEST_CASE("brief::local_date and add_days") {
  CHECK(local_date(at("2025-10-01T03:00:00Z"), "America/New_York") == "2025-09-30");
  CHECK(local_date(at("2025-10-01T03:00:00Z"), "Asia/Tokyo") == "2025-10-01");
  CHECK(add_days("2025-12-31", 1) == "2026-01-01");
  CHECK(add_days("2024-03-01", -1) == "2024-02-29");
}

TEST_CASE("brief::categorise at the day boundaries") {
  for (const char* zone : {"UTC", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Europe/Berlin"}) {
    CAPTURE(zone);
    const DayBounds d = day_bounds("2025-10-01", zone);
    Project p;
    p.id = "p1";
    p.name = "P";
    Task first = task("first", std::nullopt);
    first.start_date = d.start;  // first instant of the day
    Task last = task("last", std::nullopt);
    last.start_date = d.end - 1ms;  // last instant of the day
    Task before = task("before", std::nullopt);
    before.start_date = d.start - 1ms;
    Task after = task("after", std::nullopt);
    after.start_date = d.end;  // local midnight of the next day
    Task week_end = task("week_end", std::nullopt);
    week_end.start_date = day_bounds("2025-10-08", zone).start;  // D+7 starts: still next 7 days
    Task beyond = task("beyond", std::nullopt);
    beyond.start_date = day_bounds("2025-10-08", zone).end;  // D+8: not in next 7 days
    p.tasks = {first, last, before, after, week_end, beyond};
    const Categories c = categorise(p, "2025-10-01", zone, d.start, Settings{});
    CHECK(has(c.todays, "first"));
    CHECK(has(c.todays, "last"));
    CHECK_FALSE(has(c.todays, "before"));
    CHECK_FALSE(has(c.todays, "after"));
    CHECK(has(c.overdue, "before"));
    CHECK_FALSE(has(c.overdue, "first"));
    CHECK(has(c.next_seven_days, "after"));
    CHECK(has(c.next_seven_days, "week_end"));
    CHECK_FALSE(has(c.next_seven_days, "beyond"));
    CHECK_FALSE(has(c.next_seven_days, "last"));
    CHECK(c.upcoming.size() == 3);  // everything after today, soonest first
    CHECK(c.upcoming.front()->id == "after");
    CHECK_FALSE(has(c.upcoming, "first"));  // listed once, under today
    CHECK_FALSE(has(c.upcoming, "last"));
  }
}

TEST_CASE("brief::categorise west of UTC puts late-evening tasks on the right day") {
  Project p;
  p.id = "p1";
  p.tasks = {task("evening_before", "2025-10-01T03:59:00Z"), task("evening_of", "2025-10-02T03:30:00Z")};
  const Categories c = categorise(p, "2025-10-01", "America/New_York", scenario_now_at(), Settings{});
  // 23:59 on Sep 30 in New York is overdue on Oct 1; the reference called it "today".
  CHECK(has(c.overdue, "evening_before"));
  CHECK_FALSE(has(c.todays, "evening_before"));
  CHECK(has(c.todays, "evening_of"));
}

TEST_CASE("brief::categorise never shows deleted or outdated tasks") {
  Project p;
  p.id = "p1";
  Task del = task("del", "2025-10-01T12:00:00Z");
  del.deleted = true;
  Task old = task("old", "2025-09-01T12:00:00Z");
  old.outdated = true;
  Task done_del = task("done_del", std::nullopt, "done");
  done_del.completed_at = at("2025-10-01T10:00:00Z");
  done_del.deleted = true;
  p.tasks = {del, old, done_del};
  const Categories c = categorise(p, "2025-10-01", "UTC", scenario_now_at(), Settings{});
  const ProjectStats s = stats_of(c);
  CHECK(s.quiet());
  CHECK(c.upcoming.empty());
  CHECK(c.recently_completed.empty());
}

TEST_CASE("brief::categorise recently completed means 24 hours by completed_at") {
  Project p;
  p.id = "p1";
  const TimePoint now = at("2025-10-01T13:00:00Z");
  Task in = task("in", std::nullopt, "done");
  in.completed_at = now - 23h;
  Task out = task("out", std::nullopt, "done");
  out.completed_at = now - 25h;
  out.updated_at = now - 1h;  // edited recently: the reference listed it
  Task no_completed_at = task("no_completed_at", std::nullopt, "done");
  no_completed_at.updated_at = now - 1h;
  Task later = task("later", std::nullopt, "done");
  later.completed_at = now + 1h;  // after the as-of instant
  p.tasks = {in, out, no_completed_at, later};
  SUBCASE("a brief made during its day looks back from now") {
    const Categories c = categorise(p, "2025-10-01", "UTC", now, Settings{});
    CHECK(has(c.recently_completed, "in"));
    CHECK_FALSE(has(c.recently_completed, "out"));
    CHECK_FALSE(has(c.recently_completed, "no_completed_at"));
    CHECK_FALSE(has(c.recently_completed, "later"));
  }
}

TEST_CASE("brief::categorise recently completed of a backfilled past day") {
  Project p;
  p.id = "p1";
  Task a = task("a", std::nullopt, "done");
  a.completed_at = at("2025-09-30T14:00:00Z");
  Task b = task("b", std::nullopt, "done");
  b.completed_at = at("2025-09-29T23:00:00Z");
  p.tasks = {a, b};
  const Categories c = categorise(p, "2025-09-30", "UTC", at("2025-10-05T00:00:00Z"), Settings{});
  CHECK(has(c.recently_completed, "a"));
  CHECK_FALSE(has(c.recently_completed, "b"));
}

TEST_CASE("brief::categorise bounds the overdue list") {
  Project p;
  p.id = "p1";
  p.name = "Backlog";
  for (int i = 0; i < 15; ++i) {
    char start[32];
    std::snprintf(start, sizeof start, "2025-09-%02dT12:00:00Z", i + 1);
    p.tasks.push_back(task("t" + std::to_string(i), std::string(start)));
  }
  Settings s;
  s.overdue_limit = 10;
  const Categories c = categorise(p, "2025-10-01", "UTC", scenario_now_at(), s);
  CHECK(c.overdue.size() == 10);
  CHECK(c.overdue_total == 15);
  CHECK(c.overdue.front()->id == "t14");  // most recent first
  CHECK(stats_of(c).overdue == 15);
  const std::string md = project_markdown(p, c, "UTC");
  CHECK(md.find("- *... and 5 more overdue tasks*\n") != std::string::npos);
  ProjectBrief pb{&p, c, stats_of(c), md};
  const std::string main = main_markdown({pb}, "2025-10-01", s);
  CHECK(main.find("**15 tasks are overdue**") != std::string::npos);
  CHECK(main.find("- **[Backlog](/projects/p1)**: 15 overdue tasks\n") != std::string::npos);
}

TEST_CASE("brief::categorise picks the current phase and its upcoming tasks") {
  auto projects = scenario();
  const Categories c = categorise(projects[1], "2025-10-01", "America/New_York", scenario_now_at(), Settings{});
  REQUIRE(c.current_phase != nullptr);
  CHECK(c.current_phase->name == "Autumn planting");
  CHECK(has(c.upcoming, "b1"));
  CHECK_FALSE(has(c.upcoming, "b2"));  // not a task of the phase
  CHECK(has(c.next_seven_days, "b2"));
  // ... but the phase does not hide it: it is among the other upcoming tasks.
  CHECK(has(c.other_upcoming, "b2"));
  CHECK(stats_of(c).upcoming == 2);
  const std::string md = project_markdown(projects[1], c, "America/New_York");
  CHECK(md.find("**Other tasks in the next 7 days:**\n- 📅 [Not in phase]") != std::string::npos);
}

TEST_CASE("brief::categorise shows a task once per project section") {
  auto projects = scenario();
  const Categories c = categorise(projects[0], "2025-10-01", "America/New_York", scenario_now_at(), Settings{});
  CHECK(has(c.todays, "a1"));
  CHECK_FALSE(has(c.upcoming, "a1"));
  const std::string md = project_markdown(projects[0], c, "America/New_York");
  const std::string link = "[Write landing copy](";
  const std::size_t first = md.find(link);
  REQUIRE(first != std::string::npos);
  CHECK(md.find(link, first + 1) == std::string::npos);
}

TEST_CASE("brief::categorise bounds the upcoming lists and counts them in full") {
  Project p;
  p.id = "p1";
  p.name = "Busy";
  for (int i = 0; i < 14; ++i) {
    char start[32];
    std::snprintf(start, sizeof start, "2025-10-%02dT12:00:00Z", i + 2);
    p.tasks.push_back(task("t" + std::to_string(i), std::string(start)));
  }
  const Categories c = categorise(p, "2025-10-01", "UTC", scenario_now_at(), Settings{});
  CHECK(c.upcoming.size() == 10);
  CHECK(c.upcoming_total == 14);
  CHECK(stats_of(c).upcoming == 14);
  CHECK(stats_of(c).next_seven_days == 7);
  const std::string md = project_markdown(p, c, "UTC");
  CHECK(md.find("- *... and 4 more upcoming tasks*\n") != std::string::npos);
  ProjectBrief pb{&p, c, stats_of(c), md};
  CHECK(executive_summary({pb}).find("**14 tasks** are upcoming, **7** in the next 7 days") != std::string::npos);
}

TEST_CASE("brief::trim_text") {
  CHECK(trim_text("  short  ") == "short");
  const std::string s225(225, 'a');
  CHECK(trim_text(s225) == s225);
  // Between min and max and ending in a sentence end: kept whole.
  const std::string ends = std::string(250, 'a') + ".";
  CHECK(trim_text(ends) == ends);
  // A sentence end inside [225, 295]: cut there.
  const std::string sentence = std::string(230, 'a') + ". " + std::string(100, 'b');
  CHECK(trim_text(sentence) == std::string(230, 'a') + ".");
  // No sentence end, a space past 225: cut at the last space before 295.
  const std::string words = std::string(240, 'a') + " " + std::string(30, 'b') + " " + std::string(60, 'c');
  CHECK(trim_text(words) == std::string(240, 'a') + " " + std::string(30, 'b') + "...");
  // No break at all: hard cut at 295.
  const std::string solid(400, 'z');
  CHECK(trim_text(solid) == std::string(295, 'z') + "...");
  // Never splits a UTF-8 sequence.
  std::string utf;
  for (int i = 0; i < 200; ++i) utf += "é";
  CHECK(trim_text(utf) == utf);  // 200 code points <= 225: whole
  std::string longer;
  for (int i = 0; i < 400; ++i) longer += "é";
  CHECK(trim_text(longer) == longer.substr(0, 295 * 2) + "...");
}

TEST_CASE("brief::executive_summary wording") {
  Project p;
  p.id = "p";
  p.name = "P";
  ProjectBrief a{&p, {}, {}, ""};
  SUBCASE("minimal") {
    CHECK(executive_summary({a}) ==
          "You have **1 active project** and no tasks starting today. **0 tasks** are upcoming.");
  }
  SUBCASE("everything") {
    ProjectBrief b = a;
    b.stats.todays = 2;
    b.stats.overdue = 3;
    b.stats.upcoming = 4;
    b.stats.next_seven_days = 1;
    b.stats.recently_completed = 5;
    CHECK(executive_summary({a, b}) ==
          "You have **2 active projects** with **2 tasks starting today** across **1 project**. "
          "**3 tasks are overdue**. **4 tasks** are upcoming, **1** in the next 7 days, and "
          "**5 tasks** were completed in the last 24 hours.");
  }
  SUBCASE("singular") {
    ProjectBrief b = a;
    b.stats.todays = 1;
    b.stats.overdue = 1;
    b.stats.upcoming = 1;
    b.stats.recently_completed = 1;
    CHECK(executive_summary({b}) ==
          "You have **1 active project** with **1 task starting today** across **1 project**. "
          "**1 task is overdue**. **1 task** is upcoming and **1 task** was completed in the last "
          "24 hours.");
  }
}

TEST_CASE("brief::parse_summary reads the counts back") {
  for (const Totals t : {Totals{1, 0, 0, 0, 0, 0, 0}, Totals{2, 1, 2, 3, 4, 1, 5}, Totals{1, 1, 1, 1, 1, 1, 1},
                         Totals{20, 20, 600, 123, 4567, 89, 10}}) {
    const std::string s = executive_summary(t);
    CAPTURE(s);
    const auto back = parse_summary(s);
    REQUIRE(back.has_value());
    CHECK(back->projects == t.projects);
    CHECK(back->projects_today == t.projects_today);
    CHECK(back->today == t.today);
    CHECK(back->overdue == t.overdue);
    CHECK(back->upcoming == t.upcoming);
    CHECK(back->next_seven_days == t.next_seven_days);
    CHECK(back->completed == t.completed);
  }
  CHECK_FALSE(parse_summary("You have **no active projects** to brief today.").has_value());
  CHECK_FALSE(parse_summary("Anything else").has_value());
  // An older release's sentence: its counts are not read as zeros.
  CHECK_FALSE(parse_summary("You have **3 active projects** with **2 tasks starting today** across **1 projects**. "
                            "**5 tasks** are scheduled upcoming.").has_value());
}

TEST_CASE("brief::count_of") {
  CHECK(count_of(0, "task") == "0 tasks");
  CHECK(count_of(1, "task") == "1 task");
  CHECK(count_of(2, "project") == "2 projects");
}

TEST_CASE("brief::priority_actions") {
  const std::string md =
      "### 🎯 Starting Today\n"
      "- 📅 [One](/t/1) (high priority) - Oct 1, 2025\n"
      "- 📅 [Two](/t/2) - Oct 1, 2025\n"
      "### 🎯 Current Phase: [Phase](/x)\n"
      "- 📅 [One](/t/1) (high priority)\n"
      "- ✅ [Three](/t/3) (high priority) - Completed Oct 1, 2025\n"
      "- [Four] (high priority)\n"
      "- [Five] high priority\n"
      "- [Six] high priority\n"
      "- [Seven] high priority\n";
  const auto actions = priority_actions(md);
  REQUIRE(actions.size() == 5);
  CHECK(actions[0] == "One");
  CHECK(actions[1] == "Phase");
  CHECK(actions[2] == "Three");
  CHECK(actions[3] == "Four");
  CHECK(actions[4] == "Five");
}

TEST_CASE("brief::formatting of dates and subjects") {
  CHECK(format_date("2025-10-01") == "Oct 1, 2025");
  CHECK(format_instant(at("2025-10-01T03:30:00Z"), "America/New_York") == "Sep 30, 2025");
  CHECK(format_instant(at("2025-10-01T13:05:00Z"), "America/New_York", true) == "Oct 1, 2025 9:05 AM");
  CHECK(format_instant(at("2025-10-01T04:00:00Z"), "America/New_York", true) == "Oct 1, 2025 12:00 AM");
  CHECK(format_instant(at("2025-10-01T16:00:00Z"), "America/New_York", true) == "Oct 1, 2025 12:00 PM");
  CHECK(daily_subject("2025-10-01") == "Daily Brief - Wed, Oct 1");
  CHECK(daily_subject("2026-01-04") == "Daily Brief - Sun, Jan 4");
  CHECK(reengagement_subject(4) == "Your BuildOS tasks are waiting for you");
  CHECK(reengagement_subject(10) == "You've made progress - don't let it slip away");
  CHECK(reengagement_subject(31) == "We miss you at BuildOS - here's what's waiting");
}

TEST_CASE("brief::holidays_on") {
  CHECK(holidays_on("2025-11-27") == std::vector<std::string>{"Thanksgiving"});
  CHECK(holidays_on("2025-11-28") == std::vector<std::string>{"Black Friday"});
  CHECK(holidays_on("2025-04-20") == std::vector<std::string>{"Easter Sunday"});
  CHECK(holidays_on("2025-05-26") == std::vector<std::string>{"Memorial Day"});
  CHECK(holidays_on("2025-01-01") == std::vector<std::string>{"New Year's Day", "the start of Q1"});
  CHECK(holidays_on("2025-10-02").empty());
  Settings s;
  s.holidays = true;
  CHECK(main_markdown({}, "2025-12-25", s).find("## 🎉 Today is Christmas Day\n") != std::string::npos);
  s.holidays = false;
  CHECK(main_markdown({}, "2025-12-25", s).find("🎉") == std::string::npos);
}

TEST_CASE("brief::build golden Markdown") {
  const auto projects = scenario();
  Settings s;
  const BuiltBrief b = build(projects, "2025-10-01", "America/New_York", scenario_now_at(), s);
  REQUIRE(b.projects.size() == 3);
  CHECK(b.failures.empty());
  CHECK(b.succeeded == 2);
  CHECK(b.skipped == 1);  // "Someday" has nothing to say
  CHECK_FALSE(b.is_empty);
  check_golden("project_launch_website.md", b.projects[0].markdown);
  check_golden("project_garden.md", b.projects[1].markdown);
  check_golden("main_brief.md", b.markdown);
  // "🎯 Current Phase: ..." lines have no [link], so no phase name here.
  CHECK(b.priority_actions == std::vector<std::string>{"Write landing copy", "Launch checklist"});
}

TEST_CASE("brief::build isolates a failing project") {
  const auto projects = scenario();
  const BuiltBrief b = build(projects, "2025-10-01", "America/New_York", scenario_now_at(), Settings{},
                             {"11111111-1111-1111-1111-111111111111"});
  REQUIRE(b.failures.size() == 1);
  CHECK(b.failures[0].project_name == "Launch website");
  CHECK(b.projects.size() == 2);
  CHECK(b.markdown.find("Launch website") == std::string::npos);
  CHECK(b.markdown.find("## [Garden]") != std::string::npos);
}

TEST_CASE("brief::build with no projects says so and is empty") {
  const BuiltBrief b = build({}, "2025-10-01", "UTC", scenario_now_at(), Settings{});
  CHECK(b.is_empty);
  CHECK(b.projects.empty());
  check_golden("main_brief_no_projects.md", b.markdown);
}

TEST_CASE("brief::build shows what users typed as typed, cut to its cap") {
  Project p;
  p.id = "33333333-3333-3333-3333-333333333333";
  p.name = "Q&A *launch* <b>";
  p.description = "# not a heading\r\n- not a list\n1. nor this";
  Task t = task("t1", "2025-10-01T14:00:00Z");
  t.project_id = p.id;
  t.title = "Fix [broken](javascript:alert(1)) link";
  t.priority = "high";
  t.description = "![x](https://tracker.example/open.gif)\n\nsecond paragraph";
  Task big = task("t2", "2025-10-01T15:00:00Z");
  big.project_id = p.id;
  big.title = std::string(1024, 'x') + "\xC3\xA9" + std::string(2048, 'y');
  p.tasks = {t, big};
  Note n;
  n.id = "n1";
  n.project_id = p.id;
  n.title = "<script>alert(1)</script>";
  n.content = "`tick` **star**";
  n.updated_at = at("2025-09-30T18:00:00Z");
  p.notes = {n};
  const std::vector<Project> projects{p};
  const BuiltBrief b = build(projects, "2025-10-01", "America/New_York", scenario_now_at(), Settings{});
  REQUIRE(b.projects.size() == 1);
  check_golden("project_user_text.md", b.projects[0].markdown);
  // The email shows the typed text literally, and no link or image of the user's.
  const std::string text = briefos::render::markdown_to_text(b.markdown, "https://app.example.com");
  CHECK(text.find("Fix [broken](javascript:alert(1)) link (https://app.example.com/projects/") != std::string::npos);
  CHECK(text.find("## Q&A *launch* <b> (https://app.example.com/projects/") != std::string::npos);
  CHECK(text.find("# not a heading\n- not a list\n1. nor this") != std::string::npos);
  CHECK(text.find("*Description: ![x](https://tracker.example/open.gif)  second paragraph*") != std::string::npos);
  CHECK(text.find("<script>alert(1)</script> (https://app.example.com/projects/") != std::string::npos);
  const std::string html = briefos::render::markdown_to_html(b.markdown, "https://app.example.com");
  CHECK(html.find("tracker.example/open.gif\"") == std::string::npos);
  CHECK(html.find("<h1>not") == std::string::npos);
  // The 3 KB title: 1 KiB with its ellipsis, cut before the two-byte "é".
  CHECK(b.markdown.find(std::string(1021, 'x') + "\xE2\x80\xA6](") != std::string::npos);
  CHECK(b.markdown.find(std::string(1022, 'x')) == std::string::npos);
  CHECK(b.priority_actions.front() == "Fix [broken](javascript:alert(1)) link");
}

TEST_SUITE_END();
