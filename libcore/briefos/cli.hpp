// SPDX-License-Identifier: MIT
#pragma once

// The shared front end of every program: one Tool declares the common
// options (database URL, config file, logging, output) once, reads flags,
// environment and config file in that order of precedence, installs the
// signal handlers, runs the program's command and maps the one exception
// hierarchy (error.hpp) to exit statuses. Programs add only their own
// options (app/<program>/options).

#include <CLI/CLI.hpp>

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace briefos::cli {

// What a program's body gets from the front end: where to write results and
// diagnostics, and the settings every program shares.
struct Context {
  std::string tool_name;
  std::ostream& out;  // data: tables, JSON lines
  std::ostream& err;  // human summaries (logs go through spdlog)
  // libpq connection string or URL; empty means "libpq's PG* variables".
  std::string database_url;
  bool quiet = false;
  bool out_is_tty = false;
  bool err_is_tty = false;
};

// The shared front end of the five programs (PostgreSQL's fe_utils role):
// option parsing with flag > environment > config file > default precedence,
// logging set-up, signal handling, the single top-level catch and exit codes.
class Tool {
public:
  Tool(std::string name, std::string description);
  ~Tool();
  Tool(const Tool&) = delete;
  Tool& operator=(const Tool&) = delete;

  CLI::App& app() { return *m_app; }

  // Let `option` also be set from the first of `env_names` that is set in
  // the environment (the environment loses to the command line and wins over
  // the config file).
  void bind_env(CLI::Option* option, std::vector<std::string> env_names);

  // `option`'s value may hold a credential (a URL with a password or token):
  // when it is given on the command line with one (util::carries_credentials),
  // warn that argv is public and name where it belongs instead: its
  // environment variables, a config file, and `elsewhere` when not empty.
  void mark_secret_bearing(CLI::Option* option, std::string elsewhere = "");

  // Parse `argv`, set up logging and signals, then call `body` and return
  // its exit status. Every exception ends here: briefos::Error with its own
  // status, anything else with status 1.
  int run(int argc, const char* const* argv,
          const std::function<int(Context&)>& body);

  // Same, with output streams of the caller's choosing (tests). When `err`
  // is not std::cerr, log records go to it too, and logging is pointed back
  // at stderr before this returns.
  int run(int argc, const char* const* argv,
          const std::function<int(Context&)>& body,
          std::ostream& out,
          std::ostream& err);

private:
  void warn_secrets_in_argv();
  void apply_environment();
  void apply_config_file(const std::string& path);
  // `message` with the source of the option it names ("for option --rate"),
  // when that value came from the environment or a config file.
  std::string name_source(std::string message) const;

  std::string m_name;
  std::unique_ptr<CLI::App> m_app;
  std::vector<std::pair<CLI::Option*, std::vector<std::string>>> m_env;
  std::vector<std::pair<CLI::Option*, std::string>> m_secret_bearing;
  std::map<const CLI::Option*, std::string> m_sources;  // config::Sources
  std::vector<std::string> m_warnings;  // logged once logging is set up
  std::string m_database_url;
  const CLI::Option* m_database_option = nullptr;
  std::string m_config_file;
  std::string m_log_level = "info";
  std::string m_log_format = "text";
  bool m_quiet = false;
};

// True once SIGINT or SIGTERM arrived: workers stop claiming and wind down.
bool stop_requested() noexcept;

// Ask for a stop from inside the program (tests, fatal conditions).
void request_stop() noexcept;

// Reset the stop flag (tests that run several bodies in one process).
void clear_stop() noexcept;

// Read a secret from the first set environment variable of `env_names`,
// else from `file` (first line, without the newline). Secrets never come
// from argv. Warns when `file` is readable by group or others; once a
// secret is found the process is made non-dumpable (protect_secrets).
// Throws UsageError when the file cannot be read.
std::optional<std::string> read_secret(const std::vector<std::string>& env_names,
                                       const std::string& file);

// Make the process non-dumpable (prctl PR_SET_DUMPABLE 0): no core file
// holds a secret, and other processes of the same user cannot ptrace it or
// read its memory. Called when a secret is loaded; idempotent.
void protect_secrets() noexcept;

}  // namespace briefos::cli
