// SPDX-License-Identifier: MIT
//
// The Prometheus format (text exposition 0.0.4), written per report rather
// than from the document, because metric names, types and labels are a
// contract with dashboards: all of them are in this file. Only bounded
// label values (job types, statuses, check names, variants), never dates
// or error messages, so a textfile collector's series stay few.
#include "briefos/stats/formats.hpp"

#include <cmath>
#include <sstream>
#include <utility>
#include <vector>

namespace briefos::stats::detail {

std::string label_value(const std::string& v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {

class Exposition {
public:
  void family(const std::string& name, const std::string& type, const std::string& help) {
    m_out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  void sample(const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& labels,
              double value) {
    m_out << name;
    if (!labels.empty()) {
      m_out << "{";
      for (std::size_t i = 0; i < labels.size(); ++i) {
        m_out << (i ? "," : "") << labels[i].first << "=\"" << label_value(labels[i].second) << "\"";
      }
      m_out << "}";
    }
    m_out << " " << number(value) << "\n";
  }
  std::string str() const { return m_out.str(); }

private:
  std::ostringstream m_out;
};

double seconds_since_epoch(Time t) {
  return static_cast<double>(t.time_since_epoch().count()) / 1e6;
}

void generated_metric(Exposition& e, const Meta& meta) {
  e.family("briefos_stats_generated_timestamp_seconds", "gauge",
           "Unix time at which briefos-stats produced this report.");
  e.sample("briefos_stats_generated_timestamp_seconds", {{"report", meta.report}},
           std::floor(seconds_since_epoch(meta.generated_at)));
}

std::string window_text(const Meta& meta) {
  return "the last " + std::to_string(meta.days) + " day(s) in zone " + meta.zone;
}

}  // namespace

std::string email_prometheus(const EmailReport& r, const Meta& meta) {
  Exposition e;
  const std::string w = window_text(meta);
  e.family("briefos_brief_emails", "gauge",
           "Daily-brief email recipients created in " + w + ", by email status.");
  const std::vector<std::pair<std::string, long long>> statuses = {
      {"sent", r.total.sent}, {"failed", r.total.failed}, {"pending", r.total.pending},
      {"cancelled", r.total.cancelled},
      {"other", r.total.total - r.total.sent - r.total.failed - r.total.pending - r.total.cancelled}};
  for (const auto& [status, n] : statuses) {
    e.sample("briefos_brief_emails", {{"status", status}}, static_cast<double>(n));
  }
  e.family("briefos_brief_emails_opened", "gauge",
           "Daily-brief email recipients created in " + w + " that opened the email.");
  e.sample("briefos_brief_emails_opened", {}, static_cast<double>(r.total.opened));
  e.family("briefos_brief_email_open_ratio", "gauge",
           "Opened divided by sent for daily-brief emails created in " + w + " (0 when none was sent).");
  e.sample("briefos_brief_email_open_ratio", {}, r.total.open_rate().value_or(0));
  e.family("briefos_brief_email_send_delay_seconds", "summary",
           "Time from creating a daily-brief email to sending it, for emails created in " + w + ".");
  if (r.total.p95_send_seconds) {
    e.sample("briefos_brief_email_send_delay_seconds", {{"quantile", "0.95"}}, *r.total.p95_send_seconds);
  }
  e.sample("briefos_brief_email_send_delay_seconds_sum", {}, r.total.sum_send_seconds);
  e.sample("briefos_brief_email_send_delay_seconds_count", {}, static_cast<double>(r.total.send_samples));
  if (r.by_variant) {
    e.family("briefos_brief_emails_sent_by_variant", "gauge",
             "Sent daily-brief email recipients created in " + w + ", by subject variant (\"none\" without one).");
    for (const EmailVariant& v : r.variant_totals) {
      e.sample("briefos_brief_emails_sent_by_variant", {{"variant", v.variant.value_or("none")}},
               static_cast<double>(v.sent));
    }
    e.family("briefos_brief_email_open_ratio_by_variant", "gauge",
             "Opened divided by sent per subject variant for emails created in " + w + ".");
    for (const EmailVariant& v : r.variant_totals) {
      e.sample("briefos_brief_email_open_ratio_by_variant", {{"variant", v.variant.value_or("none")}},
               v.open_rate().value_or(0));
    }
  }
  generated_metric(e, meta);
  return e.str();
}

std::string brief_prometheus(const BriefReport& r, const Meta& meta) {
  Exposition e;
  const std::string w = "brief dates in " + window_text(meta);
  e.family("briefos_daily_briefs", "gauge", "Daily briefs for " + w + ", by outcome.");
  e.sample("briefos_daily_briefs", {{"outcome", "generated"}}, static_cast<double>(r.total.generated));
  e.sample("briefos_daily_briefs", {{"outcome", "failed"}}, static_cast<double>(r.total.failed));
  e.sample("briefos_daily_briefs", {{"outcome", "other"}},
           static_cast<double>(r.total.total - r.total.generated - r.total.failed));
  e.family("briefos_daily_briefs_empty", "gauge", "Daily briefs for " + w + " that were empty.");
  e.sample("briefos_daily_briefs_empty", {}, static_cast<double>(r.total.empty));
  e.family("briefos_daily_briefs_with_llm_analysis", "gauge",
           "Daily briefs for " + w + " that have an LLM analysis.");
  e.sample("briefos_daily_briefs_with_llm_analysis", {}, static_cast<double>(r.total.with_llm));
  e.family("briefos_daily_brief_generation_seconds", "summary",
           "Time to generate a daily brief (started to completed) for " + w + ".");
  if (r.total.p95_generation_seconds) {
    e.sample("briefos_daily_brief_generation_seconds", {{"quantile", "0.95"}}, *r.total.p95_generation_seconds);
  }
  e.sample("briefos_daily_brief_generation_seconds_sum", {}, r.total.sum_generation_seconds);
  e.sample("briefos_daily_brief_generation_seconds_count", {}, static_cast<double>(r.total.generation_samples));
  e.family("briefos_daily_brief_projects_avg", "gauge",
           "Average number of projects per generated daily brief for " + w + ".");
  e.sample("briefos_daily_brief_projects_avg", {}, r.total.avg_projects.value_or(0));
  generated_metric(e, meta);
  return e.str();
}

std::string queue_prometheus(const QueueReport& r, const Meta& meta) {
  Exposition e;
  e.family("briefos_queue_jobs", "gauge", "Jobs in queue_jobs, by job type and status.");
  for (const QueueType& t : r.types) {
    const std::vector<std::pair<std::string, long long>> s = {
        {"pending", t.pending},     {"processing", t.processing}, {"retrying", t.retrying},
        {"completed", t.completed}, {"failed", t.failed},         {"cancelled", t.cancelled}};
    for (const auto& [status, n] : s) {
      e.sample("briefos_queue_jobs", {{"job_type", t.job_type}, {"status", status}}, static_cast<double>(n));
    }
  }
  e.family("briefos_queue_jobs_due", "gauge",
           "Pending jobs whose scheduled_for has passed, by job type.");
  for (const QueueType& t : r.types) {
    e.sample("briefos_queue_jobs_due", {{"job_type", t.job_type}}, static_cast<double>(t.due));
  }
  e.family("briefos_queue_oldest_due_age_seconds", "gauge",
           "How long the longest-waiting due pending job has waited past scheduled_for (0 when none).");
  for (const QueueType& t : r.types) {
    e.sample("briefos_queue_oldest_due_age_seconds", {{"job_type", t.job_type}}, t.oldest_due_seconds.value_or(0));
  }
  e.family("briefos_queue_expired_leases", "gauge",
           "Processing jobs whose lease (locked_until) has expired, by job type.");
  for (const QueueType& t : r.types) {
    e.sample("briefos_queue_expired_leases", {{"job_type", t.job_type}}, static_cast<double>(t.expired));
  }
  e.family("briefos_queue_jobs_failed_last_24h", "gauge",
           "Jobs that ended failed in the last 24 hours, by job type.");
  for (const QueueType& t : r.types) {
    e.sample("briefos_queue_jobs_failed_last_24h", {{"job_type", t.job_type}}, static_cast<double>(t.failed_24h));
  }
  generated_metric(e, meta);
  return e.str();
}

std::string health_prometheus(const HealthReport& r, const Meta& meta) {
  Exposition e;
  e.family("briefos_health_ok", "gauge", "1 if every briefos health check passed, else 0.");
  e.sample("briefos_health_ok", {}, r.ok() ? 1 : 0);
  e.family("briefos_health_check_ok", "gauge", "1 if the health check passed, else 0.");
  for (const HealthCheck& c : r.checks) e.sample("briefos_health_check_ok", {{"check", c.name}}, c.ok ? 1 : 0);
  e.family("briefos_health_check_value", "gauge",
           "The value a health check compared (seconds, ratio or count; see briefos-stats(1)).");
  for (const HealthCheck& c : r.checks) {
    if (c.value) e.sample("briefos_health_check_value", {{"check", c.name}}, *c.value);
  }
  e.family("briefos_health_check_threshold", "gauge", "The threshold of a health check.");
  for (const HealthCheck& c : r.checks) e.sample("briefos_health_check_threshold", {{"check", c.name}}, c.threshold);
  generated_metric(e, meta);
  return e.str();
}

}  // namespace briefos::stats::detail
