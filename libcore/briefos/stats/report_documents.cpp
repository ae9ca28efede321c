// SPDX-License-Identifier: MIT
//
// What each report shows (see report_documents.hpp): the columns, their
// kinds and order, the total row, the charts of the HTML page and the
// table CSV exports. JSON keys are the column ids, so they are a contract
// with scripts: rename none.
#include "briefos/stats/report_documents.hpp"

#include "briefos/stats/time.hpp"
#include "briefos/stats/user_report.hpp"

namespace briefos::stats::detail {

namespace {

std::vector<Value> email_row(const EmailDay& d, const std::string& date) {
  return {date, d.total, d.sent, d.failed, d.pending, d.cancelled, d.opened,
          opt(d.open_rate()), opt(d.avg_send_seconds), opt(d.p95_send_seconds)};
}

std::vector<Value> brief_row(const BriefDay& d, const std::string& date) {
  return {date, d.total, d.generated, d.failed, d.empty, d.with_llm,
          opt(d.avg_generation_seconds), opt(d.p95_generation_seconds), opt(d.avg_projects)};
}

}  // namespace

Document email_document(const EmailReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  Section days{"days", "", {}, {}, false, std::nullopt, "total", 2, "(none)"};
  days.columns = {{"date", "date", Kind::date},
                  {"total", "total", Kind::count},
                  {"sent", "sent", Kind::count},
                  {"failed", "failed", Kind::count},
                  {"pending", "pending", Kind::count},
                  {"cancelled", "cancelled", Kind::count},
                  {"opened", "opened", Kind::count},
                  {"open_rate", "open rate", Kind::ratio},
                  {"avg_send_seconds", "avg send", Kind::seconds},
                  {"p95_send_seconds", "p95 send", Kind::seconds}};
  for (const EmailDay& d : r.days) days.rows.push_back(email_row(d, d.date));
  days.footer = email_row(r.total, "total");
  doc.sections.push_back(days);
  doc.charts.push_back({"Emails sent per day", 0, 0, 2});
  doc.charts.push_back({"Open rate per day", 0, 0, 7});
  if (r.by_variant) {
    Section v{"variants", "By subject variant", {}, {}, false, std::nullopt, "variant_totals", -1,
              "(no emails in the window)"};
    v.columns = {{"date", "date", Kind::date},
                 {"variant", "variant", Kind::text},
                 {"sent", "sent", Kind::count},
                 {"opened", "opened", Kind::count},
                 {"open_rate", "open rate", Kind::ratio}};
    for (const EmailVariant& e : r.variants) {
      v.rows.push_back({e.date, e.variant.value_or("(none)"), e.sent, e.opened, opt(e.open_rate())});
    }
    doc.sections.push_back(v);
    Section t{"variant_totals", "By subject variant, whole window", {}, {}, false, std::nullopt, "", -1,
              "(no emails in the window)"};
    t.columns = {{"variant", "variant", Kind::text},
                 {"sent", "sent", Kind::count},
                 {"opened", "opened", Kind::count},
                 {"open_rate", "open rate", Kind::ratio}};
    for (const EmailVariant& e : r.variant_totals) {
      t.rows.push_back({e.variant.value_or("(none)"), e.sent, e.opened, opt(e.open_rate())});
    }
    doc.sections.push_back(t);
    doc.csv_section = 1;
  }
  return doc;
}

Document brief_document(const BriefReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  Section days{"days", "", {}, {}, false, std::nullopt, "total", 2, "(none)"};
  days.columns = {{"date", "brief date", Kind::date},
                  {"total", "total", Kind::count},
                  {"generated", "generated", Kind::count},
                  {"failed", "failed", Kind::count},
                  {"empty", "empty", Kind::count},
                  {"with_llm", "with LLM", Kind::count},
                  {"avg_generation_seconds", "avg time", Kind::seconds},
                  {"p95_generation_seconds", "p95 time", Kind::seconds},
                  {"avg_projects", "projects/brief", Kind::number}};
  for (const BriefDay& d : r.days) days.rows.push_back(brief_row(d, d.date));
  days.footer = brief_row(r.total, "total");
  doc.sections.push_back(days);
  doc.charts.push_back({"Briefs generated per day", 0, 0, 2});
  doc.charts.push_back({"p95 generation time per day", 0, 0, 7});
  return doc;
}

Document queue_document(const QueueReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  Section jobs{"job_types", "", {}, {}, false, std::nullopt, "", -1, "(queue is empty)"};
  jobs.columns = {{"job_type", "job type", Kind::text},
                  {"pending", "pending", Kind::count},
                  {"due", "due now", Kind::count},
                  {"oldest_due_seconds", "oldest due", Kind::seconds},
                  {"processing", "running", Kind::count},
                  {"expired_leases", "expired", Kind::count},
                  {"retrying", "retrying", Kind::count},
                  {"completed", "completed", Kind::count},
                  {"failed", "failed", Kind::count},
                  {"cancelled", "cancelled", Kind::count},
                  {"failed_24h", "failed 24h", Kind::count}};
  for (const QueueType& t : r.types) {
    jobs.rows.push_back({t.job_type, t.pending, t.due, opt(t.oldest_due_seconds), t.processing,
                         t.expired, t.retrying, t.completed, t.failed, t.cancelled, t.failed_24h});
  }
  doc.sections.push_back(jobs);
  Section errors{"failures_24h", "Most common errors of jobs that failed in the last 24 hours", {}, {},
                 false, std::nullopt, "", -1, "(no failures)"};
  errors.columns = {{"job_type", "job type", Kind::text},
                    {"count", "count", Kind::count},
                    {"last_seen", "last seen", Kind::time},
                    {"message", "error", Kind::text}};
  for (const QueueError& q : r.errors) {
    errors.rows.push_back({q.job_type, q.count, opt(q.last_seen), q.message});
  }
  doc.sections.push_back(errors);
  return doc;
}

Document user_document(const UserReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  const UserInfo& u = r.user;
  Section info{"user", "", {}, {}, true, std::nullopt, "", -1, ""};
  info.columns = {{"id", "user", Kind::text},
                  {"email", "email", Kind::text},
                  {"name", "name", Kind::text},
                  {"timezone", "time zone", Kind::text},
                  {"time_of_day", "brief time", Kind::text},
                  {"briefs_active", "briefs active", Kind::flag},
                  {"email_daily_brief", "email opt-in", Kind::flag}};
  const std::string no_prefs = "(no preferences)";
  info.rows.push_back({u.id, u.email, opt(u.name),
                       u.has_preferences ? opt(u.timezone) : Value{no_prefs},
                       u.has_preferences ? opt(u.time_of_day) : Value{no_prefs},
                       u.has_preferences ? flag(u.is_active) : Value{no_prefs},
                       u.has_preferences ? flag(u.email_daily_brief) : Value{no_prefs}});
  doc.sections.push_back(info);

  Section briefs{"briefs", "Briefs and their emails", {}, {}, false, std::nullopt, "", -1,
                 "(no briefs in the window)"};
  briefs.columns = {{"brief_date", "brief date", Kind::date},
                    {"brief_id", "brief", Kind::text},
                    {"status", "status", Kind::text},
                    {"generation_seconds", "took", Kind::seconds},
                    {"projects", "projects", Kind::count},
                    {"empty", "empty", Kind::flag},
                    {"llm_status", "LLM", Kind::text},
                    {"email_id", "email", Kind::text},
                    {"email_status", "email status", Kind::text},
                    {"sent_at", "sent at", Kind::time},
                    {"recipient", "recipient", Kind::text},
                    {"recipient_status", "recipient status", Kind::text},
                    {"opened_at", "opened at", Kind::time},
                    {"open_count", "opens", Kind::count},
                    {"outcome", "outcome", Kind::text},
                    {"reason", "reason", Kind::text},
                    {"relay_reply", "relay reply", Kind::text}};
  for (const UserBrief& b : r.briefs) {
    const Value llm = opt(b.llm_status);
    if (b.emails.empty()) {
      briefs.rows.push_back({b.brief_date, b.id, b.status, opt(b.generation_seconds), b.project_count,
                             flag(b.is_empty), llm, Value{}, Value{}, Value{}, Value{},
                             Value{}, Value{}, Value{}, email_outcome(u, b), opt(b.error), Value{}});
      continue;
    }
    for (const UserEmail& m : b.emails) {
      std::optional<std::string> reason = m.error ? m.error : m.recipient_error;
      if (!reason && b.error) reason = b.error;
      UserBrief single = b;
      single.emails = {m};
      briefs.rows.push_back({b.brief_date, b.id, b.status, opt(b.generation_seconds), b.project_count,
                             flag(b.is_empty), llm, m.id, m.status, opt(m.sent_at),
                             opt(m.recipient), opt(m.recipient_status), opt(m.opened_at), m.open_count,
                             email_outcome(u, single), opt(reason), opt(m.relay_reply)});
    }
  }
  doc.sections.push_back(briefs);
  doc.csv_section = 1;

  Section jobs{"jobs", "Recent brief and email jobs", {}, {}, false, std::nullopt, "", -1, "(no jobs in the window)"};
  jobs.columns = {{"id", "job", Kind::count},
                  {"job_type", "type", Kind::text},
                  {"brief_date", "brief date", Kind::text},
                  {"status", "status", Kind::text},
                  {"attempts", "attempts", Kind::text},
                  {"scheduled_for", "scheduled for", Kind::time},
                  {"completed_at", "finished at", Kind::time},
                  {"error", "error", Kind::text}};
  for (const UserJob& j : r.jobs) {
    jobs.rows.push_back({j.id, j.job_type, opt(j.brief_date), j.status,
                         std::to_string(j.attempts) + "/" + std::to_string(j.max_attempts), j.scheduled_for,
                         opt(j.completed_at), opt(j.error)});
  }
  doc.sections.push_back(jobs);

  const Diagnosis d = diagnose(r, meta.generated_at);
  Section diag{"diagnosis", "Diagnosis", {}, {}, true, std::nullopt, "", -1, ""};
  diag.columns = {{"schedule", "schedule", Kind::text},
                  {"zone_valid", "zone valid", Kind::flag},
                  {"problem", "problem", Kind::text},
                  {"next_run_user", "next run (user)", Kind::text},
                  {"next_run_utc", "next run (UTC)", Kind::text},
                  {"suppressed", "suppressed", Kind::flag},
                  {"suppression_reason", "suppression reason", Kind::text},
                  {"suppression_detail", "suppression detail", Kind::text},
                  {"suppressed_since", "suppressed since", Kind::time},
                  {"last_email_id", "last email", Kind::text},
                  {"last_email_brief_date", "its brief date", Kind::text},
                  {"last_email_status", "its status", Kind::text},
                  {"last_email_created_at", "created at", Kind::time},
                  {"last_email_sent_at", "sent at", Kind::time},
                  {"last_email_recipient_status", "recipient status", Kind::text},
                  {"last_email_outcome", "outcome", Kind::text},
                  {"last_email_error", "error", Kind::text}};
  Value next_user;
  Value next_utc;
  if (d.next_run) {
    next_user = format_time_iso(*d.next_run, u.timezone.value_or("UTC"));
    next_utc = format_time_iso(*d.next_run, "UTC");
  }
  const std::optional<Suppression>& sup = r.suppression;
  std::vector<Value> drow{u.has_preferences ? Value{d.schedule} : Value{},
                          u.has_preferences ? flag(d.zone_valid) : Value{},
                          opt(d.problem), next_user, next_utc, flag(sup.has_value()),
                          sup ? Value{sup->reason} : Value{}, sup ? opt(sup->detail) : Value{},
                          sup ? Value{sup->since} : Value{}};
  if (const auto& m = r.last_email) {
    const std::optional<std::string> error = m->error ? m->error : m->recipient_error;
    for (Value v : {Value{m->id}, opt(r.last_email_brief_date), Value{m->status}, Value{m->created_at},
                    opt(m->sent_at), opt(m->recipient_status), Value{last_email_outcome(r)}, opt(error)}) {
      drow.push_back(v);
    }
  } else {
    drow.resize(diag.columns.size());
  }
  diag.rows.push_back(drow);
  doc.sections.push_back(diag);

  Section findings{"findings", "Findings", {}, {}, false, std::nullopt, "", -1,
                   "(nothing keeps briefs or emails from this user)"};
  findings.columns = {{"finding", "finding", Kind::text}};
  for (const std::string& f : d.findings) findings.rows.push_back({f});
  doc.sections.push_back(findings);
  return doc;
}

std::string last_email_outcome(const UserReport& r) {
  if (!r.last_email) return "";
  UserBrief single;
  single.status = "completed";
  single.emails = {*r.last_email};
  return email_outcome(r.user, single);
}

Document health_document(const HealthReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  Section checks{"checks", "", {}, {}, false, std::nullopt, "", -1, "(no checks)"};
  checks.columns = {{"check", "check", Kind::text},
                    {"status", "status", Kind::text},
                    {"value", "value", Kind::text},
                    {"threshold", "threshold", Kind::text},
                    {"detail", "detail", Kind::text}};
  for (const HealthCheck& c : r.checks) {
    auto show = [&](std::optional<double> v) -> std::string {
      if (!v) return "-";
      if (c.unit == "seconds") return format_duration(v);
      if (c.unit == "ratio") return percent(v);
      return number(*v);
    };
    checks.rows.push_back({c.name, std::string(c.ok ? "PASS" : "FAIL"), show(c.value), show(c.threshold), c.detail});
  }
  doc.sections.push_back(checks);
  return doc;
}

}  // namespace briefos::stats::detail
