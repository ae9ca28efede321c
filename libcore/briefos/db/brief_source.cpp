// SPDX-License-Identifier: MIT
//
// Brief loading policy: set-based, whatever the number of briefs or
// projects. One statement each reads the users, their active projects, the
// projects' live tasks (with a calendar marker computed by EXISTS), their
// recent notes (at most N per project by a LATERAL LIMIT) and the phases
// that cover the brief date (with their task ids aggregated), for a whole
// batch of briefs at once: arrays in, the request's 1-based ordinal out as
// the last column. Only what a brief can show is read: done tasks only when
// completed recently, notes only inside the 7-day window, phases only when
// current (BuildOS read the whole phase_tasks table for every brief).
// Every join between user-owned tables matches user_id as well (migration
// 0012: under Citus, distributed by user, it keeps each join on one shard).
//
// Only the project owner's rows: a task, note or phase inside a user's
// project whose user_id is another user's is left out (and so is another
// user's calendar event on a task). BuildOS selected them by project alone;
// its projects have one owner and no members, so such a row is another
// account's text in this user's email (ARCHITECTURE.md, deviations).
//
// A timestamp of 'infinity' or '-infinity' is a data error of its row, not
// of the brief: it reads as absent (a task without a start, a user without
// a last visit; a note without a time is not recent and is left out), and
// the row is logged once, by id, as the brief is loaded.
#include "briefos/db/brief_source.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/sql.hpp"
#include "briefos/error.hpp"
#include "briefos/util/text.hpp"

#include "briefos/util/time.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <chrono>
#include <unordered_map>
#include <utility>

namespace briefos::db::brief_store {

namespace {


// Milliseconds since the epoch, NULL for a non-finite time.
#define BRIEFOS_EPOCH_MS(col) "CASE WHEN isfinite(" col ") THEN (extract(epoch from " col ") * 1000)::bigint END"
// The name of a column holding a non-finite time, else NULL (concat_ws skips it).
#define BRIEFOS_NONFINITE(col, name) "CASE WHEN NOT isfinite(" col ") THEN '" name "' END"

#define BRIEFOS_USER_LIST                                                                       \
  "u.id::text, u.email, u.name, " BRIEFOS_EPOCH_MS("u.last_visit") ", p.user_id IS NOT NULL, "    \
  "coalesce(p.timezone, 'UTC'), coalesce(p.email_daily_brief, false), coalesce(p.is_active, false), "        \
  "concat_ws(', ', " BRIEFOS_NONFINITE("u.last_visit", "last_visit") ")"

#define BRIEFOS_TASK_LIST                                                                   \
  "t.id::text, t.project_id::text, t.title, t.description, t.details,"                     \
  " t.status::text, t.priority::text, " BRIEFOS_EPOCH_MS("t.start_date") ", "              \
  BRIEFOS_EPOCH_MS("t.completed_at") ", " BRIEFOS_EPOCH_MS("t.updated_at") ","             \
  " EXISTS (SELECT 1 FROM task_calendar_events e WHERE e.task_id = t.id AND e.user_id = t.user_id),"   \
  " concat_ws(', ', " BRIEFOS_NONFINITE("t.start_date", "start_date") ", "                      \
  BRIEFOS_NONFINITE("t.completed_at", "completed_at") ", " BRIEFOS_NONFINITE("t.updated_at", "updated_at") ")"
#define BRIEFOS_NOTE_LIST                                                                      \
  "n.id::text, n.project_id::text, n.title, n.content, " BRIEFOS_EPOCH_MS("n.updated_at") ", " \
  "concat_ws(', ', " BRIEFOS_NONFINITE("n.updated_at", "updated_at") ")"
#define BRIEFOS_PHASE_LIST                                                                  \
  "ph.id::text, ph.project_id::text, ph.name, ph.description,"                             \
  " ph.start_date::text, ph.end_date::text, ph.\"order\","                                  \
  " (SELECT string_agg(pt.task_id::text, ',') FROM phase_tasks pt"                         \
  "   WHERE pt.phase_id = ph.id AND pt.user_id = ph.user_id)"

const detail::Statement stmt_users{"briefos_gen_users_many",
             "SELECT " BRIEFOS_USER_LIST ", i.ord"
             " FROM unnest($1::uuid[]) WITH ORDINALITY AS i(id, ord)"
             " JOIN users u ON u.id = i.id"
             " LEFT JOIN user_brief_preferences p ON p.user_id = u.id"};
const detail::Statement stmt_projects{"briefos_gen_projects_many",
             "SELECT p.id::text, p.name, p.description, i.ord"
             " FROM unnest($1::uuid[]) WITH ORDINALITY AS i(user_id, ord)"
             " JOIN projects p ON p.user_id = i.user_id AND p.status = 'active'"
             " ORDER BY i.ord, p.created_at, p.id"};
const detail::Statement stmt_tasks{"briefos_gen_tasks_many",
             "SELECT " BRIEFOS_TASK_LIST ", i.ord"
             " FROM unnest($1::uuid[], $2::float8[]) WITH ORDINALITY AS i(user_id, done_ms, ord)"
             " JOIN projects p ON p.user_id = i.user_id AND p.status = 'active'"
             " JOIN tasks t ON t.project_id = p.id AND t.user_id = p.user_id"
             " WHERE t.deleted_at IS NULL AND NOT t.outdated"
             "   AND (t.status <> 'done' OR t.completed_at >= to_timestamp(i.done_ms / 1000))"
             " ORDER BY i.ord, t.updated_at DESC, t.id"};
const detail::Statement stmt_notes{"briefos_gen_notes_many",
             "SELECT " BRIEFOS_NOTE_LIST ", i.ord"
             " FROM unnest($1::uuid[], $2::float8[]) WITH ORDINALITY AS i(user_id, since_ms, ord)"
             " JOIN projects p ON p.user_id = i.user_id AND p.status = 'active'"
             " CROSS JOIN LATERAL ("
             "  SELECT id, project_id, title, content, updated_at FROM notes"
             "   WHERE project_id = p.id AND user_id = p.user_id"
             "     AND updated_at >= to_timestamp(i.since_ms / 1000)"
             "   ORDER BY updated_at DESC, id LIMIT $3) n"
             " ORDER BY i.ord, n.updated_at DESC, n.id"};
const detail::Statement stmt_phases{"briefos_gen_phases_many",
             "SELECT " BRIEFOS_PHASE_LIST ", i.ord"
             " FROM unnest($1::uuid[], $2::date[]) WITH ORDINALITY AS i(user_id, day, ord)"
             " JOIN projects p ON p.user_id = i.user_id AND p.status = 'active'"
             " JOIN phases ph ON ph.project_id = p.id AND ph.user_id = p.user_id"
             " WHERE ph.start_date <= i.day AND ph.end_date >= i.day"
             " ORDER BY i.ord, ph.\"order\", ph.id"};

std::string epoch_ms_param(brief::TimePoint t) { return std::to_string(t.time_since_epoch().count()); }

brief::TimePoint from_ms(long long ms) { return brief::TimePoint{std::chrono::milliseconds{ms}}; }

std::optional<brief::TimePoint> opt_ms(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_ms(f.as<long long>());
}

// Log the non-finite times of one row (the "nonfinite" column), once.
void warn_nonfinite(const char* what, const std::string& id, const pqxx::field& f) {
  const std::string names = f.as<std::string>("");
  if (!names.empty()) spdlog::warn("{} {}: {} is not a finite time; read as absent", what, id, names);
}

UserInfo to_user(const pqxx::row& r) {
  UserInfo u;
  u.user.id = r[0].as<std::string>();
  u.user.email = r[1].as<std::string>();
  u.user.name = opt_text(r[2]);
  u.user.last_visit = opt_ms(r[3]);
  u.has_preferences = r[4].as<bool>();
  u.timezone = r[5].as<std::string>();
  u.email_daily_brief = r[6].as<bool>();
  u.preferences_active = r[7].as<bool>();
  warn_nonfinite("user", u.user.id, r[8]);
  return u;
}

brief::Project project_from(const pqxx::row& row) {
  brief::Project p;
  p.id = row[0].as<std::string>();
  p.name = row[1].as<std::string>();
  p.description = opt_text(row[2]);
  return p;
}

// Rows of tasks, notes and phases: the project id (column 1) is looked up
// in `index`; rows of an unknown project are skipped.
using ProjectIndex = std::unordered_map<std::string, std::size_t>;

void add_task(const pqxx::row& row, const ProjectIndex& index, std::vector<brief::Project>& projects) {
  auto it = index.find(row[1].as<std::string>());
  if (it == index.end()) return;
  brief::Task t;
  t.id = row[0].as<std::string>();
  t.project_id = it->first;
  t.title = row[2].as<std::string>();
  t.description = opt_text(row[3]);
  t.details = opt_text(row[4]);
  t.status = row[5].as<std::string>();
  t.priority = row[6].as<std::string>();
  t.start_date = opt_ms(row[7]);
  t.completed_at = opt_ms(row[8]);
  t.updated_at = opt_ms(row[9]).value_or(brief::TimePoint{});  // orders nothing here
  t.has_calendar_event = row[10].as<bool>();
  warn_nonfinite("task", t.id, row[11]);
  projects[it->second].tasks.push_back(std::move(t));
}

void add_note(const pqxx::row& row, const ProjectIndex& index, std::vector<brief::Project>& projects) {
  auto it = index.find(row[1].as<std::string>());
  if (it == index.end()) return;
  brief::Note n;
  n.id = row[0].as<std::string>();
  n.project_id = it->first;
  n.title = opt_text(row[2]);
  n.content = opt_text(row[3]);
  warn_nonfinite("note", n.id, row[5]);
  // Without a time a note cannot be recent.
  if (row[4].is_null()) return;
  n.updated_at = from_ms(row[4].as<long long>());
  projects[it->second].notes.push_back(std::move(n));
}

void add_phase(const pqxx::row& row, const ProjectIndex& index, std::vector<brief::Project>& projects) {
  auto it = index.find(row[1].as<std::string>());
  if (it == index.end()) return;
  brief::Phase ph;
  ph.id = row[0].as<std::string>();
  ph.project_id = it->first;
  ph.name = row[2].as<std::string>();
  ph.description = opt_text(row[3]);
  ph.start_date = row[4].as<std::string>();
  ph.end_date = row[5].as<std::string>();
  ph.order = row[6].as<int>();
  if (!util::parse_ymd(ph.start_date) || !util::parse_ymd(ph.end_date)) {
    // 'infinity' or '-infinity' (dates have them too): no current phase to show.
    spdlog::warn("phase {}: start_date or end_date is not a finite date; left out", ph.id);
    return;
  }
  if (!row[7].is_null()) {
    for (std::string& id : util::split_commas(row[7].as<std::string>())) ph.task_ids.insert(std::move(id));
  }
  projects[it->second].phases.push_back(std::move(ph));
}

}  // namespace

std::vector<LoadedSource> load_sources(Session& session, const std::vector<SourceRequest>& requests,
                                       brief::TimePoint now, int notes_per_project) {
  pqxx::connection& cx = detail::cx(session);
  std::vector<LoadedSource> out(requests.size());
  if (requests.empty()) return out;
  pqxx::nontransaction tx{cx};
  std::vector<std::optional<std::string>> ids;
  for (const SourceRequest& r : requests) {
    // Not a uuid: no such user (and the cast would fail the batch).
    ids.emplace_back(util::is_uuid(r.user_id) ? std::optional<std::string>(r.user_id) : std::nullopt);
  }
  std::vector<std::optional<UserInfo>> users(requests.size());
  for (const auto& row : detail::run(tx, stmt_users, array_literal(ids))) {
    users.at(static_cast<std::size_t>(row[9].as<long long>() - 1)) = to_user(row);
  }
  // The windows of the users found; the others are left out of the
  // statements below (as null array elements).
  std::vector<std::optional<std::string>> live, done_since, notes_since, dates;
  bool any = false;
  for (std::size_t k = 0; k < requests.size(); ++k) {
    const SourceRequest& r = requests[k];
    std::optional<std::string> uid, done, notes;
    if (users[k]) {
      BriefSource src;
      src.timezone = users[k]->has_preferences ? users[k]->timezone : r.fallback_zone.value_or("UTC");
      try {
        const brief::DayBounds day = brief::day_bounds(r.brief_date, src.timezone);
        done = epoch_ms_param(brief::as_of(day, now) - std::chrono::hours(24));
        notes = epoch_ms_param(day.start - std::chrono::hours(24 * 7));
        uid = r.user_id;
        src.user = std::move(*users[k]);
        out[k].source = std::move(src);
        any = true;
      } catch (const DataError& e) {
        out[k].error = e.what();
      }
    }
    live.push_back(uid);
    done_since.push_back(done);
    notes_since.push_back(notes);
    dates.emplace_back(uid ? std::optional<std::string>(r.brief_date) : std::nullopt);
  }
  if (!any) return out;
  std::vector<ProjectIndex> index(requests.size());
  const auto slot = [&](const pqxx::row& row, pqxx::row::size_type col) -> std::size_t {
    return static_cast<std::size_t>(row[col].as<long long>() - 1);
  };
  bool have_projects = false;
  for (const auto& row : detail::run(tx, stmt_projects, array_literal(live))) {
    const std::size_t k = slot(row, 3);
    auto& projects = out.at(k).source->projects;
    brief::Project p = project_from(row);
    index[k].emplace(p.id, projects.size());
    projects.push_back(std::move(p));
    have_projects = true;
  }
  if (!have_projects) return out;
  for (const auto& row : detail::run(tx, stmt_tasks, array_literal(live), array_literal(done_since))) {
    const std::size_t k = slot(row, 12);
    add_task(row, index.at(k), out[k].source->projects);
  }
  for (const auto& row :
       detail::run(tx, stmt_notes, array_literal(live), array_literal(notes_since), notes_per_project)) {
    const std::size_t k = slot(row, 6);
    add_note(row, index.at(k), out[k].source->projects);
  }
  for (const auto& row : detail::run(tx, stmt_phases, array_literal(live), array_literal(dates))) {
    const std::size_t k = slot(row, 8);
    add_phase(row, index.at(k), out[k].source->projects);
  }
  return out;
}

std::optional<UserInfo> find_user(Session& session, const std::string& id_or_email) {
  pqxx::read_transaction tx{detail::cx(session)};
  const std::string where = util::is_uuid(id_or_email) ? " WHERE u.id = $1::uuid" : " WHERE lower(u.email) = lower($1)";
  const pqxx::result r = tx.exec_params("SELECT " BRIEFOS_USER_LIST
                                        " FROM users u LEFT JOIN user_brief_preferences p ON p.user_id = u.id"
                                        + where,
                                        id_or_email);
  if (r.empty()) return std::nullopt;
  return to_user(r[0]);
}

}  // namespace briefos::db::brief_store
