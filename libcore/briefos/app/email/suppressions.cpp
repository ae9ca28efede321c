// SPDX-License-Identifier: MIT
//
// `briefos-email suppress`, `unsuppress` and `suppressions`: the
// suppression list by hand. Policy: addresses are stored lower-cased (the
// table's CHECK); suppress adds an address that is not there and leaves an
// existing entry as it is (its reason and time are the history an operator
// needs), unsuppress deletes one; each prints what it changed, so a second
// run prints "already ..." and changes nothing (exit 0).
#include "briefos/app/email/commands.hpp"

#include "briefos/error.hpp"

#include <memory>

namespace briefos::app::email {

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

}  // namespace

Subcommand add_suppress(cli::Tool& tool, Options& o) {
  auto s = std::make_shared<SuppressOptions>();
  CLI::App* sub = tool.app().add_subcommand("suppress", "Never send to ADDRESS again");
  sub->add_option("address", s->address, "Email address")->type_name("ADDRESS")->required();
  sub->add_option("--reason", s->reason, "manual (default), unsubscribed, hard_bounce, complaint")
      ->type_name("REASON");
  sub->add_option("--detail", s->detail, "A note kept with the suppression")->type_name("TEXT");
  add_dry_run_flag(*sub, o, "Say what would change; change nothing");
  add_json_flag(*sub, o, "One JSON line on stdout");
  return {sub, [](cli::Context&) -> int { throw Error("suppress: not implemented yet"); }};
}

Subcommand add_unsuppress(cli::Tool& tool, Options& o) {
  auto s = std::make_shared<SuppressOptions>();
  CLI::App* sub = tool.app().add_subcommand("unsuppress", "Lift the suppression of ADDRESS");
  sub->add_option("address", s->address, "Email address")->type_name("ADDRESS")->required();
  add_dry_run_flag(*sub, o, "Say what would change; change nothing");
  add_json_flag(*sub, o, "One JSON line on stdout");
  return {sub, [](cli::Context&) -> int { throw Error("unsuppress: not implemented yet"); }};
}

Subcommand add_suppressions(cli::Tool& tool, Options& o) {
  auto l = std::make_shared<ListOptions>();
  CLI::App* sub = tool.app().add_subcommand("suppressions", "List suppressed addresses, newest first");
  sub->add_option("--reason", l->reason, "Only this reason")->type_name("REASON");
  sub->add_option("--since", l->since, "Added at or after: 2h, 7d, instant or date (UTC)")->type_name("WHEN");
  add_json_flag(*sub, o, "One JSON line per address");
  return {sub, [](cli::Context&) -> int { throw Error("suppressions: not implemented yet"); }};
}

}  // namespace briefos::app::email
