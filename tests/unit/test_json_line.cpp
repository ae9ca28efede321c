// SPDX-License-Identifier: MIT
// util::json_line: the --json contract ("v" first, one line, invalid UTF-8 replaced).
#include <briefos/util/json_line.hpp>

#include <doctest/doctest.h>

#include <string>

using briefos::util::json_document;
using briefos::util::json_line;
using briefos::util::json_line_opening;
using nlohmann::json;
using nlohmann::ordered_json;

TEST_SUITE_BEGIN("json_line");

TEST_CASE("json_line: the version comes first, then the fields in the order given") {
  const std::string line = json_line(ordered_json{{"job_id", 7}, {"status", "completed"}, {"dry_run", false}});
  CHECK(line == "{\"v\":1,\"job_id\":7,\"status\":\"completed\",\"dry_run\":false}\n");
  CHECK(line.rfind(json_line_opening, 0) == 0);
}

TEST_CASE("json_line: a field named v cannot override the schema version") {
  const std::string line = json_line(ordered_json{{"v", 99}, {"x", 1}});
  CHECK(line == "{\"v\":1,\"x\":1}\n");
}

TEST_CASE("json_line: an unordered object is versioned too") {
  const std::string line = json_line(json{{"b", true}, {"a", nullptr}});
  CHECK(line.rfind("{\"v\":1,", 0) == 0);
  CHECK(ordered_json::parse(line) == ordered_json{{"v", 1}, {"a", nullptr}, {"b", true}});
}

TEST_CASE("json_line: invalid UTF-8 in a value is replaced, never fatal") {
  const std::string line = json_line(ordered_json{{"name", std::string("Bob\xff")}});
  CHECK(line.find('\n') == line.size() - 1);
  CHECK(ordered_json::parse(line)["name"] == "Bob\xEF\xBF\xBD");
}

TEST_CASE("json_document: indented, version first") {
  const std::string doc = json_document(ordered_json{{"report", "health"}, {"ok", true}});
  CHECK(doc.rfind("{\n  \"v\": 1,\n  \"report\": \"health\"", 0) == 0);
  CHECK(doc.back() == '\n');
}

TEST_SUITE_END();
