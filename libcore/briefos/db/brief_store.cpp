// SPDX-License-Identifier: MIT
//
// Brief storage policy.
//
// Loading is set-based: one query each for the user, the active projects,
// their live tasks (with a calendar marker computed by EXISTS), their recent
// notes (at most N per project by a window function) and the phases that
// cover the brief date (with their task ids aggregated), whatever the number
// of projects. Only what a brief can show is read: done tasks only when
// completed recently, notes only inside the 7-day window, phases only when
// current. BuildOS read the whole phase_tasks table for every brief.
//
// Storing happens in the caller's one transaction, at the end, after the
// brief was built (and the LLM answered):
// - daily_briefs is upserted on (user_id, brief_date) in place: the id stays
//   the same across regenerations, and until the transaction commits every
//   reader still sees the previous, complete brief (BuildOS blanked it while
//   regenerating). The previous row is locked first, so two regenerations
//   of the same brief serialise.
// - project_daily_briefs rows of the brief are upserted from arrays in one
//   statement, rows of projects no longer in the brief are deleted, and the
//   brief's project_brief_ids are set in the same statement.
// - The email hand-off, when asked for, follows this rule for the brief's
//   newest daily_brief email:
//     none, failed or cancelled -> a new email, recipient and job;
//     pending                   -> reused (it renders the brief at send time,
//                                  so it will carry the new content); its job
//                                  is enqueued again, a no-op while active;
//     sending                   -> left alone (being delivered right now);
//     sent                      -> not sent again, unless regeneration was
//                                  forced AND the summary changed: then a new
//                                  email is created.
#include "briefos/db/brief_store.hpp"

#include "briefos/db/queue.hpp"
#include "briefos/db/detail/queue_sql.hpp"
#include "briefos/db/sql.hpp"
#include "briefos/error.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace briefos::db::brief_store {

namespace {

constexpr const char* stmt_user_by_id = "briefos_gen_user_by_id";
constexpr const char* stmt_projects = "briefos_gen_projects";
constexpr const char* stmt_tasks = "briefos_gen_tasks";
constexpr const char* stmt_notes = "briefos_gen_notes";
constexpr const char* stmt_phases = "briefos_gen_phases";
constexpr const char* stmt_upsert_brief = "briefos_gen_upsert_brief";
constexpr const char* stmt_project_briefs = "briefos_gen_project_briefs";
constexpr const char* stmt_insert_email = "briefos_gen_insert_email";
constexpr const char* stmt_users_many = "briefos_gen_users_many";
constexpr const char* stmt_projects_many = "briefos_gen_projects_many";
constexpr const char* stmt_tasks_many = "briefos_gen_tasks_many";
constexpr const char* stmt_notes_many = "briefos_gen_notes_many";
constexpr const char* stmt_phases_many = "briefos_gen_phases_many";
constexpr const char* stmt_upsert_briefs_many = "briefos_gen_upsert_briefs_many";
constexpr const char* stmt_project_briefs_many = "briefos_gen_project_briefs_many";
constexpr const char* stmt_insert_emails_many = "briefos_gen_insert_emails_many";
constexpr const char* stmt_reuse_emails_many = "briefos_gen_reuse_emails_many";

#define BRIEFOS_EPOCH_MS(col) "(extract(epoch from " col ") * 1000)::bigint"

#define BRIEFOS_USER_LIST                                                                       \
  "u.id::text, u.email, u.name, " BRIEFOS_EPOCH_MS("u.last_visit") ", p.user_id IS NOT NULL, "    \
  "coalesce(p.timezone, 'UTC'), coalesce(p.email_daily_brief, false), coalesce(p.is_active, false)"

constexpr const char* user_columns =
    BRIEFOS_USER_LIST " FROM users u LEFT JOIN user_brief_preferences p ON p.user_id = u.id";

// The columns of a task, a note and a phase row, shared by the one-user and
// the batch statements (the batch ones add the request's ordinal last).
#define BRIEFOS_TASK_LIST                                                                   \
  "t.id::text, t.project_id::text, t.title, t.description, t.details,"                     \
  " t.status::text, t.priority::text, " BRIEFOS_EPOCH_MS("t.start_date") ", "              \
  BRIEFOS_EPOCH_MS("t.completed_at") ", " BRIEFOS_EPOCH_MS("t.updated_at") ","             \
  " EXISTS (SELECT 1 FROM task_calendar_events e WHERE e.task_id = t.id)"
#define BRIEFOS_NOTE_LIST \
  "n.id::text, n.project_id::text, n.title, n.content, " BRIEFOS_EPOCH_MS("n.updated_at")
#define BRIEFOS_PHASE_LIST                                                                  \
  "ph.id::text, ph.project_id::text, ph.name, ph.description,"                             \
  " ph.start_date::text, ph.end_date::text, ph.\"order\","                                  \
  " (SELECT string_agg(pt.task_id::text, ',') FROM phase_tasks pt WHERE pt.phase_id = ph.id)"

std::string epoch_ms_param(brief::TimePoint t) {
  return std::to_string(t.time_since_epoch().count());
}

brief::TimePoint from_ms(long long ms) { return brief::TimePoint{std::chrono::milliseconds{ms}}; }

// libpqxx 6.4's as<std::optional<std::string>>() throws on NULL (its
// string_traits<optional>::null() builds a std::string from nullptr).
// NULL-safe text (libpqxx 6.4's as<std::optional<std::string>> throws on NULL).
std::optional<std::string> opt_str(const pqxx::field& f) { return opt_text(f); }

// One row of (id, job_type, status, user_id, metadata).
JobInfo job_info(const pqxx::row& row) {
  JobInfo j;
  j.id = row[0].as<long long>();
  j.type = row[1].as<std::string>();
  j.status = row[2].as<std::string>();
  j.user_id = opt_str(row[3]);
  j.metadata = nlohmann::json::parse(row[4].as<std::string>(), nullptr, false);
  return j;
}

std::optional<brief::TimePoint> opt_ms(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_ms(f.as<long long>());
}

UserInfo to_user(const pqxx::row& r) {
  UserInfo u;
  u.user.id = r[0].as<std::string>();
  u.user.email = r[1].as<std::string>();
  u.user.name = opt_str(r[2]);
  u.user.last_visit = opt_ms(r[3]);
  u.has_preferences = r[4].as<bool>();
  u.timezone = r[5].as<std::string>();
  u.email_daily_brief = r[6].as<bool>();
  u.preferences_active = r[7].as<bool>();
  return u;
}

bool looks_like_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

brief::Project project_from(const pqxx::row& row) {
  brief::Project p;
  p.id = row[0].as<std::string>();
  p.name = row[1].as<std::string>();
  p.description = opt_str(row[2]);
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
  t.description = opt_str(row[3]);
  t.details = opt_str(row[4]);
  t.status = row[5].as<std::string>();
  t.priority = row[6].as<std::string>();
  t.start_date = opt_ms(row[7]);
  t.completed_at = opt_ms(row[8]);
  t.updated_at = from_ms(row[9].as<long long>());
  t.has_calendar_event = row[10].as<bool>();
  projects[it->second].tasks.push_back(std::move(t));
}

void add_note(const pqxx::row& row, const ProjectIndex& index, std::vector<brief::Project>& projects) {
  auto it = index.find(row[1].as<std::string>());
  if (it == index.end()) return;
  brief::Note n;
  n.id = row[0].as<std::string>();
  n.project_id = it->first;
  n.title = opt_str(row[2]);
  n.content = opt_str(row[3]);
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
  ph.description = opt_str(row[3]);
  ph.start_date = row[4].as<std::string>();
  ph.end_date = row[5].as<std::string>();
  ph.order = row[6].as<int>();
  if (!row[7].is_null()) {
    const std::string ids = row[7].as<std::string>();
    std::size_t pos = 0;
    while (pos <= ids.size()) {
      std::size_t comma = ids.find(',', pos);
      if (comma == std::string::npos) comma = ids.size();
      if (comma > pos) ph.task_ids.insert(ids.substr(pos, comma - pos));
      pos = comma + 1;
    }
  }
  projects[it->second].phases.push_back(std::move(ph));
}

// A comma list (array_to_string of uuids) as a vector.
std::vector<std::string> split_ids(const std::string& joined) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < joined.size()) {
    std::size_t comma = joined.find(',', pos);
    if (comma == std::string::npos) comma = joined.size();
    out.push_back(joined.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

// project_daily_briefs.metadata of one project brief.
std::string project_meta(const brief::ProjectBrief& pb) {
  const brief::Categories& c = pb.categories;
  nlohmann::ordered_json m;
  m["current_phase_name"] = c.current_phase ? nlohmann::ordered_json(c.current_phase->name) : nullptr;
  m["current_phase_id"] = c.current_phase ? nlohmann::ordered_json(c.current_phase->id) : nullptr;
  m["todays_task_count"] = pb.stats.todays;
  m["overdue_task_count"] = pb.stats.overdue;
  m["upcoming_task_count"] = pb.stats.upcoming;
  m["next_seven_days_task_count"] = pb.stats.next_seven_days;
  m["recently_completed_count"] = pb.stats.recently_completed;
  m["recent_notes_count"] = pb.stats.recent_notes;
  return m.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// What the email rule decides for one stored brief, given its newest
// daily-brief email (id, status): nothing more to do (in_flight,
// kept_sent), reuse that email, or create a new one.
struct EmailDecision {
  std::string action;            // in_flight, kept_sent, reused, created
  std::optional<std::string> id;  // the email kept or reused
};

EmailDecision decide_email(const std::optional<std::pair<std::string, std::string>>& last_email,
                           const StoreInput::Email& em, bool changed) {
  if (last_email) {
    const std::string& id = last_email->first;
    const std::string& status = last_email->second;
    if (status == "sending") return {"in_flight", id};
    if (status == "sent" && !(em.force && changed)) return {"kept_sent", id};
    if (status == "pending" || status == "draft" || status == "scheduled") return {"reused", id};
  }
  return {"created", std::nullopt};
}

nlohmann::json email_template_data(const StoreInput& in, const std::string& brief_id) {
  return {{"brief_id", brief_id},
          {"brief_date", in.brief_date},
          {"user_id", in.user_id},
          {"timezone", in.timezone},
          {"is_reengagement", in.email->is_reengagement}};
}

queue::NewJob email_job(const StoreInput& in, const StoreResult& out) {
  queue::NewJob job;
  job.type = "generate_brief_email";
  job.user_id = in.user_id;
  job.priority = 5;
  job.dedup_key = "email-" + *out.email_id;
  job.metadata = {{"emailId", *out.email_id}, {"userId", in.user_id}, {"briefId", out.brief_id}};
  return job;
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The statements of store_many (prepared by prepare()).

// stmt_upsert_brief for a batch. `old` locks the existing rows in (user,
// date) order before the insert touches them, as the insert's ORDER BY
// does for new ones.
constexpr const char* sql_upsert_briefs_many =
    "WITH input AS ("
    "  SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[], $4::text[], $5::text[],"
    "    $6::text[], $7::float8[], $8::int[], $9::int[], $10::bool[], $11::jsonb[])"
    "   WITH ORDINALITY AS i(user_id, brief_date, summary, actions, llm_analysis, llm_status,"
    "    started_ms, project_count, failed_count, is_empty, metadata, ord)),"
    " old AS ("
    "  SELECT d.user_id, d.brief_date, d.summary_content FROM daily_briefs d"
    "   JOIN input i ON d.user_id = i.user_id AND d.brief_date = i.brief_date"
    "   ORDER BY d.user_id, d.brief_date FOR UPDATE OF d),"
    " up AS ("
    "  INSERT INTO daily_briefs (user_id, brief_date, summary_content, priority_actions,"
    "    llm_analysis, llm_status, generation_status, generation_started_at,"
    "    generation_completed_at, generation_progress, generation_error, project_count,"
    "    failed_project_count, is_empty, metadata)"
    "  SELECT user_id, brief_date, summary, actions::text[], llm_analysis, llm_status, 'completed',"
    "    to_timestamp(started_ms / 1000), now(), '{\"step\":\"completed\",\"progress\":100}',"
    "    NULL, project_count, failed_count, is_empty, metadata"
    "   FROM input WHERE (SELECT count(*) FROM old) >= 0 ORDER BY user_id, brief_date"
    "  ON CONFLICT (user_id, brief_date) DO UPDATE SET"
    "    summary_content = EXCLUDED.summary_content,"
    "    priority_actions = EXCLUDED.priority_actions,"
    "    llm_analysis = EXCLUDED.llm_analysis, llm_status = EXCLUDED.llm_status,"
    "    generation_status = 'completed',"
    "    generation_started_at = EXCLUDED.generation_started_at,"
    "    generation_completed_at = now(),"
    "    generation_progress = EXCLUDED.generation_progress, generation_error = NULL,"
    "    project_count = EXCLUDED.project_count,"
    "    failed_project_count = EXCLUDED.failed_project_count,"
    "    is_empty = EXCLUDED.is_empty,"
    "    metadata = daily_briefs.metadata || EXCLUDED.metadata"
    "  RETURNING id, user_id, brief_date)"
    " SELECT up.id::text, o.user_id IS NOT NULL,"
    "  coalesce(o.summary_content IS DISTINCT FROM i.summary, true),"
    "  e.id::text, e.status, i.ord"
    " FROM input i JOIN up ON up.user_id = i.user_id AND up.brief_date = i.brief_date"
    " LEFT JOIN old o ON o.user_id = i.user_id AND o.brief_date = i.brief_date"
    " LEFT JOIN LATERAL ("
    "  SELECT id, status FROM ("
    "   SELECT id, status, created_at FROM emails"
    "    WHERE category = 'daily_brief' AND template_data->>'brief_id' = up.id::text"
    "   OFFSET 0) m"
    "   ORDER BY created_at DESC, id LIMIT 1) e ON true"
    " ORDER BY i.ord";

// stmt_project_briefs for a batch: $1-$4 one element per brief, $5-$8
// one per project brief ($5 the 1-based index of its brief).
constexpr const char* sql_project_briefs_many =
    "WITH briefs AS ("
    "  SELECT * FROM unnest($1::uuid[], $2::date[], $3::uuid[], $4::float8[])"
    "   WITH ORDINALITY AS b(user_id, brief_date, brief_id, started_ms, bord)),"
    " input AS ("
    "  SELECT * FROM unnest($5::bigint[], $6::uuid[], $7::text[], $8::json[])"
    "   WITH ORDINALITY AS i(bord, project_id, content, meta, ord)),"
    " del AS ("
    "  DELETE FROM project_daily_briefs d USING briefs b"
    "   WHERE d.user_id = b.user_id AND d.brief_date = b.brief_date"
    "     AND NOT EXISTS (SELECT 1 FROM input i WHERE i.bord = b.bord"
    "                     AND i.project_id = d.project_id)),"
    " up AS ("
    "  INSERT INTO project_daily_briefs (user_id, project_id, daily_brief_id, brief_date,"
    "    brief_content, metadata, generation_status, generation_started_at,"
    "    generation_completed_at)"
    "  SELECT b.user_id, i.project_id, b.brief_id, b.brief_date, i.content, i.meta, 'completed',"
    "    to_timestamp(b.started_ms / 1000), now() FROM input i JOIN briefs b USING (bord)"
    "   ORDER BY i.project_id, b.brief_date"
    "  ON CONFLICT (project_id, brief_date) DO UPDATE SET"
    "    user_id = EXCLUDED.user_id, daily_brief_id = EXCLUDED.daily_brief_id,"
    "    brief_content = EXCLUDED.brief_content, metadata = EXCLUDED.metadata,"
    "    generation_status = 'completed',"
    "    generation_started_at = EXCLUDED.generation_started_at,"
    "    generation_completed_at = now(), generation_error = NULL"
    "  RETURNING id, project_id, brief_date),"
    " agg AS ("
    "  SELECT i.bord, array_agg(up.id ORDER BY i.ord) AS ids"
    "   FROM input i JOIN briefs b USING (bord)"
    "   JOIN up ON up.project_id = i.project_id AND up.brief_date = b.brief_date"
    "   GROUP BY i.bord)"
    " UPDATE daily_briefs d SET project_brief_ids = coalesce(agg.ids, '{}')"
    " FROM briefs b LEFT JOIN agg USING (bord)"
    " WHERE d.id = b.brief_id RETURNING b.bord, array_to_string(d.project_brief_ids, ',')";

// stmt_insert_email for a batch; ids are drawn first so that each input
// row can be matched to its email.
constexpr const char* sql_insert_emails_many =
    "WITH input AS ("
    "  SELECT *, gen_random_uuid() AS new_id FROM unnest($1::text[], $2::text[], $3::text[],"
    "    $4::uuid[], $5::jsonb[], $6::text[], $7::text[])"
    "   WITH ORDINALITY AS i(subject, from_email, from_name, created_by, template_data,"
    "    to_email, to_name, ord)),"
    " e AS ("
    "  INSERT INTO emails (id, subject, content, from_email, from_name, status,"
    "    tracking_enabled, created_by, category, template_data)"
    "  SELECT new_id, subject, '', from_email, from_name, 'pending', true, created_by,"
    "    'daily_brief', template_data FROM input ORDER BY ord"
    "  RETURNING id),"
    " r AS ("
    "  INSERT INTO email_recipients (email_id, recipient_email, recipient_name,"
    "    recipient_type, status)"
    "  SELECT e.id, i.to_email, i.to_name, 'to', 'pending'"
    "   FROM e JOIN input i ON i.new_id = e.id ORDER BY i.ord)"
    " SELECT new_id::text, ord FROM input ORDER BY ord";

constexpr const char* sql_reuse_emails_many =
    "UPDATE emails e SET subject = r.subject, template_data = e.template_data || r.data,"
    " status = 'pending'"
    " FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS r(id, subject, data)"
    " WHERE e.id = r.id";

}  // namespace

// In stmt_upsert_brief (and its batch form) the insert reads `old` first
// (WHERE (SELECT count(*) FROM old) >= 0): a CTE runs when first read, and
// if the upsert ran first, `old` would skip the row the same statement had
// just updated (FOR UPDATE skips rows the current command modified), so a
// regenerated brief would report replaced = false and always "changed".
//
// The email lookup of stmt_upsert_brief sits behind OFFSET 0, an
// optimisation fence: without it the planner may serve ORDER BY created_at
// LIMIT 1 by walking emails_daily_brief_created_at_idx backwards and
// filtering on brief_id, which reads every daily-brief email (measured 10 ms
// at 4,000 emails, growing with the table) instead of the one or two rows the
// (category, brief_id) expression index finds.
void prepare(pqxx::connection& cx) {
  cx.prepare(stmt_user_by_id, std::string("SELECT ") + user_columns + " WHERE u.id = $1::uuid");
  cx.prepare(stmt_projects,
             "SELECT id::text, name, description FROM projects"
             " WHERE user_id = $1::uuid AND status = 'active' ORDER BY created_at, id");
  cx.prepare(stmt_tasks,
             "SELECT t.id::text, t.project_id::text, t.title, t.description, t.details,"
             " t.status::text, t.priority::text, " BRIEFOS_EPOCH_MS("t.start_date") ", "
             BRIEFOS_EPOCH_MS("t.completed_at") ", " BRIEFOS_EPOCH_MS("t.updated_at") ","
             " EXISTS (SELECT 1 FROM task_calendar_events e WHERE e.task_id = t.id)"
             " FROM tasks t JOIN projects p ON p.id = t.project_id"
             " WHERE p.user_id = $1::uuid AND p.status = 'active'"
             "   AND t.deleted_at IS NULL AND NOT t.outdated"
             "   AND (t.status <> 'done' OR t.completed_at >= to_timestamp($2::float8 / 1000))"
             " ORDER BY t.updated_at DESC, t.id");
  cx.prepare(stmt_notes,
             "SELECT n.id::text, n.project_id::text, n.title, n.content,"
             " " BRIEFOS_EPOCH_MS("n.updated_at") " AS ms"
             " FROM projects p CROSS JOIN LATERAL ("
             "  SELECT id, project_id, title, content, updated_at FROM notes"
             "   WHERE project_id = p.id AND updated_at >= to_timestamp($2::float8 / 1000)"
             "   ORDER BY updated_at DESC, id LIMIT $3) n"
             " WHERE p.user_id = $1::uuid AND p.status = 'active'"
             " ORDER BY n.updated_at DESC, n.id");
  cx.prepare(stmt_phases,
             "SELECT ph.id::text, ph.project_id::text, ph.name, ph.description,"
             " ph.start_date::text, ph.end_date::text, ph.\"order\","
             " (SELECT string_agg(pt.task_id::text, ',') FROM phase_tasks pt WHERE pt.phase_id = ph.id)"
             " FROM phases ph JOIN projects p ON p.id = ph.project_id"
             " WHERE p.user_id = $1::uuid AND p.status = 'active'"
             "   AND ph.start_date <= $2::date AND ph.end_date >= $2::date"
             " ORDER BY ph.\"order\", ph.id");
  cx.prepare(stmt_upsert_brief,
             "WITH old AS ("
             "  SELECT id, summary_content FROM daily_briefs"
             "   WHERE user_id = $1::uuid AND brief_date = $2::date FOR UPDATE),"
             " up AS ("
             "  INSERT INTO daily_briefs (user_id, brief_date, summary_content, priority_actions,"
             "    llm_analysis, llm_status, generation_status, generation_started_at,"
             "    generation_completed_at, generation_progress, generation_error, project_count,"
             "    failed_project_count, is_empty, metadata)"
             "  SELECT $1::uuid, $2::date, $3, $4::text[], $5, $6, 'completed',"
             "    to_timestamp($7::float8 / 1000), now(), '{\"step\":\"completed\",\"progress\":100}',"
             "    NULL, $8, $9, $10, $11::jsonb"
             "   WHERE (SELECT count(*) FROM old) >= 0"
             "  ON CONFLICT (user_id, brief_date) DO UPDATE SET"
             "    summary_content = EXCLUDED.summary_content,"
             "    priority_actions = EXCLUDED.priority_actions,"
             "    llm_analysis = EXCLUDED.llm_analysis, llm_status = EXCLUDED.llm_status,"
             "    generation_status = 'completed',"
             "    generation_started_at = EXCLUDED.generation_started_at,"
             "    generation_completed_at = now(),"
             "    generation_progress = EXCLUDED.generation_progress, generation_error = NULL,"
             "    project_count = EXCLUDED.project_count,"
             "    failed_project_count = EXCLUDED.failed_project_count,"
             "    is_empty = EXCLUDED.is_empty,"
             "    metadata = daily_briefs.metadata || EXCLUDED.metadata"
             "  RETURNING id)"
             " SELECT up.id::text, (SELECT count(*) FROM old) > 0,"
             "  coalesce((SELECT summary_content FROM old) IS DISTINCT FROM $3, true),"
             "  e.id::text, e.status"
             " FROM up LEFT JOIN LATERAL ("
             "  SELECT id, status FROM ("
             "   SELECT id, status, created_at FROM emails"
             "    WHERE category = 'daily_brief' AND template_data->>'brief_id' = up.id::text"
             "   OFFSET 0) m"
             "   ORDER BY created_at DESC, id LIMIT 1) e ON true");
  cx.prepare(stmt_project_briefs,
             "WITH input AS ("
             "  SELECT * FROM unnest($3::uuid[], $4::text[], $5::json[])"
             "   WITH ORDINALITY AS i(project_id, content, meta, ord)),"
             " del AS ("
             "  DELETE FROM project_daily_briefs"
             "   WHERE user_id = $1::uuid AND brief_date = $2::date"
             "     AND project_id NOT IN (SELECT project_id FROM input)),"
             " up AS ("
             "  INSERT INTO project_daily_briefs (user_id, project_id, daily_brief_id, brief_date,"
             "    brief_content, metadata, generation_status, generation_started_at,"
             "    generation_completed_at)"
             "  SELECT $1::uuid, project_id, $6::uuid, $2::date, content, meta, 'completed',"
             "    to_timestamp($7::float8 / 1000), now() FROM input ORDER BY ord"
             "  ON CONFLICT (project_id, brief_date) DO UPDATE SET"
             "    user_id = EXCLUDED.user_id, daily_brief_id = EXCLUDED.daily_brief_id,"
             "    brief_content = EXCLUDED.brief_content, metadata = EXCLUDED.metadata,"
             "    generation_status = 'completed',"
             "    generation_started_at = EXCLUDED.generation_started_at,"
             "    generation_completed_at = now(), generation_error = NULL"
             "  RETURNING id, project_id)"
             " UPDATE daily_briefs SET project_brief_ids = coalesce("
             "   (SELECT array_agg(up.id ORDER BY i.ord) FROM up JOIN input i USING (project_id)),"
             "   '{}')"
             " WHERE id = $6::uuid RETURNING array_to_string(project_brief_ids, ',')");
  cx.prepare(stmt_insert_email,
             "WITH e AS ("
             "  INSERT INTO emails (subject, content, from_email, from_name, status,"
             "    tracking_enabled, created_by, category, template_data)"
             "  VALUES ($1, '', $2, $3, 'pending', true, $4::uuid, 'daily_brief', $5::jsonb)"
             "  RETURNING id),"
             " r AS ("
             "  INSERT INTO email_recipients (email_id, recipient_email, recipient_name,"
             "    recipient_type, status)"
             "  SELECT id, $6, $7, 'to', 'pending' FROM e)"
             " SELECT id::text FROM e");

  // The batch forms (load_sources, store_many): arrays in, the input's
  // ordinal (1-based) out as the last column, or the rows in input order.
  cx.prepare(stmt_users_many,
             "SELECT " BRIEFOS_USER_LIST ", i.ord"
             " FROM unnest($1::uuid[]) WITH ORDINALITY AS i(id, ord)"
             " JOIN users u ON u.id = i.id"
             " LEFT JOIN user_brief_preferences p ON p.user_id = u.id");
  cx.prepare(stmt_projects_many,
             "SELECT p.id::text, p.name, p.description, i.ord"
             " FROM unnest($1::uuid[]) WITH ORDINALITY AS i(user_id, ord)"
             " JOIN projects p ON p.user_id = i.user_id AND p.status = 'active'"
             " ORDER BY i.ord, p.created_at, p.id");
  cx.prepare(stmt_tasks_many,
             "SELECT " BRIEFOS_TASK_LIST ", i.ord"
             " FROM unnest($1::uuid[], $2::float8[]) WITH ORDINALITY AS i(user_id, done_ms, ord)"
             " JOIN projects p ON p.user_id = i.user_id AND p.status = 'active'"
             " JOIN tasks t ON t.project_id = p.id"
             " WHERE t.deleted_at IS NULL AND NOT t.outdated"
             "   AND (t.status <> 'done' OR t.completed_at >= to_timestamp(i.done_ms / 1000))"
             " ORDER BY i.ord, t.updated_at DESC, t.id");
  cx.prepare(stmt_notes_many,
             "SELECT " BRIEFOS_NOTE_LIST ", i.ord"
             " FROM unnest($1::uuid[], $2::float8[]) WITH ORDINALITY AS i(user_id, since_ms, ord)"
             " JOIN projects p ON p.user_id = i.user_id AND p.status = 'active'"
             " CROSS JOIN LATERAL ("
             "  SELECT id, project_id, title, content, updated_at FROM notes"
             "   WHERE project_id = p.id AND updated_at >= to_timestamp(i.since_ms / 1000)"
             "   ORDER BY updated_at DESC, id LIMIT $3) n"
             " ORDER BY i.ord, n.updated_at DESC, n.id");
  cx.prepare(stmt_phases_many,
             "SELECT " BRIEFOS_PHASE_LIST ", i.ord"
             " FROM unnest($1::uuid[], $2::date[]) WITH ORDINALITY AS i(user_id, day, ord)"
             " JOIN projects p ON p.user_id = i.user_id AND p.status = 'active'"
             " JOIN phases ph ON ph.project_id = p.id"
             " WHERE ph.start_date <= i.day AND ph.end_date >= i.day"
             " ORDER BY i.ord, ph.\"order\", ph.id");
  cx.prepare(stmt_upsert_briefs_many, sql_upsert_briefs_many);
  cx.prepare(stmt_project_briefs_many, sql_project_briefs_many);
  cx.prepare(stmt_insert_emails_many, sql_insert_emails_many);
  cx.prepare(stmt_reuse_emails_many, sql_reuse_emails_many);
}

std::optional<UserInfo> load_user(pqxx::transaction_base& tx, const std::string& user_id) {
  if (!looks_like_uuid(user_id)) return std::nullopt;
  const pqxx::result r = tx.exec_prepared(stmt_user_by_id, user_id);
  if (r.empty()) return std::nullopt;
  return to_user(r[0]);
}

std::optional<UserInfo> find_user(pqxx::transaction_base& tx, const std::string& id_or_email) {
  if (looks_like_uuid(id_or_email)) return load_user(tx, id_or_email);
  const pqxx::result r = tx.exec_params(
      std::string("SELECT ") + user_columns + " WHERE lower(u.email) = lower($1)", id_or_email);
  if (r.empty()) return std::nullopt;
  return to_user(r[0]);
}

std::vector<brief::Project> load_projects(pqxx::transaction_base& tx, const std::string& user_id,
                                          const LoadWindow& w) {
  std::vector<brief::Project> projects;
  ProjectIndex index;
  for (const auto& row : tx.exec_prepared(stmt_projects, user_id)) {
    brief::Project p = project_from(row);
    index.emplace(p.id, projects.size());
    projects.push_back(std::move(p));
  }
  if (projects.empty()) return projects;
  for (const auto& row : tx.exec_prepared(stmt_tasks, user_id, epoch_ms_param(w.done_since))) {
    add_task(row, index, projects);
  }
  for (const auto& row :
       tx.exec_prepared(stmt_notes, user_id, epoch_ms_param(w.notes_since), w.notes_per_project)) {
    add_note(row, index, projects);
  }
  for (const auto& row : tx.exec_prepared(stmt_phases, user_id, w.brief_date)) {
    add_phase(row, index, projects);
  }
  return projects;
}

StoreResult store(pqxx::transaction_base& tx, const StoreInput& in) {
  const brief::BuiltBrief& b = *in.built;
  StoreResult out;
  // The brief's newest daily_brief email (id, status), read by the upsert
  // itself to save a round trip.
  std::optional<std::pair<std::string, std::string>> last_email;
  std::vector<std::optional<std::string>> actions(b.priority_actions.begin(), b.priority_actions.end());
  {
    const pqxx::row r = tx.exec_prepared1(
        stmt_upsert_brief, in.user_id, in.brief_date, b.markdown, array_literal(actions),
        in.llm_analysis, in.llm_status, epoch_ms_param(in.started_at),
        static_cast<int>(b.projects.size()), static_cast<int>(b.failures.size()), b.is_empty,
        in.metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    out.brief_id = r[0].as<std::string>();
    out.replaced = r[1].as<bool>();
    out.changed = r[2].as<bool>();
    if (!r[3].is_null()) last_email = std::make_pair(r[3].as<std::string>(), r[4].as<std::string>());
  }
  {
    std::vector<std::optional<std::string>> ids, contents, metas;
    for (const brief::ProjectBrief& pb : b.projects) {
      ids.emplace_back(pb.project->id);
      contents.emplace_back(pb.markdown);
      metas.emplace_back(project_meta(pb));
    }
    const pqxx::row r = tx.exec_prepared1(stmt_project_briefs, in.user_id, in.brief_date,
                                          array_literal(ids), array_literal(contents),
                                          array_literal(metas), out.brief_id,
                                          epoch_ms_param(in.started_at));
    out.project_brief_ids = split_ids(r[0].is_null() ? std::string() : r[0].as<std::string>());
  }
  if (!in.email) return out;

  const EmailDecision d = decide_email(last_email, *in.email, out.changed);
  out.email_action = d.action;
  out.email_id = d.id;
  if (d.action == "in_flight" || d.action == "kept_sent") return out;
  const nlohmann::json template_data = email_template_data(in, out.brief_id);
  if (d.action == "reused") {
    // Still waiting to be sent: it will render the new brief; keep its
    // subject in step (a re-engagement flag may have changed).
    tx.exec_params0(
        "UPDATE emails SET subject = $2, template_data = template_data || $3::jsonb,"
        " status = 'pending' WHERE id = $1::uuid",
        *d.id, in.email->subject, template_data.dump());
  } else {
    const auto& em = *in.email;
    const pqxx::row r = tx.exec_prepared1(stmt_insert_email, em.subject, em.from_email,
                                          em.from_name, in.user_id, template_data.dump(),
                                          em.to_email, em.to_name);
    out.email_id = r[0].as<std::string>();
  }
  const auto enq = queue::detail::enqueue(tx, {email_job(in, out)});
  out.email_job_id = enq.at(0).id;
  return out;
}

std::vector<JobInfo> read_jobs(pqxx::connection& cx, const std::vector<long long>& ids) {
  pqxx::read_transaction tx{cx};
  std::vector<std::optional<std::string>> texts;
  for (long long id : ids) texts.emplace_back(std::to_string(id));
  std::vector<JobInfo> out;
  const pqxx::result r = tx.exec_params(
      "SELECT q.id, q.job_type::text, q.status::text, q.user_id::text, q.metadata::text"
      " FROM unnest($1::bigint[]) WITH ORDINALITY AS i(id, ord) JOIN queue_jobs q ON q.id = i.id"
      " ORDER BY i.ord",
      array_literal(texts));
  for (const auto& row : r) out.push_back(job_info(row));
  return out;
}

std::vector<JobInfo> due_brief_jobs(pqxx::connection& cx, long long limit) {
  pqxx::read_transaction tx{cx};
  std::vector<JobInfo> out;
  const pqxx::result r = tx.exec_params(
      "SELECT id, job_type::text, status::text, user_id::text, metadata::text FROM queue_jobs"
      " WHERE job_type = 'generate_daily_brief' AND status = 'pending' AND scheduled_for <= now()"
      " ORDER BY priority, scheduled_for, id LIMIT $1",
      limit);
  for (const auto& row : r) out.push_back(job_info(row));
  return out;
}

long long count_due_brief_jobs(pqxx::connection& cx) {
  pqxx::read_transaction tx{cx};
  return tx.exec1("SELECT count(*) FROM queue_jobs WHERE job_type = 'generate_daily_brief'"
                  " AND status = 'pending' AND scheduled_for <= now()")[0]
      .as<long long>();
}

std::optional<BriefSource> load_source(pqxx::connection& cx, const std::string& user_id,
                                       const std::optional<std::string>& fallback_zone,
                                       const std::string& brief_date, brief::TimePoint now,
                                       int notes_per_project) {
  prepare(cx);
  // No transaction: under READ COMMITTED each statement has its own snapshot
  // anyway, so BEGIN/COMMIT would only add two round trips per brief.
  pqxx::nontransaction tx{cx};
  auto user = load_user(tx, user_id);
  if (!user) return std::nullopt;
  BriefSource src;
  src.timezone = user->has_preferences ? user->timezone : fallback_zone.value_or("UTC");
  const brief::DayBounds day = brief::day_bounds(brief_date, src.timezone);
  LoadWindow w;
  w.brief_date = brief_date;
  w.done_since = brief::as_of(day, now) - std::chrono::hours(24);
  w.notes_since = day.start - std::chrono::hours(24 * 7);
  w.notes_per_project = notes_per_project;
  src.projects = load_projects(tx, user_id, w);
  src.user = std::move(*user);
  return src;
}

StoreResult store_and_complete(pqxx::connection& cx, const queue::Job& job, const StoreInput& input,
                               const std::function<nlohmann::json(const StoreResult&)>& make_result) {
  prepare(cx);
  pqxx::work tx{cx};
  StoreResult r = store(tx, input);
  if (!queue::detail::complete(tx, job, make_result(r))) {
    throw queue::LeaseLost("job " + std::to_string(job.id)
                           + " is no longer held by this worker; the brief was not stored");
  }
  tx.commit();
  return r;
}

std::vector<LoadedSource> load_sources(pqxx::connection& cx, const std::vector<SourceRequest>& requests,
                                       brief::TimePoint now, int notes_per_project) {
  prepare(cx);
  std::vector<LoadedSource> out(requests.size());
  if (requests.empty()) return out;
  // As load_source: no transaction, each statement has its own snapshot.
  pqxx::nontransaction tx{cx};
  std::vector<std::optional<std::string>> ids;
  for (const SourceRequest& r : requests) {
    // Not a uuid: no such user (and the cast would fail the batch).
    ids.emplace_back(looks_like_uuid(r.user_id) ? std::optional<std::string>(r.user_id) : std::nullopt);
  }
  std::vector<std::optional<UserInfo>> users(requests.size());
  for (const auto& row : tx.exec_prepared(stmt_users_many, array_literal(ids))) {
    users.at(static_cast<std::size_t>(row[8].as<long long>() - 1)) = to_user(row);
  }
  // The windows of the users found, as load_source computes them; the
  // others are left out of the statements below (as null array elements).
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
      } catch (const UsageError& e) {
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
  for (const auto& row : tx.exec_prepared(stmt_projects_many, array_literal(live))) {
    const std::size_t k = slot(row, 3);
    auto& projects = out.at(k).source->projects;
    brief::Project p = project_from(row);
    index[k].emplace(p.id, projects.size());
    projects.push_back(std::move(p));
    have_projects = true;
  }
  if (!have_projects) return out;
  for (const auto& row : tx.exec_prepared(stmt_tasks_many, array_literal(live), array_literal(done_since))) {
    const std::size_t k = slot(row, 11);
    add_task(row, index.at(k), out[k].source->projects);
  }
  for (const auto& row : tx.exec_prepared(stmt_notes_many, array_literal(live), array_literal(notes_since),
                                          notes_per_project)) {
    const std::size_t k = slot(row, 5);
    add_note(row, index.at(k), out[k].source->projects);
  }
  for (const auto& row : tx.exec_prepared(stmt_phases_many, array_literal(live), array_literal(dates))) {
    const std::size_t k = slot(row, 8);
    add_phase(row, index.at(k), out[k].source->projects);
  }
  return out;
}

std::vector<StoreResult> store_many(pqxx::transaction_base& tx, const std::vector<const StoreInput*>& inputs) {
  std::vector<StoreResult> out(inputs.size());
  if (inputs.empty()) return out;
  {
    std::set<std::pair<std::string, std::string>> seen;
    for (const StoreInput* in : inputs) {
      if (!seen.emplace(in->user_id, in->brief_date).second) {
        throw std::invalid_argument("the batch stores the brief of user " + in->user_id + " for "
                                    + in->brief_date + " twice");
      }
    }
  }
  // 1. The briefs, with their newest daily-brief email.
  std::vector<std::optional<std::pair<std::string, std::string>>> last_email(inputs.size());
  {
    std::vector<std::optional<std::string>> users, dates, actions, analyses, statuses, started, counts,
        failed, empty, metas;
    std::vector<std::string_view> summaries;
    for (const StoreInput* in : inputs) {
      const brief::BuiltBrief& b = *in->built;
      users.emplace_back(in->user_id);
      dates.emplace_back(in->brief_date);
      summaries.push_back(b.markdown);
      const std::vector<std::optional<std::string>> pa(b.priority_actions.begin(), b.priority_actions.end());
      actions.emplace_back(array_literal(pa));
      analyses.push_back(in->llm_analysis);
      statuses.emplace_back(in->llm_status);
      started.emplace_back(epoch_ms_param(in->started_at));
      counts.emplace_back(std::to_string(b.projects.size()));
      failed.emplace_back(std::to_string(b.failures.size()));
      empty.emplace_back(b.is_empty ? "t" : "f");
      metas.emplace_back(dump_json(in->metadata));
    }
    const pqxx::result r = tx.exec_prepared(
        stmt_upsert_briefs_many, array_literal(users), array_literal(dates), array_literal(summaries),
        array_literal(actions), array_literal(analyses), array_literal(statuses), array_literal(started),
        array_literal(counts), array_literal(failed), array_literal(empty), array_literal(metas));
    if (r.size() != inputs.size()) {
      throw std::runtime_error("storing " + std::to_string(inputs.size()) + " briefs returned "
                               + std::to_string(r.size()) + " rows");
    }
    for (const auto& row : r) {
      const auto k = static_cast<std::size_t>(row[5].as<long long>() - 1);
      StoreResult& o = out.at(k);
      o.brief_id = row[0].as<std::string>();
      o.replaced = row[1].as<bool>();
      o.changed = row[2].as<bool>();
      if (!row[3].is_null()) last_email[k] = std::make_pair(row[3].as<std::string>(), row[4].as<std::string>());
    }
  }
  // 2. Their project briefs.
  {
    std::vector<std::optional<std::string>> users, dates, brief_ids, started, bords, projects, metas;
    std::vector<std::string_view> contents;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      const StoreInput& in = *inputs[k];
      users.emplace_back(in.user_id);
      dates.emplace_back(in.brief_date);
      brief_ids.emplace_back(out[k].brief_id);
      started.emplace_back(epoch_ms_param(in.started_at));
      for (const brief::ProjectBrief& pb : in.built->projects) {
        bords.emplace_back(std::to_string(k + 1));
        projects.emplace_back(pb.project->id);
        contents.push_back(pb.markdown);
        metas.emplace_back(project_meta(pb));
      }
    }
    const pqxx::result r = tx.exec_prepared(
        stmt_project_briefs_many, array_literal(users), array_literal(dates), array_literal(brief_ids),
        array_literal(started), array_literal(bords), array_literal(projects), array_literal(contents),
        array_literal(metas));
    for (const auto& row : r) {
      const auto k = static_cast<std::size_t>(row[0].as<long long>() - 1);
      out.at(k).project_brief_ids = split_ids(row[1].is_null() ? std::string() : row[1].as<std::string>());
    }
  }
  // 3. The email hand-off of the briefs that ask for one.
  std::vector<std::size_t> create, reuse;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const StoreInput& in = *inputs[k];
    if (!in.email) continue;
    EmailDecision d = decide_email(last_email[k], *in.email, out[k].changed);
    out[k].email_action = d.action;
    out[k].email_id = d.id;
    if (d.action == "created") create.push_back(k);
    if (d.action == "reused") reuse.push_back(k);
  }
  if (!reuse.empty()) {
    std::vector<std::optional<std::string>> ids, subjects, data;
    for (std::size_t k : reuse) {
      ids.push_back(out[k].email_id);
      subjects.emplace_back(inputs[k]->email->subject);
      data.emplace_back(email_template_data(*inputs[k], out[k].brief_id).dump());
    }
    tx.exec_prepared0(stmt_reuse_emails_many, array_literal(ids), array_literal(subjects), array_literal(data));
  }
  if (!create.empty()) {
    std::vector<std::optional<std::string>> subjects, from_emails, from_names, users, data, to_emails, to_names;
    for (std::size_t k : create) {
      const StoreInput& in = *inputs[k];
      const auto& em = *in.email;
      subjects.emplace_back(em.subject);
      from_emails.emplace_back(em.from_email);
      from_names.emplace_back(em.from_name);
      users.emplace_back(in.user_id);
      data.emplace_back(email_template_data(in, out[k].brief_id).dump());
      to_emails.emplace_back(em.to_email);
      to_names.push_back(em.to_name);
    }
    const pqxx::result r = tx.exec_prepared(
        stmt_insert_emails_many, array_literal(subjects), array_literal(from_emails),
        array_literal(from_names), array_literal(users), array_literal(data), array_literal(to_emails),
        array_literal(to_names));
    for (const auto& row : r) {
      out.at(create.at(static_cast<std::size_t>(row[1].as<long long>() - 1))).email_id =
          row[0].as<std::string>();
    }
  }
  std::vector<queue::NewJob> jobs;
  std::vector<std::size_t> job_of;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (out[k].email_action == "created" || out[k].email_action == "reused") {
      jobs.push_back(email_job(*inputs[k], out[k]));
      job_of.push_back(k);
    }
  }
  if (!jobs.empty()) {
    const auto enq = queue::detail::enqueue(tx, jobs);
    for (std::size_t j = 0; j < jobs.size(); ++j) out[job_of[j]].email_job_id = enq.at(j).id;
  }
  return out;
}

std::vector<StoreResult> store_and_complete_many(
    pqxx::connection& cx, const std::vector<const queue::Job*>& jobs,
    const std::vector<const StoreInput*>& inputs,
    const std::function<nlohmann::json(std::size_t, const StoreResult&)>& make_result) {
  if (jobs.size() != inputs.size()) throw std::invalid_argument("store_and_complete_many: sizes differ");
  prepare(cx);
  pqxx::work tx{cx};
  std::vector<StoreResult> stored = store_many(tx, inputs);
  std::vector<std::pair<const queue::Job*, nlohmann::json>> results;
  for (std::size_t k = 0; k < jobs.size(); ++k) results.emplace_back(jobs[k], make_result(k, stored[k]));
  const auto done = queue::detail::complete_each(tx, results);
  if (done.size() != jobs.size()) {
    throw queue::LeaseLost(std::to_string(jobs.size() - done.size()) + " of the batch's "
                           + std::to_string(jobs.size())
                           + " jobs are no longer held by this worker; the batch was not stored");
  }
  tx.commit();
  return stored;
}

std::optional<UserInfo> find_user(pqxx::connection& cx, const std::string& id_or_email) {
  prepare(cx);
  pqxx::read_transaction tx{cx};
  return find_user(tx, id_or_email);
}

Backfill enqueue_backfill(pqxx::connection& cx, const std::string& user_id, const std::string& date,
                          const std::string& timezone, bool force) {
  Backfill out;
  pqxx::work tx{cx};
  queue::NewJob job;
  job.type = "generate_daily_brief";
  job.user_id = user_id;
  job.priority = 10;
  job.metadata = {{"userId", user_id},
                  {"briefDate", date},
                  {"timezone", timezone},
                  {"options", nlohmann::json::object()}};
  job.dedup_key = "brief-" + user_id + "-" + date;
  if (force) {
    out.cancelled = queue::detail::cancel_brief_jobs(tx, user_id, date,
                                             "Cancelled: regeneration forced by briefos-generate --force");
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    *job.dedup_key += "-force-" + std::to_string(ms);
    job.metadata["options"]["forceRegenerate"] = true;
  }
  const auto r = queue::detail::enqueue(tx, {job});
  tx.commit();
  out.job_id = r.at(0).id;
  out.inserted = r.at(0).inserted;
  return out;
}

void notify_event(pqxx::connection& cx, const nlohmann::json& payload) {
  try {
    pqxx::nontransaction tx{cx};
    tx.exec_params("SELECT pg_notify('briefos_events', $1)",
                   payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (const std::exception& e) {
    spdlog::warn("could not send event {}: {}", payload.value("event", std::string("?")), e.what());
  }
}

}  // namespace briefos::db::brief_store
