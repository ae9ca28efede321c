// SPDX-License-Identifier: MIT
// briefos::stats document cells (stats/document.hpp): how each kind of
// value reads for people and for machines, and the text guards.
#include <briefos/stats/document.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>

namespace st = briefos::stats;
namespace sd = briefos::stats::detail;

TEST_SUITE_BEGIN("stats");

TEST_CASE("stats document: machine numbers are short and exact enough") {
  CHECK(sd::number(3) == "3");
  CHECK(sd::number(0.25) == "0.25");
  CHECK(sd::number(-2) == "-2");
  CHECK(sd::number(1234567.891) == "1234567.891");
  CHECK(sd::number(std::nan("")) == "NaN");
  CHECK(sd::number(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(sd::fixed(2.345, 1) == "2.3");
  CHECK(sd::percent(0.125) == "12.5%");
  CHECK(sd::percent(std::nullopt) == "-");
}

TEST_CASE("stats document: text guards for terminals") {
  CHECK(sd::display_width("abc") == 3);
  CHECK(sd::display_width("█▌") == 2);
  CHECK(sd::printable("a\x1b[2Jb\r\nc\x7f") == "a?[2Jb??c?");
  CHECK(sd::one_line("first\nsecond", 20) == "first");
  CHECK(sd::one_line("abcdefghij", 5) == "abcd…");
  CHECK(sd::one_line("abcde", 5) == "abcde");
}

TEST_CASE("stats document: each kind for people and for machines") {
  const st::Time t{std::chrono::seconds{1743298200}};
  const std::string z = "Europe/Berlin";
  CHECK(sd::human(sd::Value{}, sd::Kind::count, z) == "-");
  CHECK(sd::machine(sd::Value{}, sd::Kind::count, z).empty());
  CHECK(sd::human(sd::Value{42LL}, sd::Kind::count, z) == "42");
  CHECK(sd::human(sd::Value{0.5}, sd::Kind::ratio, z) == "50.0%");
  CHECK(sd::machine(sd::Value{0.5}, sd::Kind::ratio, z) == "0.5");
  CHECK(sd::human(sd::Value{245.0}, sd::Kind::seconds, z) == "4m 05s");
  CHECK(sd::machine(sd::Value{245.0}, sd::Kind::seconds, z) == "245");
  CHECK(sd::human(sd::Value{2.25}, sd::Kind::number, z) == "2.2");
  CHECK(sd::human(sd::Value{t}, sd::Kind::time, z) == "2025-03-30 03:30:00 CEST");
  CHECK(sd::machine(sd::Value{t}, sd::Kind::time, z) == "2025-03-30T03:30:00+02:00");
  CHECK(sd::human(sd::Value{std::string("a\tb")}, sd::Kind::text, z) == "a?b");
  CHECK(sd::machine(sd::Value{std::string("a\tb")}, sd::Kind::text, z) == "a\tb");
  CHECK(sd::as_double(sd::Value{7LL}) == 7.0);
  CHECK_FALSE(sd::as_double(sd::Value{std::string("7")}).has_value());
  CHECK(sd::right_aligned(sd::Kind::seconds));
  CHECK_FALSE(sd::right_aligned(sd::Kind::date));
}

TEST_CASE("stats document: the header line names report, window, zone and time") {
  st::Meta meta;
  meta.report = "queue";
  meta.zone = "UTC";
  CHECK(sd::header_line(meta) == "queue, UTC, as of 1970-01-01 00:00:00 UTC");
  meta.report = "emails";
  meta.days = 1;
  meta.from = "2025-03-10";
  meta.until = "2025-03-10";
  CHECK(sd::header_line(meta) == "emails: 2025-03-10 to 2025-03-10 (1 day), UTC, as of 1970-01-01 00:00:00 UTC");
}

TEST_SUITE_END();
