// SPDX-License-Identifier: MIT
//
// The shared front end. Every program declares its options on a Tool and
// hands it a body; the Tool does the rest the same way for all five:
//
// Precedence is flag > environment > config file > default. CLI11 on its own
// would let a config file beat the environment, so the front end parses the
// command line first and then fills in, for each option the command line did
// not set, the environment variable bound to it and after that the config
// file's key (config.hpp: TOML read by toml++, its policy on sections, types
// and unknown keys). The front end remembers where each value came from, so
// that an error a program raises later about "option --rate" names the
// environment variable or the file, line and key that set it.
//
// Exit statuses: CLI11 parse errors become 2 (help and version 0); a
// briefos::Error carries its own status; anything else is 1. Nothing below
// main calls exit(), so transactions roll back through destructors.
//
// Secrets policy of the front end. A secret should come from the
// environment, a password file or a config file only its owner reads, never
// argv (which every user of the machine reads in /proc/PID/cmdline): an
// option marked secret-bearing (--database-url here; --llm-url, --transport
// in their programs) that arrives on the command line with a credential in
// its value is warned about, naming where to put it instead. A secret file
// (read_secret) readable by group or others is warned about, and so is a
// config file that holds a credential and is. Once a secret is in memory
// (a secret file or variable, a password in the database URL, PGPASSWORD)
// the process is made non-dumpable (PR_SET_DUMPABLE 0): no core file, no
// ptrace or /proc/PID/mem by other processes of the same user. Every error
// message passes through util::redact before it is printed.
#include "briefos/cli.hpp"

#include "briefos/config.hpp"
#include "briefos/db/connection.hpp"
#include "briefos/util/secrets.hpp"
#include "briefos/util/stop.hpp"
#include "briefos/error.hpp"
#include "briefos/log.hpp"
#include "briefos/version.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string_view>

#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace briefos::cli {

namespace {

extern "C" void on_signal(int /*sig*/) {
  util::request_stop();
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking waits return early with EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void set_from_outside(CLI::Option* option, const std::string& value) {
  option->clear();
  option->add_result(value);
  option->run_callback();
}

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points past U+10FFFF) without NUL bytes.
bool is_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned long cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1FU;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0FU;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07U;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0U) != 0x80U) return false;
      cp = (cp << 6U) | (cc & 0x3FU);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF
        || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Option values end up in a UTF-8 database (a --user to look up, an
// --email-from-name stored on every email row). PostgreSQL refuses invalid
// UTF-8 at the first statement, which made a bad --user a raw server error
// (exit 1) and a bad --email-from-name fail every job of a run, one retry at
// a time. Refuse such a value up front, naming the option: a usage error.
void check_text_values(const CLI::App& app) {
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& v : opt->results()) {
      if (!is_text(v)) {
        throw UsageError("invalid value for option " + opt->get_name()
                         + ": not valid UTF-8 text (or it contains a NUL byte)");
      }
    }
  }
  for (const CLI::App* sub : app.get_subcommands({})) check_text_values(*sub);
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

// Whether group or others may read `path` (false when it cannot be stat'ed:
// opening it reports that).
bool readable_by_others(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

}  // namespace

void protect_secrets() noexcept {
  if (::prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L) != 0) {
    spdlog::warn("could not make the process non-dumpable: {}", std::strerror(errno));
  }
}

bool stop_requested() noexcept { return util::stop_requested(); }
void request_stop() noexcept { util::request_stop(); }
void clear_stop() noexcept { util::clear_stop(); }

Tool::Tool(std::string name, std::string description)
    : m_name(std::move(name)),
      m_app(std::make_unique<CLI::App>(std::move(description), m_name)) {
  CLI::App& a = *m_app;
  a.option_defaults()->always_capture_default();
  a.get_formatter()->column_width(32);
  a.set_version_flag("--version",
                     m_name + " (briefos) " + std::string(briefos::version),
                     "Print the version and exit");
  a.set_help_flag("-h,--help", "Print this help and exit");
  a.failure_message([](const CLI::App* failing, const CLI::Error& e) {
    const CLI::App* top = failing;
    while (top->get_parent() != nullptr) top = top->get_parent();
    const std::string& tool = top->get_name();
    return tool + ": error: " + e.what() + "\n" + tool + ": hint: Try '" + tool
           + " --help' for more information.\n";
  });
  CLI::Option* db = a.add_option("--database-url", m_database_url,
                                 "PostgreSQL URL or conninfo (else PG* vars)")
                        ->type_name("URL")
                        ->capture_default_str();
  db->default_str("");
  m_database_option = db;
  bind_env(db, {"BRIEFOS_DATABASE_URL", "DATABASE_URL"});
  mark_secret_bearing(db, "or the password alone in ~/.pgpass (or the file PGPASSFILE names)");
  a.add_option("--config", m_config_file, "Read settings from TOML FILE")
      ->type_name("FILE");
  CLI::Option* lvl =
      a.add_option("--log-level", m_log_level,
                   "trace, debug, info, warning, error or off")
          ->type_name("LEVEL")
          ->check(CLI::IsMember({"trace", "debug", "info", "warning", "error", "off"}));
  bind_env(lvl, {"BRIEFOS_LOG_LEVEL"});
  CLI::Option* fmt = a.add_option("--log-format", m_log_format, "Log format: text or json")
                         ->type_name("FORMAT")
                         ->check(CLI::IsMember({"text", "json"}));
  bind_env(fmt, {"BRIEFOS_LOG_FORMAT"});
  a.add_flag("-q,--quiet", m_quiet, "Only log warnings and errors; no summary");
}

Tool::~Tool() = default;

void Tool::bind_env(CLI::Option* option, std::vector<std::string> env_names) {
  m_env.emplace_back(option, std::move(env_names));
}

void Tool::mark_secret_bearing(CLI::Option* option, std::string elsewhere) {
  m_secret_bearing.emplace_back(option, std::move(elsewhere));
}

void Tool::warn_secrets_in_argv() {
  for (const auto& [option, elsewhere] : m_secret_bearing) {
    bool credential = false;
    for (const std::string& v : option->results()) credential = credential || util::carries_credentials(v);
    if (!credential) continue;
    std::string where;
    for (const auto& [bound, names] : m_env) {
      if (bound != option) continue;
      for (const std::string& n : names) where += (where.empty() ? "" : " or ") + n;
    }
    where = (where.empty() ? std::string() : "the environment (" + where + "), ") + "a config file only you can read";
    if (!elsewhere.empty()) where += ", " + elsewhere;
    m_warnings.push_back(option->get_name()
                         + " on the command line holds a credential (a password or token), which every user of "
                           "this machine can read in the process list: give it in "
                         + where);
  }
}

void Tool::apply_environment() {
  for (auto& [option, names] : m_env) {
    if (option->count() > 0) continue;
    for (const std::string& name : names) {
      const char* value = std::getenv(name.c_str());
      if (value != nullptr && *value != '\0') {
        try {
          set_from_outside(option, value);
          m_sources[option] = "environment variable " + name;
        } catch (const CLI::Error& e) {
          throw UsageError("invalid value in environment variable " + name + ": "
                           + e.what());
        }
        break;
      }
    }
  }
}

void Tool::apply_config_file(const std::string& path) {
  const config::File file = config::read_file(path);
  bool credential = false;
  for (const config::Entry& e : file.entries) {
    for (const std::string& v : e.inputs) credential = credential || util::carries_credentials(v);
  }
  if (credential) {
    protect_secrets();
    if (readable_by_others(path)) {
      m_warnings.push_back("config file \"" + path
                           + "\" holds a credential (a password or token) and is readable by group or others: "
                             "chmod 600 it");
    }
  }
  // Options set on the command line or by the environment keep their value.
  std::vector<const CLI::Option*> keep;
  for (const CLI::Option* opt : m_app->get_options()) {
    if (opt->count() > 0) keep.push_back(opt);
  }
  for (const CLI::App* sub : m_app->get_subcommands({})) {
    for (const CLI::Option* opt : sub->get_options()) {
      if (opt->count() > 0) keep.push_back(opt);
    }
  }
  config::apply(file, *m_app, keep, m_warnings, m_sources);
}

std::string Tool::name_source(std::string message) const {
  // Programs check values after parsing and name the option ("invalid value
  // \"fast\" for option --rate"); the value may have come from elsewhere.
  for (const auto& [option, source] : m_sources) {
    for (const std::string& lname : option->get_lnames()) {
      const std::string needle = "for option --" + lname;
      const std::size_t at = message.find(needle);
      if (at == std::string::npos) continue;
      const std::size_t end = at + needle.size();
      if (end < message.size() && (std::isalnum(static_cast<unsigned char>(message[end])) != 0 || message[end] == '-')) {
        continue;
      }
      return message.insert(end, " (set by " + source + ")");
    }
  }
  return message;
}

int Tool::run(int argc, const char* const* argv,
              const std::function<int(Context&)>& body) {
  return run(argc, argv, body, std::cout, std::cerr);
}

int Tool::run(int argc, const char* const* argv,
              const std::function<int(Context&)>& body,
              std::ostream& out,
              std::ostream& err) {
  // Logs go where the caller's `err` goes; a test's stream must not stay the
  // global logger's sink after this returns.
  std::ostream* log_stream = &err == &std::cerr ? nullptr : &err;
  struct RestoreStderrLogging {
    const std::string& name;
    bool active;
    ~RestoreStderrLogging() {
      if (!active) return;
      try {
        log::setup(name, "warning", log::Format::text);
      } catch (...) {
        // Nothing sensible to report to; the next setup() replaces it anyway.
      }
    }
  } restore{m_name, log_stream != nullptr};
  // Until logging is configured, warnings (such as an unknown config key)
  // still need the tool's name in front.
  log::setup(m_name, "warning", log::Format::text, log_stream);
  try {
    try {
      m_app->parse(argc, argv);
      warn_secrets_in_argv();  // before the environment and config fill in
      apply_environment();
      if (const char* cfg = std::getenv("BRIEFOS_CONFIG");
          m_config_file.empty() && cfg != nullptr && *cfg != '\0') {
        m_config_file = cfg;
      }
      if (!m_config_file.empty()) apply_config_file(m_config_file);
      check_text_values(*m_app);
      const auto db_source = m_sources.find(m_database_option);
      db::check_connection_string(m_database_url,
                                  db_source == m_sources.end() ? "--database-url" : db_source->second);
      if (const char* pw = std::getenv("PGPASSWORD");
          util::carries_credentials(m_database_url) || (pw != nullptr && *pw != '\0')) {
        protect_secrets();
      }
    } catch (const CLI::CallForHelp&) {
      out << m_app->help();
      return exit_ok;
    } catch (const CLI::CallForAllHelp&) {
      out << m_app->help("", CLI::AppFormatMode::All);
      return exit_ok;
    } catch (const CLI::CallForVersion& e) {
      out << e.what() << "\n";
      return exit_ok;
    } catch (const CLI::ParseError& e) {
      err << m_name << ": error: " << e.what() << "\n"
          << m_name << ": hint: Try '" << m_name << " --help' for more information.\n";
      return exit_usage;
    }
    log::setup(m_name, m_quiet && m_log_level == "info" ? "warning" : m_log_level,
               m_log_format == "json" ? log::Format::json : log::Format::text, log_stream);
    // Found while reading the settings; logged in the format they chose.
    for (const std::string& w : m_warnings) spdlog::warn("{}", w);
    m_warnings.clear();
  } catch (const Error& e) {
    if (m_log_format == "json") {
      // Every line on stderr is a JSON record once JSON was asked for; the
      // formatter redacts.
      log::setup(m_name, "warning", log::Format::json, log_stream);
      for (const std::string& w : m_warnings) spdlog::warn("{}", w);
      spdlog::error("{}", name_source(e.what()));
      return e.exit_status();
    }
    for (const std::string& w : m_warnings) spdlog::warn("{}", w);
    err << m_name << ": error: " << util::redact(name_source(e.what())) << "\n";
    if (!e.hint().empty()) err << m_name << ": hint: " << util::redact(e.hint()) << "\n";
    return e.exit_status();
  }

  install_signal_handlers();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  struct CurlCleanup {
    ~CurlCleanup() { curl_global_cleanup(); }
  } curl_cleanup;

  // With JSON logs, summaries become JSON records too, and there is no
  // progress display (it is for a person at a terminal, not a collector).
  const bool json_logs = m_log_format == "json";
  std::optional<log::JsonLines> json_summaries;
  if (json_logs) json_summaries.emplace(err, m_name);
  std::ostream& summaries = json_logs ? static_cast<std::ostream&>(*json_summaries) : err;
  Context ctx{m_name, out, summaries, m_database_url, m_quiet,
              &out == &std::cout && isatty(STDOUT_FILENO) == 1,
              !json_logs && &err == &std::cerr && isatty(STDERR_FILENO) == 1};
  try {
    const int status = body(ctx);
    out.flush();
    return status;
  } catch (const Error& e) {
    out.flush();
    spdlog::error("{}", db::redact(name_source(e.what())));
    if (!e.hint().empty() && m_log_format == "text") {
      err << m_name << ": hint: " << db::redact(e.hint()) << "\n";
    }
    return e.exit_status();
  } catch (const std::exception& e) {
    out.flush();
    std::string what = e.what();
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    if (db::is_connection_lost(e)) {
      spdlog::error("lost connection to the database: {}", db::redact(what));
      return exit_db_unreachable;
    }
    spdlog::error("{}", db::redact(what));
    return exit_failure;
  }
}

std::optional<std::string> read_secret(const std::vector<std::string>& env_names,
                                       const std::string& file) {
  for (const std::string& name : env_names) {
    const char* v = std::getenv(name.c_str());
    if (v != nullptr && *v != '\0') {
      protect_secrets();
      return std::string(v);
    }
  }
  if (file.empty()) return std::nullopt;
  std::ifstream in(file);
  // A directory reads as an empty file: an empty secret, silently.
  const bool directory = in && is_directory(file);
  if (!in || directory) {
    throw UsageError("could not read secret file \"" + file
                     + "\": " + std::strerror(directory ? EISDIR : errno));
  }
  protect_secrets();
  if (readable_by_others(file)) {
    spdlog::warn("secret file \"{}\" is readable by group or others: chmod 600 it", file);
  }
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace briefos::cli
