// SPDX-License-Identifier: MIT
#pragma once

// The LLM analysis of a brief as pure logic: the prompts (the shape of
// BuildOS's DailyBriefAnalysisPrompt and ReengagementBriefPrompt), the
// OpenAI-compatible chat-completions request body, and the parsing of its
// response. The HTTP side lives in briefos/http/llm_client.

#include "briefos/brief.hpp"
#include "briefos/error.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace briefos::llm {

// One chat-completions call, independent of the model that serves it.
struct Request {
  std::string system;
  std::string user;
  double temperature = 0.4;
  int max_tokens = 2200;
};

// The JSON body of POST /v1/chat/completions for `model`.
std::string request_body(const Request& request, const std::string& model);

// What a successful response carried.
struct Response {
  std::string content;        // the assistant message, trimmed
  std::string model;          // as reported by the server (may be empty)
  std::string finish_reason;  // "stop", "length", ...
  bool truncated() const { return finish_reason == "length"; }
};

// The response body was not a usable chat completion: not JSON, cut off,
// an error object, no choices, or empty content. what() says which.
// A bad answer for this request, not a broken program: the client tries
// the next model.
class ResponseError : public Error {
public:
  using Error::Error;
};

// Parse a chat-completions response body. A whole reply wrapped in one
// ```markdown fence is unwrapped. Throws ResponseError.
Response parse_response(const std::string& body);

// `markdown` cut to `max_chars` bytes (at a UTF-8 boundary) with the
// reference's "... (content truncated for analysis prompt)" suffix.
std::string trim_for_prompt(const std::string& markdown, std::size_t max_chars = 8000);

// The per-project data of the analysis prompt (reference 5.9): id, name,
// link, description, current phase, stats, and the task and note lists.
nlohmann::ordered_json analysis_projects(const std::vector<brief::ProjectBrief>& briefs,
                                         const std::string& zone);

// The standard analysis request (temperature 0.4, 2200 tokens).
Request analysis_request(const brief::BuiltBrief& built,
                         const std::string& date,
                         const std::string& zone);

// What the re-engagement prompt needs beyond the brief.
struct ReengagementInput {
  int days_since_last_login = 0;
  std::optional<brief::TimePoint> last_visit;
  const std::vector<brief::Project>* projects = nullptr;  // loaded data
};

// The re-engagement request (temperature 0.7, 1500 tokens); its tone
// follows the days inactive (<= 4, <= 10, more).
Request reengagement_request(const brief::BuiltBrief& built,
                             const std::string& date,
                             const std::string& zone,
                             const ReengagementInput& input);

}  // namespace briefos::llm
