// SPDX-License-Identifier: MIT
//
// http/llm_client: the endpoint a configured URL becomes when it carries a
// query string (an api-version, or a key some gateways take there).
#include <briefos/http/llm_client.hpp>

#include <doctest/doctest.h>

TEST_SUITE_BEGIN("llm");

TEST_CASE("http::endpoint_url keeps a query string at the end") {
  using briefos::http::endpoint_url;
  CHECK(endpoint_url("https://gw.example/openai?api-version=2024-06-01")
        == "https://gw.example/openai/v1/chat/completions?api-version=2024-06-01");
  CHECK(endpoint_url("https://gw.example/openai/?key=k") == "https://gw.example/openai/v1/chat/completions?key=k");
  CHECK(endpoint_url("https://gw.example/v1?key=k") == "https://gw.example/v1/chat/completions?key=k");
  CHECK(endpoint_url("https://gw.example/v1/chat/completions?key=k")
        == "https://gw.example/v1/chat/completions?key=k");
}

TEST_SUITE_END();
