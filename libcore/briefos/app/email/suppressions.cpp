// SPDX-License-Identifier: MIT
//
// `briefos-email suppress`, `unsuppress` and `suppressions`: the
// suppression list by hand. Policy: addresses are stored lower-cased (the
// table's CHECK); suppress adds an address that is not there and leaves an
// existing entry as it is (its reason and time are the history an operator
// needs: to change the reason, unsuppress first), unsuppress deletes one;
// each prints what it changed, so a second run prints "already ..." and
// changes nothing (exit 0). --dry-run runs the same statements and rolls
// them back.
#include "briefos/app/email/commands.hpp"
#include "briefos/app/email/operations.hpp"

#include "briefos/db/email_admin.hpp"
#include "briefos/db/session.hpp"
#include "briefos/error.hpp"

#include <memory>

namespace briefos::app::email {

namespace ea = db::email_admin;

namespace {

struct SuppressOptions {
  std::string address;
  std::string reason = "manual";
  std::string detail;
};

struct ListOptions {
  std::string reason;
  std::string since;
};

// One line for a change: JSON, or "[would ]VERB ADDRESS (...)".
void change_line(cli::Context& ctx, const Options& o, const std::string& command, bool changed,
                 const std::string& address, const std::optional<ea::Suppression>& entry, const std::string& text) {
  if (o.json) {
    nlohmann::json j{{"command", command}, {"address", address}, {"changed", changed}, {"dry_run", o.dry_run}};
    j["suppression"] = entry ? to_json(*entry) : nlohmann::json(nullptr);
    ctx.out << j.dump() << "\n";
  } else {
    ctx.out << text << "\n";
  }
}

}  // namespace

Subcommand add_suppress(cli::Tool& tool, Options& o) {
  auto s = std::make_shared<SuppressOptions>();
  CLI::App* sub = tool.app().add_subcommand("suppress", "Never send to ADDRESS again");
  sub->add_option("address", s->address, "Email address")->type_name("ADDRESS")->required();
  sub->add_option("--reason", s->reason, "manual, unsubscribed, hard_bounce, complaint")
      ->type_name("REASON");
  sub->add_option("--detail", s->detail, "A note kept with the suppression")->type_name("TEXT");
  add_dry_run_flag(*sub, o, "Say what would change; change nothing");
  add_json_flag(*sub, o, "One JSON line on stdout");
  return {sub, [&o, s](cli::Context& ctx) -> int {
            const std::string address = checked_address(s->address);
            const std::string reason = checked_reason("--reason", s->reason);
            auto session = db::Session::open(ctx.database_url, ctx.tool_name);
            db::Transaction tx{*session};
            const ea::Suppressed r = ea::suppress(
                tx, address, reason, s->detail.empty() ? std::nullopt : std::optional<std::string>(s->detail));
            if (!o.dry_run) tx.commit();
            const std::string verb = r.added ? (o.dry_run ? "would suppress " : "suppressed ") : "already suppressed ";
            std::string text = verb + address + " (" + r.entry.reason;
            if (!r.added) text += " since " + r.entry.created_at;
            change_line(ctx, o, "suppress", r.added, address, r.entry, text + ")");
            return exit_ok;
          }};
}

Subcommand add_unsuppress(cli::Tool& tool, Options& o) {
  auto s = std::make_shared<SuppressOptions>();
  CLI::App* sub = tool.app().add_subcommand("unsuppress", "Lift the suppression of ADDRESS");
  sub->add_option("address", s->address, "Email address")->type_name("ADDRESS")->required();
  add_dry_run_flag(*sub, o, "Say what would change; change nothing");
  add_json_flag(*sub, o, "One JSON line on stdout");
  return {sub, [&o, s](cli::Context& ctx) -> int {
            const std::string address = checked_address(s->address);
            auto session = db::Session::open(ctx.database_url, ctx.tool_name);
            db::Transaction tx{*session};
            const auto removed = ea::unsuppress(tx, address);
            if (!o.dry_run) tx.commit();
            const std::string text =
                removed ? (o.dry_run ? "would unsuppress " : "unsuppressed ") + address + " (was " + removed->reason
                              + " since " + removed->created_at + ")"
                        : "not suppressed: " + address;
            change_line(ctx, o, "unsuppress", removed.has_value(), address, removed, text);
            return exit_ok;
          }};
}

Subcommand add_suppressions(cli::Tool& tool, Options& o) {
  auto l = std::make_shared<ListOptions>();
  CLI::App* sub = tool.app().add_subcommand("suppressions", "List suppressed addresses, newest first");
  sub->add_option("--reason", l->reason, "Only this reason")->type_name("REASON");
  sub->add_option("--since", l->since, "Added at or after: 2h, 7d, instant or date (UTC)")->type_name("WHEN");
  add_json_flag(*sub, o, "One JSON line per address");
  return {sub, [&o, l](cli::Context& ctx) -> int {
            ea::ListFilter f = since_filter(l->since);
            if (!l->reason.empty()) f.reason = checked_reason("--reason", l->reason);
            auto session = db::Session::open(ctx.database_url, ctx.tool_name);
            db::Transaction tx{*session, db::Transaction::Kind::read_only};
            const auto list = ea::suppressions(tx, f);
            for (const ea::Suppression& s : list) ctx.out << (o.json ? to_json(s).dump() : table_row(s)) << "\n";
            if (!ctx.quiet && !o.json) {
              ctx.err << ctx.tool_name << ": " << list.size() << (list.size() == 1 ? " address" : " addresses")
                      << " suppressed\n";
            }
            return exit_ok;
          }};
}

}  // namespace briefos::app::email
