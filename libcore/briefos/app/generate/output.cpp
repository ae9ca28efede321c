// SPDX-License-Identifier: MIT
// briefos-generate's output: see output.hpp. A job that failed before its
// brief was stored still gets a full line: its user and date come from the
// job's metadata, its counts are zero.
#include "briefos/app/generate/output.hpp"

#include <cstdio>

namespace briefos::generate {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {
long long round_ms(double ms) { return static_cast<long long>(ms + 0.5); }
}  // namespace

ordered_json json_line(const worker::Report& r) {
  const queue::Job& job = *r.job;
  const json& res = r.result;
  const bool have = res.is_object() && res.contains("brief_id");
  const json& md = job.metadata;
  const auto meta = [&](const char* key) -> ordered_json {
    if (md.is_object() && md.contains(key) && md[key].is_string()) return md[key].get<std::string>();
    return nullptr;
  };
  ordered_json j;
  j["job_id"] = job.id;
  j["user_id"] = have ? ordered_json(res["user_id"]) : (job.user_id ? ordered_json(*job.user_id) : meta("userId"));
  j["brief_id"] = have ? ordered_json(res["brief_id"]) : ordered_json(nullptr);
  j["brief_date"] = have ? ordered_json(res["brief_date"]) : meta("briefDate");
  j["email_id"] = have ? ordered_json(res["email_id"]) : ordered_json(nullptr);
  j["email_job_id"] = have ? ordered_json(res["email_job_id"]) : ordered_json(nullptr);
  j["status"] = r.status == worker::Status::lost || r.status == worker::Status::released
                    ? std::string("retrying")
                    : std::string(worker::to_string(r.status));
  if (have) {
    const json& pr = res["projects"];
    j["projects"] = {{"succeeded", pr["succeeded"]}, {"failed", pr["failed"]}, {"skipped", pr["skipped"]}};
    j["llm"] = res["llm"];
  } else {
    j["projects"] = {{"succeeded", 0}, {"failed", 0}, {"skipped", 0}};
    j["llm"] = "skipped";
  }
  j["duration_ms"] = round_ms(r.seconds * 1000);
  if (r.status != worker::Status::completed) j["error"] = r.error;
  return j;
}

std::string human_line(const worker::Report& r) {
  const ordered_json j = json_line(r);
  const auto text = [](const ordered_json& v) {
    return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string("-") : v.dump();
  };
  std::string s = std::to_string(r.job->id) + "  " + j["status"].get<std::string>() + "  " + text(j["brief_date"])
                  + "  user " + text(j["user_id"]);
  if (!j["brief_id"].is_null()) {
    s += "  brief " + text(j["brief_id"]) + "  projects " + std::to_string(j["projects"]["succeeded"].get<long long>())
         + " ok/" + std::to_string(j["projects"]["failed"].get<long long>()) + " failed/"
         + std::to_string(j["projects"]["skipped"].get<long long>()) + " quiet  email "
         + (j["email_id"].is_null() ? std::string("-") : text(j["email_id"])) + "  llm " + text(j["llm"]);
  } else if (j.contains("error")) {
    s += "  error: " + text(j["error"]);
  }
  s += "  " + std::to_string(j["duration_ms"].get<long long>()) + " ms";
  return s;
}

void print_summary(std::ostream& err, const std::string& tool_name, const worker::Totals& t, const Counters& c,
                   double secs) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f", secs > 0 ? static_cast<double>(t.completed) / secs : 0.0);
  err << tool_name << ": " << t.completed << " brief(s) completed, " << t.retried << " retrying, " << t.failed
      << " failed" << (t.lost > 0 ? ", " + std::to_string(t.lost) + " lost" : "") << " in "
      << std::to_string(round_ms(secs * 1000)) << " ms (" << rate << "/s); " << c.emails.load()
      << " email(s) queued; LLM ok " << c.llm_ok.load() << ", failed " << c.llm_failed.load() << ", skipped "
      << c.llm_skipped.load();
  if (c.projects_failed.load() > 0) err << "; " << c.projects_failed.load() << " project(s) left out";
  err << "\n";
}

}  // namespace briefos::generate
