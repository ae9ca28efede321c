// SPDX-License-Identifier: MIT
//
// briefos-migrate: up, down, status, verify, new. The policy an operator can
// rely on in a deploy script:
// - the set of files is validated before anything runs (gaps, duplicates,
//   unpaired files), and applied migrations are checked against it: a history
//   row whose file is gone, or whose checksum no longer matches, stops `up`
//   and `down` with the names of the offending migrations;
// - the advisory lock is held for the whole run, and the history is re-read
//   after it is taken;
// - migrations run one transaction each, in order; the first failure stops
//   the run (exit 1) with the file and line, and later ones do not run.
#include "briefos/migrate_command.hpp"

#include "briefos/db/connection.hpp"
#include "briefos/db/migrator.hpp"
#include "briefos/error.hpp"
#include "briefos/migrate.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

namespace briefos::migrate_command {

namespace {

struct Options {
  std::string dir;
  int lock_timeout_s = 60;
  bool dry_run = false;
  int to = -1;
  int steps = 0;
  bool exit_code = false;
  bool json = false;
  std::string new_name;
  CLI::App* up = nullptr;
  CLI::App* down = nullptr;
  CLI::App* status = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* create = nullptr;
};

std::string stem(const migrate::Migration& m) {
  char v[16];
  std::snprintf(v, sizeof v, "%04d", m.version);
  return std::string(v) + "_" + m.name;
}

std::string stem(const db::AppliedMigration& m) {
  char v[16];
  std::snprintf(v, sizeof v, "%04d", m.version);
  return std::string(v) + "_" + m.name;
}

std::vector<migrate::Migration> load_set(const Options& o) {
  return migrate::load(o.dir.empty() ? migrate::embedded_files() : migrate::read_dir(o.dir));
}

// Problems between the history and the files: drifted checksums, renamed
// versions and rows with no file. Each entry names the migration.
std::vector<std::string> compare(const std::vector<migrate::Migration>& set,
                                 const std::vector<db::AppliedMigration>& applied) {
  std::map<int, const migrate::Migration*> by_version;
  for (const auto& m : set) by_version[m.version] = &m;
  std::vector<std::string> problems;
  for (const auto& a : applied) {
    auto it = by_version.find(a.version);
    if (it == by_version.end()) {
      problems.push_back("applied migration " + stem(a) + " has no file in the migration set");
    } else if (it->second->name != a.name) {
      problems.push_back("applied migration " + stem(a) + " is now named " + stem(*it->second));
    } else if (it->second->checksum != a.checksum) {
      problems.push_back("applied migration " + stem(a) + " was changed after it was applied (checksum mismatch)");
    }
  }
  return problems;
}

void require_consistent(const std::vector<migrate::Migration>& set,
                        const std::vector<db::AppliedMigration>& applied) {
  const auto problems = compare(set, applied);
  if (problems.empty()) return;
  std::string msg = problems.front();
  for (std::size_t i = 1; i < problems.size(); ++i) msg += "; " + problems[i];
  throw Error(msg, "Restore the original files, or repair the history by hand; see briefos-migrate(1).");
}

int current_version(const std::vector<db::AppliedMigration>& applied) {
  return applied.empty() ? 0 : applied.back().version;
}

int run_up(cli::Context& ctx, const Options& o, pqxx::connection& cx) {
  const auto set = load_set(o);
  if (o.to > 0 && (set.empty() || o.to > set.back().version)) {
    throw UsageError("invalid value \"" + std::to_string(o.to) + "\" for option --to: no such migration");
  }
  db::Migrator migrator{cx};
  if (!o.dry_run) {
    migrator.lock(std::chrono::seconds(o.lock_timeout_s));
    migrator.ensure_history_table();
  }
  const auto applied = migrator.applied();
  require_consistent(set, applied);
  const int from = current_version(applied);
  const int target = o.to > 0 ? o.to : (set.empty() ? 0 : set.back().version);
  int count = 0;
  for (const auto& m : set) {
    if (m.version <= from || m.version > target) continue;
    if (o.dry_run) {
      ctx.out << "-- " << m.up_file << (m.up_in_transaction ? "" : " (outside a transaction)")
              << "\n" << m.up_sql << (m.up_sql.ends_with('\n') ? "" : "\n") << "\n";
      ++count;
      continue;
    }
    const long long ms = migrator.apply_up(m);
    if (!ctx.quiet) ctx.out << "applied " << stem(m) << " (" << ms << " ms)\n";
    ctx.out.flush();
    ++count;
  }
  if (!o.dry_run) migrator.unlock();
  if (!ctx.quiet) {
    if (count == 0) {
      ctx.err << ctx.tool_name << ": database is up to date at version " << from << "\n";
    } else if (!o.dry_run) {
      ctx.err << ctx.tool_name << ": migrated from version " << from << " to " << target << "\n";
    }
  }
  return exit_ok;
}

int run_down(cli::Context& ctx, const Options& o, pqxx::connection& cx) {
  if (o.to >= 0 && o.steps > 0) throw UsageError("--steps and --to cannot be used together");
  const auto set = load_set(o);
  db::Migrator migrator{cx};
  if (!o.dry_run) {
    migrator.lock(std::chrono::seconds(o.lock_timeout_s));
    migrator.ensure_history_table();
  }
  const auto applied = migrator.applied();
  require_consistent(set, applied);
  const int from = current_version(applied);
  int target = from - (o.steps > 0 ? o.steps : 1);
  if (o.to >= 0) target = o.to;
  if (target < 0) target = 0;
  if (o.to > from) {
    throw UsageError("invalid value \"" + std::to_string(o.to) + "\" for option --to: above the current version "
                     + std::to_string(from));
  }
  int count = 0;
  for (auto it = set.rbegin(); it != set.rend(); ++it) {
    const auto& m = *it;
    if (m.version > from || m.version <= target) continue;
    if (o.dry_run) {
      ctx.out << "-- " << m.down_file << (m.down_in_transaction ? "" : " (outside a transaction)")
              << "\n" << m.down_sql << (m.down_sql.ends_with('\n') ? "" : "\n") << "\n";
      ++count;
      continue;
    }
    const long long ms = migrator.apply_down(m);
    if (!ctx.quiet) ctx.out << "reverted " << stem(m) << " (" << ms << " ms)\n";
    ctx.out.flush();
    ++count;
  }
  if (!o.dry_run) migrator.unlock();
  if (!ctx.quiet && !o.dry_run) {
    ctx.err << ctx.tool_name << ": migrated from version " << from << " down to " << target << "\n";
  }
  return exit_ok;
}

int run_status(cli::Context& ctx, const Options& o, pqxx::connection& cx, bool verify_only) {
  const auto set = load_set(o);
  db::Migrator migrator{cx};
  const auto applied = migrator.applied();
  const auto problems = compare(set, applied);
  std::map<int, const db::AppliedMigration*> done;
  for (const auto& a : applied) done[a.version] = &a;
  int pending = 0;
  if (verify_only) {
    for (const auto& p : problems) spdlog::error("{}", p);
    if (!ctx.quiet && problems.empty()) {
      ctx.out << "verified " << applied.size() << " applied migration(s): checksums match\n";
    }
    return problems.empty() ? exit_ok : exit_check_failed;
  }
  if (!o.json) ctx.out << "version  name                                      state     applied_at\n";
  for (const auto& m : set) {
    auto it = done.find(m.version);
    std::string state = "pending";
    std::string at;
    if (it != done.end()) {
      at = it->second->applied_at;
      state = it->second->checksum == m.checksum && it->second->name == m.name ? "applied" : "drifted";
    } else {
      ++pending;
    }
    if (o.json) {
      nlohmann::ordered_json j{{"version", m.version}, {"name", m.name}, {"state", state},
                               {"applied_at", at.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(at)}};
      ctx.out << j.dump() << "\n";
    } else {
      char line[256];
      std::snprintf(line, sizeof line, "%04d     %-41s %-9s %s\n", m.version, m.name.c_str(),
                    state.c_str(), at.c_str());
      ctx.out << line;
    }
  }
  for (const auto& a : applied) {
    bool known = false;
    for (const auto& m : set) known = known || m.version == a.version;
    if (known) continue;
    if (o.json) {
      nlohmann::ordered_json j{{"version", a.version}, {"name", a.name}, {"state", "missing"},
                               {"applied_at", a.applied_at}};
      ctx.out << j.dump() << "\n";
    } else {
      char line[256];
      std::snprintf(line, sizeof line, "%04d     %-41s %-9s %s\n", a.version, a.name.c_str(),
                    "missing", a.applied_at.c_str());
      ctx.out << line;
    }
  }
  for (const auto& p : problems) spdlog::warn("{}", p);
  if (!ctx.quiet) {
    ctx.err << ctx.tool_name << ": version " << current_version(applied) << ", " << pending
            << " pending, " << problems.size() << " problem(s)\n";
  }
  if (o.exit_code && (pending > 0 || !problems.empty())) return exit_check_failed;
  return exit_ok;
}

int run_new(cli::Context& ctx, const Options& o) {
  std::string dir = o.dir;
  if (dir.empty()) {
    if (!std::filesystem::is_directory("sql")) {
      throw UsageError("no migration directory: run in the source tree or pass --dir");
    }
    dir = "sql";
  }
  const auto set = migrate::load(migrate::read_dir(dir));
  const std::string s = migrate::next_stem(set, o.new_name);
  const auto up = std::filesystem::path(dir) / (s + ".up.sql");
  const auto down = std::filesystem::path(dir) / (s + ".down.sql");
  if (o.dry_run) {
    ctx.out << "would create " << up.string() << "\nwould create " << down.string() << "\n";
    return exit_ok;
  }
  {
    std::ofstream f(up);
    // The hint quotes the marker inside a sentence, which (unlike the marker
    // on a line of its own) leaves the migration in its transaction.
    f << "-- " << o.new_name << ": describe the change here.\n"
      << "-- For a single statement that cannot run in a transaction, add a line\n"
      << "-- reading exactly \"" << migrate::no_transaction_marker << "\" to this block.\n\n";
    if (!f) throw Error("could not write \"" + up.string() + "\"");
  }
  {
    std::ofstream f(down);
    f << "-- Revert " << s << ".\n\n";
    if (!f) throw Error("could not write \"" + down.string() + "\"");
  }
  ctx.out << up.string() << "\n" << down.string() << "\n";
  return exit_ok;
}

}  // namespace

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto o = std::make_shared<Options>();
  CLI::App& app = tool.app();
  // At most one subcommand; "none" is reported by the body, so that CLI11
  // names an unknown option first instead of only asking for a subcommand.
  app.require_subcommand(0, 1);
  app.fallthrough();
  app.add_option("--dir", o->dir, "Read migrations from DIR, not the built-in set")
      ->type_name("DIR");
  CLI::Option* lt = app.add_option("--lock-timeout", o->lock_timeout_s,
                                   "Seconds to wait for another migrator")
                        ->type_name("SECONDS")
                        ->check(CLI::Range(0, 86400));
  tool.bind_env(lt, {"BRIEFOS_MIGRATE_LOCK_TIMEOUT"});
  app.add_flag("-n,--dry-run", o->dry_run, "Print the SQL that would run; change nothing");

  o->up = app.add_subcommand("up", "Apply pending migrations");
  // Their internal "unset" defaults (-1, 0) mean nothing to a reader of --help.
  o->up->add_option("--to", o->to, "Stop after VERSION")
      ->type_name("VERSION")
      ->check(CLI::Range(1, 9999))
      ->default_str("");
  o->down = app.add_subcommand("down", "Revert migrations (default: the last one)");
  auto* steps = o->down->add_option("--steps", o->steps, "Revert N migrations")
                    ->type_name("N")
                    ->check(CLI::Range(1, 9999))
                    ->default_str("");
  auto* to = o->down->add_option("--to", o->to, "Revert down to VERSION (0: all)")
                 ->type_name("VERSION")
                 ->check(CLI::Range(0, 9999))
                 ->default_str("");
  steps->excludes(to);
  o->status = app.add_subcommand("status", "List applied and pending migrations");
  o->status->add_flag("--exit-code", o->exit_code, "Exit 5 when anything is pending or drifted");
  o->status->add_flag("--json", o->json, "One JSON object per migration");
  o->verify = app.add_subcommand("verify", "Check applied migrations against the files");
  o->create = app.add_subcommand("new", "Create the next numbered up/down pair");
  o->create->add_option("name", o->new_name, "snake_case name")->required();

  return [o](cli::Context& ctx) -> int {
    if (!o->up->parsed() && !o->down->parsed() && !o->status->parsed()
        && !o->verify->parsed() && !o->create->parsed()) {
      throw UsageError("a subcommand is required: up, down, status, verify or new",
                       "Try '" + ctx.tool_name + " --help' for more information.");
    }
    if (o->create->parsed()) return run_new(ctx, *o);
    // A broken migration set (gap, duplicate, unreadable --dir) is reported
    // before connecting, so it is the error the operator sees even when the
    // database is also unreachable; reading the files twice costs nothing.
    (void)load_set(*o);
    auto cx = db::connect(ctx.database_url, ctx.tool_name);
    if (o->up->parsed()) return run_up(ctx, *o, *cx);
    if (o->down->parsed()) return run_down(ctx, *o, *cx);
    if (o->status->parsed()) return run_status(ctx, *o, *cx, false);
    return run_status(ctx, *o, *cx, true);
  };
}

}  // namespace briefos::migrate_command
