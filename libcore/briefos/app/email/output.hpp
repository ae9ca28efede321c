// SPDX-License-Identifier: MIT
#pragma once

// What briefos-email writes for people and pipelines: a line per email
// (--json: one JSON object; else a short table row) and the closing summary
// of a run; a line per job of a --dry-run and its summary; the --preview
// message and its note. Results go to the Context's out, summaries to err
// (unless --quiet).

#include "briefos/app/email/service.hpp"
#include "briefos/cli.hpp"

#include <map>
#include <mutex>
#include <string>

namespace briefos::app::email {

// The report of a sending run: thread-safe, it counts what it prints.
class Report {
public:
  Report(cli::Context& ctx, bool json) : m_ctx(ctx), m_json(json) {}

  // One email: `job_id` 0 when there was no job (an id of --jobs with no
  // pending job), `seconds` the time spent on it.
  void line(const Delivery& d, long long job_id, double seconds);

  // "N sent, N cancelled, N skipped, N failed, N retrying[, N deferred]
  // in T s (R messages/s)", with the resends from 'sending' when there were
  // any.
  void summary(double seconds, long long resent);

  // The run ended in a relay outage: one warning naming the relay, the
  // exit status and the last failure.
  void relay_down(const std::string& relay, const std::string& last_error);

private:
  cli::Context& m_ctx;
  bool m_json;
  std::mutex m_mutex;
  std::map<Result, long long> m_counts;
};

// What a --dry-run would do with one job.
enum class Would { send, skip, cancel, fail };

struct DryLine {
  std::string email_id;
  long long job_id = 0;
  Would would = Would::fail;
  std::string error;        // why not send
  std::string recipient;    // with Would::send
  std::string message_id;
  std::string subject;
  std::string message;      // the composed message (CRLF lines)
};

// One job of a --dry-run: a JSON line, or the message (LF lines) or the
// reason it would not be sent.
void dry_line(cli::Context& ctx, bool json, const DryLine& line);

// "dry run: N job(s), M message(s) would be sent; ..." on err.
void dry_summary(cli::Context& ctx, std::size_t jobs, int would_send);

// Write the --preview `text` to `output` (a file; empty: out). Throws
// briefos::Error when the file cannot be written.
void write_preview(cli::Context& ctx, const std::string& text, const std::string& output);

}  // namespace briefos::app::email
