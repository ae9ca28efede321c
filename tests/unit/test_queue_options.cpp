// SPDX-License-Identifier: MIT
// briefos-queue's options (app/queue/options): what each command accepts,
// the refusal of a change without ids, filter or --all, the time forms of
// --since and --older-than, and the defaults the man page documents.
#include <briefos/app/queue/options.hpp>
#include <briefos/error.hpp>

#include <doctest/doctest.h>

#include <memory>

namespace aq = briefos::app::queue;
using briefos::UsageError;

namespace {

// Parse `args` (without the program name) as briefos-queue would and
// validate them.
aq::Request parse(const std::string& args) {
  briefos::cli::Tool tool{"briefos-queue", "test"};
  auto options = std::make_shared<aq::Options>();
  aq::declare(tool, *options);
  tool.app().parse(args);
  return aq::validate(*options);
}

std::string usage_error(const std::string& args) {
  try {
    parse(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_SUITE_BEGIN("queue_options");

TEST_CASE("queue options: a change needs ids, a filter or --all") {
  CHECK(usage_error("--tz UTC retry").rfind("refusing to retry without job ids or a filter", 0) == 0);
  CHECK(usage_error("--tz UTC cancel --status pending").rfind("refusing to cancel", 0) == 0);
  CHECK(usage_error("--tz UTC retry --dry-run").rfind("refusing to retry", 0) == 0);
  CHECK(usage_error("--tz UTC retry --all --type other") == "--all cannot be used with job ids or filters");
  const aq::Request all = parse("--tz UTC retry --all");
  CHECK(all.command == aq::Command::retry);
  CHECK(all.filter.ids.empty());
  CHECK(all.filter.types.empty());
  CHECK(parse("--tz UTC cancel 4 5").filter.ids == std::vector<long long>{4, 5});
  CHECK(parse("--tz UTC cancel --user ada@example.org").user == "ada@example.org");
  CHECK(parse("--tz UTC retry --since 2h").filter.since.set());
  CHECK(parse("--tz UTC cancel --older-than 1d -n").dry_run);
}

TEST_CASE("queue options: ids, statuses and types") {
  CHECK(usage_error("--tz UTC retry 12 abc") == "invalid job id \"abc\": expected a positive integer");
  CHECK(usage_error("--tz UTC retry 0") == "invalid job id \"0\": expected a positive integer");
  CHECK(usage_error("--tz UTC show 1x") == "invalid job id \"1x\": expected a positive integer");
  CHECK(usage_error("--tz UTC retry --all --status pending")
        == "invalid value \"pending\" for option --status: must be one of failed, cancelled");
  CHECK(usage_error("--tz UTC cancel --all --status failed")
        == "invalid value \"failed\" for option --status: must be one of pending, processing");
  CHECK(usage_error("--tz UTC list --status retrying").find("for option --status") != std::string::npos);
  const aq::Request r = parse("--tz UTC list --type a,b --type c --status failed,cancelled");
  CHECK(r.filter.types == std::vector<std::string>{"a", "b", "c"});
  CHECK(r.filter.statuses == std::vector<std::string>{"failed", "cancelled"});
  CHECK(parse("--tz UTC show 42").id == 42);
}

TEST_CASE("queue options: --since and --older-than take a duration, an instant or a date") {
  const aq::Request ago = parse("--tz UTC list --since 90m");
  REQUIRE(ago.filter.since.ago);
  CHECK(ago.filter.since.ago->count() == 5400);
  CHECK_FALSE(ago.filter.since.at);
  const aq::Request at = parse("--tz UTC list --older-than 2026-03-08T07:30:00Z");
  REQUIRE(at.filter.before.at);
  CHECK(at.filter.before.at->time_since_epoch().count() == 1772955000LL * 1000000);
  // A date is its midnight in --tz: 2026-03-08 00:00 in Berlin is 23:00Z the day before.
  const aq::Request day = parse("--tz Europe/Berlin list --since 2026-03-08");
  REQUIRE(day.filter.since.at);
  CHECK(day.filter.since.at->time_since_epoch().count() == (1772955000LL - 8 * 3600 - 1800) * 1000000);
  CHECK(usage_error("--tz UTC list --since yesterday").rfind("invalid value \"yesterday\" for option --since", 0)
        == 0);
}

TEST_CASE("queue options: formats, zone, limit and prune's defaults") {
  const aq::Request list = parse("--tz UTC list");
  CHECK(list.filter.limit == 100);
  CHECK(list.format == briefos::stats::Format::table);
  CHECK(parse("--tz UTC --json list").format == briefos::stats::Format::json);
  CHECK(parse("--tz UTC -f csv list --limit 0").filter.limit == 0);
  CHECK(usage_error("--tz UTC list --limit -1").find("for option --limit") != std::string::npos);
  CHECK(usage_error("--tz UTC -f prometheus list").find("must be one of table, json, csv") != std::string::npos);
  CHECK(usage_error("--tz UTC --json -f csv list") == "--json and --format csv cannot be used together");
  CHECK(usage_error("--tz UTC -f csv show 1") == "show has no csv format");
  CHECK(usage_error("--tz Mars/Base list").find("unknown time zone") != std::string::npos);
  const aq::Request prune = parse("--tz UTC prune");
  CHECK(prune.command == aq::Command::prune);
  CHECK(prune.retention.count() == 14 * 24 * 3600);
  CHECK(prune.batch_size == 10000);
  CHECK_FALSE(prune.dry_run);
  CHECK(parse("--tz UTC prune --older-than 36h --batch-size 500 --dry-run").retention.count() == 36 * 3600);
  CHECK(usage_error("--tz UTC prune --older-than 0").find("for option --older-than") != std::string::npos);
  CHECK(usage_error("--tz UTC prune --older-than 2026-03-08").find("positive duration") != std::string::npos);
  CHECK(usage_error("--tz UTC prune --batch-size 0").find("between 1 and 100000") != std::string::npos);
  CHECK(usage_error("--tz UTC cancel 1 --reason ' '") == "invalid value for option --reason: must not be empty");
}

TEST_SUITE_END();
