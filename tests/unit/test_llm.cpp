// SPDX-License-Identifier: MIT
#include <briefos/http/llm_client.hpp>
#include <briefos/llm.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace briefos;
using nlohmann::json;

TEST_SUITE_BEGIN("llm");

TEST_CASE("llm::request_body is an OpenAI chat-completions body") {
  llm::Request r;
  r.system = "sys";
  r.user = "user \"quoted\"\nline";
  r.temperature = 0.4;
  r.max_tokens = 2200;
  const json j = json::parse(llm::request_body(r, "deepseek/deepseek-chat"));
  CHECK(j["model"] == "deepseek/deepseek-chat");
  REQUIRE(j["messages"].size() == 2);
  CHECK(j["messages"][0]["role"] == "system");
  CHECK(j["messages"][0]["content"] == "sys");
  CHECK(j["messages"][1]["role"] == "user");
  CHECK(j["messages"][1]["content"] == "user \"quoted\"\nline");
  CHECK(j["temperature"].get<double>() == doctest::Approx(0.4));
  CHECK(j["max_tokens"] == 2200);
  CHECK(j["stream"] == false);
}

TEST_CASE("llm::parse_response accepts a completion") {
  const auto r = llm::parse_response(
      R"({"id":"x","model":"m1","choices":[{"index":0,"message":{"role":"assistant","content":"  # Daily Brief Analysis\n\nGo.  "},"finish_reason":"stop"}]})");
  CHECK(r.content == "# Daily Brief Analysis\n\nGo.");
  CHECK(r.model == "m1");
  CHECK(r.finish_reason == "stop");
  CHECK_FALSE(r.truncated());
}

TEST_CASE("llm::parse_response unwraps a fenced reply and flags length cut-offs") {
  const auto r = llm::parse_response(
      R"({"choices":[{"message":{"content":"```markdown\n# Title\ntext\n```"},"finish_reason":"length"}]})");
  CHECK(r.content == "# Title\ntext");
  CHECK(r.truncated());
}

TEST_CASE("llm::parse_response drops NUL bytes, which PostgreSQL text cannot hold") {
  const auto r = llm::parse_response(R"({"choices":[{"message":{"content":"before\u0000after"}}]})");
  CHECK(r.content == "beforeafter");
  CHECK_THROWS_WITH_AS(llm::parse_response(R"({"choices":[{"message":{"content":"\u0000"}}]})"),
                       doctest::Contains("empty"), llm::ResponseError);
}

TEST_CASE("llm::parse_response rejects what is not a usable completion") {
  SUBCASE("garbage") {
    CHECK_THROWS_WITH_AS(llm::parse_response("<html>Bad Gateway</html>"),
                         doctest::Contains("not valid JSON"), llm::ResponseError);
  }
  SUBCASE("truncated body") {
    CHECK_THROWS_AS(llm::parse_response(R"({"choices":[{"message":{"content":"half)"),
                    llm::ResponseError);
  }
  SUBCASE("empty body") { CHECK_THROWS_AS(llm::parse_response(""), llm::ResponseError); }
  SUBCASE("error object") {
    CHECK_THROWS_WITH_AS(llm::parse_response(R"({"error":{"message":"model overloaded"}})"),
                         doctest::Contains("model overloaded"), llm::ResponseError);
  }
  SUBCASE("error object whose message is not a string") {
    // Found by tests/fuzz/fuzz_llm.cpp: this used to throw json::type_error,
    // which the LLM client's transfer thread does not catch.
    CHECK_THROWS_WITH_AS(llm::parse_response(R"({"error":{"message":42}})"),
                         doctest::Contains("server returned an error: 42"), llm::ResponseError);
    CHECK_THROWS_WITH_AS(llm::parse_response(R"({"error":{"code":503}})"),
                         doctest::Contains("unknown error"), llm::ResponseError);
  }
  SUBCASE("a number too large for a double") {
    // Found by tests/fuzz/fuzz_llm.cpp: json::out_of_range, not parse_error,
    // used to escape from parse_response.
    CHECK_THROWS_WITH_AS(llm::parse_response("1e999"), doctest::Contains("not usable JSON"),
                         llm::ResponseError);
    CHECK_THROWS_AS(llm::parse_response(R"({"choices":[{"message":{"content":"x"}}],"n":-1e400})"),
                    llm::ResponseError);
  }
  SUBCASE("no choices") {
    CHECK_THROWS_WITH_AS(llm::parse_response(R"({"choices":[]})"), doctest::Contains("no choices"),
                         llm::ResponseError);
  }
  SUBCASE("null content") {
    CHECK_THROWS_AS(llm::parse_response(R"({"choices":[{"message":{"content":null}}]})"),
                    llm::ResponseError);
  }
  SUBCASE("blank content") {
    CHECK_THROWS_WITH_AS(llm::parse_response(R"({"choices":[{"message":{"content":"  \n "}}]})"),
                         doctest::Contains("empty"), llm::ResponseError);
  }
  SUBCASE("not an object") { CHECK_THROWS_AS(llm::parse_response("[1,2]"), llm::ResponseError); }
}

TEST_CASE("llm::trim_for_prompt caps at 8000 characters") {
  CHECK(llm::trim_for_prompt("short") == "short");
  const std::string big(9000, 'x');
  const std::string t = llm::trim_for_prompt(big);
  CHECK(t == std::string(8000, 'x') + "\n\n... (content truncated for analysis prompt)");
  std::string utf;
  for (int i = 0; i < 5000; ++i) utf += "é";  // 10000 bytes
  const std::string u = llm::trim_for_prompt(utf);
  CHECK(u.substr(0, 8000) == utf.substr(0, 8000));  // 8000 is on a boundary
}

TEST_CASE("llm::analysis_request carries the reference's prompt shape") {
  brief::Project p;
  p.id = "p1";
  p.name = "Launch";
  brief::Task t;
  t.id = "t1";
  t.project_id = "p1";
  t.title = "Ship it";
  t.priority = "high";
  t.start_date = brief::day_bounds("2025-10-01", "UTC").start + std::chrono::hours(9);
  p.tasks.push_back(t);
  const auto now = brief::day_bounds("2025-10-01", "UTC").start + std::chrono::hours(8);
  const std::vector<brief::Project> projects{p};  // the brief points into it
  const auto built = brief::build(projects, "2025-10-01", "UTC", now, brief::Settings{});
  const llm::Request r = llm::analysis_request(built, "2025-10-01", "UTC");
  CHECK(r.temperature == doctest::Approx(0.4));
  CHECK(r.max_tokens == 2200);
  CHECK(r.system.find("# Daily Brief Analysis - <Date>") != std::string::npos);
  CHECK(r.system.find("## Active Projects") != std::string::npos);
  CHECK(r.system.find("Never invent URLs") != std::string::npos);
  CHECK(r.user.starts_with("Date: 2025-10-01\nTimezone: UTC\n\nPriority actions detected: Ship it\n"));
  const auto a = r.user.find("```json\n");
  const auto b = r.user.find("\n```\n", a);
  REQUIRE(a != std::string::npos);
  const json data = json::parse(r.user.substr(a + 8, b - a - 8));
  REQUIRE(data.size() == 1);
  CHECK(data[0]["project_link"] == "/projects/p1");
  CHECK(data[0]["stats"]["todays_task_count"] == 1);
  CHECK(data[0]["tasks_today"][0]["link"] == "/projects/p1/tasks/t1");
  CHECK(data[0]["tasks_today"][0]["start_date"] == "2025-10-01T09:00:00Z");
  CHECK(data[0]["current_phase"].is_null());
  CHECK(r.user.find("```markdown\n# 🌅 Daily Brief - Oct 1, 2025") != std::string::npos);
  CHECK(r.user.ends_with("Write the analysis following the system instructions."));
}

TEST_CASE("llm::reengagement_request tone follows days inactive") {
  const auto built = brief::build({}, "2025-10-01", "UTC", brief::day_bounds("2025-10-01", "UTC").start,
                                  brief::Settings{});
  llm::ReengagementInput in;
  in.days_since_last_login = 4;
  CHECK(llm::reengagement_request(built, "2025-10-01", "UTC", in).system.find("gentle and encouraging")
        != std::string::npos);
  in.days_since_last_login = 10;
  CHECK(llm::reengagement_request(built, "2025-10-01", "UTC", in).system.find("motivating")
        != std::string::npos);
  in.days_since_last_login = 40;
  const auto r = llm::reengagement_request(built, "2025-10-01", "UTC", in);
  CHECK(r.system.find("warm but direct") != std::string::npos);
  CHECK(r.temperature == doctest::Approx(0.7));
  CHECK(r.max_tokens == 1500);
  CHECK(r.user.find("Days since last login: 40") != std::string::npos);
}

TEST_CASE("http::endpoint_url accepts a base URL or the full path") {
  CHECK(http::endpoint_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1/chat/completions");
  CHECK(http::endpoint_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/v1/chat/completions");
  CHECK(http::endpoint_url("https://openrouter.ai/api/v1") == "https://openrouter.ai/api/v1/chat/completions");
  CHECK(http::endpoint_url("https://api.openai.com/v1/chat/completions")
        == "https://api.openai.com/v1/chat/completions");
}

TEST_SUITE_END();
