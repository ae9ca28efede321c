// SPDX-License-Identifier: MIT
// briefos-email's output (see output.hpp). The --json line's fields and the
// summary's wording are part of the program's contract (briefos-email(1)
// and the shell tests read them).
#include "briefos/app/email/output.hpp"

#include "briefos/error.hpp"
#include "briefos/util/json_line.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ostream>

namespace briefos::app::email {

namespace {

using ordered = nlohmann::ordered_json;

const char* to_string(Would w) noexcept {
  switch (w) {
    case Would::send: return "send";
    case Would::skip: return "skip";
    case Would::cancel: return "cancel";
    case Would::fail: return "fail";
  }
  return "fail";
}

std::string crlf_to_lf(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

}  // namespace

void Report::line(const Delivery& d, long long job_id, double seconds) {
  std::lock_guard lock(m_mutex);
  ++m_counts[d.status];
  const std::string status = email::to_string(d.status);
  if (m_json) {
    ordered line{{"email_id", d.email_id},
                 {"job_id", job_id > 0 ? ordered(job_id) : ordered(nullptr)},
                 {"status", status},
                 {"message_id", d.message_id.empty() ? ordered(nullptr) : ordered("<" + d.message_id + ">")},
                 {"recipient", d.recipient.empty() ? ordered(nullptr) : ordered(d.recipient)},
                 {"duration_ms", static_cast<long long>(seconds * 1000.0 + 0.5)}};
    if (!d.error.empty()) line["error"] = d.error;
    if (!d.reply.is_null()) line["reply"] = d.reply;
    if (d.resent) line["resent"] = true;
    m_ctx.out << util::json_line(line);
    return;
  }
  char head[32];
  std::snprintf(head, sizeof head, "%-9s ", status.c_str());
  m_ctx.out << head << d.email_id << "  " << (d.recipient.empty() ? "-" : d.recipient);
  if (d.status == Result::sent) m_ctx.out << "  <" << d.message_id << ">";
  if (!d.error.empty()) m_ctx.out << "  (" << d.error << ")";
  m_ctx.out << "\n";
}

void Report::summary(double seconds, long long resent) {
  if (m_ctx.quiet) return;
  std::lock_guard lock(m_mutex);
  char rate_text[64];
  std::snprintf(rate_text, sizeof rate_text, "%.1f s (%.0f messages/s)", seconds,
                seconds > 0 ? static_cast<double>(m_counts[Result::sent]) / seconds : 0.0);
  m_ctx.err << m_ctx.tool_name << ": " << m_counts[Result::sent] << " sent, " << m_counts[Result::cancelled]
            << " cancelled, " << m_counts[Result::skipped] << " skipped, " << m_counts[Result::failed]
            << " failed, " << m_counts[Result::retrying] << " retrying";
  if (m_counts[Result::deferred] > 0) m_ctx.err << ", " << m_counts[Result::deferred] << " deferred";
  m_ctx.err << " in " << rate_text;
  if (resent > 0) m_ctx.err << "; " << resent << " resent from 'sending' (duplicate window)";
  m_ctx.err << "\n";
}

void Report::relay_down(const std::string& relay, const std::string& last_error) {
  // A warning-level line whatever -q says: cron mails it, journald keeps it.
  spdlog::warn("the mail relay {} is unavailable; the emails stay pending with no attempt used "
               "(exit status {}): {}", relay, static_cast<int>(exit_unavailable), last_error);
}

void dry_line(cli::Context& ctx, bool json, const DryLine& l) {
  if (!json) {
    if (l.would == Would::send) {
      ctx.out << "# job " << l.job_id << ", email " << l.email_id << ": would send to " << l.recipient << "\n"
              << crlf_to_lf(l.message) << "\n";
    } else {
      ctx.out << "# job " << l.job_id << ", email " << l.email_id << ": would " << to_string(l.would) << ": "
              << l.error << "\n\n";
    }
    return;
  }
  ordered line{{"email_id", l.email_id}, {"job_id", l.job_id}, {"status", "dry_run"}};
  if (l.would == Would::send) {
    line["recipient"] = l.recipient;
    line["message_id"] = "<" + l.message_id + ">";
    line["subject"] = l.subject;
  } else {
    line["error"] = l.error;
  }
  line["would"] = to_string(l.would);
  ctx.out << util::json_line(line);
}

void dry_summary(cli::Context& ctx, std::size_t jobs, int would_send) {
  if (ctx.quiet) return;
  ctx.err << ctx.tool_name << ": dry run: " << jobs << " job(s), " << would_send
          << " message(s) would be sent; nothing was claimed, sent or written\n";
}

void write_preview(cli::Context& ctx, const std::string& text, const std::string& output) {
  if (output.empty()) {
    ctx.out << text;
    return;
  }
  std::ofstream f(output, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw Error("could not write \"" + output + "\": " + std::strerror(errno));
}

}  // namespace briefos::app::email
