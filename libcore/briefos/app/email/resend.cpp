// SPDX-License-Identifier: MIT
//
// `briefos-email resend`: a new email for an old one. Policy:
//
// - resend only queues. It inserts a new daily-brief email linked to the
//   original (emails.resent_from), copied by the database function
//   briefos_resend_email (migration 0010) with the user's current address
//   as its recipient and a new tracking id and unsubscribe token, and its
//   generate_brief_email job (jobs::email_job), in one transaction. The
//   worker delivers it the normal way, with a new Message-ID
//   (briefos.<new id>@...) and the brief as it is then.
// - The original is an email id, or the newest email of a user's brief on
//   a date that is not itself a resend (--user, --date).
// - A suppressed address or an opted-out user is refused (exit 1) unless
//   --force, which marks the new email to go out despite either
//   (emails.forced). A missing email, brief or user is exit 1 too; a bad
//   argument or an unknown --user exit 2.
// - Idempotent while it matters: a resend of the same original that is not
//   sent yet is reported ("already queued"), not made twice. Once it was
//   sent, resend makes another.
// - --dry-run runs the same statements and rolls them back.
#include "briefos/app/email/commands.hpp"

#include "briefos/db/brief_source.hpp"
#include "briefos/db/email_admin.hpp"
#include "briefos/db/email_store.hpp"
#include "briefos/db/session.hpp"
#include "briefos/error.hpp"
#include "briefos/util/text.hpp"
#include "briefos/util/time.hpp"

#include <nlohmann/json.hpp>

#include <memory>

namespace briefos::app::email {

namespace ea = db::email_admin;
namespace store = db::email_store;

namespace {

struct ResendOptions {
  std::string email_id;
  std::string user;
  std::string date;
  bool force = false;
};

void check(const ResendOptions& r) {
  const bool by_id = !r.email_id.empty();
  const bool by_date = !r.user.empty() || !r.date.empty();
  if (by_id == by_date) throw UsageError("resend needs an email id, or --user and --date");
  if (by_id && !util::is_uuid(r.email_id)) {
    throw UsageError("invalid email id \"" + r.email_id + "\": expected a UUID");
  }
  if (by_date && (r.user.empty() || r.date.empty())) throw UsageError("--user and --date go together");
  if (by_date && !util::parse_date(r.date)) {
    throw UsageError("invalid value \"" + r.date + "\" for option --date: expected YYYY-MM-DD");
  }
}

// The user of --user (its own read-only transaction, before the resend's);
// "" without --user.
std::string user_of(db::Session& session, const ResendOptions& r) {
  if (r.user.empty()) return "";
  const auto user = db::brief_store::find_user(session, r.user);
  if (!user) throw UsageError("unknown user \"" + r.user + "\"", "Give a user id (UUID) or the user's email address.");
  return user->user.id;
}

// The id of the email to resend; throws when there is none.
std::string original_of(db::Transaction& tx, const ResendOptions& r, const std::string& user_id) {
  if (!r.email_id.empty()) return util::lower(r.email_id);
  const auto id = ea::brief_email_of(tx, user_id, r.date);
  if (!id) {
    throw Error("no brief email for user " + user_id + " on " + r.date,
                "`briefos-stats user " + r.user + "` lists the user's briefs and emails.");
  }
  return *id;
}

// Why `row` must not be resent without --force, if it must not.
std::optional<std::string> refusal(const store::EmailRow& row) {
  const std::string address = row.user_email.value_or("");
  if (row.suppressed) return "the address " + address + " is suppressed (" + *row.suppressed + ")";
  if (row.email_daily_brief != true) return "the user opted out of brief emails";
  return std::nullopt;
}

}  // namespace

Subcommand add_resend(cli::Tool& tool, Options& o) {
  auto r = std::make_shared<ResendOptions>();
  CLI::App* sub = tool.app().add_subcommand("resend", "Queue a new email for an old one");
  sub->add_option("email", r->email_id, "Email id to resend")->type_name("EMAIL_ID");
  sub->add_option("--user", r->user, "With --date: this user's brief (id or email)")
      ->type_name("ID|EMAIL");
  sub->add_option("--date", r->date, "With --user: the brief date")->type_name("YYYY-MM-DD");
  sub->add_flag("--force", r->force, "Send despite suppression or opt-out");
  add_dry_run_flag(*sub, o, "Say what would be queued; write nothing");
  add_json_flag(*sub, o, "One JSON line on stdout");
  return {sub, [&o, r](cli::Context& ctx) -> int {
            check(*r);
            auto session = db::Session::open(ctx.database_url, ctx.tool_name);
            const std::string user_id = user_of(*session, *r);
            db::Transaction tx{*session};
            const std::string original = original_of(tx, *r, user_id);
            const auto row = store::load_email(tx, original, store::Lock::no);
            if (!row) throw Error("no email " + original);
            if (row->category != "daily_brief") throw Error("email " + original + " is not a daily-brief email");
            if (!row->user_exists) throw Error("the user of email " + original + " no longer exists");
            if (!row->brief_id) throw Error("the brief of email " + original + " no longer exists");
            nlohmann::json j{{"command", "resend"}, {"original", original}, {"dry_run", o.dry_run},
                             {"recipient", row->user_email.value_or("")}, {"forced", false}};
            if (const auto active = ea::lock_and_find_resend(tx, original)) {
              j.update({{"changed", false}, {"email_id", active->email_id},
                        {"job_id", active->job_id ? nlohmann::json(*active->job_id) : nlohmann::json(nullptr)}});
              if (o.json) {
                ctx.out << j.dump() << "\n";
              } else {
                ctx.out << "already queued: email " << active->email_id << " resends email " << original << " ("
                        << active->status << (active->job_id ? ", job " + std::to_string(*active->job_id) : "")
                        << ")\n";
              }
              return exit_ok;
            }
            if (const auto why = refusal(*row)) {
              if (!r->force) {
                throw Error("refusing to resend email " + original + ": " + *why,
                            "Give --force to send it anyway.");
              }
              j["forced"] = true;
            }
            const ea::Resent made = ea::resend(tx, original, row->created_by, *row->brief_id, j["forced"].get<bool>());
            if (!o.dry_run) tx.commit();
            j.update({{"changed", true},
                      {"email_id", o.dry_run ? nlohmann::json(nullptr) : nlohmann::json(made.email_id)},
                      {"job_id", o.dry_run ? nlohmann::json(nullptr) : nlohmann::json(made.job_id)}});
            if (o.json) {
              ctx.out << j.dump() << "\n";
            } else if (o.dry_run) {
              ctx.out << "would resend email " << original << " to " << row->user_email.value_or("") << "\n";
            } else {
              ctx.out << "queued email " << made.email_id << " (job " << made.job_id << ") resending email "
                      << original << " to " << row->user_email.value_or("") << (j["forced"].get<bool>() ? " (forced)" : "")
                      << "\n";
            }
            return exit_ok;
          }};
}

}  // namespace briefos::app::email
