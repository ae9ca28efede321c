// SPDX-License-Identifier: MIT
//
// Prompts and wire format of the optional LLM analysis. The prompt keeps
// the structure BuildOS used (reference/buildos-worker.md 5.9): a system
// prompt with the required Markdown layout, and a user prompt with the
// date, zone, detected priority actions, the per-project data as a JSON
// block, and the main brief capped at 8000 characters. The wording is ours.
//
// The body is plain OpenAI chat-completions (model, messages, temperature,
// max_tokens, stream false), which OpenAI, OpenRouter, llama.cpp's server
// and Ollama all accept; fallback between models is done by the client,
// one request per model, rather than with OpenRouter-only fields.
//
// Parsing is strict about what it accepts and says why it rejects: a body
// that is not JSON (including one cut off mid-way), an "error" object, no
// choices, or a blank message are all ResponseErrors, so the brief records
// why the analysis is missing instead of storing garbage.
#include "briefos/llm.hpp"

#include "briefos/util/text.hpp"

#include <algorithm>

namespace briefos::llm {

namespace {

using nlohmann::ordered_json;

using util::trim;

std::string iso_instant(brief::TimePoint t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto days = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{secs - days};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

ordered_json task_json(const brief::Task& t, const std::string& project_id, const std::string& zone,
                       bool completed) {
  ordered_json j;
  j["id"] = t.id;
  j["title"] = t.title;
  j["status"] = t.status;
  j["priority"] = t.priority;
  j["start_date"] = t.start_date ? ordered_json(iso_instant(*t.start_date)) : ordered_json();
  j["start_date_formatted"] =
      t.start_date ? ordered_json(brief::format_instant(*t.start_date, zone)) : ordered_json();
  const bool show = completed && t.completed_at;
  j["completed_at"] = show ? ordered_json(iso_instant(*t.completed_at)) : ordered_json();
  j["completed_at_formatted"] =
      show ? ordered_json(brief::format_instant(*t.completed_at, zone, true)) : ordered_json();
  j["link"] = "/projects/" + project_id + "/tasks/" + t.id;
  j["has_calendar_event"] = t.has_calendar_event;
  return j;
}

std::string analysis_system_prompt() {
  return "You are a BuildOS productivity strategist. You write a short, practical analysis "
         "of the user's daily brief.\n"
         "\n"
         "Aims:\n"
         "- Say what deserves the user's attention today, given the workload.\n"
         "- Point out overdue work, blockers and real recent progress.\n"
         "- Give each active project its counts and linked task bullets.\n"
         "\n"
         "Style:\n"
         "- Markdown only, with clear headings and short paragraphs. Never output JSON.\n"
         "- Use only the links given in the data. Never invent URLs.\n"
         "- No filler.\n"
         "\n"
         "Layout:\n"
         "1. A heading \"# Daily Brief Analysis - <Date>\".\n"
         "2. A section on today's outlook and priorities.\n"
         "3. \"## Active Projects\", one sub-section per project, busiest or most urgent first.\n"
         "4. In each project: quick stats, then \"Tasks Today\" and \"Next 7 Days\" bullets with "
         "links; say so explicitly when a list is empty.\n"
         "5. Mention overdue or recently completed work where it changes today's focus.";
}

std::string tone_for(int days) {
  if (days <= 4) return "gentle and encouraging";
  if (days <= 10) return "motivating and action-oriented";
  return "warm but direct, with a clear value proposition";
}

}  // namespace

std::string request_body(const Request& r, const std::string& model) {
  ordered_json body;
  body["model"] = model;
  body["messages"] = ordered_json::array({{{"role", "system"}, {"content", r.system}},
                                          {{"role", "user"}, {"content", r.user}}});
  body["temperature"] = r.temperature;
  body["max_tokens"] = r.max_tokens;
  body["stream"] = false;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Response parse_response(const std::string& body) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    std::string head = body.substr(0, 60);
    for (char& c : head) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    throw ResponseError("response is not valid JSON (" + std::to_string(body.size())
                        + " bytes, parse error at byte " + std::to_string(e.byte) + "): \"" + head
                        + "\"");
  } catch (const nlohmann::json::exception& e) {
    // Not a parse_error: a number too large for a double ("1e999") is
    // json::out_of_range (406), which escaped to the LLM client's transfer
    // thread and ended the process (found by tests/fuzz/fuzz_llm.cpp).
    throw ResponseError("response is not usable JSON (" + std::to_string(body.size())
                        + " bytes): " + std::string(e.what()).substr(0, 200));
  }
  if (!j.is_object()) throw ResponseError("response is not a JSON object");
  if (j.contains("error")) {
    const auto& err = j["error"];
    // value("message", ...) throws json::type_error when "message" is not a
    // string ({"error":{"message":42}}), and the LLM client catches only
    // ResponseError on its transfer thread: such a body ended the process.
    // A message of any other type is shown as JSON instead.
    std::string msg = "unknown error";
    if (err.is_object()) {
      if (const auto it = err.find("message"); it != err.end()) {
        msg = it->is_string() ? it->get<std::string>() : it->dump();
      }
    } else {
      msg = err.is_string() ? err.get<std::string>() : err.dump();
    }
    throw ResponseError("server returned an error: " + msg);
  }
  if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) {
    throw ResponseError("response has no choices");
  }
  const auto& choice = j["choices"][0];
  if (!choice.is_object() || !choice.contains("message") || !choice["message"].is_object()) {
    throw ResponseError("response choice has no message");
  }
  const auto& msg = choice["message"];
  if (!msg.contains("content") || !msg["content"].is_string()) {
    throw ResponseError("response message has no text content");
  }
  Response out;
  out.content = trim(msg["content"].get<std::string>());
  // JSON may carry "\u0000", PostgreSQL text cannot: libpq would store the
  // analysis cut at the first NUL. Drop the NULs, keep everything else.
  std::erase(out.content, '\0');
  if (out.content.empty()) throw ResponseError("response message is empty");
  if (j.contains("model") && j["model"].is_string()) out.model = j["model"].get<std::string>();
  if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
    out.finish_reason = choice["finish_reason"].get<std::string>();
  }
  // A reply wrapped as a whole in one ```markdown (or ```) fence.
  if (out.content.starts_with("```") && out.content.ends_with("```") && out.content.size() > 6) {
    const std::size_t nl = out.content.find('\n');
    if (nl != std::string::npos && out.content.find("```", nl) == out.content.size() - 3) {
      out.content = trim(out.content.substr(nl + 1, out.content.size() - 3 - nl - 1));
      if (out.content.empty()) throw ResponseError("response message is empty");
    }
  }
  return out;
}

std::string trim_for_prompt(const std::string& markdown, std::size_t max_chars) {
  if (markdown.size() <= max_chars) return markdown;
  std::size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(markdown[cut]) & 0xC0U) == 0x80U) --cut;
  return markdown.substr(0, cut) + "\n\n... (content truncated for analysis prompt)";
}

ordered_json analysis_projects(const std::vector<brief::ProjectBrief>& briefs,
                               const std::string& zone) {
  ordered_json out = ordered_json::array();
  for (const brief::ProjectBrief& pb : briefs) {
    const brief::Project& p = *pb.project;
    const brief::Categories& c = pb.categories;
    ordered_json j;
    j["project_id"] = p.id;
    j["project_name"] = p.name;
    j["project_link"] = "/projects/" + p.id;
    j["description"] = p.description ? ordered_json(*p.description) : ordered_json();
    if (c.current_phase != nullptr) {
      j["current_phase"] = {{"id", c.current_phase->id},
                            {"name", c.current_phase->name},
                            {"start_date", c.current_phase->start_date},
                            {"end_date", c.current_phase->end_date}};
    } else {
      j["current_phase"] = nullptr;
    }
    j["stats"] = {{"todays_task_count", pb.stats.todays},
                  {"next_seven_days_task_count", pb.stats.next_seven_days},
                  {"overdue_task_count", pb.stats.overdue},
                  {"recently_completed_count", pb.stats.recently_completed}};
    const auto list = [&](const std::vector<const brief::Task*>& tasks, bool completed) {
      ordered_json a = ordered_json::array();
      for (const brief::Task* t : tasks) a.push_back(task_json(*t, p.id, zone, completed));
      return a;
    };
    j["tasks_today"] = list(c.todays, false);
    j["tasks_next_seven_days"] = list(c.next_seven_days, false);
    j["overdue_tasks"] = list(c.overdue, false);
    j["recently_completed_tasks"] = list(c.recently_completed, true);
    ordered_json notes = ordered_json::array();
    for (const brief::Note* n : c.recent_notes) {
      notes.push_back({{"id", n->id},
                       {"title", n->title && !n->title->empty() ? *n->title : "Untitled Note"},
                       {"updated_at", iso_instant(n->updated_at)},
                       {"updated_at_formatted", brief::format_instant(n->updated_at, zone, true)},
                       {"link", "/projects/" + p.id + "/notes/" + n->id}});
    }
    j["recent_notes"] = std::move(notes);
    out.push_back(std::move(j));
  }
  return out;
}

Request analysis_request(const brief::BuiltBrief& built, const std::string& date,
                         const std::string& zone) {
  Request r;
  r.temperature = 0.4;
  r.max_tokens = 2200;
  r.system = analysis_system_prompt();
  std::string actions;
  for (const std::string& a : built.priority_actions) actions += (actions.empty() ? "" : ", ") + a;
  r.user = "Date: " + date + "\nTimezone: " + zone + "\n\nPriority actions detected: "
           + (actions.empty() ? std::string("None provided") : actions) + "\n\nProject data:\n```json\n"
           + analysis_projects(built.projects, zone).dump(2, ' ', false,
                                                          nlohmann::json::error_handler_t::replace)
           + "\n```\n\nOriginal daily brief markdown for reference:\n```markdown\n"
           + trim_for_prompt(built.markdown) + "\n```\n\nWrite the analysis following the system "
           "instructions.";
  return r;
}

Request reengagement_request(const brief::BuiltBrief& built, const std::string& date,
                             const std::string& zone, const ReengagementInput& in) {
  Request r;
  r.temperature = 0.7;
  r.max_tokens = 1500;
  const int days = in.days_since_last_login;
  r.system =
      "You are a BuildOS productivity coach writing to a user who has not logged in for "
      + std::to_string(days) + " days. Your tone is " + tone_for(days) + ".\n\n"
      "- Acknowledge the absence briefly, without guilt or shame.\n"
      "- Summarise what is waiting, with specific numbers and task names.\n"
      "- Treat tasks starting today or overdue as important, without pressure.\n"
      "- End with a clear, encouraging call to action to come back.\n\n"
      "Write Markdown with short sections and the task links provided. No placeholders: "
      "every sentence must use the user's real data.";
  std::size_t pending = 0, overdue = 0;
  std::vector<std::pair<const brief::Task*, std::string>> high;
  std::vector<const brief::Task*> done;
  if (in.projects != nullptr) {
    for (const brief::Project& p : *in.projects) {
      for (const brief::Task& t : p.tasks) {
        if (t.deleted || t.outdated) continue;
        if (t.status != "done") {
          ++pending;
          if (t.priority == "high" && high.size() < 3) high.emplace_back(&t, p.name);
        } else if (t.completed_at) {
          done.push_back(&t);
        }
      }
    }
  }
  for (const brief::ProjectBrief& pb : built.projects) overdue += pb.stats.overdue;
  std::stable_sort(done.begin(), done.end(), [](const brief::Task* a, const brief::Task* b) {
    return *a->completed_at > *b->completed_at;
  });
  if (done.size() > 3) done.resize(3);
  std::string u = "Date: " + date + "\nTimezone: " + zone + "\nDays since last login: "
                  + std::to_string(days) + "\nLast login: "
                  + (in.last_visit ? brief::format_instant(*in.last_visit, zone, true) : "unknown")
                  + "\n\nWhat is waiting:\n- Pending tasks: " + std::to_string(pending)
                  + "\n- Overdue tasks: " + std::to_string(overdue)
                  + "\n- Active projects: " + std::to_string(built.projects.size()) + "\n";
  u += "\nTop high-priority tasks:\n";
  if (high.empty()) u += "- none\n";
  for (const auto& [t, project] : high) u += "- " + t->title + " (" + project + ")\n";
  u += "\nRecent completions:\n";
  if (done.empty()) u += "- none\n";
  for (const brief::Task* t : done) {
    u += "- " + t->title + " (" + brief::format_instant(*t->completed_at, zone) + ")\n";
  }
  u += "\nTheir daily brief for reference:\n```markdown\n" + trim_for_prompt(built.markdown)
       + "\n```\n\nWrite the re-engagement message following the system instructions.";
  r.user = std::move(u);
  return r;
}

}  // namespace briefos::llm
