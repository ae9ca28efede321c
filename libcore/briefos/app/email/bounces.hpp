// SPDX-License-Identifier: MIT
#pragma once

// `briefos-email bounces`: read delivery status notifications (RFC 3464)
// and abuse reports (ARF, RFC 5965) from a Maildir or standard input, and
// record what they say about our emails (mail/dsn reads them, the policy of
// what is recorded lives in db/bounce_store).
//
// Maildir: every file in DIR/new is read in name order. One whose reports
// were recorded (or were recorded before, or say nothing to record, such as
// a "delayed" warning) moves to DIR/cur with the info ":2,S" (seen). One
// that is no report, cannot be parsed or is about no email of ours is left
// for a human: it moves to DIR/cur with ":2,F" (flagged, not seen, so a
// mail client shows it), a warning names the file and the reason, and the
// next run does not read it again. Standard input holds one message, or an
// mbox (it starts with "From "). Each report is recorded once, whichever way
// it arrives: a second run changes nothing.

#include "briefos/cli.hpp"

#include <string>

namespace briefos::app::email {

struct BouncesOptions {
  std::string maildir;  // "" : standard input
  int soft_bounce_limit = 3;
  int soft_bounce_window_days = 7;
};

// Declare the `bounces` subcommand on `app`, bound to `o`. Returns it, so
// the caller can tell whether it was given (CLI::App::parsed()).
CLI::App* add_bounces_command(CLI::App& app, BouncesOptions& o);

// Run it. Exit 0 when every message was read (those left for a human are
// warned about); a database error ends the run as everywhere else.
int run_bounces(cli::Context& ctx, const BouncesOptions& o);

}  // namespace briefos::app::email
