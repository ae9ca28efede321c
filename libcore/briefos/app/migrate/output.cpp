// SPDX-License-Identifier: MIT
//
// briefos-migrate's output. stdout carries the data (the steps done, the
// status rows, --dry-run's SQL, the files `new` created); diagnostics and
// summaries go to stderr. The status table's columns are fixed widths, the
// JSON lines' keys in a fixed order.
#include "briefos/app/migrate/output.hpp"
#include "briefos/util/json_line.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace briefos::migrate_command {

std::string stem(int version, const std::string& name) {
  char v[16];
  std::snprintf(v, sizeof v, "%04d", version);
  return std::string(v) + "_" + name;
}

void print_sql(cli::Context& ctx, const std::string& file, bool in_transaction, const std::string& sql) {
  ctx.out << "-- " << file << (in_transaction ? "" : " (outside a transaction)") << "\n"
          << sql << (sql.ends_with('\n') ? "" : "\n") << "\n";
}

void print_step(cli::Context& ctx, Step step, const std::string& stem, long long ms) {
  if (!ctx.quiet) {
    ctx.out << (step == Step::applied ? "applied " : "reverted ") << stem << " (" << ms << " ms)\n";
  }
  ctx.out.flush();
}

const char* to_string(State s) {
  switch (s) {
    case State::pending: return "pending";
    case State::applied: return "applied";
    case State::drifted: return "drifted";
    case State::missing: return "missing";
  }
  return "unknown";
}

void print_status(cli::Context& ctx, const Options& o, const std::vector<StatusRow>& rows) {
  if (!o.json) ctx.out << "version  name                                      state     applied_at\n";
  for (const auto& r : rows) {
    if (o.json) {
      // A missing migration (a history row without a file) always has an
      // applied_at; a pending one has none, printed as null.
      nlohmann::ordered_json j{{"version", r.version},
                               {"name", r.name},
                               {"state", to_string(r.state)},
                               {"applied_at", r.applied_at.empty() && r.state != State::missing
                                                  ? nlohmann::ordered_json()
                                                  : nlohmann::ordered_json(r.applied_at)}};
      ctx.out << util::json_line(j);
    } else {
      char line[256];
      std::snprintf(line, sizeof line, "%04d     %-41s %-9s %s\n", r.version, r.name.c_str(),
                    to_string(r.state), r.applied_at.c_str());
      ctx.out << line;
    }
  }
}

}  // namespace briefos::migrate_command
