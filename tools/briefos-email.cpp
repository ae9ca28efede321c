// SPDX-License-Identifier: MIT
// briefos-email: deliver queued brief emails over SMTP, to a Maildir or a webhook.
#include <briefos/app/email/command.hpp>
#include <briefos/cli.hpp>

int main(int argc, char** argv) {
  briefos::cli::Tool tool{"briefos-email", "Deliver queued daily-brief emails, each exactly once."};
  const auto body = briefos::app::email::setup(tool);
  return tool.run(argc, argv, body);
}
