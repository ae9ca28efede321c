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
#include "briefos/db/sql.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstdio>
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

#define BRIEFOS_EPOCH_MS(col) "(extract(epoch from " col ") * 1000)::bigint"

constexpr const char* user_columns =
    "u.id::text, u.email, u.name, " BRIEFOS_EPOCH_MS("u.last_visit") ", p.user_id IS NOT NULL, "
    "coalesce(p.timezone, 'UTC'), coalesce(p.email_daily_brief, false), coalesce(p.is_active, false)"
    " FROM users u LEFT JOIN user_brief_preferences p ON p.user_id = u.id";

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

}  // namespace

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
             "  VALUES ($1::uuid, $2::date, $3, $4::text[], $5, $6, 'completed',"
             "    to_timestamp($7::float8 / 1000), now(), '{\"step\":\"completed\",\"progress\":100}',"
             "    NULL, $8, $9, $10, $11::jsonb)"
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
  std::unordered_map<std::string, std::size_t> index;
  for (const auto& row : tx.exec_prepared(stmt_projects, user_id)) {
    brief::Project p;
    p.id = row[0].as<std::string>();
    p.name = row[1].as<std::string>();
    p.description = opt_str(row[2]);
    index.emplace(p.id, projects.size());
    projects.push_back(std::move(p));
  }
  if (projects.empty()) return projects;
  for (const auto& row : tx.exec_prepared(stmt_tasks, user_id, epoch_ms_param(w.done_since))) {
    auto it = index.find(row[1].as<std::string>());
    if (it == index.end()) continue;
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
  for (const auto& row :
       tx.exec_prepared(stmt_notes, user_id, epoch_ms_param(w.notes_since), w.notes_per_project)) {
    auto it = index.find(row[1].as<std::string>());
    if (it == index.end()) continue;
    brief::Note n;
    n.id = row[0].as<std::string>();
    n.project_id = it->first;
    n.title = opt_str(row[2]);
    n.content = opt_str(row[3]);
    n.updated_at = from_ms(row[4].as<long long>());
    projects[it->second].notes.push_back(std::move(n));
  }
  for (const auto& row : tx.exec_prepared(stmt_phases, user_id, w.brief_date)) {
    auto it = index.find(row[1].as<std::string>());
    if (it == index.end()) continue;
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
      metas.emplace_back(m.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    const pqxx::row r = tx.exec_prepared1(stmt_project_briefs, in.user_id, in.brief_date,
                                          array_literal(ids), array_literal(contents),
                                          array_literal(metas), out.brief_id,
                                          epoch_ms_param(in.started_at));
    const std::string joined = r[0].is_null() ? "" : r[0].as<std::string>();
    std::size_t pos = 0;
    while (pos < joined.size()) {
      std::size_t comma = joined.find(',', pos);
      if (comma == std::string::npos) comma = joined.size();
      out.project_brief_ids.push_back(joined.substr(pos, comma - pos));
      pos = comma + 1;
    }
  }
  if (!in.email) return out;

  const auto& em = *in.email;
  std::optional<std::string> reuse;
  if (last_email) {
    const std::string& id = last_email->first;
    const std::string& status = last_email->second;
    if (status == "sending") {
      out.email_id = id;
      out.email_action = "in_flight";
      return out;
    }
    if (status == "sent" && !(em.force && out.changed)) {
      out.email_id = id;
      out.email_action = "kept_sent";
      return out;
    }
    if (status == "pending" || status == "draft" || status == "scheduled") reuse = id;
  }
  const nlohmann::json template_data = {{"brief_id", out.brief_id},
                                        {"brief_date", in.brief_date},
                                        {"user_id", in.user_id},
                                        {"timezone", in.timezone},
                                        {"is_reengagement", em.is_reengagement}};
  if (reuse) {
    // Still waiting to be sent: it will render the new brief; keep its
    // subject in step (a re-engagement flag may have changed).
    tx.exec_params0(
        "UPDATE emails SET subject = $2, template_data = template_data || $3::jsonb,"
        " status = 'pending' WHERE id = $1::uuid",
        *reuse, em.subject, template_data.dump());
    out.email_id = *reuse;
    out.email_action = "reused";
  } else {
    const pqxx::row r = tx.exec_prepared1(stmt_insert_email, em.subject, em.from_email,
                                          em.from_name, in.user_id, template_data.dump(),
                                          em.to_email, em.to_name);
    out.email_id = r[0].as<std::string>();
    out.email_action = "created";
  }
  queue::NewJob job;
  job.type = "generate_brief_email";
  job.user_id = in.user_id;
  job.priority = 5;
  job.dedup_key = "email-" + *out.email_id;
  job.metadata = {{"emailId", *out.email_id}, {"userId", in.user_id}, {"briefId", out.brief_id}};
  const auto enq = queue::enqueue(tx, {job});
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
  if (!queue::complete(tx, job, make_result(r))) {
    throw queue::LeaseLost("job " + std::to_string(job.id)
                           + " is no longer held by this worker; the brief was not stored");
  }
  tx.commit();
  return r;
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
    out.cancelled = queue::cancel_brief_jobs(tx, user_id, date,
                                             "Cancelled: regeneration forced by briefos-generate --force");
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    *job.dedup_key += "-force-" + std::to_string(ms);
    job.metadata["options"]["forceRegenerate"] = true;
  }
  const auto r = queue::enqueue(tx, {job});
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
