// SPDX-License-Identifier: MIT
// mail/dsn: the DSN and ARF fixtures of tests/cli/bounces/ (Postfix, Exim,
// Gmail- and Outlook-style, an ARF complaint, and the bad ones) read as the
// policy in dsn.hpp says.
#include "briefos/mail/dsn.hpp"
#include "briefos/mime.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace dsn = briefos::mail::dsn;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BRIEFOS_SOURCE_DIR) + "/tests/cli/bounces/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

dsn::Report report_of(const std::string& name) {
  const dsn::Parsed p = dsn::parse(fixture(name));
  INFO(name << ": " << p.error);
  REQUIRE(p.ok);
  REQUIRE(p.report.recipients.size() == 1);
  return p.report;
}

}  // namespace

TEST_CASE("dsn: Postfix 5.1.1 with text/rfc822-headers is a hard bounce of our Message-ID") {
  const auto r = report_of("postfix-hard.eml");
  CHECK(r.type == dsn::Report::Type::delivery_status);
  CHECK(r.key == "20251001070005.4Qx1Z2abcd@mx.example.com");
  CHECK(r.original_quoted);
  CHECK(r.original_message_id == "briefos.0b0a0000-0000-4000-8000-00000000000a@example.com");
  CHECK(r.reporting_mta == "mx.example.com");
  const auto& rc = r.recipients[0];
  CHECK(rc.address == "gone@example.org");
  CHECK(rc.original == "gone@example.org");
  CHECK(rc.action == "failed");
  CHECK(rc.status == "5.1.1");
  CHECK(rc.kind == dsn::Kind::hard_bounce);
  // Folded Diagnostic-Code unfolded by GMime, its type removed.
  CHECK(rc.diagnostic.rfind("550 5.1.1 <gone@example.org>: Recipient address", 0) == 0);
  CHECK(rc.diagnostic.find('\n') == std::string::npos);
}

TEST_CASE("dsn: Exim 5.2.2 (mailbox full) with message/rfc822 is a soft bounce") {
  const auto r = report_of("exim-soft.eml");
  CHECK(r.original_message_id == "briefos.0b0b0000-0000-4000-8000-00000000000b@example.com");
  CHECK(r.recipients[0].status == "5.2.2");
  CHECK(r.recipients[0].kind == dsn::Kind::soft_bounce);
}

TEST_CASE("dsn: a failed 4.x.x without the original is soft, with nothing quoted") {
  const auto r = report_of("exim-soft-no-original.eml");
  CHECK_FALSE(r.original_quoted);
  CHECK(r.original_message_id.empty());
  CHECK(r.verp_email_ids.empty());
  CHECK(r.recipients[0].address == "Full@Example.org");
  CHECK(r.recipients[0].kind == dsn::Kind::soft_bounce);
}

TEST_CASE("dsn: a Gmail-style report nested in multipart/related is found") {
  const auto r = report_of("gmail-hard.eml");
  CHECK(r.key == "68dcd6a1.050a0220.1a2b3c.0001.GMR@mx.google.example");
  CHECK(r.original_message_id == "briefos.0b0c0000-0000-4000-8000-00000000000c@example.com");
  CHECK(r.recipients[0].address == "lost@gmail.example");
  CHECK(r.recipients[0].kind == dsn::Kind::hard_bounce);
}

TEST_CASE("dsn: an Outlook-style 5.1.10 without the original carries the email id in VERP") {
  const auto r = report_of("outlook-verp.eml");
  CHECK_FALSE(r.original_quoted);
  REQUIRE(r.verp_email_ids.size() == 1);
  CHECK(r.verp_email_ids[0] == "0b0d0000-0000-4000-8000-00000000000d");
  CHECK(r.recipients[0].status == "5.1.10");
  CHECK(r.recipients[0].kind == dsn::Kind::hard_bounce);
}

TEST_CASE("dsn: Action delayed is nothing to record") {
  const auto r = report_of("postfix-delayed.eml");
  CHECK(r.recipients[0].action == "delayed");
  CHECK(r.recipients[0].kind == dsn::Kind::none);
}

TEST_CASE("dsn: an ARF abuse report is a complaint about the quoted message") {
  const auto r = report_of("arf-complaint.eml");
  CHECK(r.type == dsn::Report::Type::feedback);
  CHECK(r.original_message_id == "briefos.0b0e0000-0000-4000-8000-00000000000e@example.com");
  CHECK(r.reporting_mta == "MailboxFBL/1.0");
  CHECK(r.recipients[0].action == "abuse");
  CHECK(r.recipients[0].address == "angry@mailbox.example");
  CHECK(r.recipients[0].kind == dsn::Kind::complaint);
}

TEST_CASE("dsn: ARF without Original-Rcpt-To falls back to the original's To, not-spam is ignored") {
  std::string m = fixture("arf-complaint.eml");
  m.replace(m.find("Original-Rcpt-To: <angry@mailbox.example>\n"),
            std::string("Original-Rcpt-To: <angry@mailbox.example>\n").size(), "");
  auto p = dsn::parse(m);
  REQUIRE(p.ok);
  CHECK(p.report.recipients[0].address == "angry@mailbox.example");
  m.replace(m.find("Feedback-Type: abuse"), 20, "Feedback-Type: not-spam");
  p = dsn::parse(m);
  REQUIRE(p.ok);
  CHECK(p.report.recipients[0].kind == dsn::Kind::none);
}

TEST_CASE("dsn: bad messages are refused with a reason") {
  const auto not_dsn = dsn::parse(fixture("bad-not-a-dsn.eml"));
  CHECK_FALSE(not_dsn.ok);
  CHECK(not_dsn.error.find("not a delivery status notification or feedback report") != std::string::npos);
  CHECK(not_dsn.error.find("text/plain") != std::string::npos);
  const auto truncated = dsn::parse(fixture("bad-truncated.eml"));
  CHECK_FALSE(truncated.ok);
  CHECK(truncated.error.find("without a recipient") != std::string::npos);
  CHECK_FALSE(dsn::parse("").ok);
  CHECK_FALSE(dsn::parse(std::string(5000, '\n') + "garbage\0x").ok);
  // Someone else's message parses: which email it is about is the store's question.
  const auto foreign = dsn::parse(fixture("bad-foreign.eml"));
  REQUIRE(foreign.ok);
  CHECK(foreign.report.original_quoted);
  CHECK(dsn::email_id_of_message_id(foreign.report.original_message_id).empty());
}

TEST_CASE("dsn: an mbox gives each message, anything else is one message") {
  const auto items = dsn::parse_input(fixture("stdin.mbox"));
  REQUIRE(items.size() == 2);
  REQUIRE(items[0].ok);
  REQUIRE(items[1].ok);
  CHECK(items[0].report.recipients[0].kind == dsn::Kind::soft_bounce);
  CHECK(items[0].report.original_message_id == "briefos.0b1a0000-0000-4000-8000-00000000001a@example.com");
  CHECK(items[1].report.recipients[0].kind == dsn::Kind::complaint);
  CHECK(items[1].report.original_message_id == "briefos.0b1b0000-0000-4000-8000-00000000001b@example.com");
  const auto one = dsn::parse_input(fixture("postfix-hard.eml"));
  REQUIRE(one.size() == 1);
  CHECK(one[0].ok);
}

TEST_CASE("dsn: a report without a Message-ID is keyed by its content") {
  std::string m = fixture("postfix-hard.eml");
  m.erase(m.find("Message-Id: <20251001070005"), std::string("Message-Id: <20251001070005.4Qx1Z2abcd@mx.example.com>\n").size());
  const auto a = dsn::parse(m);
  const auto b = dsn::parse(m);
  REQUIRE(a.ok);
  CHECK(a.report.key.rfind("sha256:", 0) == 0);
  CHECK(a.report.key.size() == 7 + 64);
  CHECK(a.report.key == b.report.key);
}

TEST_CASE("dsn: email_id_of_message_id inverts mime::message_id_for and nothing else") {
  const std::string id = "0b0a0000-0000-4000-8000-00000000000a";
  CHECK(dsn::email_id_of_message_id(briefos::mime::message_id_for(id, "example.com")) == id);
  CHECK(dsn::email_id_of_message_id("<briefos." + id + "@example.com>") == id);
  CHECK(dsn::email_id_of_message_id("<BRIEFOS." + id + "@example.com>").empty());
  CHECK(dsn::email_id_of_message_id("briefos.not-a-uuid@example.com").empty());
  CHECK(dsn::email_id_of_message_id("briefos." + id).empty());
  CHECK(dsn::email_id_of_message_id("briefos." + id + "@bad domain").empty());
  CHECK(dsn::email_id_of_message_id("x" + id + "@example.com").empty());
}
