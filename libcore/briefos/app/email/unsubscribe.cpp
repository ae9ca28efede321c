// SPDX-License-Identifier: MIT
//
// `briefos-email unsubscribe TOKEN`: what a List-Unsubscribe token does,
// for a mail pipeline (the mailto address) or an operator. Policy: the one
// home of the effect is the SQL function briefos_unsubscribe (migration
// 0010), which the web tier's one-click endpoint calls too: it opts the
// token's user out of brief emails, suppresses the address ('unsubscribed')
// and records an 'unsubscribed' tracking event, once; a second call
// changes nothing (exit 0, "already unsubscribed"). An unknown token is
// exit 1 here (an operator or a pipeline wants to know; the web tier
// answers 200 whatever the function returns). --dry-run calls the function
// and rolls it back.
#include "briefos/app/email/commands.hpp"
#include "briefos/app/email/operations.hpp"

#include "briefos/db/email_admin.hpp"
#include "briefos/db/session.hpp"
#include "briefos/error.hpp"

#include <memory>

namespace briefos::app::email {

namespace ea = db::email_admin;

Subcommand add_unsubscribe(cli::Tool& tool, Options& o) {
  auto token = std::make_shared<std::string>();
  CLI::App* sub = tool.app().add_subcommand("unsubscribe", "Opt out the recipient of TOKEN");
  sub->add_option("token", *token, "Token, or unsubscribe+TOKEN@DOMAIN")
      ->type_name("TOKEN")
      ->required();
  add_dry_run_flag(*sub, o, "Say what would change; change nothing");
  add_json_flag(*sub, o, "One JSON line on stdout");
  return {sub, [&o, token](cli::Context& ctx) -> int {
            const std::string t = unsubscribe_token_of(*token);
            auto session = db::Session::open(ctx.database_url, ctx.tool_name);
            db::Transaction tx{*session};
            const ea::UnsubscribeResult r = ea::unsubscribe(tx, t);
            if (!o.dry_run) tx.commit();
            const bool known = r.outcome != ea::Unsubscribed::unknown_token;
            if (o.json) {
              auto opt = [](const std::optional<std::string>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
              ctx.out << nlohmann::json{{"command", "unsubscribe"},
                                        {"outcome", to_string(r.outcome)},
                                        {"changed", r.outcome == ea::Unsubscribed::unsubscribed},
                                        {"dry_run", o.dry_run},
                                        {"email_id", opt(r.email_id)},
                                        {"user_id", opt(r.user_id)},
                                        {"address", opt(r.address)}}
                             .dump()
                      << "\n";
            } else if (known) {
              const bool changed = r.outcome == ea::Unsubscribed::unsubscribed;
              ctx.out << (changed && o.dry_run ? "would unsubscribe " : changed ? "unsubscribed " : "already unsubscribed: ")
                      << r.address.value_or("") << " (user " << r.user_id.value_or("") << ", email "
                      << r.email_id.value_or("") << ")\n";
            }
            if (!known) {
              throw Error("unknown unsubscribe token",
                          "The token is the recipient's unsubscribe_token; the email may have been deleted.");
            }
            return exit_ok;
          }};
}

}  // namespace briefos::app::email
