// SPDX-License-Identifier: MIT
//
// briefos-migrate's entry point: a subcommand is required; `new` needs no
// database; the others read the migration set first (so a broken set is
// the error the operator sees even when the database is also unreachable),
// then open one session and run the subcommand (service.cpp).
#include "briefos/app/migrate/command.hpp"

#include "briefos/app/migrate/options.hpp"
#include "briefos/app/migrate/service.hpp"
#include "briefos/error.hpp"

#include <memory>

namespace briefos::migrate_command {

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto o = std::make_shared<Options>();
  add_options(tool, *o);
  return [o](cli::Context& ctx) -> int {
    if (!o->up->parsed() && !o->down->parsed() && !o->status->parsed()
        && !o->verify->parsed() && !o->create->parsed()) {
      throw UsageError("a subcommand is required: up, down, status, verify or new",
                       "Try '" + ctx.tool_name + " --help' for more information.");
    }
    if (o->create->parsed()) return create(ctx, *o);
    // Reading the files twice costs nothing.
    (void)load_set(*o);
    auto session = db::Session::open(ctx.database_url, ctx.tool_name);
    if (o->up->parsed()) return up(ctx, *o, *session);
    if (o->down->parsed()) return down(ctx, *o, *session);
    if (o->status->parsed()) return status(ctx, *o, *session, false);
    return status(ctx, *o, *session, true);
  };
}

}  // namespace briefos::migrate_command
