// SPDX-License-Identifier: MIT
#pragma once

// briefos-email's command line: the options it declares (with their
// environment variables), their validation into composition Settings and a
// transport configuration, and the --jobs input (email ids, or the --json
// lines of briefos-generate). Every problem here is a usage error (exit 2).

#include "briefos/app/email/compose.hpp"
#include "briefos/cli.hpp"
#include "briefos/mail/transport.hpp"
#include "briefos/mime.hpp"
#include "briefos/worker.hpp"

#include <cstddef>
#include <functional>
#include <istream>
#include <string>
#include <vector>

namespace briefos::app::email {

// The most emails checked and marked 'sending', or recorded 'sent', in one
// statement when batching (--flush-interval above 0).
inline constexpr std::size_t flush_group = 32;

// Relay failures in a row after which a --drain, --once or --jobs run stops
// (exit 6); a long-running worker keeps trying (0).
inline constexpr int default_max_relay_failures = 5;

// A subcommand of briefos-email (declared in app/email/commands.hpp, each
// in its own file): its CLI11 app and the body run when it was given.
struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int(cli::Context&)> run;
};

struct Options {
  worker::Options worker;
  std::string jobs_from;
  int connections = 0;
  std::string rate;
  std::string transport;
  bool allow_insecure_http = false;  // webhook+http:// to another host
  std::string password_file;
  std::string ca_file;
  int connect_timeout_s = 10;
  int command_timeout_s = 60;
  int timeout_s = 600;
  int max_relay_failures = -1;  // -1: default_max_relay_failures, or 0 in the long-running mode
  std::string from;
  std::string reply_to;
  std::string base_url = "https://localhost";
  std::vector<std::string> link_allow;
  std::string postal_address;
  std::string tracking_url;
  std::string unsubscribe_url;
  std::string unsubscribe_mailto;
  std::string message_id_domain;
  std::string template_dir;
  bool dry_run = false;
  bool json = false;
  bool html = false;
  bool notify = false;
  int flush_interval_ms = 50;
  std::string preview;
  std::string output;
  // resend, suppress, ...; none given: the sending worker (or --preview,
  // --dry-run) as ever.
  std::vector<Subcommand> commands;
};

// Declare briefos-email's options on `tool`, bound to `o`.
void add_options(cli::Tool& tool, Options& o);

// A subcommand's --dry-run and --json: bound to the worker's own flags, so
// `briefos-email --dry-run resend ...` and `briefos-email resend ...
// --dry-run` are the same run.
void add_dry_run_flag(CLI::App& sub, Options& o, const std::string& help);
void add_json_flag(CLI::App& sub, Options& o, const std::string& help);

// Parse "Name <addr>" or "addr" into a mailbox. Throws UsageError naming
// `option` for anything else (and for CR/LF or quotes that would need
// encoding in an address).
mime::Mailbox parse_mailbox(const std::string& option, const std::string& text);

// --rate: "N", "N/s", "N/min", "N/h" -> messages per second. Throws
// UsageError.
double parse_rate(const std::string& text);

// The composition settings of `o` (addresses, URLs, templates). Throws
// UsageError for a bad value.
Settings make_settings(const Options& o);

// The transport configuration of `o` with its secrets read, validated.
// Throws UsageError.
mail::TransportConfig make_transport_config(const Options& o);

// Email ids from `in`: a uuid per line, or JSON lines with "email_id"
// (briefos-generate --json); a null email_id means "no email" and is
// skipped; other lines are reported and skipped.
std::vector<std::string> read_email_ids(std::istream& in);

// read_email_ids() of --jobs `from` ("-": stdin). Throws UsageError when
// the file cannot be read.
std::vector<std::string> load_requested(const std::string& from);

}  // namespace briefos::app::email
