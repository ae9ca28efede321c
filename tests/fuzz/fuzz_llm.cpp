// SPDX-License-Identifier: MIT
//
// libFuzzer target for the LLM wire format (libcore/briefos/llm.*): the
// parser of chat-completions responses, the request body and the prompt
// trimming. A response body comes from a remote server briefos does not
// control, and the LLM client calls the parser on its transfer thread,
// where it catches llm::ResponseError and nothing else, so the contract
// checked here is: parse_response either returns a non-empty, trimmed
// answer or throws ResponseError; any other exception is a crash of
// briefos-generate. The request body must be JSON that carries the prompts
// unchanged (for valid UTF-8 input), and trimming must never cut a UTF-8
// character in two.
//
// The first input byte picks the mode; fields are separated by 0x1E.
#include "fuzz_support.hpp"

#include <briefos/llm.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace {

using briefos::fuzz::Fields;
namespace llm = briefos::llm;

bool is_blank(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

void response_mode(Fields& in) {
  const std::string body = in.rest();
  llm::Response r;
  try {
    r = llm::parse_response(body);
  } catch (const llm::ResponseError& e) {
    FUZZ_CHECK(std::string(e.what()).size() > 0, body);
    return;
  }
  FUZZ_CHECK(!r.content.empty(), body);
  FUZZ_CHECK(!is_blank(r.content.front()) && !is_blank(r.content.back()), body);
  FUZZ_CHECK(r.truncated() == (r.finish_reason == "length"), body);
}

void request_mode(Fields& in) {
  llm::Request req;
  const std::string knobs = in.next();
  req.temperature = knobs.empty() ? 0.4 : static_cast<unsigned char>(knobs[0]) / 100.0;
  req.max_tokens = knobs.size() < 2 ? 2200 : static_cast<unsigned char>(knobs[1]) * 20;
  const std::string model = in.next();
  req.system = in.next();
  req.user = in.rest();
  const std::string body = llm::request_body(req, model);
  const auto j = nlohmann::json::parse(body, nullptr, false);
  FUZZ_CHECK(!j.is_discarded() && j.is_object(), body);
  FUZZ_CHECK(j.at("messages").is_array() && j.at("messages").size() == 2, body);
  FUZZ_CHECK(j.at("stream") == false, body);
  if (briefos::fuzz::is_valid_utf8(req.system) && briefos::fuzz::is_valid_utf8(req.user)
      && briefos::fuzz::is_valid_utf8(model)) {
    FUZZ_CHECK(j.at("model") == model, body);
    FUZZ_CHECK(j.at("messages")[0].at("content") == req.system, body);
    FUZZ_CHECK(j.at("messages")[1].at("content") == req.user, body);
  }
}

void trim_mode(Fields& in) {
  const std::string knobs = in.next();
  const std::size_t max = knobs.empty() ? 16 : static_cast<unsigned char>(knobs[0]);
  const std::string md = in.rest();
  const std::string out = llm::trim_for_prompt(md, max);
  if (md.size() <= max) {
    FUZZ_CHECK(out == md, out);
    return;
  }
  const std::string suffix = "\n\n... (content truncated for analysis prompt)";
  FUZZ_CHECK(out.size() >= suffix.size() && out.compare(out.size() - suffix.size(), suffix.size(), suffix) == 0, out);
  const std::string kept = out.substr(0, out.size() - suffix.size());
  FUZZ_CHECK(kept.size() <= max && md.compare(0, kept.size(), kept) == 0, out);
  if (briefos::fuzz::is_valid_utf8(md)) FUZZ_CHECK(briefos::fuzz::is_valid_utf8(kept), out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fields in(data, size);
  switch (in.mode() % 3) {
    case 0: response_mode(in); break;
    case 1: request_mode(in); break;
    default: trim_mode(in); break;
  }
  return 0;
}
