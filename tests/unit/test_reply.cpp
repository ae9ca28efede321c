// SPDX-License-Identifier: MIT
// mail/reply: what a relay's refusal means (the FAILURE HANDLING table).
#include <briefos/mail/reply.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

using briefos::mail::classify;
using briefos::mail::enhanced_code;
using briefos::mail::FailureKind;
using briefos::mail::Reply;
using briefos::mail::Stage;

namespace {

Reply reply(Stage stage, int code, const std::string& text) {
  Reply r;
  r.stage = stage;
  r.code = code;
  r.text = text;
  r.enhanced = enhanced_code(text, code);
  return r;
}

}  // namespace

TEST_SUITE_BEGIN("reply");

TEST_CASE("enhanced_code reads RFC 3463 codes whose class matches the reply") {
  CHECK(enhanced_code("5.1.1 <x@y>: Recipient address rejected", 550) == "5.1.1");
  CHECK(enhanced_code("4.3.0 Temporary failure", 451) == "4.3.0");
  CHECK(enhanced_code("5.7.123 policy", 554) == "5.7.123");
  CHECK(enhanced_code("5.1.1", 550) == "5.1.1");
  CHECK(enhanced_code("Recipient address rejected", 550).empty());
  CHECK(enhanced_code("4.1.1 wrong class", 550).empty());
  CHECK(enhanced_code("5.1 too short", 550).empty());
  CHECK(enhanced_code("5.1.1x glued", 550).empty());
  CHECK(enhanced_code("", 550).empty());
}

TEST_CASE("nothing before MAIL FROM is the message's fault") {
  CHECK(classify(reply(Stage::connect, 0, "Couldn't connect to server")) == FailureKind::unavailable);
  CHECK(classify(reply(Stage::greeting, 421, "4.3.2 Service not available")) == FailureKind::unavailable);
  CHECK(classify(reply(Stage::greeting, 554, "5.3.2 No SMTP service here")) == FailureKind::unavailable);
  CHECK(classify(reply(Stage::greeting, 0, "no reply within the --command-timeout limit")) == FailureKind::unavailable);
  CHECK(classify(reply(Stage::hello, 535, "5.7.8 Authentication credentials invalid")) == FailureKind::unavailable);
  CHECK(classify(reply(Stage::mail, 0, "Connection reset")) == FailureKind::unavailable);
}

TEST_CASE("only the recipient's own refusals bounce and suppress") {
  CHECK(classify(reply(Stage::rcpt, 550, "5.1.1 <x@y>: Recipient address rejected: User unknown"))
        == FailureKind::rejected);
  CHECK(classify(reply(Stage::rcpt, 550, "5.1.2 bad destination system")) == FailureKind::rejected);
  CHECK(classify(reply(Stage::rcpt, 550, "5.2.1 mailbox disabled")) == FailureKind::rejected);
  CHECK(classify(reply(Stage::rcpt, 550, "No such user here")) == FailureKind::rejected);
  // Policy, relaying, a full mailbox: this email fails, the address stays.
  CHECK(classify(reply(Stage::rcpt, 554, "5.7.1 <x@y>: Relay access denied")) == FailureKind::permanent);
  CHECK(classify(reply(Stage::rcpt, 552, "5.2.2 mailbox full")) == FailureKind::permanent);
  CHECK(classify(reply(Stage::end_of_data, 550, "5.1.1 user unknown")) == FailureKind::rejected);
}

TEST_CASE("a refused message fails this email only") {
  CHECK(classify(reply(Stage::end_of_data, 554, "5.7.1 Transaction failed: message content rejected"))
        == FailureKind::permanent);
  CHECK(classify(reply(Stage::end_of_data, 552, "5.3.4 Message size exceeds fixed limit")) == FailureKind::permanent);
  CHECK(classify(reply(Stage::end_of_data, 554, "Transaction failed")) == FailureKind::permanent);
  CHECK(classify(reply(Stage::data, 554, "5.6.0 bad content")) == FailureKind::permanent);
  CHECK(classify(reply(Stage::mail, 553, "5.1.8 sender address rejected")) == FailureKind::permanent);
}

TEST_CASE("4xx and a connection lost after MAIL FROM are retried") {
  CHECK(classify(reply(Stage::rcpt, 452, "4.2.2 Mailbox full, try again later")) == FailureKind::transient);
  CHECK(classify(reply(Stage::end_of_data, 451, "4.3.0 Temporary failure")) == FailureKind::transient);
  CHECK(classify(reply(Stage::end_of_data, 421, "4.3.2 shutting down")) == FailureKind::transient);
  CHECK(classify(reply(Stage::mail, 451, "4.3.0 try later")) == FailureKind::transient);
  CHECK(classify(reply(Stage::end_of_data, 0, "no reply within the --timeout limit")) == FailureKind::transient);
  CHECK(classify(reply(Stage::data, 0, "Connection reset")) == FailureKind::transient);
}

TEST_CASE("webhook and Maildir failures") {
  CHECK(classify(reply(Stage::response, 503, "busy")) == FailureKind::transient);
  CHECK(classify(reply(Stage::response, 429, "slow down")) == FailureKind::transient);
  CHECK(classify(reply(Stage::response, 400, "bad payload")) == FailureKind::permanent);
  CHECK(classify(reply(Stage::write, 0, "No space left on device")) == FailureKind::transient);
}

TEST_CASE("Reply keeps the whole reply and describes it once") {
  const Reply r = reply(Stage::rcpt, 550, "5.1.1 <x@y>: Recipient address rejected");
  CHECK(r.describe() == "550 5.1.1 <x@y>: Recipient address rejected (rcpt)");
  const auto j = r.to_json();
  CHECK(j["stage"] == "rcpt");
  CHECK(j["code"] == 550);
  CHECK(j["enhanced"] == "5.1.1");
  CHECK(j["text"] == "5.1.1 <x@y>: Recipient address rejected");
  CHECK(reply(Stage::connect, 0, "Couldn't connect").to_json()["enhanced"].is_null());
}

TEST_CASE("briefos-email(1) prints every rule of the table") {
  std::ifstream in(BRIEFOS_SOURCE_DIR "/man/briefos-email.1");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  // The man page escapes hyphens; compare without them.
  std::string page;
  for (std::size_t i = 0; i < ss.str().size(); ++i) {
    if (ss.str()[i] == '\\' && i + 1 < ss.str().size() && ss.str()[i + 1] == '-') continue;
    page += ss.str()[i];
  }
  for (const auto& rule : briefos::mail::rules()) {
    CAPTURE(rule.stages);
    CAPTURE(rule.replies);
    CHECK(page.find(rule.stages) != std::string::npos);
    CHECK(page.find(rule.replies) != std::string::npos);
    CHECK(page.find(rule.meaning) != std::string::npos);
    CHECK(page.find(briefos::mail::to_string(rule.kind)) != std::string::npos);
  }
}

TEST_SUITE_END();
