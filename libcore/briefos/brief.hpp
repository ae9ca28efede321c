// SPDX-License-Identifier: MIT
#pragma once

// The daily brief as pure logic: plain structs for what the database holds,
// the day bounds of a brief date in the user's zone, the task categories of
// each project, and the project and main brief Markdown. No database, no
// network: briefos/db/brief_source loads it and briefos/app/generate feeds it.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace briefos::brief {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

struct User {
  std::string id;
  std::string email;
  std::optional<std::string> name;
  std::optional<TimePoint> last_visit;
};

struct Task {
  std::string id;
  std::string project_id;
  std::string title;
  std::optional<std::string> description;
  std::optional<std::string> details;
  std::string status = "backlog";   // backlog, in_progress, done, blocked
  std::string priority = "medium";  // low, medium, high
  std::optional<TimePoint> start_date;
  std::optional<TimePoint> completed_at;
  TimePoint updated_at{};
  bool outdated = false;
  bool deleted = false;  // deleted_at is set
  bool has_calendar_event = false;
};

struct Note {
  std::string id;
  std::string project_id;
  std::optional<std::string> title;
  std::optional<std::string> content;
  TimePoint updated_at{};
};

struct Phase {
  std::string id;
  std::string project_id;
  std::string name;
  std::optional<std::string> description;
  std::string start_date;  // YYYY-MM-DD
  std::string end_date;    // YYYY-MM-DD
  int order = 0;
  std::unordered_set<std::string> task_ids;  // from phase_tasks
};

struct Project {
  std::string id;
  std::string name;
  std::optional<std::string> description;
  std::vector<Task> tasks;    // in load order
  std::vector<Note> notes;
  std::vector<Phase> phases;  // by "order"
};

// [start, end) of brief date D in zone Z: local midnight of D to local
// midnight of D+1 (23, 24 or 25 hours around DST changes).
struct DayBounds {
  TimePoint start;
  TimePoint end;
};

// A brief date: "YYYY-MM-DD" checked for a real calendar day.
// Throws DataError otherwise.
void validate_date(const std::string& date);

// True if `zone` is a zone of the system tz database.
bool is_valid_zone(const std::string& zone);

// The bounds of `date` (YYYY-MM-DD) in IANA `zone`. A local midnight that
// does not exist (a DST gap at 00:00) starts the day at the first instant
// after the gap. Throws DataError for a bad date or unknown zone.
DayBounds day_bounds(const std::string& date, const std::string& zone);

// `date` plus `days` days, as YYYY-MM-DD.
std::string add_days(const std::string& date, int days);

// Today's date in `zone` at `now`.
std::string local_date(TimePoint now, const std::string& zone);

// Knobs of the categorisation and layout.
struct Settings {
  std::size_t overdue_limit = 10;  // overdue tasks listed per project
  std::size_t upcoming_limit = 10;
  std::size_t notes_limit = 5;
  bool holidays = false;
};

// The categories of one project for one brief date (buildos-worker.md 5.5,
// with its defects fixed: deleted and outdated tasks never count, "recently
// completed" is completed_at in the 24 hours before the brief's as-of time,
// the overdue list is bounded).
struct Categories {
  std::vector<const Task*> todays;             // start in [S, E), load order
  std::vector<const Task*> overdue;            // start < S, newest first, bounded
  std::size_t overdue_total = 0;               // before the bound
  std::vector<const Task*> upcoming;           // start >= E (after today), of the current
                                               // phase if any; soonest first, bounded
  std::size_t upcoming_total = 0;              // before the bound
  std::vector<const Task*> other_upcoming;     // with a phase: the open tasks outside it
                                               // starting in [E, E + 7 days), bounded
  std::size_t other_upcoming_total = 0;        // before the bound
  std::vector<const Task*> next_seven_days;    // start in [E, E + 7 days)
  std::vector<const Task*> recently_completed; // completed_at in (A - 24 h, A]
  std::vector<const Note*> recent_notes;       // updated_at >= S - 7 days, <= 5
  const Phase* current_phase = nullptr;
};

// The "as of" instant of the brief: the end of the brief day, or `now` when
// that is earlier (a brief made during its own day looks back from now).
TimePoint as_of(const DayBounds& day, TimePoint now);

// Categorise `project`'s tasks and notes for `date` in `zone`.
Categories categorise(const Project& project,
                      const std::string& date,
                      const std::string& zone,
                      TimePoint now,
                      const Settings& settings);

// Counts stored in project_daily_briefs.metadata and used by the summary.
struct ProjectStats {
  std::size_t todays = 0;
  std::size_t overdue = 0;  // all overdue tasks, not just the listed ones
  std::size_t upcoming = 0;  // both upcoming lists, in full
  std::size_t next_seven_days = 0;
  std::size_t recently_completed = 0;
  std::size_t recent_notes = 0;
  // Nothing starting, overdue, upcoming, completed or noted.
  bool quiet() const;
};
ProjectStats stats_of(const Categories& c);

// One rendered project brief.
struct ProjectBrief {
  const Project* project = nullptr;
  Categories categories;
  ProjectStats stats;
  std::string markdown;
};

// trimText(text, 225, 295) of the reference: cut long descriptions at a
// sentence end in [min, max], else at a space, with "...".
std::string trim_text(const std::string& text, std::size_t min_len = 225, std::size_t max_len = 295);

// "Oct 1, 2025" for a YYYY-MM-DD date.
std::string format_date(const std::string& date);
// "Oct 1, 2025" (or "Oct 1, 2025 9:05 AM" with `with_time`) for an instant in `zone`.
std::string format_instant(TimePoint t, const std::string& zone, bool with_time = false);
// "Wed, Oct 1" for a YYYY-MM-DD date (the email subject).
std::string format_short_weekday(const std::string& date);

// The project brief Markdown of buildos-worker.md 5.6.
std::string project_markdown(const Project& project,
                             const Categories& c,
                             const std::string& zone);

// "1 task", "2 tasks": `noun` with an "s" unless `n` is 1.
std::string count_of(std::size_t n, const std::string& noun);

// The totals of a brief: what the executive summary says.
struct Totals {
  std::size_t projects = 0;
  std::size_t projects_today = 0;  // projects with a task starting today
  std::size_t today = 0;
  std::size_t overdue = 0;
  std::size_t upcoming = 0;
  std::size_t next_seven_days = 0;
  std::size_t completed = 0;
};
Totals totals_of(const std::vector<ProjectBrief>& briefs);

// The sentence under "## Executive Summary".
std::string executive_summary(const std::vector<ProjectBrief>& briefs);
std::string executive_summary(const Totals& t);

// The totals read back from an executive_summary() sentence (the email's
// summary block shows them); nullopt for any other text (a brief with no
// projects, or one written by an older release).
std::optional<Totals> parse_summary(const std::string& sentence);

// Holidays and observances on `date` (the reference's list, see brief.cpp).
std::vector<std::string> holidays_on(const std::string& date);

// The main brief Markdown of buildos-worker.md 5.7. With no projects at all
// it says so instead of the summary (and, when `failed_projects` > 0, that
// they could not be summarised).
std::string main_markdown(const std::vector<ProjectBrief>& briefs,
                          const std::string& date,
                          const Settings& settings,
                          std::size_t failed_projects = 0);

// extractPriorityActions: the first [text] of each line mentioning
// "Starting Today", "high priority" or the target emoji; unique, at most 5.
std::vector<std::string> priority_actions(const std::string& markdown);

// Re-engagement subject by days inactive (buildos-worker.md 5.9).
std::string reengagement_subject(int days_since_last_login);
// "Daily Brief - Wed, Oct 1", from the brief date itself.
std::string daily_subject(const std::string& date);

// A whole brief built from loaded data.
struct BuiltBrief {
  std::vector<ProjectBrief> projects;  // succeeded and skipped, in load order
  struct Failure {
    std::string project_id;
    std::string project_name;
    std::string error;
  };
  std::vector<Failure> failures;
  std::size_t succeeded = 0;  // projects with something to say
  std::size_t skipped = 0;    // quiet projects (rendered with the placeholder)
  std::string markdown;
  std::vector<std::string> priority_actions;
  bool is_empty = true;       // nothing today, overdue, upcoming or completed
};

// Build every project brief (a failing project is recorded and left out)
// and the main brief. `fail_project_ids` makes those projects fail on
// purpose (fault injection for tests and drills). The result points into
// `projects`, which must outlive it.
BuiltBrief build(const std::vector<Project>& projects,
                 const std::string& date,
                 const std::string& zone,
                 TimePoint now,
                 const Settings& settings,
                 const std::unordered_set<std::string>& fail_project_ids = {});

}  // namespace briefos::brief
