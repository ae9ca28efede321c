// SPDX-License-Identifier: MIT
// Mail transports without a network: URL validation, the webhook signature,
// the rate limiter and the Maildir writer.
#include <briefos/error.hpp>
#include <briefos/mail/transport.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

using namespace briefos::mail;

namespace {

TransportConfig cfg(const std::string& url) {
  TransportConfig c;
  c.url = url;
  return c;
}

}  // namespace

TEST_SUITE_BEGIN("mail");

TEST_CASE("mail::validate rejects what cannot work before anything is claimed") {
  CHECK_THROWS_WITH_AS(validate(cfg("")), doctest::Contains("no mail transport configured"),
                       briefos::UsageError);
  CHECK_THROWS_AS(validate(cfg("gmail://me")), briefos::UsageError);
  CHECK_THROWS_AS(validate(cfg("maildir:")), briefos::UsageError);
  CHECK_THROWS_AS(validate(cfg("smtp://")), briefos::UsageError);
  CHECK_THROWS_AS(validate(cfg("smtp://host?tls=maybe")), briefos::UsageError);
  CHECK_THROWS_AS(validate(cfg("smtps://host?tls=none")), briefos::UsageError);
  CHECK_THROWS_AS(validate(cfg("smtp://host name:25")), briefos::UsageError);
  // A password in the URL would be visible in argv: refused, and not echoed.
  try {
    validate(cfg("smtp://user:hunter2@mail.example.com:587"));
    FAIL("expected a UsageError");
  } catch (const briefos::UsageError& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
  // A user without a password.
  CHECK_THROWS_AS(validate(cfg("smtp://user@mail.example.com:587")), briefos::UsageError);
  TransportConfig with_pw = cfg("smtp://user@mail.example.com:587");
  with_pw.password = "secret";
  CHECK_NOTHROW(validate(with_pw));
  // The webhook needs its secret.
  CHECK_THROWS_AS(validate(cfg("webhook+https://hooks.example.com/mail")), briefos::UsageError);
  TransportConfig hook = cfg("webhook+https://hooks.example.com/mail");
  hook.webhook_secret = "s3cret";
  CHECK_NOTHROW(validate(hook));
  CHECK_NOTHROW(validate(cfg("smtp://127.0.0.1:2525?tls=none")));
  CHECK_NOTHROW(validate(cfg("smtps://mail.example.com")));
  CHECK_NOTHROW(validate(cfg("maildir:/tmp/x")));
}

TEST_CASE("mail::hmac_sha256_hex matches RFC 4231 test case 2") {
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?")
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("mail::RateLimiter spaces messages at the configured rate") {
  RateLimiter limiter{50.0};  // 50/s, burst 1: 20 ms apart
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 11; ++i) REQUIRE(limiter.acquire(nullptr));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
  // The first token is there at once; ten more take 10 * 20 ms.
  CHECK(ms >= 190);
  CHECK(ms < 1500);
  RateLimiter unlimited{0};
  CHECK(unlimited.acquire(nullptr));
  RateLimiter slow{0.001};
  REQUIRE(slow.acquire(nullptr));  // the bucket starts with one token
  CHECK_FALSE(slow.acquire([] { return true; }));  // a stop request ends the wait
}

TEST_CASE("mail::maildir delivers into new and fails transiently when it cannot") {
  const auto dir = std::filesystem::temp_directory_path() / ("briefos-maildir-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto t = make_transport(cfg("maildir:" + dir.string()));
  Outgoing m;
  m.email_id = "e1";
  m.message_id = "briefos.e1@example.com";
  m.envelope_from = "briefs@example.com";
  m.recipients = {"ada@example.org"};
  m.data = "Subject: hi\r\n\r\nbody\r\n";
  t->send(m);
  t->send(m);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "new")) {
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == m.data);
  }
  CHECK(files == 2);
  CHECK(std::filesystem::is_empty(dir / "tmp"));
  std::filesystem::remove_all(dir);

  auto bad = make_transport(cfg("maildir:/dev/null/briefs"));
  try {
    bad->send(m);
    FAIL("expected a SendError");
  } catch (const SendError& e) {
    CHECK(e.kind() == FailureKind::transient);
    CHECK(std::string(e.what()).find("/dev/null/briefs") != std::string::npos);
  }
}

TEST_CASE("mail::smtp refused connection: the relay is unavailable, not the message") {
  // Port 1 on loopback: nothing listens there.
  TransportConfig c = cfg("smtp://127.0.0.1:1?tls=none");
  c.connect_timeout = std::chrono::milliseconds(2000);
  auto t = make_transport(c);
  Outgoing m;
  m.envelope_from = "briefs@example.com";
  m.recipients = {"ada@example.org"};
  m.data = "Subject: hi\r\n\r\nbody\r\n";
  try {
    t->send(m);
    FAIL("expected a SendError");
  } catch (const SendError& e) {
    CHECK(e.kind() == FailureKind::unavailable);
    CHECK(e.reply().stage == briefos::mail::Stage::connect);
    CHECK(e.reply().code == 0);
    CHECK(std::string(e.what()).find("could not send email to \"ada@example.org\"") != std::string::npos);
  }
}

TEST_CASE("mail::SendError is a briefos Error with its kind and reply code") {
  const SendError e("could not send email to \"x@y\": 550 no", FailureKind::rejected, 550);
  const briefos::Error& base = e;
  CHECK(std::string(base.what()) == "could not send email to \"x@y\": 550 no");
  CHECK(base.exit_status() == briefos::exit_failure);
  CHECK(e.kind() == FailureKind::rejected);
  CHECK(e.reply_code() == 550);
}

TEST_SUITE_END();
