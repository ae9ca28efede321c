// SPDX-License-Identifier: MIT
#pragma once

// briefos-email's operator subcommands, each in its own file: its options
// are declared on a CLI11 subcommand of `tool` and its body is returned in
// a Subcommand (options.hpp), which command.cpp runs when it was given. To
// add one: a file app/email/<name>.cpp defining add_<name>(), its line
// here and its line in add_options() (options.cpp).
//
//   resend        (resend.cpp)        a new email for an old one, queued
//   suppress, unsuppress, suppressions (suppressions.cpp)
//   unsubscribe   (unsubscribe.cpp)   the List-Unsubscribe token's effect
//   bounces       (bounces.cpp)       DSN and ARF reports: bounces, complaints

#include "briefos/app/email/options.hpp"
#include "briefos/cli.hpp"

namespace briefos::app::email {

Subcommand add_resend(cli::Tool& tool, Options& o);
Subcommand add_suppress(cli::Tool& tool, Options& o);
Subcommand add_unsuppress(cli::Tool& tool, Options& o);
Subcommand add_suppressions(cli::Tool& tool, Options& o);
Subcommand add_unsubscribe(cli::Tool& tool, Options& o);
Subcommand add_bounces(cli::Tool& tool, Options& o);

}  // namespace briefos::app::email
