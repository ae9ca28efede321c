// SPDX-License-Identifier: MIT
//
// `briefos-email bounces` (see bounces.hpp): its options, the Maildir walk
// and standard input, and the turning of each parsed report into the
// store's notices. Each message is recorded in one transaction, committed
// before the file moves to cur/: a crash between the two leaves the file in
// new/, and reading it again finds it recorded (idempotent by the report's
// key), so nothing is lost or counted twice.
#include "briefos/app/email/bounces.hpp"

#include "briefos/app/email/commands.hpp"

#include "briefos/db/bounce_store.hpp"
#include "briefos/db/session.hpp"
#include "briefos/error.hpp"
#include "briefos/mail/dsn.hpp"
#include "briefos/util/text.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace briefos::app::email {

namespace {

namespace fs = std::filesystem;
namespace store = db::bounce_store;

// A message larger than this is no bounce report of ours (they quote our
// message's headers, or a brief): it is left for a human unread.
constexpr std::uintmax_t max_message_bytes = 16U << 20U;

struct Counts {
  int messages = 0, hard = 0, soft = 0, complaints = 0, duplicates = 0, nothing = 0, left = 0;
};

// What one message came to.
enum class Outcome { recorded, left_for_human };

store::Kind store_kind(mail::dsn::Kind k) {
  switch (k) {
    case mail::dsn::Kind::soft_bounce: return store::Kind::soft_bounce;
    case mail::dsn::Kind::complaint: return store::Kind::complaint;
    case mail::dsn::Kind::hard_bounce:
    case mail::dsn::Kind::none: break;
  }
  return store::Kind::hard_bounce;
}

const char* kind_word(mail::dsn::Kind k) {
  switch (k) {
    case mail::dsn::Kind::hard_bounce: return "hard";
    case mail::dsn::Kind::soft_bounce: return "soft";
    case mail::dsn::Kind::complaint: return "complaint";
    case mail::dsn::Kind::none: break;
  }
  return "none";
}

store::Notice notice_for(const mail::dsn::Report& r, const mail::dsn::Recipient& rc) {
  store::Notice n;
  n.report_id = r.key;
  n.kind = store_kind(rc.kind);
  n.message_id = r.original_message_id;
  n.email_id = mail::dsn::email_id_of_message_id(r.original_message_id);
  if (n.email_id.empty() && r.original_message_id.empty() && !r.verp_email_ids.empty()) {
    n.email_id = r.verp_email_ids.front();
  }
  n.address = rc.address;
  n.status = rc.status;
  const nlohmann::json detail = {
      {"kind", kind_word(rc.kind)},
      {"source", r.type == mail::dsn::Report::Type::feedback ? "arf" : "dsn"},
      {"report_id", r.key},
      {"action", rc.action},
      {"status", rc.status},
      {"diagnostic", rc.diagnostic},
      {"reported_recipient", rc.address},
      {"reporting_mta", r.reporting_mta},
  };
  n.detail_json = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (r.type == mail::dsn::Report::Type::feedback) {
    n.summary = rc.action + " report" + (r.reporting_mta.empty() ? "" : " from " + r.reporting_mta);
  } else {
    n.summary = rc.status + (rc.diagnostic.empty() ? "" : " " + rc.diagnostic);
  }
  n.summary = n.summary.substr(0, 500) + " (report " + r.key.substr(0, 200) + ")";
  return n;
}

class Run {
public:
  Run(cli::Context& ctx, const BouncesOptions& o)
      : m_ctx(ctx), m_session(db::Session::open(ctx.database_url, ctx.tool_name)) {
    m_policy.soft_limit = o.soft_bounce_limit;
    m_policy.soft_window = std::chrono::hours(24LL * o.soft_bounce_window_days);
  }

  // Record the message `name` holds; say what came of it.
  Outcome message(const std::string& name, const mail::dsn::Parsed& p) {
    ++m_counts.messages;
    if (!p.ok) return left(name, p.error);
    const mail::dsn::Report& r = p.report;
    std::vector<std::string> said;
    std::vector<std::string> unmatched;
    db::in_transaction(*m_session, [&](db::Transaction& tx) {
      for (const auto& rc : r.recipients) {
        if (rc.kind == mail::dsn::Kind::none) {
          said.push_back("nothing to record (" + rc.action + " " + rc.address + ")");
          continue;
        }
        const store::Recorded rec = store::record(tx, notice_for(r, rc), m_policy);
        if (rec.state == store::State::unmatched) {
          unmatched.push_back(rec.why);
        } else {
          said.push_back(describe(rc.kind, rec));
        }
      }
    });
    if (said.empty()) return left(name, unmatched.empty() ? "no recipient" : unmatched.front());
    for (const auto& why : unmatched) spdlog::warn("{}: one recipient is unmatched: {}", name, why);
    for (const auto& s : said) {
      if (s.rfind("nothing", 0) == 0) ++m_counts.nothing;
      m_ctx.out << name << ": " << s << "\n";
    }
    return Outcome::recorded;
  }

  void summary() const {
    if (m_ctx.quiet) return;
    m_ctx.err << m_ctx.tool_name << ": bounces: " << m_counts.messages << " messages read: " << m_counts.hard
              << " hard bounces, " << m_counts.soft << " soft bounces, " << m_counts.complaints
              << " complaints, " << m_counts.duplicates << " already recorded, " << m_counts.nothing
              << " nothing to record, " << m_counts.left << " left for a human\n";
  }

  bool maildir = false;

private:
  std::string describe(mail::dsn::Kind kind, const store::Recorded& rec) {
    std::string s = std::string(mail::dsn::to_string(kind)) + " " + rec.address + " email " + rec.email_id;
    if (rec.state == store::State::duplicate) {
      ++m_counts.duplicates;
      return "already recorded (" + s + ")";
    }
    if (kind == mail::dsn::Kind::hard_bounce) ++m_counts.hard;
    if (kind == mail::dsn::Kind::soft_bounce) {
      ++m_counts.soft;
      s += ", soft bounce " + std::to_string(rec.soft_count) + " of " + std::to_string(m_policy.soft_limit);
    }
    if (kind == mail::dsn::Kind::complaint) ++m_counts.complaints;
    if (rec.suppressed) s += ", suppressed";
    if (rec.opted_out) s += ", opted out";
    return s;
  }

  Outcome left(const std::string& name, const std::string& why) {
    ++m_counts.left;
    spdlog::warn("{}: {}; left for a human{}", name, why, maildir ? " (in cur/, flagged)" : "");
    return Outcome::left_for_human;
  }

  cli::Context& m_ctx;
  std::unique_ptr<db::Session> m_session;
  store::Policy m_policy;
  Counts m_counts;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error("could not read \"" + p.string() + "\"");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Maildir: new/NAME -> cur/NAME:2,FLAGS (a name holding an info part
// already has it replaced).
void move_to_cur(const fs::path& dir, const std::string& name, const char* flags) {
  std::string base = name.substr(0, name.find(':'));
  fs::rename(dir / "new" / name, dir / "cur" / (base + ":2," + flags));
}

int run_maildir(cli::Context& ctx, const BouncesOptions& o) {
  const fs::path dir = o.maildir;
  std::error_code ec;
  if (!fs::is_directory(dir / "new", ec) || !fs::is_directory(dir / "cur", ec)) {
    throw UsageError("\"" + o.maildir + "\" is not a Maildir (it needs new/ and cur/)");
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir / "new")) {
    const std::string n = e.path().filename().string();
    if (e.is_regular_file() && n.front() != '.') names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  Run run(ctx, o);
  run.maildir = true;
  for (const std::string& n : names) {
    const fs::path path = dir / "new" / n;
    mail::dsn::Parsed p;
    if (fs::file_size(path, ec) > max_message_bytes) {
      p.error = "larger than 16 MiB: no bounce report";
    } else {
      p = mail::dsn::parse(read_file(path));
    }
    const Outcome outcome = run.message("new/" + n, p);
    move_to_cur(dir, n, outcome == Outcome::recorded ? "S" : "F");
  }
  run.summary();
  return exit_ok;
}

int run_stdin(cli::Context& ctx, const BouncesOptions& o) {
  std::ostringstream s;
  s << std::cin.rdbuf();
  const std::string data = s.str();
  const auto items = mail::dsn::parse_input(data);
  Run run(ctx, o);
  for (std::size_t i = 0; i < items.size(); ++i) {
    run.message(items.size() == 1 ? "stdin" : "stdin#" + std::to_string(i + 1), items[i]);
  }
  run.summary();
  return exit_ok;
}

}  // namespace

CLI::App* add_bounces_command(CLI::App& app, BouncesOptions& o) {
  CLI::App* sub = app.add_subcommand("bounces", "Record bounce (DSN) and complaint (ARF) reports");
  sub->fallthrough();
  sub->add_option("--maildir", o.maildir, "The Maildir to read (default: stdin)")
      ->type_name("DIR");
  sub->add_option("--soft-bounce-limit", o.soft_bounce_limit,
                  "Soft bounces that suppress an address (0: never)")
      ->type_name("N")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  sub->add_option("--soft-bounce-window", o.soft_bounce_window_days, "Days in which they count")
      ->type_name("DAYS")
      ->check(CLI::Range(1, 365))
      ->capture_default_str();
  return sub;
}

int run_bounces(cli::Context& ctx, const BouncesOptions& o) {
  return o.maildir.empty() ? run_stdin(ctx, o) : run_maildir(ctx, o);
}

Subcommand add_bounces(cli::Tool& tool, Options&) {
  auto o = std::make_shared<BouncesOptions>();
  CLI::App* app = add_bounces_command(tool.app(), *o);
  return {app, [o](cli::Context& ctx) { return run_bounces(ctx, *o); }};
}

}  // namespace briefos::app::email
