// SPDX-License-Identifier: MIT
//
// briefos-queue's output. Policy:
//
// - `list` and `show` are documents of briefos-stats (stats/document.hpp)
//   shown by its writers, so a time, an absent value or a control
//   character in an error looks the same in both programs, and the json
//   carries the same report, generated_at and zone keys. The list's table
//   leaves out what does not fit a terminal (scheduled and finished times,
//   priority: json and csv have every column, `show` has everything).
// - A changing command writes one line per job after its transaction
//   committed, so what is printed is what happened. In json each line is
//   an object (JSON lines, as the other programs' --json), in csv a row.
// - Refusals are warnings (stderr), not results: stdout lists only what
//   changed, so `| wc -l` counts changes.
#include "briefos/app/queue/output.hpp"

#include "briefos/stats/formats.hpp"
#include "briefos/util/json_line.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <sstream>

namespace briefos::app::queue {

namespace qa = db::queue_admin;
namespace sd = briefos::stats::detail;
using briefos::stats::Format;
using Json = nlohmann::ordered_json;

namespace {

sd::Value opt(const std::optional<std::string>& v) { return sd::opt(v); }
sd::Value opt(const std::optional<Time>& v) { return sd::opt(v); }

std::string render(const sd::Document& doc, Format format) {
  switch (format) {
    case Format::json: return sd::render_json(doc);
    case Format::csv: return sd::render_csv(doc);
    default: return sd::render_table(doc, {});
  }
}

std::string verb(Command c, bool dry_run) {
  if (c == Command::retry) return dry_run ? "would retry" : "retried";
  return dry_run ? "would cancel" : "cancelled";
}

std::string to_status(Command c) { return c == Command::retry ? "pending" : "cancelled"; }

std::string plural(long long n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string render_list(const std::vector<qa::JobRow>& jobs, const Request& request, Time now) {
  const bool table = request.format == Format::table;
  sd::Section s{"jobs", "", {}, {}, false, std::nullopt, "", -1, "(no jobs match)"};
  if (table) {
    s.columns = {{"id", "id", sd::Kind::count},         {"job_type", "job type", sd::Kind::text},
                 {"status", "status", sd::Kind::text},  {"attempts", "tries", sd::Kind::text},
                 {"user_id", "user", sd::Kind::text},   {"created_at", "created", sd::Kind::time},
                 {"error", "error", sd::Kind::text}};
  } else {
    s.columns = {{"id", "id", sd::Kind::count},
                 {"job_type", "job type", sd::Kind::text},
                 {"status", "status", sd::Kind::text},
                 {"user_id", "user", sd::Kind::text},
                 {"attempts", "attempts", sd::Kind::count},
                 {"max_attempts", "max attempts", sd::Kind::count},
                 {"priority", "priority", sd::Kind::count},
                 {"created_at", "created", sd::Kind::time},
                 {"scheduled_for", "scheduled", sd::Kind::time},
                 {"completed_at", "finished", sd::Kind::time},
                 {"error", "error", sd::Kind::text}};
  }
  for (const qa::JobRow& j : jobs) {
    if (table) {
      s.rows.push_back({j.id, j.type, j.status,
                        std::to_string(j.attempts) + "/" + std::to_string(j.max_attempts), opt(j.user_id),
                        j.created_at, j.error ? sd::Value(sd::one_line(*j.error, 60)) : sd::Value{}});
    } else {
      s.rows.push_back({j.id, j.type, j.status, opt(j.user_id), static_cast<long long>(j.attempts),
                        static_cast<long long>(j.max_attempts), static_cast<long long>(j.priority), j.created_at,
                        j.scheduled_for, opt(j.completed_at), opt(j.error)});
    }
  }
  sd::Document doc{{"jobs", now, request.zone, 0, "", "", "", ""}, {s}, 0, {}};
  return render(doc, request.format);
}

std::string render_show(const qa::JobDetail& d, const Request& request, Time now) {
  const qa::JobRow& j = d.row;
  sd::Section job{"job", "", {}, {}, true, std::nullopt, "", -1, "(none)"};
  job.columns = {{"id", "id", sd::Kind::count},
                 {"job_type", "job type", sd::Kind::text},
                 {"status", "status", sd::Kind::text},
                 {"user_id", "user", sd::Kind::text},
                 {"user_email", "user email", sd::Kind::text},
                 {"priority", "priority", sd::Kind::count},
                 {"attempts", "attempts", sd::Kind::count},
                 {"max_attempts", "max attempts", sd::Kind::count},
                 {"dedup_key", "dedup key", sd::Kind::text},
                 {"created_at", "created", sd::Kind::time},
                 {"scheduled_for", "scheduled for", sd::Kind::time},
                 {"started_at", "started", sd::Kind::time},
                 {"locked_by", "locked by", sd::Kind::text},
                 {"locked_until", "locked until", sd::Kind::time},
                 {"completed_at", "finished", sd::Kind::time},
                 {"updated_at", "updated", sd::Kind::time},
                 {"error", "error", sd::Kind::text}};
  job.rows.push_back({j.id, j.type, j.status, opt(j.user_id), opt(d.user_email),
                      static_cast<long long>(j.priority), static_cast<long long>(j.attempts),
                      static_cast<long long>(j.max_attempts), opt(d.dedup_key), j.created_at, j.scheduled_for,
                      opt(d.started_at), opt(d.locked_by), opt(d.locked_until), opt(j.completed_at), d.updated_at,
                      opt(j.error)});
  sd::Section attempts{"attempts", "Failed attempts (the last 10)", {}, {}, false, std::nullopt, "", -1,
                       "(none)"};
  attempts.columns = {{"attempt", "attempt", sd::Kind::count},
                      {"at", "at", sd::Kind::text},
                      {"error", "error", sd::Kind::text}};
  for (const qa::Attempt& a : d.attempts) {
    attempts.rows.push_back({a.attempt ? sd::Value(*a.attempt) : sd::Value{}, opt(a.at), a.error});
  }
  sd::Document doc{{"job", now, request.zone, 0, "", "", "", ""}, {job, attempts}, 0, {}};
  if (request.format == Format::json) {
    // The writer's document, with metadata and result as JSON values.
    Json j_doc = Json::parse(sd::render_json(doc));
    j_doc["job"]["metadata"] = Json::parse(d.metadata.dump());
    j_doc["job"]["result"] = Json::parse(d.result.dump());
    return util::json_document(j_doc);
  }
  std::string text = sd::render_table(doc, {});
  text += "\nMetadata\n" + d.metadata.dump(2) + "\n";
  text += "\nResult\n" + (d.result.is_null() ? std::string("  (none)") : d.result.dump(2)) + "\n";
  return text;
}

std::string change_lines(const qa::Outcome& outcome, const Request& r) {
  std::ostringstream out;
  if (r.format == Format::csv && !outcome.changed.empty()) {
    out << "action,dry_run,id,job_type,from_status,to_status,user_id,email_id,email_reset\n";
  }
  for (const qa::Change& c : outcome.changed) {
    switch (r.format) {
      case Format::json: {
        Json j{{"action", to_string(r.command)}, {"dry_run", r.dry_run}, {"id", c.id}, {"job_type", c.type},
               {"from_status", c.from_status}, {"to_status", to_status(r.command)},
               {"user_id", c.user_id ? Json(*c.user_id) : Json(nullptr)},
               {"email_id", c.email_id ? Json(*c.email_id) : Json(nullptr)}, {"email_reset", c.email_reset}};
        out << util::json_line(j);
        break;
      }
      case Format::csv:
        out << to_string(r.command) << "," << (r.dry_run ? "true" : "false") << "," << c.id << "," << c.type << ","
            << c.from_status << "," << to_status(r.command) << "," << c.user_id.value_or("") << ","
            << c.email_id.value_or("") << "," << (c.email_reset ? "true" : "false") << "\n";
        break;
      default:
        out << verb(r.command, r.dry_run) << " job " << c.id << " (" << c.type << ", was " << c.from_status;
        if (c.email_reset) out << "; email " << *c.email_id << " pending again";
        out << ")\n";
        break;
    }
  }
  return out.str();
}

void report_outcome(cli::Context& ctx, const qa::Outcome& outcome, const Request& r) {
  for (const qa::Refusal& f : outcome.refused) spdlog::warn("{}", f.reason);
  if (ctx.quiet) return;
  const std::string name = to_string(r.command);
  ctx.err << ctx.tool_name << ": " << (r.dry_run ? "dry run: " : "");
  if (outcome.changed.empty()) {
    ctx.err << "nothing to " << name;
  } else {
    long long emails = 0;
    for (const qa::Change& c : outcome.changed) emails += c.email_reset ? 1 : 0;
    ctx.err << verb(r.command, r.dry_run) << " " << plural(static_cast<long long>(outcome.changed.size()), "job", "jobs");
    if (emails > 0) ctx.err << ", " << plural(emails, "email", "emails") << " pending again";
  }
  if (!outcome.refused.empty()) ctx.err << "; " << outcome.refused.size() << " refused (see the warnings)";
  ctx.err << "\n";
}

std::string prune_groups(const std::vector<qa::PruneGroup>& groups, const Request& r) {
  std::ostringstream out;
  if (r.format == Format::csv) out << "job_type,status,count\n";
  for (const qa::PruneGroup& g : groups) {
    switch (r.format) {
      case Format::json:
        out << util::json_line(Json{{"action", "prune"}, {"dry_run", true}, {"job_type", g.type},
                                    {"status", g.status}, {"count", g.count}});
        break;
      case Format::csv: out << g.type << "," << g.status << "," << g.count << "\n"; break;
      default:
        out << "would prune " << g.count << " " << g.status << " " << g.type << (g.count == 1 ? " job" : " jobs")
            << "\n";
        break;
    }
  }
  return out.str();
}

std::string prune_batch_line(int batch, long long deleted, const Request& r) {
  switch (r.format) {
    case Format::json:
      return util::json_line(Json{{"action", "prune"}, {"dry_run", false}, {"batch", batch}, {"deleted", deleted}});
    case Format::csv: return (batch == 1 ? std::string("batch,deleted\n") : "") + std::to_string(batch) + ","
                             + std::to_string(deleted) + "\n";
    default: return "pruned " + plural(deleted, "job", "jobs") + " (batch " + std::to_string(batch) + ")\n";
  }
}

void report_prune(cli::Context& ctx, const Request& r, long long deleted, int batches) {
  if (ctx.quiet) return;
  const std::string age = briefos::stats::format_duration(static_cast<double>(r.retention.count()));
  ctx.err << ctx.tool_name << ": " << (r.dry_run ? "dry run: would prune " : "pruned ")
          << plural(deleted, "finished job", "finished jobs") << " older than " << age;
  if (!r.dry_run && deleted > 0) ctx.err << " in " << plural(batches, "batch", "batches");
  ctx.err << "\n";
}

}  // namespace briefos::app::queue
