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
//   the run (exit 1) with the file and line, and later ones do not run;
// - `down` that would drop a table holding rows refuses (exit 2) unless
//   --force, naming the tables and their row counts; --dry-run lists them;
// - `up --to` below the current version is an error, never "up to date":
//   `up` does not revert.
#include "briefos/app/migrate/service.hpp"

#include "briefos/app/migrate/output.hpp"
#include "briefos/error.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

namespace briefos::migrate_command {

namespace {

void require_consistent(const std::vector<migrate::Migration>& set,
                        const std::vector<db::AppliedMigration>& applied) {
  const auto problems = compare(set, applied);
  if (problems.empty()) return;
  std::string msg = problems.front();
  for (std::size_t i = 1; i < problems.size(); ++i) msg += "; " + problems[i];
  throw Error(msg, "Restore the original files, or repair the history by hand; see briefos-migrate(1).");
}

// The tables a down file drops ("DROP TABLE [IF EXISTS] a, b ..."), as
// written: the guard counts their rows before anything runs.
std::vector<std::string> dropped_tables(const std::string& sql) {
  static const std::regex drop(R"(\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([^;]+?)\s*(?:\bCASCADE\b|\bRESTRICT\b)?\s*;)",
                               std::regex::icase);
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(sql.begin(), sql.end(), drop); it != std::sregex_iterator(); ++it) {
    std::string list = (*it)[1].str();
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      std::string name = list.substr(start, comma - start);
      name.erase(0, name.find_first_not_of(" \t\r\n"));
      name.erase(name.find_last_not_of(" \t\r\n") + 1);
      if (!name.empty()) out.push_back(name);
      start = comma + 1;
    }
  }
  return out;
}

int current_version(const std::vector<db::AppliedMigration>& applied) {
  return applied.empty() ? 0 : applied.back().version;
}

// Unless --dry-run, take the migration lock and make sure the history table
// exists; then the history, checked against `set`.
std::vector<db::AppliedMigration> locked_history(const Options& o, db::Migrator& migrator,
                                                 const std::vector<migrate::Migration>& set) {
  if (!o.dry_run) {
    migrator.lock(std::chrono::seconds(o.lock_timeout_s));
    migrator.ensure_history_table();
  }
  auto applied = migrator.applied();
  require_consistent(set, applied);
  return applied;
}

// Each migration of the set, then each history row without a file.
std::vector<StatusRow> status_rows(const std::vector<migrate::Migration>& set,
                                   const std::vector<db::AppliedMigration>& applied) {
  std::map<int, const db::AppliedMigration*> done;
  for (const auto& a : applied) done[a.version] = &a;
  std::vector<StatusRow> rows;
  for (const auto& m : set) {
    StatusRow r{m.version, m.name, State::pending, {}};
    if (auto it = done.find(m.version); it != done.end()) {
      r.applied_at = it->second->applied_at;
      r.state = it->second->checksum == m.checksum && it->second->name == m.name ? State::applied : State::drifted;
    }
    rows.push_back(std::move(r));
  }
  for (const auto& a : applied) {
    bool known = false;
    for (const auto& m : set) known = known || m.version == a.version;
    if (!known) rows.push_back({a.version, a.name, State::missing, a.applied_at});
  }
  return rows;
}

}  // namespace

std::vector<migrate::Migration> load_set(const Options& o) {
  return migrate::load(o.dir.empty() ? migrate::embedded_files() : migrate::read_dir(o.dir));
}

std::vector<std::string> compare(const std::vector<migrate::Migration>& set,
                                 const std::vector<db::AppliedMigration>& applied) {
  std::map<int, const migrate::Migration*> by_version;
  for (const auto& m : set) by_version[m.version] = &m;
  std::vector<std::string> problems;
  for (const auto& a : applied) {
    const std::string applied_stem = stem(a.version, a.name);
    auto it = by_version.find(a.version);
    if (it == by_version.end()) {
      problems.push_back("applied migration " + applied_stem + " has no file in the migration set");
    } else if (it->second->name != a.name) {
      problems.push_back("applied migration " + applied_stem + " is now named "
                         + stem(it->second->version, it->second->name));
    } else if (it->second->checksum != a.checksum) {
      problems.push_back("applied migration " + applied_stem
                         + " was changed after it was applied (checksum mismatch)");
    }
  }
  return problems;
}

int up(cli::Context& ctx, const Options& o, db::Session& session) {
  const auto set = load_set(o);
  if (o.to > 0 && (set.empty() || o.to > set.back().version)) {
    throw UsageError("invalid value \"" + std::to_string(o.to) + "\" for option --to: no such migration");
  }
  db::Migrator migrator{session};
  const auto applied = locked_history(o, migrator, set);
  const int from = current_version(applied);
  if (o.to > 0 && o.to < from) {
    throw UsageError("invalid value \"" + std::to_string(o.to) + "\" for option --to: below the current version "
                         + std::to_string(from) + " (up never reverts)",
                     "To revert, run: " + ctx.tool_name + " down --to " + std::to_string(o.to));
  }
  const int target = o.to > 0 ? o.to : (set.empty() ? 0 : set.back().version);
  int count = 0;
  for (const auto& m : set) {
    if (m.version <= from || m.version > target) continue;
    ++count;
    if (o.dry_run) {
      print_sql(ctx, m.up_file, m.up_in_transaction, m.up_sql);
    } else {
      print_step(ctx, Step::applied, stem(m.version, m.name), migrator.apply_up(m));
    }
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

int down(cli::Context& ctx, const Options& o, db::Session& session) {
  if (o.to >= 0 && o.steps > 0) throw UsageError("--steps and --to cannot be used together");
  const auto set = load_set(o);
  db::Migrator migrator{session};
  const auto applied = locked_history(o, migrator, set);
  const int from = current_version(applied);
  int target = from - (o.steps > 0 ? o.steps : 1);
  if (o.to >= 0) target = o.to;
  if (target < 0) target = 0;
  if (o.to > from) {
    throw UsageError("invalid value \"" + std::to_string(o.to) + "\" for option --to: above the current version "
                     + std::to_string(from));
  }
  // The guard: count the rows of every table the reverted files drop,
  // before any of them runs.
  std::string holding;
  std::map<int, std::vector<std::string>> drops;  // version -> "t (N rows)"
  for (const auto& m : set) {
    if (m.version > from || m.version <= target) continue;
    for (const std::string& table : dropped_tables(m.down_sql)) {
      const long long rows = migrator.row_count(table);
      if (rows < 0) continue;
      const std::string what = table + " (" + std::to_string(rows) + (rows == 1 ? " row)" : " rows)");
      drops[m.version].push_back(what);
      if (rows > 0) holding += (holding.empty() ? "" : ", ") + what;
    }
  }
  if (!holding.empty() && !o.force && !o.dry_run) {
    throw UsageError("refusing to migrate down to version " + std::to_string(target)
                         + ": it drops tables that hold rows: " + holding,
                     "Back the database up, then pass --force; --dry-run lists every table it would drop.");
  }
  for (auto it = set.rbegin(); it != set.rend(); ++it) {
    const auto& m = *it;
    if (m.version > from || m.version <= target) continue;
    if (o.dry_run) {
      for (const std::string& d : drops[m.version]) ctx.out << "-- drops table " << d << "\n";
      print_sql(ctx, m.down_file, m.down_in_transaction, m.down_sql);
    } else {
      print_step(ctx, Step::reverted, stem(m.version, m.name), migrator.apply_down(m));
    }
  }
  if (!o.dry_run) migrator.unlock();
  if (!ctx.quiet && !o.dry_run) {
    ctx.err << ctx.tool_name << ": migrated from version " << from << " down to " << target << "\n";
  }
  return exit_ok;
}

int status(cli::Context& ctx, const Options& o, db::Session& session, bool verify_only) {
  const auto set = load_set(o);
  db::Migrator migrator{session};
  const auto applied = migrator.applied();
  const auto problems = compare(set, applied);
  if (verify_only) {
    for (const auto& p : problems) spdlog::error("{}", p);
    if (!ctx.quiet && problems.empty()) {
      ctx.out << "verified " << applied.size() << " applied migration(s): checksums match\n";
    }
    return problems.empty() ? exit_ok : exit_check_failed;
  }
  const auto rows = status_rows(set, applied);
  print_status(ctx, o, rows);
  long long pending = 0;
  for (const auto& r : rows) pending += r.state == State::pending ? 1 : 0;
  for (const auto& p : problems) spdlog::warn("{}", p);
  if (!ctx.quiet) {
    ctx.err << ctx.tool_name << ": version " << current_version(applied) << ", " << pending
            << " pending, " << problems.size() << " problem(s)\n";
  }
  if (o.exit_code && (pending > 0 || !problems.empty())) return exit_check_failed;
  return exit_ok;
}

int create(cli::Context& ctx, const Options& o) {
  std::string dir = o.dir;
  if (dir.empty()) {
    if (!std::filesystem::is_directory("sql")) {
      throw UsageError("no migration directory: run in the source tree or pass --dir");
    }
    dir = "sql";
  }
  const auto set = migrate::load(migrate::read_dir(dir));
  const std::string s = migrate::next_stem(set, o.new_name);
  const auto up_path = std::filesystem::path(dir) / (s + ".up.sql");
  const auto down_path = std::filesystem::path(dir) / (s + ".down.sql");
  if (o.dry_run) {
    ctx.out << "would create " << up_path.string() << "\nwould create " << down_path.string() << "\n";
    return exit_ok;
  }
  {
    std::ofstream f(up_path);
    // The hint quotes the marker inside a sentence, which (unlike the marker
    // on a line of its own) leaves the migration in its transaction.
    f << "-- " << o.new_name << ": describe the change here.\n"
      << "-- For a single statement that cannot run in a transaction, add a line\n"
      << "-- reading exactly \"" << migrate::no_transaction_marker << "\" to this block.\n\n";
    if (!f) throw Error("could not write \"" + up_path.string() + "\"");
  }
  {
    std::ofstream f(down_path);
    f << "-- Revert " << s << ".\n\n";
    if (!f) throw Error("could not write \"" + down_path.string() + "\"");
  }
  ctx.out << up_path.string() << "\n" << down_path.string() << "\n";
  return exit_ok;
}

}  // namespace briefos::migrate_command
