// SPDX-License-Identifier: MIT
//
// `briefos-email resend`: a new email for an old one. Policy: resend only
// queues. It inserts a new daily-brief email linked to the original
// (emails.resent_from), copied from it by the database function
// briefos_resend_email (migration 0010), with the user's current address as
// its recipient, a new tracking id, unsubscribe token and, when sent, a new
// Message-ID (briefos.<new id>@...); and its generate_brief_email job
// (jobs.hpp), so the worker delivers it the normal way. A suppressed
// address or an opted-out user is refused (exit 1) unless --force, which
// marks the new email to be sent despite either (emails.forced).
#include "briefos/app/email/commands.hpp"

#include "briefos/error.hpp"

#include <memory>

namespace briefos::app::email {

namespace {

struct ResendOptions {
  std::string email_id;
  std::string user;
  std::string date;
  bool force = false;
};

}  // namespace

Subcommand add_resend(cli::Tool& tool, Options& o) {
  auto r = std::make_shared<ResendOptions>();
  CLI::App* sub = tool.app().add_subcommand("resend", "Queue a new email for an old one (new Message-ID)");
  sub->add_option("email", r->email_id, "Email id to resend")->type_name("EMAIL_ID");
  sub->add_option("--user", r->user, "With --date: the brief email of this user (id or email)")
      ->type_name("ID|EMAIL");
  sub->add_option("--date", r->date, "With --user: the brief date")->type_name("YYYY-MM-DD");
  sub->add_flag("--force", r->force, "Send even to a suppressed address or an opted-out user");
  add_dry_run_flag(*sub, o, "Say what would be queued; write nothing");
  add_json_flag(*sub, o, "One JSON line on stdout");
  return {sub, [](cli::Context&) -> int { throw Error("resend: not implemented yet"); }};
}

}  // namespace briefos::app::email
