// SPDX-License-Identifier: MIT
//
// Brief storage policy. Storing happens in one transaction the store owns,
// at the end, after the brief was built (and the LLM answered), together
// with the completion of the job:
// - daily_briefs is upserted on (user_id, brief_date) in place: the id stays
//   the same across regenerations, and until the transaction commits every
//   reader still sees the previous, complete brief (BuildOS blanked it while
//   regenerating). The previous rows are locked first, in (user, date)
//   order, so two regenerations of the same brief serialise and two batches
//   do not deadlock.
// - project_daily_briefs rows of the briefs are upserted from arrays in one
//   statement, rows of projects no longer in a brief are deleted, and each
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
// - The jobs complete in the same transaction, fenced by worker and attempt
//   (queue::detail::complete_each): if a lease was lost meanwhile,
//   everything rolls back.
#include "briefos/db/brief_store.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/queue_sql.hpp"
#include "briefos/db/detail/sql.hpp"
#include "briefos/jobs.hpp"
#include "briefos/util/text.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <stdexcept>
#include <utility>

namespace briefos::db::brief_store {

namespace {

// The upsert of the briefs. `old` locks the existing rows in (user,
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

// The project briefs: $1-$4 one element per brief, $5-$8
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

// The new emails and their recipients; ids are drawn first so that each input
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

// A reused email's recipient also takes the user's current address and
// name (briefos_recipient_follow_user, migration 0009: the role may not
// write an address itself), so a regeneration brings it up to date;
// briefos-email follows the user again at send time in any case.
constexpr const char* sql_reuse_emails_many =
    "WITH r AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS r(id, subject, data)),"
    " e AS (UPDATE emails e SET subject = r.subject, template_data = e.template_data || r.data,"
    "   status = 'pending' FROM r WHERE e.id = r.id RETURNING e.id)"
    " SELECT count(briefos_recipient_follow_user(er.id)) FROM email_recipients er JOIN e ON er.email_id = e.id";


// In sql_upsert_briefs_many the insert reads `old` first
// (WHERE (SELECT count(*) FROM old) >= 0): a CTE runs when first read, and
// if the upsert ran first, `old` would skip the row the same statement had
// just updated (FOR UPDATE skips rows the current command modified), so a
// regenerated brief would report replaced = false and always "changed".
//
// The email lookup of sql_upsert_briefs_many sits behind OFFSET 0, an
// optimisation fence: without it the planner may serve ORDER BY created_at
// LIMIT 1 by walking emails_daily_brief_created_at_idx backwards and
// filtering on brief_id, which reads every daily-brief email (measured 10 ms
// at 4,000 emails, growing with the table) instead of the one or two rows the
// (category, brief_id) expression index finds.
const detail::Statement stmt_upsert_briefs{"briefos_gen_upsert_briefs_many", sql_upsert_briefs_many};
const detail::Statement stmt_project_briefs{"briefos_gen_project_briefs_many", sql_project_briefs_many};
const detail::Statement stmt_insert_emails{"briefos_gen_insert_emails_many", sql_insert_emails_many};
const detail::Statement stmt_reuse_emails{"briefos_gen_reuse_emails_many", sql_reuse_emails_many};

std::string epoch_ms_param(brief::TimePoint t) { return std::to_string(t.time_since_epoch().count()); }

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
  EmailAction action = EmailAction::created;
  std::optional<std::string> id;  // the email kept or reused
};

EmailDecision decide_email(const std::optional<std::pair<std::string, std::string>>& last_email,
                           const StoreInput::Email& em, bool changed) {
  if (last_email) {
    const std::string& id = last_email->first;
    const std::string& status = last_email->second;
    if (status == "sending") return {EmailAction::in_flight, id};
    if (status == "sent" && !(em.force && changed)) return {EmailAction::kept_sent, id};
    if (status == "pending" || status == "draft" || status == "scheduled") return {EmailAction::reused, id};
  }
  return {EmailAction::created, std::nullopt};
}

nlohmann::json email_template_data(const StoreInput& in, const std::string& brief_id) {
  return {{"brief_id", brief_id},
          {"brief_date", in.brief_date},
          {"user_id", in.user_id},
          {"timezone", in.timezone},
          {"is_reengagement", in.email->is_reengagement}};
}

// Store `inputs` in `tx`: the statements of the policy above, one each for
// the whole batch. Kept as one piece (about 130 lines) because its four
// steps feed each other through `out` and `last_email`, in this order.
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
    const pqxx::result r = detail::run(tx,
        stmt_upsert_briefs, array_literal(users), array_literal(dates), array_literal(summaries),
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
    const pqxx::result r = detail::run(tx,
        stmt_project_briefs, array_literal(users), array_literal(dates), array_literal(brief_ids),
        array_literal(started), array_literal(bords), array_literal(projects), array_literal(contents),
        array_literal(metas));
    for (const auto& row : r) {
      const auto k = static_cast<std::size_t>(row[0].as<long long>() - 1);
      out.at(k).project_brief_ids = util::split_commas(row[1].is_null() ? std::string() : row[1].as<std::string>());
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
    if (d.action == EmailAction::created) create.push_back(k);
    if (d.action == EmailAction::reused) reuse.push_back(k);
  }
  if (!reuse.empty()) {
    std::vector<std::optional<std::string>> ids, subjects, data;
    for (std::size_t k : reuse) {
      ids.push_back(out[k].email_id);
      subjects.emplace_back(inputs[k]->email->subject);
      data.emplace_back(email_template_data(*inputs[k], out[k].brief_id).dump());
    }
    detail::run(tx, stmt_reuse_emails, array_literal(ids), array_literal(subjects), array_literal(data));
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
    const pqxx::result r = detail::run(tx,
        stmt_insert_emails, array_literal(subjects), array_literal(from_emails),
        array_literal(from_names), array_literal(users), array_literal(data), array_literal(to_emails),
        array_literal(to_names));
    for (const auto& row : r) {
      out.at(create.at(static_cast<std::size_t>(row[1].as<long long>() - 1))).email_id =
          row[0].as<std::string>();
    }
  }
  std::vector<queue::NewJob> email_jobs;
  std::vector<std::size_t> job_of;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (out[k].email_action == EmailAction::created || out[k].email_action == EmailAction::reused) {
      email_jobs.push_back(jobs::email_job(*out[k].email_id, inputs[k]->user_id, out[k].brief_id));
      job_of.push_back(k);
    }
  }
  if (!email_jobs.empty()) {
    const auto enq = queue::detail::enqueue(tx, email_jobs);
    for (std::size_t j = 0; j < email_jobs.size(); ++j) out[job_of[j]].email_job_id = enq.at(j).id;
  }
  return out;
}

// The job's result: what the caller knew (`result`) and what storing
// decided; `store_ms` is this brief's share of the time storing took.
nlohmann::json recorded_result(nlohmann::json result, const StoreResult& r, double store_ms) {
  result["brief_id"] = r.brief_id;
  result["replaced"] = r.replaced;
  result["email_id"] = r.email_id ? nlohmann::json(*r.email_id) : nlohmann::json(nullptr);
  result["email_job_id"] = r.email_job_id ? nlohmann::json(*r.email_job_id) : nlohmann::json(nullptr);
  if (r.email_action != EmailAction::none) result["email_action"] = to_string(r.email_action);
  nlohmann::json& timing = result["timing_ms"];
  const double total = timing.contains("total") && timing["total"].is_number() ? timing["total"].get<double>() : 0.0;
  timing["store"] = std::llround(store_ms);
  timing["total"] = std::llround(total + store_ms);
  return result;
}

}  // namespace

const char* to_string(EmailAction action) noexcept {
  switch (action) {
    case EmailAction::none: return "";
    case EmailAction::created: return "created";
    case EmailAction::reused: return "reused";
    case EmailAction::kept_sent: return "kept_sent";
    case EmailAction::in_flight: return "in_flight";
  }
  return "";
}

std::vector<Completed> store_and_complete(Session& session, const std::vector<Completion>& batch) {
  const auto t0 = std::chrono::steady_clock::now();
  pqxx::connection& cx = detail::cx(session);
  pqxx::work tx{cx};
  std::vector<const StoreInput*> inputs;
  inputs.reserve(batch.size());
  for (const Completion& c : batch) inputs.push_back(c.input);
  std::vector<StoreResult> stored = store_many(tx, inputs);
  const double store_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()
                          / static_cast<double>(std::max<std::size_t>(1, batch.size()));
  std::vector<Completed> out;
  out.reserve(batch.size());
  std::vector<std::pair<const queue::Job*, nlohmann::json>> results;
  for (std::size_t k = 0; k < batch.size(); ++k) {
    nlohmann::json result = recorded_result(batch[k].result, stored[k], store_ms);
    results.emplace_back(batch[k].job, result);
    out.push_back({std::move(stored[k]), std::move(result)});
  }
  const auto done = queue::detail::complete_each(tx, results);
  if (done.size() != batch.size()) {
    if (batch.size() == 1) {
      throw queue::LeaseLost("job " + std::to_string(batch[0].job->id)
                             + " is no longer held by this worker; the brief was not stored");
    }
    throw queue::LeaseLost(std::to_string(batch.size() - done.size()) + " of the batch's "
                           + std::to_string(batch.size())
                           + " jobs are no longer held by this worker; the batch was not stored");
  }
  tx.commit();
  return out;
}

void notify_event(Session& session, const nlohmann::json& payload) {
  try {
    pqxx::nontransaction tx{detail::cx(session)};
    tx.exec_params("SELECT pg_notify('briefos_events', $1)", dump_json(payload));
  } catch (const std::exception& e) {
    spdlog::warn("could not send event {}: {}", payload.value("event", std::string("?")), e.what());
  }
}

}  // namespace briefos::db::brief_store
