// SPDX-License-Identifier: MIT
// What a brief becomes: see result.hpp. A re-engagement brief carries its
// own subject (also kept in the brief's metadata); a held-back email is
// reported as email_action "held_back".
#include "briefos/app/generate/result.hpp"

namespace briefos::generate {

using nlohmann::json;

namespace {
long long round_ms(double ms) { return static_cast<long long>(ms + 0.5); }
}  // namespace

const char* to_string(LlmStatus status) noexcept {
  switch (status) {
    case LlmStatus::skipped: return "skipped";
    case LlmStatus::ok: return "ok";
    case LlmStatus::failed: return "failed";
  }
  return "skipped";
}

json failed_projects(const brief::BuiltBrief& built) {
  json failures = json::array();
  for (const auto& f : built.failures) {
    failures.push_back({{"project_id", f.project_id}, {"name", f.project_name}, {"error", f.error}});
  }
  return failures;
}

db::brief_store::StoreInput store_input(const queue::Job& job, const Made& m, brief::TimePoint started,
                                        const EmailSettings& email) {
  const JobSpec& spec = m.spec;
  const auto& user = m.source.user;
  db::brief_store::StoreInput in;
  in.user_id = spec.user_id;
  in.brief_date = spec.brief_date;
  in.timezone = m.source.timezone;
  in.built = &m.built;
  in.llm_analysis = m.analysis;
  in.llm_status = to_string(m.llm_status);
  in.started_at = started;
  const bool reengage = spec.reengage();
  const std::string subject = reengage ? brief::reengagement_subject(spec.days_since_last_login)
                                       : brief::daily_subject(spec.brief_date);
  in.metadata = {{"queue_job_id", job.id},
                 {"generated_via", "briefos-generate"},
                 {"timezone", m.source.timezone},
                 {"is_reengagement", reengage},
                 {"days_since_last_login", spec.days_since_last_login},
                 {"email_subject", reengage ? json(subject) : json(nullptr)},
                 {"llm_error", m.llm_error.empty() ? json(nullptr) : json(m.llm_error)},
                 {"failed_projects", failed_projects(m.built)},
                 {"email_held_back", spec.hold_email}};
  const bool opted_in = user.email_daily_brief && user.preferences_active;
  if (opted_in && !spec.hold_email && (!m.built.is_empty || email.email_empty)) {
    db::brief_store::StoreInput::Email e;
    e.subject = subject;
    e.from_email = email.from_email;
    e.from_name = email.from_name;
    e.to_email = user.user.email;
    e.to_name = user.user.name;
    e.is_reengagement = reengage;
    e.force = spec.force;
    in.email = e;
  }
  return in;
}

json job_result(const Made& m, double total_ms) {
  const JobSpec& spec = m.spec;
  return {{"user_id", spec.user_id},
          {"brief_date", spec.brief_date},
          {"timezone", m.source.timezone},
          {"email_action", spec.hold_email ? json("held_back") : json(nullptr)},
          {"is_empty", m.built.is_empty},
          {"projects",
           {{"succeeded", m.built.succeeded}, {"failed", m.built.failures.size()}, {"skipped", m.built.skipped}}},
          {"failed_projects", failed_projects(m.built)},
          {"llm", to_string(m.llm_status)},
          {"llm_error", m.llm_error.empty() ? json(nullptr) : json(m.llm_error)},
          {"timing_ms",
           {{"load", round_ms(m.load_ms)},
            {"build", round_ms(m.build_ms)},
            {"llm", round_ms(m.llm_ms)},
            {"total", total_ms}}}};
}

}  // namespace briefos::generate
