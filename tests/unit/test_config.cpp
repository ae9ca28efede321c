// SPDX-License-Identifier: MIT
//
// Config files (briefos::config): TOML parsed for real, syntax errors with
// file, line and column, typed values, unknown keys and sections warned
// about with their line and a "did you mean". Each case parses text and
// applies it to a small CLI11 app named like a program.
#include <briefos/config.hpp>
#include <briefos/error.hpp>

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

namespace {

using briefos::config::parse;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The message of the UsageError `f` throws, or "" when it throws none.
template <typename F>
std::string usage_error(F&& f) {
  try {
    f();
  } catch (const briefos::UsageError& e) {
    return e.what();
  }
  return {};
}

struct Applied {
  int days = 7;
  std::string since;
  bool dry_run = false;
  int limit = 10;
  std::vector<std::string> warnings;
  std::map<std::string, std::string> sources;  // option name -> source
};

// Apply `text` to a program "briefos-email" with --days, --since, --dry-run
// and a subcommand "run" with --limit.
Applied apply_text(const std::string& text) {
  Applied a;
  CLI::App app{"test", "briefos-email"};
  app.add_option("--days", a.days);
  app.add_option("--since", a.since);
  app.add_flag("--dry-run", a.dry_run);
  CLI::App* run = app.add_subcommand("run");
  run->add_option("--limit", a.limit);
  app.parse(std::vector<std::string>{});
  briefos::config::Sources sources;
  briefos::config::apply(parse(text, "f.toml"), app, {}, a.warnings, sources);
  for (const auto& [opt, source] : sources) a.sources[opt->get_name()] = source;  // before `app` goes
  return a;
}

std::string all(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace

TEST_SUITE_BEGIN("config");

TEST_CASE("config::a syntax error names the file, line and column") {
  SUBCASE("unterminated string") {
    const std::string m = usage_error([] { parse("days = 3\ndatabase_url = \"x\n", "site.toml"); });
    INFO(m);
    CHECK(contains(m, "could not parse config file \"site.toml\", line 2, column"));
  }
  SUBCASE("unclosed section header") {
    const std::string m = usage_error([] { parse("[briefos-email\ndays = 1\n", "site.toml"); });
    INFO(m);
    CHECK(contains(m, "\"site.toml\", line 1"));
  }
  SUBCASE("a line of prose") {
    const std::string m = usage_error([] { parse("days = 1\n\nthis is not toml\n", "site.toml"); });
    INFO(m);
    CHECK(contains(m, "\"site.toml\", line 3, column"));
  }
}

TEST_CASE("config::values are applied by type, and record their source") {
  const Applied a = apply_text("days = 3\nsince = \"15min\"\ndry_run = true\n[run]\nlimit = 4\n");
  CHECK(a.days == 3);
  CHECK(a.since == "15min");
  CHECK(a.dry_run);
  CHECK(a.limit == 4);
  CHECK(a.warnings.empty());
  CHECK(a.sources.at("--since") == "key \"since\" in config file \"f.toml\", line 2");
  CHECK(a.sources.at("--dry-run") == "key \"dry_run\" in config file \"f.toml\", line 3");
}

TEST_CASE("config::a value of the wrong type names the file, line and key") {
  SUBCASE("a string for a flag") {
    const std::string m = usage_error([] { apply_text("days = 1\ndry_run = \"yes\"\n"); });
    INFO(m);
    CHECK(contains(m, "\"dry_run\" in config file \"f.toml\", line 2: expected a boolean"));
  }
  SUBCASE("a boolean for a value") {
    const std::string m = usage_error([] { apply_text("since = true\n"); });
    INFO(m);
    CHECK(contains(m, "\"since\" in config file \"f.toml\", line 1: expected a string or a number"));
  }
  SUBCASE("an array for a single value") {
    const std::string m = usage_error([] { apply_text("\n[run]\nlimit = [1, 2]\n"); });
    INFO(m);
    CHECK(contains(m, "\"run.limit\" in config file \"f.toml\", line 3: expected a single value"));
  }
  SUBCASE("a value the option refuses") {
    const std::string m = usage_error([] { apply_text("days = \"many\"\n"); });
    INFO(m);
    CHECK(contains(m, "\"days\" in config file \"f.toml\", line 1"));
  }
}

TEST_CASE("config::unknown keys and sections warn with the line and a suggestion") {
  SUBCASE("a misspelled key") {
    const Applied a = apply_text("dayz = 3\n");
    CHECK(a.days == 7);
    INFO(all(a.warnings));
    CHECK(contains(all(a.warnings), "config file \"f.toml\", line 1: unknown key \"dayz\" ignored (did you mean \"days\"?)"));
  }
  SUBCASE("a misspelled program section") {
    const Applied a = apply_text("days = 2\n\n[briefos-emial]\ndays = 5\n");
    CHECK(a.days == 2);
    INFO(all(a.warnings));
    CHECK(contains(all(a.warnings),
                   "config file \"f.toml\", line 3: unknown section [briefos-emial] ignored (did you mean [briefos-email]?)"));
    CHECK(a.warnings.size() == 1);
  }
  SUBCASE("a misspelled subcommand section") {
    const Applied a = apply_text("[briefos-email.rnu]\nlimit = 5\n");
    INFO(all(a.warnings));
    CHECK(contains(all(a.warnings), "line 1: unknown section [briefos-email.rnu] ignored (did you mean [briefos-email.run]?)"));
  }
  SUBCASE("other programs' sections are skipped without a word") {
    const Applied a = apply_text("[briefos-generate]\nllm_url = \"http://x\"\n[briefos-stats.user]\ntz = \"UTC\"\n");
    CHECK(a.warnings.empty());
  }
  SUBCASE("a far-off key gets no suggestion") {
    const Applied a = apply_text("completely_unrelated = 1\n");
    INFO(all(a.warnings));
    CHECK(contains(all(a.warnings), "unknown key \"completely_unrelated\" ignored"));
    CHECK_FALSE(contains(all(a.warnings), "did you mean"));
  }
}

TEST_CASE("config::closest") {
  CHECK(briefos::config::closest("briefos-emial", {"briefos-email", "briefos-stats"}) == "briefos-email");
  CHECK(briefos::config::closest("max-queue_age", {"max_queue_age"}).empty());  // the same key
  CHECK(briefos::config::closest("zzz", {"days"}).empty());
}
