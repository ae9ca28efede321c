// SPDX-License-Identifier: MIT
// briefos-generate's options: see options.hpp. --help lines stay within
// the 80-column contract of tests/cli/conformance.sh.
#include "briefos/app/generate/options.hpp"

#include "briefos/brief.hpp"
#include "briefos/error.hpp"
#include "briefos/mime.hpp"
#include "briefos/util/secrets.hpp"

#include <cmath>

namespace briefos::generate {

void add_options(cli::Tool& tool, Options& o) {
  CLI::App& app = tool.app();
  // A batch of briefs is loaded and stored with one set of statements, so a
  // larger batch amortises them: bench/generate drained 602 briefs/s with
  // --batch 25 against 506/s with the worker default of 10 (50 was no
  // better than 25). It also holds 25 briefs' data in memory per slot, a
  // few MB.
  o.worker.batch = 25;
  worker::add_options(app, o.worker, o.jobs_from);
  // worker::add_options' own wording of these two is 81 columns wide in
  // --help; keep ours inside the 80-column contract.
  app.get_option("--lease")->description("Seconds a job is held before rescue [300]");
  app.get_option("--poll-interval")->description("Idle poll backstop in ms [2000]");
  app.add_option("--user", o.user, "Backfill: the user (uuid or email)")->type_name("ID|EMAIL");
  app.add_option("--date", o.date, "Backfill: brief date (default: user's today)")->type_name("YYYY-MM-DD");
  app.add_flag("--force", o.force, "Backfill: regenerate even if already queued");
  app.add_flag("-n,--dry-run", o.dry_run, "Print the brief Markdown; write nothing");
  app.add_flag("--json", o.json, "One JSON line per brief on stdout");
  app.add_flag("--email-empty", o.email_empty, "Email briefs with nothing in them too");
  tool.bind_env(app.add_option("--email-from", o.email_from, "Sender address of brief emails")
                    ->type_name("ADDR")
                    ->capture_default_str(),
                {"BRIEFOS_EMAIL_FROM"});
  tool.bind_env(app.add_option("--email-from-name", o.email_from_name, "Sender name")
                    ->type_name("NAME")
                    ->capture_default_str(),
                {"BRIEFOS_EMAIL_FROM_NAME"});
  app.add_flag("--holidays", o.holidays, "Name holidays under the title");
  CLI::Option* llm_url =
      app.add_option("--llm-url", o.llm_url, "OpenAI-compatible endpoint for analysis")->type_name("URL");
  tool.bind_env(llm_url, {"BRIEFOS_LLM_URL"});
  tool.mark_secret_bearing(llm_url);
  app.add_flag("--allow-insecure-http", o.allow_insecure_http, "Allow an http:// --llm-url to a remote host");
  tool.bind_env(app.add_option("--llm-model", o.llm_models, "Model; repeat for fallbacks")
                    ->type_name("MODEL")
                    ->delimiter(',')
                    ->default_str(""),
                {"BRIEFOS_LLM_MODEL"});
  tool.bind_env(app.add_option("--llm-api-key-file", o.llm_api_key_file, "Read the API key from FILE")
                    ->type_name("FILE"),
                {"BRIEFOS_LLM_API_KEY_FILE"});
  app.add_option("--llm-timeout", o.llm_timeout_s, "Seconds per LLM request")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--llm-max-in-flight", o.llm_max_in_flight, "LLM requests open at once")
      ->type_name("N")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_flag("--notify-events", o.notify_events, "NOTIFY briefos_events after each brief");
  app.add_option("--overdue-limit", o.overdue_limit, "Overdue tasks listed per project")
      ->type_name("N")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_flag("--no-progress", o.no_progress, "No progress bar, even on a terminal");
}

void validate(Options& o) {
  // CLI::Range lets NaN through (every comparison with it is false), and a
  // NaN turned into milliseconds is undefined behaviour.
  if (std::isnan(o.llm_timeout_s)) {
    throw UsageError("invalid value \"nan\" for option --llm-timeout: expected SECONDS from 0.1 to 3600");
  }
  if (!o.date.empty()) {
    try {
      brief::validate_date(o.date);
    } catch (const DataError& e) {
      throw UsageError(e.what());  // the option's value, not stored data
    }
  }
  if (!o.date.empty() && o.user.empty()) throw UsageError("--date needs --user");
  if (o.force && o.user.empty()) throw UsageError("--force needs --user");
  if (!o.user.empty() && !o.jobs_from.empty()) throw UsageError("--user and --jobs cannot be used together");
  if (!o.llm_url.empty() && o.llm_models.empty()) {
    throw UsageError("--llm-url needs a model", "Name one or more with --llm-model.");
  }
  util::require_private_channel("--llm-url", o.llm_url, o.allow_insecure_http);
  // The sender is stored on every email row this run creates; one that
  // briefos-email cannot put in a header would fail each of those emails
  // later, for good. Refuse it now, as briefos-email does with --from.
  try {
    mime::check_header_text("the value of option --email-from", o.email_from);
    mime::check_header_text("the value of option --email-from-name", o.email_from_name);
  } catch (const mime::MimeError& e) {
    throw UsageError(e.what());
  }
  if (!mime::is_valid_address(o.email_from)) {
    throw UsageError("invalid value \"" + o.email_from + "\" for option --email-from: not an email address");
  }
  worker::resolve_jobs(o.worker, o.jobs_from);
}

}  // namespace briefos::generate
