// SPDX-License-Identifier: MIT
//
// The shared front end (briefos::cli::Tool), logging and secret redaction.
// Each case builds a Tool the way a program's main does, runs it on an argv
// array with string streams for stdout and stderr, and looks at what the body
// saw and what was printed. Environment variables the front end reads are
// saved and cleared for every case, so the caller's shell cannot change the
// outcome.
#include <briefos/cli.hpp>
#include <briefos/db/connection.hpp>
#include <briefos/error.hpp>
#include <briefos/log.hpp>
#include <briefos/version.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/prctl.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using briefos::cli::Context;
using briefos::cli::Tool;

// Saves the variables the front end reads, clears them, and restores them.
class CleanEnv {
public:
  CleanEnv() {
    for (const char* name : k_names) {
      if (const char* v = std::getenv(name)) m_saved[name] = v;
      unsetenv(name);
    }
  }
  ~CleanEnv() {
    for (const char* name : k_names) {
      auto it = m_saved.find(name);
      if (it != m_saved.end()) {
        setenv(name, it->second.c_str(), 1);
      } else {
        unsetenv(name);
      }
    }
  }
  CleanEnv(const CleanEnv&) = delete;
  CleanEnv& operator=(const CleanEnv&) = delete;

  static void set(const char* name, const std::string& value) { setenv(name, value.c_str(), 1); }

private:
  static constexpr const char* k_names[] = {
      "BRIEFOS_DATABASE_URL", "DATABASE_URL",     "BRIEFOS_CONFIG",
      "BRIEFOS_LOG_LEVEL",    "BRIEFOS_LOG_FORMAT", "BRIEFOS_TEST_DAYS"};
  std::map<std::string, std::string> m_saved;
};

// A file in a fresh temporary directory, removed with it.
class TempFile {
public:
  explicit TempFile(const std::string& content) {
    std::string pattern = (fs::temp_directory_path() / "briefos-unit-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    m_dir = pattern;
    m_path = (m_dir / "settings.toml").string();
    std::ofstream(m_path) << content;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return m_path; }
  std::string missing() const { return (m_dir / "no-such-file.toml").string(); }

private:
  fs::path m_dir;
  std::string m_path;
};

// One run of a test program with a --days option (default 7) bound to
// BRIEFOS_TEST_DAYS, and a subcommand "run" with --limit (default 10).
struct Outcome {
  int status = -1;
  bool body_ran = false;
  int days = 0;
  int limit = 0;
  std::string database_url;
  std::string out;
  std::string err;
};

Outcome run_tool(std::vector<std::string> args,
                 const std::function<int(Context&)>& extra = nullptr) {
  Tool tool{"briefos-test", "A program for testing the front end."};
  auto days = std::make_shared<int>(7);
  auto limit = std::make_shared<int>(10);
  CLI::Option* opt = tool.app().add_option("--days", *days, "Days to look back");
  tool.bind_env(opt, {"BRIEFOS_TEST_DAYS"});
  CLI::App* sub = tool.app().add_subcommand("run", "Run something");
  sub->add_option("--limit", *limit, "How many");

  args.insert(args.begin(), "briefos-test");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);

  Outcome o;
  std::ostringstream out;
  std::ostringstream err;
  o.status = tool.run(static_cast<int>(args.size()), argv.data(),
                      [&](Context& ctx) {
                        o.body_ran = true;
                        o.days = *days;
                        o.limit = *limit;
                        o.database_url = ctx.database_url;
                        return extra ? extra(ctx) : briefos::exit_ok;
                      },
                      out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_SUITE_BEGIN("cli");

TEST_CASE("cli::precedence flag over env over config over default") {
  CleanEnv env;
  TempFile config("days = 3\n");

  SUBCASE("default") {
    const Outcome o = run_tool({});
    CHECK(o.status == 0);
    CHECK(o.days == 7);
  }
  SUBCASE("config beats default") {
    const Outcome o = run_tool({"--config", config.path()});
    CHECK(o.status == 0);
    CHECK(o.days == 3);
  }
  SUBCASE("environment beats config") {
    CleanEnv::set("BRIEFOS_TEST_DAYS", "5");
    const Outcome o = run_tool({"--config", config.path()});
    CHECK(o.status == 0);
    CHECK(o.days == 5);
  }
  SUBCASE("flag beats environment and config") {
    CleanEnv::set("BRIEFOS_TEST_DAYS", "5");
    const Outcome o = run_tool({"--config", config.path(), "--days", "9"});
    CHECK(o.status == 0);
    CHECK(o.days == 9);
  }
  SUBCASE("BRIEFOS_CONFIG names the config file") {
    CleanEnv::set("BRIEFOS_CONFIG", config.path());
    const Outcome o = run_tool({});
    CHECK(o.status == 0);
    CHECK(o.days == 3);
  }
  SUBCASE("an empty environment variable counts as unset") {
    CleanEnv::set("BRIEFOS_TEST_DAYS", "");
    const Outcome o = run_tool({"--config", config.path()});
    CHECK(o.days == 3);
  }
}

TEST_CASE("cli::database url precedence") {
  CleanEnv env;
  TempFile config("database_url = \"postgresql://cfg@h/cfg\"\n");

  SUBCASE("none set means libpq defaults") {
    CHECK(run_tool({}).database_url.empty());
  }
  SUBCASE("config file") {
    CHECK(run_tool({"--config", config.path()}).database_url == "postgresql://cfg@h/cfg");
  }
  SUBCASE("DATABASE_URL beats the config file") {
    CleanEnv::set("DATABASE_URL", "postgresql://plain@h/plain");
    CHECK(run_tool({"--config", config.path()}).database_url == "postgresql://plain@h/plain");
  }
  SUBCASE("BRIEFOS_DATABASE_URL beats DATABASE_URL") {
    CleanEnv::set("DATABASE_URL", "postgresql://plain@h/plain");
    CleanEnv::set("BRIEFOS_DATABASE_URL", "postgresql://ours@h/ours");
    CHECK(run_tool({"--config", config.path()}).database_url == "postgresql://ours@h/ours");
  }
  SUBCASE("the flag beats everything") {
    CleanEnv::set("DATABASE_URL", "postgresql://plain@h/plain");
    CleanEnv::set("BRIEFOS_DATABASE_URL", "postgresql://ours@h/ours");
    const Outcome o =
        run_tool({"--config", config.path(), "--database-url", "postgresql://flag@h/flag"});
    CHECK(o.database_url == "postgresql://flag@h/flag");
  }
}

TEST_CASE("cli::config file sections set subcommand options") {
  CleanEnv env;
  TempFile config("days = 2\n[run]\nlimit = 4\n");
  const Outcome o = run_tool({"--config", config.path(), "run"});
  CHECK(o.status == 0);
  CHECK(o.days == 2);
  CHECK(o.limit == 4);
}

TEST_CASE("cli::config file [briefos-NAME] sections: ours applied, other programs' skipped") {
  CleanEnv env;
  TempFile config("days = 2\n[briefos-test]\ndays = 6\n[briefos-test.run]\nlimit = 7\n"
                  "[briefos-email]\ntransport = \"maildir:/x\"\nconnections = 4\n");
  const Outcome o = run_tool({"--config", config.path(), "run"});
  CHECK(o.status == 0);
  CHECK(o.days == 6);
  CHECK(o.limit == 7);
  INFO("stderr: " << o.err);
  CHECK_FALSE(contains(o.err, "unknown key"));
  // A key of our own section that we do not have still warns, with its section.
  TempFile bad("[briefos-test]\nno_such_setting = 1\n");
  const Outcome b = run_tool({"--config", bad.path()});
  CHECK(b.status == 0);
  CHECK(contains(b.err, "unknown key \"briefos-test.no_such_setting\""));
}

TEST_CASE("cli::config file with an unknown key warns naming the key") {
  CleanEnv env;
  TempFile config("days = 4\nno_such_setting = 1\n");
  const Outcome o = run_tool({"--config", config.path()});
  CHECK(o.status == 0);
  CHECK(o.days == 4);
  INFO("stderr: " << o.err);
  CHECK(contains(o.err, "briefos-test: warning:"));
  CHECK(contains(o.err, "unknown key \"no_such_setting\""));
  CHECK(contains(o.err, config.path()));
}

TEST_CASE("cli::unreadable or invalid config file exits 2") {
  CleanEnv env;
  TempFile config("days = \"many\"\n");

  SUBCASE("missing file") {
    const Outcome o = run_tool({"--config", config.missing()});
    CHECK(o.status == briefos::exit_usage);
    CHECK_FALSE(o.body_ran);
    CHECK(contains(o.err, "briefos-test: error: could not read config file"));
    CHECK(contains(o.err, "no-such-file.toml"));
  }
  SUBCASE("missing file named by BRIEFOS_CONFIG") {
    CleanEnv::set("BRIEFOS_CONFIG", config.missing());
    const Outcome o = run_tool({});
    CHECK(o.status == briefos::exit_usage);
    CHECK_FALSE(o.body_ran);
  }
  SUBCASE("a value of the wrong type") {
    const Outcome o = run_tool({"--config", config.path()});
    CHECK(o.status == briefos::exit_usage);
    CHECK_FALSE(o.body_ran);
    CHECK(contains(o.err, "\"days\""));
  }
}

TEST_CASE("cli::invalid environment value exits 2 naming the variable") {
  CleanEnv env;
  CleanEnv::set("BRIEFOS_LOG_LEVEL", "loud");
  const Outcome o = run_tool({});
  CHECK(o.status == briefos::exit_usage);
  CHECK_FALSE(o.body_ran);
  CHECK(contains(o.err, "BRIEFOS_LOG_LEVEL"));
}

TEST_CASE("cli::exit statuses") {
  CleanEnv env;

  SUBCASE("success passes the body's status through") {
    const Outcome o = run_tool({}, [](Context&) { return 5; });
    CHECK(o.status == 5);
  }
  SUBCASE("unknown option is a usage error and the body does not run") {
    const Outcome o = run_tool({"--no-such-option"});
    CHECK(o.status == 2);
    CHECK_FALSE(o.body_ran);
    CHECK(o.out.empty());
    CHECK(contains(o.err, "briefos-test: error: "));
    CHECK(contains(o.err, "--no-such-option"));
    CHECK(contains(o.err, "briefos-test --help"));
  }
  SUBCASE("bad option value is a usage error") {
    const Outcome o = run_tool({"--days", "many"});
    CHECK(o.status == 2);
    CHECK_FALSE(o.body_ran);
  }
  SUBCASE("help goes to stdout with status 0") {
    const Outcome o = run_tool({"--help"});
    CHECK(o.status == 0);
    CHECK_FALSE(o.body_ran);
    CHECK(contains(o.out, "A program for testing the front end."));
    CHECK(contains(o.out, "--days"));
    CHECK(o.err.empty());
  }
  SUBCASE("version goes to stdout with status 0") {
    const Outcome o = run_tool({"--version"});
    CHECK(o.status == 0);
    CHECK_FALSE(o.body_ran);
    CHECK(o.out == "briefos-test (briefos) " + std::string(briefos::version) + "\n");
    CHECK(o.err.empty());
  }
  SUBCASE("briefos::Error carries its own status and hint") {
    const Outcome o = run_tool({}, [](Context&) -> int {
      throw briefos::Error("the lock is held", "Try again later.", briefos::exit_lock_timeout);
    });
    CHECK(o.status == briefos::exit_lock_timeout);
    CHECK(contains(o.err, "briefos-test: error: the lock is held"));
    CHECK(contains(o.err, "briefos-test: hint: Try again later."));
  }
  SUBCASE("UsageError from the body is 2") {
    const Outcome o = run_tool({}, [](Context&) -> int { throw briefos::UsageError("bad input"); });
    CHECK(o.status == briefos::exit_usage);
  }
  SUBCASE("DatabaseUnreachable is 3") {
    const Outcome o =
        run_tool({}, [](Context&) -> int { throw briefos::DatabaseUnreachable("no server"); });
    CHECK(o.status == briefos::exit_db_unreachable);
  }
  SUBCASE("any other exception is 1") {
    const Outcome o = run_tool({}, [](Context&) -> int { throw std::runtime_error("boom\n"); });
    CHECK(o.status == briefos::exit_failure);
    CHECK(contains(o.err, "briefos-test: error: boom"));
  }
  SUBCASE("a password in an error message is redacted") {
    const Outcome o = run_tool({}, [](Context&) -> int {
      throw briefos::Error("could not use postgresql://bob:hunter2@db.example/briefs");
    });
    CHECK(o.status == 1);
    CHECK(contains(o.err, "postgresql://bob:***@db.example/briefs"));
    CHECK_FALSE(contains(o.err, "hunter2"));
  }
}

TEST_CASE("cli::json log format gives one valid JSON object per record") {
  CleanEnv env;
  const std::string tricky = "sent 3 emails to \"ops\nteam\"\t{braces} \\ done";
  const Outcome o = run_tool({"--log-format", "json"}, [&](Context&) {
    spdlog::warn("{}", tricky);
    return 0;
  });
  CHECK(o.status == 0);
  REQUIRE(!o.err.empty());
  CHECK(o.err.back() == '\n');
  CHECK(o.err.find('\n') == o.err.size() - 1);  // one record, one line
  const auto j = nlohmann::json::parse(o.err);
  CHECK(j.at("msg") == tricky);
  CHECK(j.at("level") == "warning");
  CHECK(j.at("logger") == "briefos-test");
  CHECK(j.at("ts_ms").is_number_integer());
}

TEST_CASE("cli::text log keeps a record on one line whatever the message holds") {
  CleanEnv env;
  const Outcome o = run_tool({}, [&](Context&) {
    spdlog::warn("zone \"{}\" is unknown", "Europe/Berlin\r\nbriefos-x: error: forged\x1b[2J");
    return 0;
  });
  CHECK(o.err == "briefos-test: warning: zone \"Europe/Berlin  briefos-x: error: forged [2J\" is unknown\n");
}

TEST_CASE("cli::an option value that is not UTF-8 text is a usage error naming the option") {
  CleanEnv env;
  SUBCASE("invalid UTF-8 on the command line") {
    const Outcome o = run_tool({"--database-url", "bad\xff"}, [](Context&) { return 0; });
    CHECK(o.status == 2);
    CHECK(contains(o.err, "error: invalid value for option --database-url: not valid UTF-8"));
  }
  SUBCASE("an overlong encoding of '/'") {
    const Outcome o = run_tool({"--database-url", "a\xc0\xaf"}, [](Context&) { return 0; });
    CHECK(o.status == 2);
  }
  SUBCASE("valid UTF-8 passes") {
    // (A conninfo string: a malformed one is a usage error of its own.)
    const Outcome o = run_tool({"--database-url", "dbname='caf\xc3\xa9 \xf0\x9f\x93\xa7'"}, [](Context&) { return 0; });
    CHECK(o.status == 0);
  }
}

TEST_CASE("cli::log level and quiet") {
  CleanEnv env;
  auto log_both = [](Context&) {
    spdlog::info("an info record");
    spdlog::warn("a warning record");
    return 0;
  };
  SUBCASE("info by default") {
    const Outcome o = run_tool({}, log_both);
    CHECK(contains(o.err, "briefos-test: info: an info record"));
    CHECK(contains(o.err, "briefos-test: warning: a warning record"));
  }
  SUBCASE("quiet drops info") {
    const Outcome o = run_tool({"-q"}, log_both);
    CHECK_FALSE(contains(o.err, "an info record"));
    CHECK(contains(o.err, "a warning record"));
  }
  SUBCASE("BRIEFOS_LOG_LEVEL=error drops warnings") {
    CleanEnv::set("BRIEFOS_LOG_LEVEL", "error");
    const Outcome o = run_tool({}, log_both);
    CHECK(o.err.empty());
  }
  SUBCASE("the flag beats BRIEFOS_LOG_LEVEL") {
    CleanEnv::set("BRIEFOS_LOG_LEVEL", "error");
    const Outcome o = run_tool({"--log-level", "info"}, log_both);
    CHECK(contains(o.err, "an info record"));
  }
}

TEST_CASE("cli::read_secret prefers the environment and never needs argv") {
  CleanEnv env;
  TempFile file("from-file\r\nsecond line\n");
  CHECK(briefos::cli::read_secret({"BRIEFOS_TEST_DAYS"}, "") == std::nullopt);
  CHECK(briefos::cli::read_secret({"BRIEFOS_TEST_DAYS"}, file.path()) == "from-file");
  CleanEnv::set("BRIEFOS_TEST_DAYS", "from-env");
  CHECK(briefos::cli::read_secret({"BRIEFOS_TEST_DAYS"}, file.path()) == "from-env");
  CHECK_THROWS_AS(briefos::cli::read_secret({"NO_SUCH_VARIABLE_X"}, file.missing()),
                  briefos::UsageError);
}

TEST_CASE("cli::a credential on the command line is warned about, pointing elsewhere") {
  CleanEnv env;
  const std::string url = "postgresql://bob:hunter2@db.example/briefs";
  const Outcome argv = run_tool({"--database-url", url});
  CHECK(argv.body_ran);
  CHECK(contains(argv.err, "briefos-test: warning: --database-url on the command line holds a credential"));
  CHECK(contains(argv.err, "BRIEFOS_DATABASE_URL or DATABASE_URL"));
  CHECK(contains(argv.err, "~/.pgpass"));
  CHECK_FALSE(contains(argv.err, "hunter2"));
  CHECK(argv.database_url == url);  // warned, not refused
  // The warning follows the log format chosen with it.
  const Outcome json = run_tool({"--log-format", "json", "--database-url", url});
  std::istringstream lines(json.err);
  std::string line;
  int records = 0;
  while (std::getline(lines, line)) {
    const nlohmann::json record = nlohmann::json::parse(line);
    CHECK(record["level"] == "warning");
    ++records;
  }
  CHECK(records == 1);
  const Outcome no_password = run_tool({"--database-url", "postgresql://bob@db.example/briefs?sslmode=require"});
  CHECK_FALSE(contains(no_password.err, "warning"));
  CleanEnv::set("BRIEFOS_DATABASE_URL", url);
  const Outcome from_env = run_tool({});
  CHECK(from_env.database_url == url);
  CHECK_FALSE(contains(from_env.err, "warning"));
}

TEST_CASE("cli::a config file with a credential that others may read is warned about") {
  CleanEnv env;
  TempFile with_password("database_url = \"postgresql://bob:hunter2@db.example/briefs\"\n");
  fs::permissions(with_password.path(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read
                                            | fs::perms::others_read);
  const Outcome open = run_tool({"--config", with_password.path()});
  CHECK(open.body_ran);
  CHECK(contains(open.err, "warning: config file \"" + with_password.path() + "\" holds a credential"));
  CHECK(contains(open.err, "chmod 600"));
  CHECK_FALSE(contains(open.err, "hunter2"));
  fs::permissions(with_password.path(), fs::perms::owner_read | fs::perms::owner_write);
  CHECK_FALSE(contains(run_tool({"--config", with_password.path()}).err, "warning"));
  TempFile plain("database_url = \"postgresql://bob@db.example/briefs\"\ndays = 3\n");
  fs::permissions(plain.path(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  CHECK_FALSE(contains(run_tool({"--config", plain.path()}).err, "warning"));
}

TEST_CASE("cli::read_secret warns about a secret file others may read") {
  CleanEnv env;
  TempFile file("s3cret\n");
  std::ostringstream log;
  briefos::log::setup("briefos-x", "warning", briefos::log::Format::text, &log);
  fs::permissions(file.path(), fs::perms::owner_read | fs::perms::group_read);
  CHECK(briefos::cli::read_secret({"NO_SUCH_VARIABLE_X"}, file.path()) == "s3cret");
  CHECK(contains(log.str(), "warning: secret file \"" + file.path() + "\" is readable by group or others"));
  log.str("");
  fs::permissions(file.path(), fs::perms::owner_read);
  CHECK(briefos::cli::read_secret({"NO_SUCH_VARIABLE_X"}, file.path()) == "s3cret");
  CHECK(log.str().empty());
  briefos::log::setup("briefos-x", "warning", briefos::log::Format::text);
}

TEST_CASE("cli::a loaded secret makes the process non-dumpable") {
  CleanEnv env;
  // Each step starts dumpable again, so each proves its own call.
  const auto dumpable = [] { return prctl(PR_GET_DUMPABLE, 0L, 0L, 0L, 0L); };
  REQUIRE(prctl(PR_SET_DUMPABLE, 1L, 0L, 0L, 0L) == 0);
  run_tool({"--database-url", "postgresql://bob@db.example/briefs"});
  CHECK(dumpable() == 1);  // no secret, no change
  CleanEnv::set("BRIEFOS_TEST_DAYS", "12");
  CHECK(briefos::cli::read_secret({"BRIEFOS_TEST_DAYS"}, "") == "12");
  CHECK(dumpable() == 0);
  REQUIRE(prctl(PR_SET_DUMPABLE, 1L, 0L, 0L, 0L) == 0);
  CleanEnv::set("BRIEFOS_DATABASE_URL", "postgresql://bob:hunter2@db.example/briefs");
  run_tool({});
  CHECK(dumpable() == 0);
  REQUIRE(prctl(PR_SET_DUMPABLE, 1L, 0L, 0L, 0L) == 0);
  TempFile key("k\n");
  fs::permissions(key.path(), fs::perms::owner_read);
  CHECK(briefos::cli::read_secret({"NO_SUCH_VARIABLE_X"}, key.path()) == "k");
  CHECK(dumpable() == 0);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("log");

TEST_CASE("log::json_line escapes quotes newlines and control characters") {
  std::string message = "quote \" backslash \\ newline\n cr\r tab\t bell\a nul";
  message.push_back('\0');
  message += " esc\x1b end";
  const std::string line = briefos::log::json_line(1700000000123, "info", "briefos-x", message);
  REQUIRE(!line.empty());
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    INFO("byte " << i);
    CHECK(static_cast<unsigned char>(line[i]) >= 0x20);  // every control byte escaped
  }
  const auto j = nlohmann::json::parse(line);
  CHECK(j.at("msg").get<std::string>() == message);
  CHECK(j.at("ts_ms") == 1700000000123);
  CHECK(j.at("level") == "info");
  CHECK(j.at("logger") == "briefos-x");
}

TEST_CASE("log::json_line keeps valid UTF-8 and replaces invalid bytes") {
  SUBCASE("valid UTF-8 round-trips") {
    const std::string message = "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x93\xa7 \"done\"";
    const auto j = nlohmann::json::parse(briefos::log::json_line(1, "info", "l", message));
    CHECK(j.at("msg").get<std::string>() == message);
  }
  SUBCASE("invalid UTF-8 still gives valid JSON") {
    const std::string message = "bad \xff\xfe byte and \xc3 truncated, \"quoted\"\n";
    const std::string line = briefos::log::json_line(1, "error", "l", message);
    CHECK(line.find('\n') == line.size() - 1);
    nlohmann::json j;
    REQUIRE_NOTHROW(j = nlohmann::json::parse(line));
    const std::string msg = j.at("msg").get<std::string>();
    CHECK(contains(msg, "bad "));
    CHECK(contains(msg, "\xef\xbf\xbd"));  // U+FFFD replacement character
    CHECK(contains(msg, " byte and "));
    CHECK(contains(msg, "\"quoted\"\n"));
  }
}

TEST_CASE("log::setup rejects an unknown level") {
  CHECK_THROWS_AS(briefos::log::setup("briefos-x", "loud", briefos::log::Format::text),
                  briefos::UsageError);
  briefos::log::setup("briefos-x", "warning", briefos::log::Format::text);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("db");

TEST_CASE("db::redact hides passwords in URLs") {
  using briefos::db::redact;
  CHECK(redact("postgresql://bob:s3cret@db.example:5432/briefs")
        == "postgresql://bob:***@db.example:5432/briefs");
  CHECK(redact("postgres://bob:s3cret@db/briefs") == "postgres://bob:***@db/briefs");
  CHECK(redact("POSTGRESQL://bob:s3cret@db/briefs") == "POSTGRESQL://bob:***@db/briefs");
  CHECK(redact("failed for \"postgresql://a:p%40ss@h/d\": refused")
        == "failed for \"postgresql://a:***@h/d\": refused");
  CHECK_FALSE(contains(redact("postgresql://bob@h/d?password=s3cret&sslmode=require"), "s3cret"));
  // Nothing to hide: unchanged.
  CHECK(redact("postgresql://bob@db/briefs") == "postgresql://bob@db/briefs");
  CHECK(redact("postgresql:///briefs?host=/tmp") == "postgresql:///briefs?host=/tmp");
  CHECK(redact("no connection string here") == "no connection string here");
}

TEST_CASE("db::redact is util::redact: a webhook token is masked too") {
  using briefos::db::redact;
  CHECK(redact("via webhook https://hooks.example/mail?token=s3cret: HTTP 503")
        == "via webhook https://hooks.example/mail?token=***: HTTP 503");
}

TEST_CASE("cli::a logged URL's credentials are masked in text and JSON logs") {
  std::ostringstream text;
  briefos::log::setup("briefos-x", "info", briefos::log::Format::text, &text);
  spdlog::info("posting to https://hooks.example/mail?token=s3cret and postgresql://bob:hunter2@db/b");
  CHECK(contains(text.str(), "https://hooks.example/mail?token=*** and postgresql://bob:***@db/b"));
  std::ostringstream json;
  briefos::log::setup("briefos-x", "info", briefos::log::Format::json, &json);
  spdlog::info("posting to https://hooks.example/mail?token=s3cret");
  CHECK(contains(json.str(), "mail?token=***"));
  CHECK_FALSE(contains(text.str() + json.str(), "s3cret"));
  CHECK_FALSE(contains(text.str(), "hunter2"));
  briefos::log::setup("briefos-x", "warning", briefos::log::Format::text);
}

TEST_CASE("db::redact hides passwords in conninfo strings") {
  using briefos::db::redact;
  CHECK(redact("host=db password=s3cret dbname=briefs") == "host=db password=*** dbname=briefs");
  CHECK(redact("host=db password = s3cret dbname=briefs")
        == "host=db password = *** dbname=briefs");
  CHECK(redact("PASSWORD=s3cret") == "PASSWORD=***");
  const std::string quoted = redact("host=db password='two words \\' quote' dbname=briefs");
  CHECK_FALSE(contains(quoted, "two words"));
  CHECK_FALSE(contains(quoted, "quote'"));
  CHECK(contains(quoted, "dbname=briefs"));
}

TEST_CASE("db::database_name for messages") {
  using briefos::db::database_name;
  CHECK(database_name("postgresql://bob:pw@h:5432/briefs") == "briefs");
  CHECK(database_name("postgresql://bob@/briefs?host=/tmp/x&port=5") == "briefs");
  CHECK(database_name("host=h dbname=briefs user=bob") == "briefs");
  CHECK(database_name("postgresql://h") == "(default)");
}

TEST_SUITE_END();

TEST_CASE("cli::a value error a program raises later names where the value came from") {
  CleanEnv env;
  // What app/*/options do after parsing: check the value, name the option.
  auto refuse = [](Context&) -> int {
    throw briefos::UsageError("invalid value \"bad\" for option --days: must be good");
  };
  SUBCASE("the environment") {
    CleanEnv::set("BRIEFOS_TEST_DAYS", "5");
    const Outcome o = run_tool({}, refuse);
    CHECK(o.status == briefos::exit_usage);
    INFO("stderr: " << o.err);
    CHECK(contains(o.err, "for option --days (set by environment variable BRIEFOS_TEST_DAYS): must be good"));
  }
  SUBCASE("the config file, with its line and key") {
    TempFile config("\ndays = 5\n");
    const Outcome o = run_tool({"--config", config.path()}, refuse);
    CHECK(o.status == briefos::exit_usage);
    INFO("stderr: " << o.err);
    CHECK(contains(o.err, "for option --days (set by key \"days\" in config file \"" + config.path() + "\", line 2)"));
  }
  SUBCASE("the command line: the option alone") {
    const Outcome o = run_tool({"--days", "5"}, refuse);
    CHECK(contains(o.err, "for option --days: must be good"));
  }
}

TEST_CASE("cli::a config file that is not TOML exits 2 naming the line and column") {
  CleanEnv env;
  TempFile config("days = 3\ndatabase_url = \"x\n");
  const Outcome o = run_tool({"--config", config.path()});
  CHECK(o.status == briefos::exit_usage);
  CHECK_FALSE(o.body_ran);
  INFO("stderr: " << o.err);
  CHECK(contains(o.err, "could not parse config file \"" + config.path() + "\", line 2, column"));
}

TEST_CASE("cli::a misspelled section is warned about with a suggestion") {
  CleanEnv env;
  TempFile config("[briefos-tset]\ndays = 3\n");
  const Outcome o = run_tool({"--config", config.path()});
  CHECK(o.status == 0);
  CHECK(o.days == 7);
  INFO("stderr: " << o.err);
  CHECK(contains(o.err, "line 1: unknown section [briefos-tset] ignored (did you mean [briefos-test]?)"));
}

TEST_CASE("cli::a malformed database URL exits 2 naming its source") {
  CleanEnv env;
  SUBCASE("flag") {
    const Outcome o = run_tool({"--database-url", "postgres:/bad url"});
    CHECK(o.status == briefos::exit_usage);
    CHECK_FALSE(o.body_ran);
    INFO("stderr: " << o.err);
    CHECK(contains(o.err, "invalid database URL from --database-url"));
  }
  SUBCASE("environment") {
    CleanEnv::set("DATABASE_URL", "host=h port='5432");
    const Outcome o = run_tool({});
    CHECK(o.status == briefos::exit_usage);
    INFO("stderr: " << o.err);
    CHECK(contains(o.err, "invalid database URL from environment variable DATABASE_URL"));
  }
  SUBCASE("a well-formed URL passes") {
    CHECK(run_tool({"--database-url", "postgresql://u@h:5/db"}).status == 0);
    CHECK(run_tool({"--database-url", "host=h dbname=d"}).status == 0);
  }
}
