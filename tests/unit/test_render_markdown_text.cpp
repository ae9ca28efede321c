// SPDX-License-Identifier: MIT
// User text into the brief's Markdown (render/markdown_text): escaped so
// it shows as typed, cut to its size cap at a character boundary.
#include <briefos/render.hpp>
#include <briefos/render/markdown_text.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace briefos::render;

TEST_SUITE_BEGIN("render_markdown_text");

TEST_CASE("render::escape_inline shows a title as typed, in both parts") {
  const std::string base = "https://app.example.com";
  for (const std::string title :
       {"Fix [broken](javascript:alert(1)) link", "![x](https://tracker.example/open.gif)",
        "<https://evil.example/a> & &amp; &#x6A;", "**not bold** _nor_ `code` ~~nor struck~~",
        "a | b # c \\ d", "[ref]: /x", "<script>alert(1)</script>"}) {
    CAPTURE(title);
    const std::string md = "- [" + escape_inline(title) + "](/tasks/1) today\n";
    CHECK(markdown_to_text(md, base) == "- " + title + " (https://app.example.com/tasks/1) today\n");
    CHECK(unescape_inline(escape_inline(title)) == title);
  }
  CHECK(escape_inline("a\r\nb\nc\rd") == "a b c d");
}

TEST_CASE("render::escape_block keeps lines and starts no block") {
  const std::string text = "# not a heading\r\n- not a list\n1. nor this\n12) nor this\n> no quote\n"
                           "```\n---\n===\n| a | b |\n|---|---|\n+ plus\nplain 1. text";
  const std::string md = "## P\n\n" + escape_block(text) + "\n";
  const std::string html = markdown_to_html(md, "https://app.example.com");
  CAPTURE(html);
  CHECK(html.find("<h1>") == std::string::npos);
  CHECK(html.find("<ul>") == std::string::npos);
  CHECK(html.find("<ol") == std::string::npos);
  CHECK(html.find("<blockquote>") == std::string::npos);
  CHECK(html.find("<pre>") == std::string::npos);
  CHECK(html.find("<hr>") == std::string::npos);
  CHECK(html.find("<table>") == std::string::npos);
  CHECK(html.find("<h2>P</h2>") != std::string::npos);
  CHECK(markdown_to_text(md, "") == "## P\n\n" + std::string("# not a heading\n- not a list\n1. nor this\n12) nor this\n"
                                               "> no quote\n```\n---\n===\n| a | b |\n|---|---|\n+ plus\nplain 1. text\n"));
}

TEST_CASE("render::cap_text cuts at a character boundary with an ellipsis") {
  CHECK(cap_text("short", 10) == "short");
  CHECK(cap_text(std::string(10, 'a'), 10) == std::string(10, 'a'));
  CHECK(cap_text(std::string(11, 'a'), 10) == "aaaaaaa\xE2\x80\xA6");
  // "é" is two bytes: a cut inside it backs up to its first byte.
  CHECK(cap_text("aaaaaa\xC3\xA9xyz", 10) == "aaaaaa\xE2\x80\xA6");
  CHECK(cap_text("aaaaa\xF0\x9F\x98\x80xyz", 10) == "aaaaa\xE2\x80\xA6");
  const std::string big(1 << 20, 'T');
  const std::string capped = cap_text(big, title_cap);
  CHECK(capped.size() == title_cap);
  CHECK(capped == std::string(title_cap - 3, 'T') + "\xE2\x80\xA6");
}

TEST_SUITE_END();
