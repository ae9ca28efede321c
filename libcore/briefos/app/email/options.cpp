// SPDX-License-Identifier: MIT
// briefos-email's options and their validation (see options.hpp).
#include "briefos/app/email/options.hpp"

#include "briefos/app/email/commands.hpp"

#include "briefos/error.hpp"
#include "briefos/util/secrets.hpp"
#include "briefos/util/stop.hpp"
#include "briefos/util/text.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

namespace briefos::app::email {

namespace {

void check_url_option(const std::string& option, const std::string& value) {
  if (value.empty()) return;
  if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0) {
    throw UsageError("invalid value \"" + value + "\" for option " + option + ": expected an http(s) URL");
  }
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '<' || c == '>') {
      throw UsageError("invalid value for option " + option + ": the URL contains a space, quote, "
                       "angle bracket or non-ASCII character");
    }
  }
}

}  // namespace

void add_options(cli::Tool& tool, Options& o) {
  CLI::App& app = tool.app();
  // Email jobs retry transient refusals with a horizon, not a count: 30 s
  // doubling to 5 minutes, for a day (issue 16: a two-hour relay problem
  // loses nothing, and mail flows within 5 minutes of its end).
  o.worker.retry.max_attempts = 0;
  o.worker.retry.backoff.base = std::chrono::seconds(30);
  o.worker.retry.backoff.cap = std::chrono::minutes(5);
  o.worker.retry.give_up_after = std::chrono::hours(24);
  worker::add_options(app, o.worker, o.jobs_from);
  // The shared option reads job ids; here it reads email ids.
  app.get_option("--jobs")->description("Send exactly the emails in FILE ('-': stdin)");
  app.get_option("--lease")->description("Seconds a job is held before rescue [300]");
  app.get_option("--poll-interval")->description("Idle poll backstop in ms [2000]");
  app.add_option("--connections", o.connections, "SMTP sessions in parallel (= --concurrency)")
      ->type_name("N")
      ->default_str("")
      ->check(CLI::Range(1, 64));
  auto* rate = app.add_option("--rate", o.rate, "Send at most RATE messages (N, N/s, N/min, N/h)")
                   ->type_name("RATE");
  tool.bind_env(rate, {"BRIEFOS_EMAIL_RATE"});
  auto* tr = app.add_option("--transport", o.transport, "smtp://, smtps://, maildir:DIR, webhook+https://")
                 ->type_name("URL");
  tool.bind_env(tr, {"BRIEFOS_EMAIL_TRANSPORT"});
  tool.mark_secret_bearing(tr);
  app.add_flag("--allow-insecure-http", o.allow_insecure_http, "Allow webhook+http:// to a remote host");
  auto* pwf = app.add_option("--smtp-password-file", o.password_file, "Read the SMTP password from FILE")
                  ->type_name("FILE");
  tool.bind_env(pwf, {"BRIEFOS_SMTP_PASSWORD_FILE"});
  auto* ca = app.add_option("--smtp-ca-file", o.ca_file, "Trust the CA certificates in FILE (PEM) for TLS")
                 ->type_name("FILE")
                 ->check(CLI::ExistingFile);
  tool.bind_env(ca, {"BRIEFOS_SMTP_CA_FILE"});
  app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds to set up a session (connect to AUTH)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  app.add_option("--command-timeout", o.command_timeout_s, "Seconds to wait for each reply of the relay")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "Seconds to wait for the reply to the end of DATA")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--max-relay-failures", o.max_relay_failures,
                 "Relay failures in a row before exit 6 [5]")
      ->type_name("N")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--from", o.from, "From header: ADDRESS or \"Name <ADDRESS>\"")->type_name("ADDR");
  app.add_option("--reply-to", o.reply_to, "Reply-To header")->type_name("ADDR");
  auto* base = app.add_option("--base-url", o.base_url, "Web app URL for links")
                   ->type_name("URL")
                   ->capture_default_str();
  tool.bind_env(base, {"BRIEFOS_BASE_URL"});
  tool.bind_env(app.add_option("--link-allow", o.link_allow, "Links may also lead to HOST; repeat")
                    ->type_name("HOST")
                    ->delimiter(',')
                    ->default_str(""),
                {"BRIEFOS_LINK_ALLOW"});
  tool.bind_env(app.add_option("--postal-address", o.postal_address, "Postal address for the email footer")
                    ->type_name("TEXT"),
                {"BRIEFOS_POSTAL_ADDRESS"});
  auto* trk = app.add_option("--tracking-url", o.tracking_url, "Open-pixel URL prefix")->type_name("URL");
  tool.bind_env(trk, {"BRIEFOS_TRACKING_URL"});
  auto* unsub = app.add_option("--unsubscribe-url", o.unsubscribe_url, "Unsubscribe URL ({token})")
                    ->type_name("URL");
  tool.bind_env(unsub, {"BRIEFOS_UNSUBSCRIBE_URL"});
  app.add_option("--unsubscribe-mailto", o.unsubscribe_mailto, "Unsubscribe mailbox")->type_name("ADDR");
  auto* mid = app.add_option("--message-id-domain", o.message_id_domain, "Domain of Message-IDs")
                  ->type_name("DOMAIN");
  tool.bind_env(mid, {"BRIEFOS_MESSAGE_ID_DOMAIN"});
  auto* tdir = app.add_option("--template-dir", o.template_dir, "Mustache templates overriding the defaults")
                   ->type_name("DIR");
  tool.bind_env(tdir, {"BRIEFOS_TEMPLATE_DIR"});
  app.add_flag("-n,--dry-run", o.dry_run, "Print the messages; claim, send, write nothing");
  app.add_flag("--json", o.json, "One JSON line per email on stdout");
  app.add_flag("--notify-events", o.notify, "NOTIFY briefos_events after each email");
  app.add_option("--flush-interval", o.flush_interval_ms, "Record sent emails within MS (0: each at once)")
      ->type_name("MS")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  auto* prev = app.add_option("--preview", o.preview, "Render the email of brief BRIEF_ID")
                   ->type_name("BRIEF_ID");
  app.add_option("--output", o.output, "Write the --preview to FILE")->type_name("FILE")->needs(prev);
  app.add_flag("--html", o.html, "With --preview: only the HTML part")->needs(prev);

  // The operator's subcommands (commands.hpp), one line each. With none,
  // briefos-email is the sending worker exactly as before.
  app.require_subcommand(0, 1);
  app.fallthrough();
  o.commands.push_back(add_resend(tool, o));
  o.commands.push_back(add_suppress(tool, o));
  o.commands.push_back(add_unsuppress(tool, o));
  o.commands.push_back(add_suppressions(tool, o));
  o.commands.push_back(add_unsubscribe(tool, o));
  o.commands.push_back(add_bounces(tool, o));
  std::string names;
  for (const Subcommand& c : o.commands) names += (names.empty() ? "" : ", ") + c.app->get_name();
  app.footer("Commands: " + names + "\n(none: send). See briefos-email(1) for every option and exit status.");
}

void add_dry_run_flag(CLI::App& sub, Options& o, const std::string& help) {
  sub.add_flag("-n,--dry-run", o.dry_run, help);
}

void add_json_flag(CLI::App& sub, Options& o, const std::string& help) {
  sub.add_flag("--json", o.json, help);
}

mime::Mailbox parse_mailbox(const std::string& option, const std::string& text) {
  std::string name;
  std::string addr = text;
  const std::size_t lt = text.rfind('<');
  if (lt != std::string::npos) {
    if (text.back() != '>') {
      throw UsageError("invalid value \"" + text + "\" for option " + option
                       + ": expected ADDRESS or \"Name <ADDRESS>\"");
    }
    addr = text.substr(lt + 1, text.size() - lt - 2);
    name = text.substr(0, lt);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  }
  for (const char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') {
      throw UsageError("invalid value for option " + option + ": it contains a line break");
    }
  }
  if (!mime::is_valid_address(addr)) {
    throw UsageError("invalid value \"" + text + "\" for option " + option + ": \"" + addr
                     + "\" is not an email address");
  }
  return {addr, name};
}

double parse_rate(const std::string& text) {
  std::string num = text;
  double per = 1.0;
  const std::size_t slash = text.find('/');
  if (slash != std::string::npos) {
    num = text.substr(0, slash);
    const std::string unit = text.substr(slash + 1);
    if (unit == "s" || unit == "sec") per = 1.0;
    else if (unit == "m" || unit == "min") per = 60.0;
    else if (unit == "h") per = 3600.0;
    else throw UsageError("invalid value \"" + text + "\" for option --rate: unit must be s, min or h");
  }
  double n = 0;
  try {
    std::size_t used = 0;
    n = std::stod(num, &used);
    if (used != num.size()) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    throw UsageError("invalid value \"" + text + "\" for option --rate: expected N, N/s, N/min or N/h");
  }
  if (!(n > 0)) throw UsageError("invalid value \"" + text + "\" for option --rate: must be above 0");
  return n / per;
}

Settings make_settings(const Options& o) {
  Settings s;
  if (!o.from.empty()) s.from = parse_mailbox("--from", o.from);
  if (!o.reply_to.empty()) s.reply_to = parse_mailbox("--reply-to", o.reply_to);
  check_url_option("--base-url", o.base_url);
  check_url_option("--tracking-url", o.tracking_url);
  check_url_option("--unsubscribe-url", o.unsubscribe_url);
  s.base_url = o.base_url;
  for (const std::string& host : o.link_allow) {
    if (!render::is_valid_host(host)) {
      throw UsageError("invalid value \"" + host + "\" for option --link-allow: expected a host name "
                       "such as docs.example.com");
    }
  }
  s.link_allow = o.link_allow;
  if (o.postal_address.find_first_of("\r\n") != std::string::npos || o.postal_address.size() > 512) {
    throw UsageError("invalid value for option --postal-address: one line of at most 512 bytes");
  }
  s.postal_address = o.postal_address;
  s.tracking_url = o.tracking_url;
  s.unsubscribe_url = o.unsubscribe_url;
  if (!o.unsubscribe_mailto.empty()) {
    std::string m = o.unsubscribe_mailto;
    if (m.rfind("mailto:", 0) == 0) m = m.substr(7);
    if (!mime::is_valid_address(m)) {
      throw UsageError("invalid value \"" + o.unsubscribe_mailto + "\" for option --unsubscribe-mailto");
    }
    s.unsubscribe_mailto = m;
  }
  if (!o.message_id_domain.empty()) {
    try {
      mime::message_id_for("x", o.message_id_domain);
    } catch (const mime::MimeError&) {
      throw UsageError("invalid value \"" + o.message_id_domain + "\" for option --message-id-domain");
    }
    s.message_id_domain = o.message_id_domain;
  }
  s.templates = render::load_templates(o.template_dir);
  return s;
}

mail::TransportConfig make_transport_config(const Options& o) {
  mail::TransportConfig tc;
  tc.url = o.transport;
  util::require_private_channel("--transport", tc.url, o.allow_insecure_http);
  tc.password = cli::read_secret({"BRIEFOS_SMTP_PASSWORD"}, o.password_file);
  tc.webhook_secret = cli::read_secret({"BRIEFOS_WEBHOOK_SECRET"}, "");
  tc.ca_file = o.ca_file;
  tc.connect_timeout = std::chrono::seconds(o.connect_timeout_s);
  tc.command_timeout = std::chrono::seconds(o.command_timeout_s);
  tc.timeout = std::chrono::seconds(o.timeout_s);
  tc.stop = [] { return util::stop_requested(); };
  mail::validate(tc);
  return tc;
}

std::vector<std::string> read_email_ids(std::istream& in) {
  std::vector<std::string> ids;
  std::string line;
  long long n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = util::trim(line);
    if (line.empty()) continue;
    if (line.front() == '{') {
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object()) {
        const auto it = j.find("email_id");
        if (it != j.end() && it->is_null()) continue;
        if (it != j.end() && it->is_string() && util::is_uuid(it->get<std::string>())) {
          ids.push_back(it->get<std::string>());
          continue;
        }
      }
    } else if (util::is_uuid(line)) {
      ids.push_back(line);
      continue;
    }
    spdlog::warn("input line {}: not an email id or a JSON line with \"email_id\"; skipped", n);
  }
  return ids;
}

std::vector<std::string> load_requested(const std::string& from) {
  if (from == "-") return read_email_ids(std::cin);
  std::ifstream in(from);
  if (!in) throw UsageError("could not read email list \"" + from + "\": " + std::strerror(errno));
  return read_email_ids(in);
}

}  // namespace briefos::app::email
