// SPDX-License-Identifier: MIT
// util: the shared text rules and the stop flag.
#include <briefos/util/stop.hpp>
#include <briefos/util/text.hpp>

#include <doctest/doctest.h>

namespace util = briefos::util;

TEST_CASE("util: is_uuid accepts 8-4-4-4-12 hex digits only") {
  CHECK(util::is_uuid("123e4567-e89b-12d3-a456-426614174000"));
  CHECK(util::is_uuid("123E4567-E89B-12D3-A456-426614174000"));
  CHECK_FALSE(util::is_uuid("123e4567e89b12d3a456426614174000"));
  CHECK_FALSE(util::is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
  CHECK_FALSE(util::is_uuid(""));
  CHECK_FALSE(util::is_uuid("123e4567-e89b-12d3-a456-4266141740000"));
}

TEST_CASE("util: trim and split_commas") {
  CHECK(util::trim("  a b \t\n") == "a b");
  CHECK(util::trim(" \r\n ").empty());
  CHECK(util::split_commas(" a, b,,c ,") == std::vector<std::string>{"a", "b", "c"});
  CHECK(util::split_commas("").empty());
}

TEST_CASE("util: the stop flag") {
  util::clear_stop();
  CHECK_FALSE(util::stop_requested());
  util::request_stop();
  CHECK(util::stop_requested());
  util::clear_stop();
  CHECK_FALSE(util::stop_requested());
}

TEST_CASE("util: lower changes ASCII A-Z only") {
  CHECK(util::lower("ABC-def-0189-XYZ") == "abc-def-0189-xyz");
  CHECK(util::lower("Retry-After:") == "retry-after:");
  CHECK(util::lower("\xC3\x89T\xC3\x89") == "\xC3\x89t\xC3\x89");  // UTF-8 bytes kept
}
