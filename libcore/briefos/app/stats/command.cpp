// SPDX-License-Identifier: MIT
//
// briefos-stats's entry point: options are checked before the database is
// contacted (options.cpp), then one session reads and renders the report
// (service.cpp) and the text is written out (output.cpp).
#include "briefos/app/stats/command.hpp"

#include "briefos/app/stats/options.hpp"
#include "briefos/app/stats/output.hpp"
#include "briefos/app/stats/service.hpp"
#include "briefos/db/session.hpp"

#include <memory>

namespace briefos::app::stats {

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto options = std::make_shared<Options>();
  declare(tool, *options);
  return [options](cli::Context& ctx) -> int {
    const Request request = validate(*options, ctx);
    const auto session = db::Session::open(ctx.database_url, ctx.tool_name);
    const Produced produced = produce(*session, request, ctx.quiet);
    write_output(ctx, request.output, produced.text);
    return produced.status;
  };
}

}  // namespace briefos::app::stats
