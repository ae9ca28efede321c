// SPDX-License-Identifier: MIT
//
// Brief building: the categorisation and Markdown of BuildOS's
// briefGenerator (reference/buildos-worker.md sections 5.4 to 5.7), kept
// byte-for-byte where the reference was right and changed where it was not:
//
// - "Today" is [local midnight of D, local midnight of D+1) in the user's
//   zone, computed with the system tz database. The reference set hours on a
//   date parsed in a UTC process, which put every zone west of UTC a day
//   early. The end is exclusive, so a task at local midnight of D+1 belongs
//   to tomorrow, not to both days.
// - Deleted (deleted_at set) and outdated tasks never appear anywhere.
// - "Recently Completed (Last 24 Hours)" really is 24 hours, by
//   completed_at: the window ends at the brief's as-of instant, which is the
//   end of the brief day, or the generation time when that is earlier (so a
//   09:00 brief shows what was finished since 09:00 yesterday, and a backfill
//   of a past day shows that day's last 24 hours). The reference used
//   updated_at over about 48 hours, so editing an old done task re-listed it.
//   A done task without completed_at is not "recently completed".
// - The overdue list is bounded (10 by default) with an "... and N more"
//   line; the counts in the summary and the overdue alert are still the full
//   numbers.
// - "Next 7 days" is [local midnight of D+1, local midnight of D+8).
// - Each task appears once per project section: "Upcoming" starts after
//   today (the reference also listed today's tasks there).
// - A current phase never hides an open task of the next 7 days: the
//   phase's upcoming tasks come first, then "Other tasks in the next 7
//   days" (the reference showed the phase's only, so a task due in two
//   days could be nowhere). Both lists are bounded with an "... and N more"
//   line, and the summary counts what the lists hold in full, so "N tasks
//   are upcoming, M in the next 7 days" never has M > N.
// - Counts read "1 task", "2 tasks" (the reference wrote "1 tasks" and
//   "overdue task(s)"); the overdue alert is a list, one project a line.
// - What users typed (titles, names, descriptions, notes) enters the
//   Markdown escaped and cut to its size cap (render/markdown_text), so it
//   shows as typed: the reference pasted it in raw, and a title could make
//   links, images and headings in everyone's view of the brief.
//
// Projects are built one after another inside a brief: each takes a few
// microseconds of pure computation, so threads per project would cost more
// than they save. Parallelism is across briefs (worker slots). Failures are
// isolated per project exactly as the reference's allSettled: a project
// that throws is recorded with its reason and left out, the brief goes on.
#include "briefos/brief.hpp"

#include "briefos/render/markdown_text.hpp"
#include "briefos/util/text.hpp"
#include "briefos/util/time.hpp"

#include "briefos/error.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <initializer_list>
#include <stdexcept>

namespace briefos::brief {

namespace {

using namespace std::chrono_literals;

constexpr std::array<const char*, 12> month_abbr = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<const char*, 7> weekday_abbr = {"Sun", "Mon", "Tue", "Wed",
                                                     "Thu", "Fri", "Sat"};

// The date rule (YYYY-MM-DD, a real calendar day) is util::parse_date's.
std::optional<date::year_month_day> parse_date(const std::string& text) { return util::parse_ymd(text); }

date::year_month_day require_date(const std::string& text) {
  auto ymd = parse_date(text);
  if (!ymd) throw DataError("invalid date \"" + text + "\": expected YYYY-MM-DD");
  return *ymd;
}

std::string iso(const date::year_month_day& ymd) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

const date::time_zone* require_zone(const std::string& zone) {
  if (const date::time_zone* tz = util::find_zone(zone)) return tz;
  throw DataError("unknown time zone \"" + zone + "\"");
}

std::string month_day_year(const date::year_month_day& ymd) {
  return std::string(month_abbr.at(static_cast<unsigned>(ymd.month()) - 1)) + " "
         + std::to_string(static_cast<unsigned>(ymd.day())) + ", "
         + std::to_string(static_cast<int>(ymd.year()));
}

// What users typed, as Markdown that shows it as typed (render/markdown_text:
// escaped, and cut to the field's size cap).
std::string title_md(const std::string& text) { return render::escape_inline(render::cap_text(text, render::title_cap)); }
std::string paragraph_md(const std::string& text) {
  return render::escape_block(render::cap_text(text, render::description_cap));
}
// An excerpt (trim_text) on one line, for the "*...*" lines under a task or note.
std::string excerpt_md(const std::string& text) {
  return render::escape_inline(trim_text(render::cap_text(text, render::description_cap)));
}

bool live(const Task& t) { return !t.deleted && !t.outdated; }
bool open(const Task& t) { return live(t) && t.start_date.has_value() && t.status != "done"; }

std::string task_icon(const Task& t) {
  if (t.status == "done") return "✅";
  if (t.status == "in_progress") return "🔄";
  if (t.status == "blocked") return "🚫";
  if (t.start_date || t.has_calendar_event) return "📅";
  return "📋";
}

std::string task_line(const Task& t, const std::string& project_id, const std::string& zone,
                      bool completed) {
  std::string s = "- " + task_icon(t) + " [" + title_md(t.title) + "](/projects/" + project_id + "/tasks/"
                  + t.id + ")";
  if (t.priority != "medium") s += " (" + t.priority + " priority)";
  if (completed && t.completed_at) {
    s += " - Completed " + format_instant(*t.completed_at, zone);
  } else if (t.start_date) {
    s += " - " + format_instant(*t.start_date, zone);
  }
  if (t.has_calendar_event) s += " 📅";
  s += "\n";
  if (t.description && !t.description->empty()) {
    s += "  *Description: " + excerpt_md(*t.description) + "*\n";
  }
  if (t.details && !t.details->empty()) s += "  *" + excerpt_md(*t.details) + "*\n";
  return s;
}

std::string note_line(const Note& n, const std::string& project_id, const std::string& zone) {
  std::string s = "- [" + (n.title && !n.title->empty() ? title_md(*n.title) : std::string("Untitled Note"))
                  + "](/projects/" + project_id + "/notes/" + n.id + ") - "
                  + format_instant(n.updated_at, zone, true) + "\n";
  if (n.content && !n.content->empty()) s += "  *" + excerpt_md(*n.content) + "*\n";
  return s;
}

// A bounded list of open tasks and, when it was cut, how many more there are.
std::string task_list(const std::vector<const Task*>& shown, std::size_t total, const char* kind,
                      const std::string& project_id, const std::string& zone) {
  std::string s;
  for (const Task* t : shown) s += task_line(*t, project_id, zone, false);
  if (total > shown.size()) {
    s += "- *... and " + count_of(total - shown.size(), std::string("more ") + kind + " task") + "*\n";
  }
  return s + "\n";
}

using util::is_space;
using util::trim;

}  // namespace

void validate_date(const std::string& date) { (void)require_date(date); }

bool is_valid_zone(const std::string& zone) { return util::zone_exists(zone); }

DayBounds day_bounds(const std::string& date_text, const std::string& zone) {
  const auto ymd = require_date(date_text);
  const date::time_zone* tz = require_zone(zone);
  const date::local_days day{ymd};
  // choose::earliest: an ambiguous midnight starts at its first occurrence;
  // a nonexistent one (gap at 00:00) maps to the end of the gap.
  const auto start = tz->to_sys(date::local_time<std::chrono::milliseconds>{day},
                                date::choose::earliest);
  const auto end = tz->to_sys(date::local_time<std::chrono::milliseconds>{day + date::days{1}},
                              date::choose::earliest);
  return {TimePoint{start.time_since_epoch()}, TimePoint{end.time_since_epoch()}};
}

std::string add_days(const std::string& date_text, int days) {
  const auto ymd = require_date(date_text);
  return iso(date::year_month_day{date::sys_days{ymd} + date::days{days}});
}

std::string local_date(TimePoint now, const std::string& zone) {
  const date::zoned_time<std::chrono::milliseconds> zt{require_zone(zone), now};
  return iso(date::year_month_day{date::floor<date::days>(zt.get_local_time())});
}

TimePoint as_of(const DayBounds& day, TimePoint now) { return std::min(day.end, now); }

Categories categorise(const Project& project, const std::string& date_text,
                      const std::string& zone, TimePoint now, const Settings& settings) {
  const DayBounds day = day_bounds(date_text, zone);
  const TimePoint week_end = day_bounds(add_days(date_text, 7), zone).end;
  const TimePoint asof = as_of(day, now);
  Categories c;

  for (const Phase& ph : project.phases) {
    if (ph.start_date <= date_text && date_text <= ph.end_date) {
      if (c.current_phase == nullptr || ph.order < c.current_phase->order) c.current_phase = &ph;
    }
  }

  const auto in_phase = [&c](const Task& t) {
    return c.current_phase == nullptr || c.current_phase->task_ids.count(t.id) > 0;
  };
  for (const Task& t : project.tasks) {
    if (open(t)) {
      const TimePoint s = *t.start_date;
      if (s >= day.start && s < day.end) c.todays.push_back(&t);
      if (s < day.start) c.overdue.push_back(&t);
      // After today only: a task starting today is listed once, under today.
      if (s >= day.end && in_phase(t)) c.upcoming.push_back(&t);
      // The phase never hides an open task of the next 7 days.
      if (s >= day.end && s < week_end && !in_phase(t)) c.other_upcoming.push_back(&t);
      if (s >= day.end && s < week_end) c.next_seven_days.push_back(&t);
    } else if (live(t) && t.status == "done" && t.completed_at && *t.completed_at > asof - 24h
               && *t.completed_at <= asof) {
      c.recently_completed.push_back(&t);
    }
  }
  const auto by_start_asc = [](const Task* a, const Task* b) { return *a->start_date < *b->start_date; };
  std::stable_sort(c.overdue.begin(), c.overdue.end(),
                   [](const Task* a, const Task* b) { return *a->start_date > *b->start_date; });
  c.overdue_total = c.overdue.size();
  if (c.overdue.size() > settings.overdue_limit) c.overdue.resize(settings.overdue_limit);
  std::stable_sort(c.upcoming.begin(), c.upcoming.end(), by_start_asc);
  c.upcoming_total = c.upcoming.size();
  if (c.upcoming.size() > settings.upcoming_limit) c.upcoming.resize(settings.upcoming_limit);
  std::stable_sort(c.other_upcoming.begin(), c.other_upcoming.end(), by_start_asc);
  c.other_upcoming_total = c.other_upcoming.size();
  if (c.other_upcoming.size() > settings.upcoming_limit) c.other_upcoming.resize(settings.upcoming_limit);
  std::stable_sort(c.next_seven_days.begin(), c.next_seven_days.end(), by_start_asc);
  std::stable_sort(c.recently_completed.begin(), c.recently_completed.end(),
                   [](const Task* a, const Task* b) { return *a->completed_at > *b->completed_at; });

  const TimePoint notes_from = day.start - std::chrono::hours(24 * 7);
  for (const Note& n : project.notes) {
    if (n.updated_at >= notes_from) c.recent_notes.push_back(&n);
  }
  std::stable_sort(c.recent_notes.begin(), c.recent_notes.end(),
                   [](const Note* a, const Note* b) { return a->updated_at > b->updated_at; });
  if (c.recent_notes.size() > settings.notes_limit) c.recent_notes.resize(settings.notes_limit);
  return c;
}

bool ProjectStats::quiet() const {
  return todays == 0 && overdue == 0 && upcoming == 0 && next_seven_days == 0
         && recently_completed == 0 && recent_notes == 0;
}

ProjectStats stats_of(const Categories& c) {
  ProjectStats s;
  s.todays = c.todays.size();
  s.overdue = c.overdue_total;
  s.upcoming = c.upcoming_total + c.other_upcoming_total;
  s.next_seven_days = c.next_seven_days.size();
  s.recently_completed = c.recently_completed.size();
  s.recent_notes = c.recent_notes.size();
  return s;
}

std::string trim_text(const std::string& text, std::size_t min_len, std::size_t max_len) {
  // Positions count code points (the reference counted UTF-16 units), and a
  // cut never splits a UTF-8 sequence: PostgreSQL would reject the result.
  std::vector<std::size_t> offsets;  // byte offset of each code point
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) offsets.push_back(i);
  }
  const std::size_t n = offsets.size();
  const auto byte_at = [&](std::size_t cp) { return cp >= n ? text.size() : offsets[cp]; };
  const auto char_at = [&](std::size_t cp) { return text[offsets[cp]]; };
  if (n <= min_len) return trim(text);
  if (n <= max_len) {
    const char last = text.back();
    if (last == '.' || last == '!' || last == '?') return trim(text);
  }
  std::optional<std::size_t> last_end;
  for (std::size_t i = 0; i < n && i <= max_len; ++i) {
    const char ch = char_at(i);
    if (ch != '.' && ch != '!' && ch != '?') continue;
    const bool boundary = i + 1 == n || is_space(char_at(i + 1));
    if (boundary && i >= min_len) last_end = i + 1;
  }
  if (last_end) return trim(text.substr(0, byte_at(*last_end)));
  const std::string head = text.substr(0, byte_at(max_len));
  const std::size_t space = head.rfind(' ');
  if (space != std::string::npos) {
    // Compare in code points, as the reference did in its own units.
    const auto cp_index = static_cast<std::size_t>(
        std::lower_bound(offsets.begin(), offsets.end(), space) - offsets.begin());
    if (cp_index > min_len) return trim(text.substr(0, space)) + "...";
  }
  return trim(head) + "...";
}

std::string format_date(const std::string& date_text) {
  return month_day_year(require_date(date_text));
}

std::string format_instant(TimePoint t, const std::string& zone, bool with_time) {
  const date::zoned_time<std::chrono::milliseconds> zt{require_zone(zone), t};
  const auto local = zt.get_local_time();
  const auto day = date::floor<date::days>(local);
  std::string s = month_day_year(date::year_month_day{day});
  if (with_time) {
    const date::hh_mm_ss<std::chrono::milliseconds> tod{local - day};
    const long h = tod.hours().count();
    const long h12 = h % 12 == 0 ? 12 : h % 12;
    char buf[64];
    std::snprintf(buf, sizeof buf, " %ld:%02ld %s", h12, static_cast<long>(tod.minutes().count()),
                  h < 12 ? "AM" : "PM");
    s += buf;
  }
  return s;
}

std::string format_short_weekday(const std::string& date_text) {
  const auto ymd = require_date(date_text);
  const date::weekday wd{date::sys_days{ymd}};
  return std::string(weekday_abbr.at(wd.c_encoding())) + ", "
         + month_abbr.at(static_cast<unsigned>(ymd.month()) - 1) + " "
         + std::to_string(static_cast<unsigned>(ymd.day()));
}

std::string project_markdown(const Project& p, const Categories& c, const std::string& zone) {
  std::string b = "## [" + title_md(p.name) + "](/projects/" + p.id + ")\n\n";
  if (p.description && !p.description->empty()) b += paragraph_md(*p.description) + "\n\n";
  if (!c.todays.empty()) {
    b += "### 🎯 Starting Today\n";
    for (const Task* t : c.todays) b += task_line(*t, p.id, zone, false);
    b += "\n";
  }
  if (!c.overdue.empty()) {
    b += "### ⚠️ Overdue Tasks\n";
    b += task_list(c.overdue, c.overdue_total, "overdue", p.id, zone);
  }
  if (c.current_phase != nullptr) {
    const Phase& ph = *c.current_phase;
    b += "### 🎯 Current Phase: " + title_md(ph.name) + "\n";
    if (ph.description && !ph.description->empty()) b += paragraph_md(*ph.description) + "\n";
    b += "**Phase Duration:** " + format_date(ph.start_date) + " to " + format_date(ph.end_date)
         + "\n\n";
    if (!c.upcoming.empty()) {
      b += "**Upcoming tasks in this phase:**\n";
      b += task_list(c.upcoming, c.upcoming_total, "upcoming", p.id, zone);
    }
    if (!c.other_upcoming.empty()) {
      b += "**Other tasks in the next 7 days:**\n";
      b += task_list(c.other_upcoming, c.other_upcoming_total, "upcoming", p.id, zone);
    }
  } else {
    b += "### 📋 Project Status\n*This project doesn't have phases defined.*\n\n";
    if (!c.upcoming.empty()) {
      b += "### 📅 Upcoming Tasks\n";
      b += task_list(c.upcoming, c.upcoming_total, "upcoming", p.id, zone);
    }
  }
  if (!c.recently_completed.empty()) {
    b += "### ✅ Recently Completed (Last 24 Hours)\n";
    for (const Task* t : c.recently_completed) b += task_line(*t, p.id, zone, true);
    b += "\n";
  }
  if (!c.recent_notes.empty()) {
    b += "### 📝 Recent Notes\n";
    for (const Note* n : c.recent_notes) b += note_line(*n, p.id, zone);
    b += "\n";
  }
  if (c.todays.empty() && c.upcoming.empty() && c.other_upcoming.empty() && c.recent_notes.empty()
      && c.recently_completed.empty() && c.overdue.empty()) {
    b += "*No scheduled tasks or recent activity for this project.*\n\n";
  }
  return b;
}

std::string count_of(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

Totals totals_of(const std::vector<ProjectBrief>& briefs) {
  Totals t;
  t.projects = briefs.size();
  for (const ProjectBrief& pb : briefs) {
    t.today += pb.stats.todays;
    t.projects_today += pb.stats.todays > 0 ? 1 : 0;
    t.overdue += pb.stats.overdue;
    t.upcoming += pb.stats.upcoming;
    t.next_seven_days += pb.stats.next_seven_days;
    t.completed += pb.stats.recently_completed;
  }
  return t;
}

std::string executive_summary(const std::vector<ProjectBrief>& briefs) {
  return executive_summary(totals_of(briefs));
}

// The sentence's phrases: parse_summary() reads the numbers back by the
// words that follow them, so the two stay in this one place.
std::string executive_summary(const Totals& t) {
  const auto verb = [](std::size_t n, const char* one, const char* many) { return n == 1 ? one : many; };
  std::string s = "You have **" + count_of(t.projects, "active project") + "**";
  if (t.today > 0) {
    s += " with **" + count_of(t.today, "task") + " starting today** across **"
         + count_of(t.projects_today, "project") + "**. ";
  } else {
    s += " and no tasks starting today. ";
  }
  if (t.overdue > 0) s += "**" + count_of(t.overdue, "task") + " " + verb(t.overdue, "is", "are") + " overdue**. ";
  s += "**" + count_of(t.upcoming, "task") + "** " + verb(t.upcoming, "is", "are") + " upcoming";
  if (t.next_seven_days > 0) s += ", **" + std::to_string(t.next_seven_days) + "** in the next 7 days";
  if (t.completed > 0) {
    s += std::string(t.next_seven_days > 0 ? "," : "") + " and **" + count_of(t.completed, "task") + "** "
         + verb(t.completed, "was", "were") + " completed in the last 24 hours";
  }
  s += ".";
  return s;
}

namespace {
// The number in the "**N ..." that precedes `marker` in `s`.
std::optional<std::size_t> number_before(const std::string& s, const std::string& marker) {
  const std::size_t pos = s.find(marker);
  if (pos == std::string::npos || pos == 0) return std::nullopt;
  const std::size_t open_at = s.rfind("**", pos - 1);
  if (open_at == std::string::npos) return std::nullopt;
  std::size_t n = 0;
  std::size_t i = open_at + 2;
  if (i >= s.size() || s[i] < '0' || s[i] > '9') return std::nullopt;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9' && n < 1000000000; ++i) n = n * 10 + static_cast<std::size_t>(s[i] - '0');
  return n;
}
std::size_t number_or_zero(const std::string& s, std::initializer_list<const char*> markers) {
  for (const char* m : markers) {
    if (const auto n = number_before(s, m)) return *n;
  }
  return 0;
}
}  // namespace

std::optional<Totals> parse_summary(const std::string& sentence) {
  if (sentence.rfind("You have **", 0) != 0) return std::nullopt;
  const auto projects = number_before(sentence, " active project");
  // The upcoming phrase is always there; an older release's sentence ("are
  // scheduled upcoming") has not got it, and its counts are not read.
  if (!projects || (!number_before(sentence, "** is upcoming") && !number_before(sentence, "** are upcoming"))) {
    return std::nullopt;
  }
  Totals t;
  t.projects = *projects;
  t.today = number_or_zero(sentence, {" starting today**"});
  if (const std::size_t across = sentence.find("across **"); across != std::string::npos) {
    t.projects_today = number_before(sentence.substr(across + 7), " project").value_or(0);
  }
  t.overdue = number_or_zero(sentence, {" overdue**"});
  t.upcoming = number_or_zero(sentence, {"** is upcoming", "** are upcoming"});
  t.next_seven_days = number_or_zero(sentence, {"** in the next 7 days"});
  t.completed = number_or_zero(sentence, {"** was completed", "** were completed"});
  return t;
}

std::vector<std::string> holidays_on(const std::string& date_text) {
  // The reference's holiday-finder in a subset: US federal and widely
  // observed days, the movable ones it computed (Easter by the anonymous
  // Gregorian algorithm), quarter starts and US tax dates, and the four
  // seasonal markers on fixed dates.
  using namespace date;
  const year_month_day ymd = require_date(date_text);
  const sys_days d{ymd};
  const year y = ymd.year();
  const unsigned m = static_cast<unsigned>(ymd.month());
  const unsigned dd = static_cast<unsigned>(ymd.day());
  std::vector<std::string> out;
  struct Fixed {
    unsigned m, d;
    const char* name;
  };
  static constexpr Fixed fixed[] = {
      {1, 1, "New Year's Day"},     {1, 1, "the start of Q1"},
      {2, 2, "Groundhog Day"},      {2, 14, "Valentine's Day"},
      {3, 14, "Pi Day"},            {3, 17, "St. Patrick's Day"},
      {3, 20, "the Spring Equinox"}, {4, 1, "April Fools' Day"},
      {4, 1, "the start of Q2"},    {4, 15, "Tax Day"},
      {4, 22, "Earth Day"},         {5, 4, "Star Wars Day"},
      {5, 5, "Cinco de Mayo"},      {6, 14, "Flag Day"},
      {6, 19, "Juneteenth"},        {6, 20, "the Summer Solstice"},
      {7, 1, "the start of Q3"},    {7, 4, "Independence Day"},
      {9, 15, "Q3 Estimated Tax Due"}, {9, 22, "the Fall Equinox"},
      {10, 1, "the start of Q4"},   {10, 15, "Extended Tax Filing Deadline"},
      {10, 31, "Halloween"},        {11, 11, "Veterans Day"},
      {12, 21, "the Winter Solstice"}, {12, 24, "Christmas Eve"},
      {12, 25, "Christmas Day"},    {12, 31, "New Year's Eve"},
  };
  for (const Fixed& f : fixed) {
    if (f.m == m && f.d == dd) out.emplace_back(f.name);
  }
  struct Movable {
    year_month_weekday when;
    int offset;
    const char* name;
  };
  const Movable movable[] = {
      {y / January / Monday[3], 0, "Martin Luther King Jr. Day"},
      {y / February / Monday[3], 0, "Presidents' Day"},
      {y / May / Sunday[2], 0, "Mother's Day"},
      {y / June / Friday[1], 0, "National Donut Day"},
      {y / June / Sunday[3], 0, "Father's Day"},
      {y / September / Monday[1], 0, "Labor Day"},
      {y / October / Monday[2], 0, "Columbus Day"},
      {y / November / Tuesday[3], 0, "National Entrepreneurs' Day"},
      {y / November / Thursday[4], 0, "Thanksgiving"},
      {y / November / Thursday[4], 1, "Black Friday"},
  };
  for (const Movable& mv : movable) {
    if (sys_days{mv.when} + days{mv.offset} == d) out.emplace_back(mv.name);
  }
  if (sys_days{y / May / Monday[last]} == d) out.emplace_back("Memorial Day");
  {
    const int Y = static_cast<int>(y);
    const int a = Y % 19, b = Y / 100, c = Y % 100, dq = b / 4, e = b % 4;
    const int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - dq - g + 15) % 30;
    const int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    const int mm = (a + 11 * h + 22 * l) / 451;
    const int month = (h + l - 7 * mm + 114) / 31;
    const int day = ((h + l - 7 * mm + 114) % 31) + 1;
    if (static_cast<int>(m) == month && static_cast<int>(dd) == day) out.emplace_back("Easter Sunday");
  }
  return out;
}

std::string main_markdown(const std::vector<ProjectBrief>& briefs, const std::string& date_text,
                          const Settings& settings, std::size_t failed_projects) {
  std::string s = "# 🌅 Daily Brief - " + format_date(date_text) + "\n\n";
  if (settings.holidays) {
    const auto hs = holidays_on(date_text);
    if (!hs.empty()) {
      s += "## 🎉 Today is ";
      for (std::size_t i = 0; i < hs.size(); ++i) s += (i == 0 ? "" : " and ") + hs[i];
      s += "\n\n";
    }
  }
  s += "## Executive Summary\n\n";
  if (briefs.empty() && failed_projects > 0) {
    s += "Your **" + count_of(failed_projects, "active project")
         + "** could not be summarised this time. Their tasks are unchanged "
           "in BuildOS.\n\n";
    return s;
  }
  if (briefs.empty()) {
    s += "You have **no active projects** to brief today. Create a project, or set a paused "
         "one back to active, and its tasks will appear here.\n\n";
    return s;
  }
  s += executive_summary(briefs) + "\n\n";
  std::size_t overdue = 0;
  for (const ProjectBrief& pb : briefs) overdue += pb.stats.overdue;
  if (overdue > 0) {
    s += "## ⚠️ Overdue Tasks Alert\n\n";
    for (const ProjectBrief& pb : briefs) {
      if (pb.stats.overdue == 0) continue;
      s += "- **[" + title_md(pb.project->name) + "](/projects/" + pb.project->id + ")**: "
           + count_of(pb.stats.overdue, "overdue task") + "\n";
    }
    s += "\n";
  }
  s += "## 📋 Detailed Project Briefs\n\n";
  for (const ProjectBrief& pb : briefs) s += pb.markdown + "\n---\n\n";
  return s;
}

std::vector<std::string> priority_actions(const std::string& markdown) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= markdown.size() && out.size() < 5) {
    std::size_t nl = markdown.find('\n', pos);
    if (nl == std::string::npos) nl = markdown.size();
    const std::string line = markdown.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.find("Starting Today") == std::string::npos
        && line.find("high priority") == std::string::npos
        && line.find("🎯") == std::string::npos) {
      continue;
    }
    // Brackets a title typed are escaped (\[): only the link's own count,
    // and the action reads as the title was typed.
    const auto find_bracket = [&line](char c, std::size_t from) {
      for (std::size_t i = from; i < line.size(); ++i) {
        if (line[i] == '\\') ++i;
        else if (line[i] == c) return i;
      }
      return std::string::npos;
    };
    const std::size_t open_br = find_bracket('[', 0);
    if (open_br == std::string::npos) continue;
    const std::size_t close_br = find_bracket(']', open_br + 1);
    if (close_br == std::string::npos || close_br == open_br + 1) continue;
    std::string text = render::unescape_inline(line.substr(open_br + 1, close_br - open_br - 1));
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(std::move(text));
  }
  return out;
}

std::string reengagement_subject(int days) {
  if (days <= 4) return "Your BuildOS tasks are waiting for you";
  if (days <= 10) return "You've made progress - don't let it slip away";
  return "We miss you at BuildOS - here's what's waiting";
}

std::string daily_subject(const std::string& date_text) {
  return "Daily Brief - " + format_short_weekday(date_text);
}

BuiltBrief build(const std::vector<Project>& projects, const std::string& date_text,
                 const std::string& zone, TimePoint now, const Settings& settings,
                 const std::unordered_set<std::string>& fail_project_ids) {
  // Validate once so a bad date or zone fails the brief, not every project.
  (void)day_bounds(date_text, zone);
  BuiltBrief out;
  for (const Project& p : projects) {
    try {
      if (fail_project_ids.count(p.id) > 0) {
        throw std::runtime_error("fault injected by BRIEFOS_FAULT_PROJECTS");
      }
      ProjectBrief pb;
      pb.project = &p;
      pb.categories = categorise(p, date_text, zone, now, settings);
      pb.stats = stats_of(pb.categories);
      pb.markdown = project_markdown(p, pb.categories, zone);
      if (pb.stats.quiet()) {
        ++out.skipped;
      } else {
        ++out.succeeded;
      }
      out.projects.push_back(std::move(pb));
    } catch (const std::exception& e) {
      out.failures.push_back({p.id, p.name, e.what()});
    }
  }
  out.markdown = main_markdown(out.projects, date_text, settings, out.failures.size());
  out.priority_actions = priority_actions(out.markdown);
  for (const ProjectBrief& pb : out.projects) {
    const ProjectStats& s = pb.stats;
    if (s.todays + s.overdue + s.upcoming + s.next_seven_days + s.recently_completed > 0) {
      out.is_empty = false;
    }
  }
  return out;
}

}  // namespace briefos::brief
