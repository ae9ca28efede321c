// SPDX-License-Identifier: MIT
//
// util/secrets: the one rule that masks a URL's credentials in diagnostics,
// the test for "this value holds a credential", and the refusal of plain
// http:// to another host.
#include <briefos/error.hpp>
#include <briefos/util/secrets.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace {

using briefos::util::carries_credentials;
using briefos::util::host_of;
using briefos::util::is_loopback_host;
using briefos::util::redact;
using briefos::util::require_private_channel;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_SUITE_BEGIN("util");

TEST_CASE("secrets::redact masks query values, keeping harmless settings") {
  CHECK(redact("via webhook https://hooks.example/mail?token=s3cret: HTTP 400")
        == "via webhook https://hooks.example/mail?token=***: HTTP 400");
  CHECK(redact("webhook+http://127.0.0.1:8/mail?token=s3cret&v=1")
        == "webhook+http://127.0.0.1:8/mail?token=***&v=***");
  CHECK(redact("https://h/x?flag&&a=") == "https://h/x?***&&a=***");
  CHECK(redact("postgresql://bob@h/d?sslmode=require&password=s3cret&application_name=x")
        == "postgresql://bob@h/d?sslmode=require&password=***&application_name=x");
  CHECK(redact("smtp://briefos@mail.example:587?tls=none") == "smtp://briefos@mail.example:587?tls=none");
  CHECK(redact("https://h/cb#access_token=s3cret") == "https://h/cb#***");
  CHECK(redact("https://h/cb?a=s3cret#frag") == "https://h/cb?a=***#***");
}

TEST_CASE("secrets::redact masks passwords, and HTTP user names") {
  CHECK(redact("https://user:s3cret@h/x") == "https://user:***@h/x");
  CHECK(redact("https://s3cret@h/x") == "https://***@h/x");
  CHECK(redact("webhook+https://s3cret@h/x") == "webhook+https://***@h/x");
  // A user name is an account name for PostgreSQL and SMTP: kept.
  CHECK(redact("postgresql://bob@db/briefs") == "postgresql://bob@db/briefs");
  CHECK(redact("smtp://briefos@mail.example:587") == "smtp://briefos@mail.example:587");
  // A password holding '/', '?', '#' or '@' is still masked whole.
  CHECK_FALSE(contains(redact("postgresql://bob:pa/ss@db/briefs"), "ss"));
  CHECK_FALSE(contains(redact("postgresql://bob:pa?ss@db/briefs"), "ss"));
  CHECK_FALSE(contains(redact("postgresql://bob:pa#ss@db/briefs"), "ss"));
  CHECK(redact("postgresql://bob:p@ss@db/briefs") == "postgresql://bob:***@db/briefs");
  // A '@' in a path is not a user name.
  CHECK(redact("https://h/users/@me") == "https://h/users/@me");
}

TEST_CASE("secrets::redact finds URLs inside text and stops where they end") {
  CHECK(redact("a \"https://u:p@h/x?t=1\" b") == "a \"https://u:***@h/x?t=***\" b");
  CHECK(redact("<https://h/x?t=1> and (https://h/y?t=2).") == "<https://h/x?t=***> and (https://h/y?t=***).");
  CHECK(redact("{\"url\":\"https://h/x?t=1\"}") == "{\"url\":\"https://h/x?t=***\"}");
  CHECK(redact("two: http://h/?a=1 https://g/?b=2") == "two: http://h/?a=*** https://g/?b=***");
  // No scheme, or nothing to hide: unchanged.
  CHECK(redact("://h/?a=1") == "://h/?a=1");
  CHECK(redact("see https://docs.example/briefos.") == "see https://docs.example/briefos.");
  CHECK(redact("") == "");
}

TEST_CASE("secrets::redact masks conninfo passwords") {
  CHECK(redact("host=db password=s3cret dbname=briefs") == "host=db password=*** dbname=briefs");
  CHECK(redact("PGPASSWORD=s3cret") == "PGPASSWORD=***");
  CHECK_FALSE(contains(redact("password='two words \\' quote' x"), "words"));
  CHECK(redact("password authentication failed") == "password authentication failed");
  CHECK(redact("password=") == "password=");
}

TEST_CASE("secrets::redact is linear on adversarial text") {
  // Every "://" and "password=" starts a scan; none may rescan the rest.
  std::string text;
  while (text.size() < (1U << 20U)) text += "a://b?password=x&";
  std::string spaced;
  while (spaced.size() < (1U << 20U)) spaced += "http:// ?c password =";
  const auto t0 = std::chrono::steady_clock::now();
  const std::string a = redact(text);
  const std::string b = redact(spaced);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(seconds < 1.0);
  CHECK_FALSE(contains(a, "=x"));
  CHECK(b.size() >= spaced.size() / 2);
}

TEST_CASE("secrets::carries_credentials: what the front end warns about in argv") {
  CHECK(carries_credentials("postgresql://bob:s3cret@db/briefs"));
  CHECK(carries_credentials("host=db password=s3cret"));
  CHECK(carries_credentials("webhook+https://hooks.example/mail?token=s3cret"));
  CHECK(carries_credentials("https://TOKEN@llm.example/v1"));
  CHECK_FALSE(carries_credentials("postgresql://bob@db/briefs?sslmode=require"));
  // libpq's keepalive and timeout settings, which multi-host deployments set.
  CHECK_FALSE(carries_credentials(
      "postgresql://bob@db/briefs?keepalives=1&keepalives_idle=2&keepalives_interval=1&keepalives_count=2"
      "&tcp_user_timeout=5000&service=briefos"));
  CHECK(redact("postgresql://bob@db/b?tcp_user_timeout=5000&password=x") == "postgresql://bob@db/b?tcp_user_timeout=5000&password=***");
  CHECK_FALSE(carries_credentials("smtp://briefos@mail.example:587?tls=required"));
  CHECK_FALSE(carries_credentials("https://openrouter.ai/api"));
  CHECK_FALSE(carries_credentials("maildir:/var/mail/briefs"));
}

TEST_CASE("secrets::is_loopback_host and host_of") {
  for (const char* h : {"localhost", "LOCALHOST", "api.localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"}) {
    CHECK_MESSAGE(is_loopback_host(h), h);
  }
  for (const char* h : {"", "example.com", "localhost.example.com", "127.0.0.1.example.com", "128.0.0.1",
                        "127.0.0.256", "10.0.0.1", "::2", "0.0.0.0"}) {
    CHECK_MESSAGE(!is_loopback_host(h), h);
  }
  CHECK(host_of("http://u:p@Example.com:80/x?y") == "Example.com");
  CHECK(host_of("webhook+http://[::1]:8080/mail") == "::1");
  CHECK(host_of("http://h") == "h");
  CHECK(host_of("maildir:/x") == "");
}

TEST_CASE("secrets::require_private_channel refuses http:// to another host") {
  CHECK_NOTHROW(require_private_channel("--llm-url", "https://llm.example/v1", false));
  CHECK_NOTHROW(require_private_channel("--llm-url", "http://127.0.0.1:8080", false));
  CHECK_NOTHROW(require_private_channel("--llm-url", "http://localhost:8080", false));
  CHECK_NOTHROW(require_private_channel("--transport", "webhook+http://[::1]:9/mail", false));
  CHECK_NOTHROW(require_private_channel("--transport", "smtp://mail.example:25?tls=none", false));
  CHECK_NOTHROW(require_private_channel("--llm-url", "", false));
  CHECK_NOTHROW(require_private_channel("--llm-url", "http://llm.example", true));
  try {
    require_private_channel("--transport", "webhook+HTTP://hooks.example/mail?token=s3cret", false);
    FAIL("not refused");
  } catch (const briefos::UsageError& e) {
    const std::string what = e.what();
    CHECK(contains(what, "--transport"));
    CHECK(contains(what, "\"hooks.example\""));
    CHECK(contains(what, "in clear"));
    CHECK(contains(what, "--allow-insecure-http"));
    CHECK_FALSE(contains(what, "s3cret"));
    CHECK(e.exit_status() == briefos::exit_usage);
  }
  CHECK_THROWS_AS(require_private_channel("--llm-url", "http://user@127.0.0.1.example.com/", false),
                  briefos::UsageError);
}

TEST_SUITE_END();
