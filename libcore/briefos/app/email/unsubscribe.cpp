// SPDX-License-Identifier: MIT
//
// `briefos-email unsubscribe TOKEN`: what a List-Unsubscribe token does,
// for a mail pipeline (the mailto address) or an operator. Policy: the one
// home of the effect is the SQL function briefos_unsubscribe (migration
// 0010), which the web tier's one-click endpoint calls too: it opts the
// token's user out of brief emails, suppresses the address ('unsubscribed')
// and records an 'unsubscribed' tracking event, once; a second call
// changes nothing. An unknown token is exit 1 here (an operator wants to
// know); the web tier answers 200 whatever the function returns.
#include "briefos/app/email/commands.hpp"

#include "briefos/error.hpp"

#include <memory>

namespace briefos::app::email {

Subcommand add_unsubscribe(cli::Tool& tool, Options& o) {
  auto token = std::make_shared<std::string>();
  CLI::App* sub = tool.app().add_subcommand("unsubscribe", "Opt out the recipient of TOKEN (List-Unsubscribe)");
  sub->add_option("token", *token, "Unsubscribe token, or a mailto local part unsubscribe+TOKEN")
      ->type_name("TOKEN")
      ->required();
  add_dry_run_flag(*sub, o, "Say what would change; change nothing");
  add_json_flag(*sub, o, "One JSON line on stdout");
  return {sub, [](cli::Context&) -> int { throw Error("unsubscribe: not implemented yet"); }};
}

}  // namespace briefos::app::email
