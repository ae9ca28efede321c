// SPDX-License-Identifier: MIT
// The link policy (render/links): where a link in the email may lead.
#include <briefos/render/links.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace briefos::render;

TEST_SUITE_BEGIN("render_links");

TEST_CASE("render::host_of reads the host only when it is unambiguous") {
  CHECK(host_of("https://App.Example.com/x") == "app.example.com");
  CHECK(host_of("http://app.example.com:8080?q") == "app.example.com");
  CHECK(host_of("https://[::1]:8443/x") == "[::1]");
  CHECK(host_of("https://user@app.example.com/") == "");
  CHECK(host_of("https://app.example.com\\@evil.example/") == "");
  CHECK(host_of("https://ev%69l.example/") == "");
  CHECK(host_of("https://app.example.com:80x/") == "");
  CHECK(host_of("https:app.example.com") == "");
  CHECK(host_of("ftp://app.example.com/") == "");
  CHECK(host_of("https:// app.example.com/") == "");
  CHECK(host_of("https://a..b/") == "");
}

TEST_CASE("render::resolve_link keeps the base host, allowed hosts and mailto") {
  const LinkPolicy p = LinkPolicy::of("https://app.example.com/", {"Docs.Example.com"});
  CHECK(p.base == "https://app.example.com");
  CHECK(resolve_link(p, "/tasks/1") == "https://app.example.com/tasks/1");
  CHECK(resolve_link(p, "tasks/1") == "https://app.example.com/tasks/1");
  CHECK(resolve_link(p, "https://docs.example.com/a") == "https://docs.example.com/a");
  CHECK(resolve_link(p, "mailto:ada@example.org") == "mailto:ada@example.org");
  for (const char* refused : {"//app.example.com/a", "https://sub.app.example.com/", "https://example.com/",
                              "https://app.example.com.evil.example/", "http://evil.example/?app.example.com",
                              "tel:+15555550100", "data:text/html,x", "javascript:alert(1)", "#frag", "mailto:",
                              "https://app.example.com/a b", "java\nscript:x", "x:y/z", ""}) {
    CAPTURE(refused);
    CHECK_FALSE(resolve_link(p, refused));
  }
  // No base URL the policy can read: relative links have nowhere to go.
  CHECK_FALSE(resolve_link(LinkPolicy::of(""), "/tasks/1"));
  CHECK_FALSE(resolve_link(LinkPolicy::of("https://u@app.example.com"), "/tasks/1"));
}

TEST_CASE("render::is_valid_host and decode_reference") {
  CHECK(is_valid_host("docs.example.com"));
  CHECK(is_valid_host("localhost"));
  CHECK_FALSE(is_valid_host(""));
  CHECK_FALSE(is_valid_host("*.example.com"));
  CHECK_FALSE(is_valid_host("example.com/"));
  CHECK_FALSE(is_valid_host(".example.com"));
  CHECK_FALSE(is_valid_host("https://example.com"));
  CHECK(decode_reference("&#106;") == "j");
  CHECK(decode_reference("&#x6A;") == "j");
  CHECK(decode_reference("&amp;") == "&");
  CHECK(decode_reference("&#xE9;") == "\xC3\xA9");
  CHECK(decode_reference("&#0;") == "\xEF\xBF\xBD");
  CHECK_FALSE(decode_reference("&colon;"));
  CHECK_FALSE(decode_reference("&#x110000000;"));
}

TEST_SUITE_END();
