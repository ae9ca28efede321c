// SPDX-License-Identifier: MIT
// briefos-email's state machine against a real PostgreSQL, with a recording
// transport: cancellation cases, recipients in step, failures, idempotence.
#include "fixture.hpp"

#include <briefos/db/queue.hpp>
#include <briefos/email_command.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using briefos::testing::TestDb;
namespace ec = briefos::email_command;
namespace mail = briefos::mail;
namespace queue = briefos::queue;

namespace {

// What the fake transport saw, shared with the test after the Sender took
// ownership of the transport.
struct Outbox {
  std::vector<mail::Outgoing> sent;
  std::vector<std::optional<mail::FailureKind>> script;  // per send; empty = accept
};

class FakeTransport final : public mail::Transport {
public:
  explicit FakeTransport(std::shared_ptr<Outbox> box) : m_box(std::move(box)) {}
  void send(const mail::Outgoing& m) override {
    if (!m_box->script.empty()) {
      const auto next = m_box->script.front();
      m_box->script.erase(m_box->script.begin());
      if (next) {
        const long code = *next == mail::FailureKind::rejected ? 550 : 451;
        throw mail::SendError("fake refusal " + std::to_string(code), *next, code);
      }
    }
    m_box->sent.push_back(m);
  }
  std::string describe() const override { return "fake:"; }

private:
  std::shared_ptr<Outbox> m_box;
};

std::string read_seed() {
  std::ifstream in(std::string(BRIEFOS_SOURCE_DIR) + "/tests/cli/email_seed.sql");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string sql = ss.str();
  // psql variables, as the shell tests pass them.
  for (std::size_t p; (p = sql.find(":'prefix'")) != std::string::npos;) sql.replace(p, 9, "'db'");
  for (std::size_t p; (p = sql.find(":count")) != std::string::npos;) sql.replace(p, 6, "1");
  return sql;
}

struct EmailFixture {
  TestDb db;
  std::shared_ptr<Outbox> box = std::make_shared<Outbox>();
  std::unique_ptr<ec::Sender> sender;
  std::string email_id;

  EmailFixture() {
    db.exec(read_seed());
    email_id = db.scalar("SELECT id FROM emails");
    ec::Settings s;
    s.base_url = "https://app.example.com";
    s.message_id_domain = "example.com";
    sender = std::make_unique<ec::Sender>(
        s, [b = box] { return std::make_unique<FakeTransport>(b); }, nullptr, true);
  }

  queue::Job claim() {
    queue::ClaimOptions o;
    o.types = {"generate_brief_email"};
    o.worker_id = "test:1";
    o.limit = 10;
    auto jobs = queue::claim(db.cx(), o);
    REQUIRE(jobs.size() == 1);
    return jobs.front();
  }

  std::string email_status() { return db.scalar("SELECT status FROM emails WHERE id = '" + email_id + "'"); }
  std::string recipient_statuses() {
    return db.scalar("SELECT string_agg(status, ',' ORDER BY id) FROM email_recipients WHERE email_id = '"
                     + email_id + "'");
  }
  std::string events() {
    return db.scalar("SELECT string_agg(event_type, ',' ORDER BY created_at) FROM email_tracking_events "
                     "WHERE email_id = '" + email_id + "'");
  }
  std::string job_status() { return db.scalar("SELECT status FROM queue_jobs"); }
};

}  // namespace

TEST_SUITE_BEGIN("email");

TEST_CASE_FIXTURE(EmailFixture, "email::sends once and keeps recipients in step") {
  const queue::Job job = claim();
  const auto outcome = sender->handle(db.cx(), job);
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::completed);
  CHECK(outcome.recorded);
  REQUIRE(box->sent.size() == 1);
  const mail::Outgoing& m = box->sent.front();
  CHECK(m.message_id == "briefos." + email_id + "@example.com");
  CHECK(m.recipients == std::vector<std::string>{"db1@example.org"});
  CHECK(m.data.find("Message-ID: <briefos." + email_id + "@example.com>") != std::string::npos);
  CHECK(email_status() == "sent");
  CHECK(recipient_statuses() == "sent");
  CHECK(db.scalar("SELECT count(*) FROM email_recipients WHERE sent_at IS NOT NULL") == "1");
  CHECK(db.scalar("SELECT message_id FROM emails") == m.message_id);
  CHECK(db.scalar("SELECT sent_at IS NOT NULL FROM emails") == "t");
  CHECK(events() == "sent");
  CHECK(job_status() == "completed");
  CHECK(db.scalar("SELECT result->>'status' FROM queue_jobs") == "sent");
  const auto d = sender->take(job.id);
  REQUIRE(d);
  CHECK(d->status == "sent");
}

TEST_CASE_FIXTURE(EmailFixture, "email::running the same job twice sends nothing the second time") {
  const queue::Job job = claim();
  sender->handle(db.cx(), job);
  REQUIRE(box->sent.size() == 1);
  // The same job again (a duplicate delivery of the job by the queue): the
  // email is sent, nothing goes out, and the lost job is reported as such.
  CHECK_THROWS_AS(sender->handle(db.cx(), job), queue::LeaseLost);
  CHECK(box->sent.size() == 1);
  // A new job for the same email (someone re-enqueued it): completed, no send.
  db.exec("INSERT INTO queue_jobs (job_type, metadata, dedup_key) VALUES ('generate_brief_email', "
          "jsonb_build_object('emailId', '" + email_id + "'), 'email-" + email_id + "')");
  const queue::Job again = claim();
  const auto outcome = sender->handle(db.cx(), again);
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::completed);
  CHECK(box->sent.size() == 1);
  CHECK(sender->take(again.id)->status == "skipped");
  CHECK(db.scalar("SELECT count(*) FROM email_tracking_events WHERE event_type = 'sent'") == "1");
}

TEST_CASE_FIXTURE(EmailFixture, "email::cancels when the user opted out") {
  db.exec("UPDATE user_brief_preferences SET email_daily_brief = false");
  const queue::Job job = claim();
  const auto outcome = sender->handle(db.cx(), job);
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::completed);
  CHECK(box->sent.empty());
  CHECK(email_status() == "cancelled");
  CHECK(recipient_statuses() == "cancelled");
  CHECK(db.scalar("SELECT error_message FROM emails") == "the user opted out of daily brief emails");
  CHECK(db.scalar("SELECT error_message FROM email_recipients") == "the user opted out of daily brief emails");
  CHECK(events() == "cancelled");
  CHECK(job_status() == "completed");
}

TEST_CASE_FIXTURE(EmailFixture, "email::cancels when the user is deactivated") {
  db.exec("UPDATE user_brief_preferences SET is_active = false");
  sender->handle(db.cx(), claim());
  CHECK(box->sent.empty());
  CHECK(email_status() == "cancelled");
  CHECK(recipient_statuses() == "cancelled");
  CHECK(db.scalar("SELECT error_message FROM emails") == "the user's brief delivery is deactivated");
}

TEST_CASE_FIXTURE(EmailFixture, "email::cancels when the address is suppressed") {
  db.exec("INSERT INTO email_suppressions (email, reason) VALUES ('db1@example.org', 'unsubscribed')");
  sender->handle(db.cx(), claim());
  CHECK(box->sent.empty());
  CHECK(email_status() == "cancelled");
  CHECK(recipient_statuses() == "cancelled");
  CHECK(db.scalar("SELECT error_message FROM emails").find("suppression list (unsubscribed)") != std::string::npos);
}

TEST_CASE_FIXTURE(EmailFixture, "email::cancels when the brief is gone") {
  db.exec("DELETE FROM daily_briefs");
  sender->handle(db.cx(), claim());
  CHECK(box->sent.empty());
  CHECK(email_status() == "cancelled");
  CHECK(recipient_statuses() == "cancelled");
  CHECK(db.scalar("SELECT error_message FROM emails") == "the brief no longer exists");
}

TEST_CASE_FIXTURE(EmailFixture, "email::a transient failure goes back to pending with the error") {
  box->script = {mail::FailureKind::transient};
  const queue::Job job = claim();
  const auto outcome = sender->handle(db.cx(), job);
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::retry);
  CHECK(box->sent.empty());
  CHECK(email_status() == "pending");
  CHECK(recipient_statuses() == "pending");
  CHECK(db.scalar("SELECT error_message FROM emails").find("451") != std::string::npos);
  CHECK(db.scalar("SELECT error_message FROM email_recipients").find("451") != std::string::npos);
  // The Message-ID chosen for the first attempt stays.
  CHECK(db.scalar("SELECT message_id FROM emails") == "briefos." + email_id + "@example.com");
  CHECK(events() == "");
}

TEST_CASE_FIXTURE(EmailFixture, "email::the last transient failure fails the email") {
  box->script = {mail::FailureKind::transient};
  db.exec("UPDATE queue_jobs SET max_attempts = 1");
  const auto outcome = sender->handle(db.cx(), claim());
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::retry);  // the queue decides: failed
  CHECK(email_status() == "failed");
  CHECK(recipient_statuses() == "failed");
  CHECK(events() == "failed");
  CHECK(db.scalar("SELECT count(*) FROM email_suppressions") == "0");
}

TEST_CASE_FIXTURE(EmailFixture, "email::a 5xx bounces and suppresses the address") {
  box->script = {mail::FailureKind::rejected};
  const auto outcome = sender->handle(db.cx(), claim());
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::failed);
  CHECK(email_status() == "failed");
  CHECK(recipient_statuses() == "bounced");
  CHECK(events() == "failed");
  CHECK(db.scalar("SELECT reason FROM email_suppressions WHERE email = 'db1@example.org'") == "hard_bounce");
}

TEST_CASE_FIXTURE(EmailFixture, "email::an email left in sending is resent with the same Message-ID") {
  db.exec("UPDATE emails SET status = 'sending', message_id = 'briefos.earlier@old.example'");
  db.exec("UPDATE email_recipients SET status = 'sending'");
  sender->handle(db.cx(), claim());
  REQUIRE(box->sent.size() == 1);
  CHECK(box->sent.front().message_id == "briefos.earlier@old.example");
  CHECK(sender->resent() == 1);
  CHECK(email_status() == "sent");
  CHECK(recipient_statuses() == "sent");
  CHECK(db.scalar("SELECT event_data->>'resent' FROM email_tracking_events") == "true");
}

TEST_CASE_FIXTURE(EmailFixture, "email::a missing email fails the job for good") {
  db.exec("DELETE FROM emails");
  CHECK_THROWS_AS(sender->handle(db.cx(), claim()), queue::PermanentError);
  CHECK(box->sent.empty());
}

TEST_CASE_FIXTURE(EmailFixture, "email::an unusable address fails the email without sending") {
  db.exec("UPDATE email_recipients SET recipient_email = 'ada@example.org, eve@example.net'");
  CHECK_THROWS_AS(sender->handle(db.cx(), claim()), queue::PermanentError);
  CHECK(box->sent.empty());
  CHECK(email_status() == "failed");
  CHECK(recipient_statuses() == "failed");
  CHECK(db.scalar("SELECT error_message FROM emails").find("invalid email address") != std::string::npos);
}

TEST_CASE_FIXTURE(EmailFixture, "email::notifies briefos_events after commit") {
  pqxx::connection listener{db.url()};
  struct Receiver final : pqxx::notification_receiver {
    std::vector<std::string> payloads;
    explicit Receiver(pqxx::connection_base& c) : pqxx::notification_receiver(c, "briefos_events") {}
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
  } receiver{listener};
  listener.get_notifs();
  sender->handle(db.cx(), claim());
  // The NOTIFY was committed with the email; wait for it (bounded).
  for (int i = 0; i < 50 && receiver.payloads.empty(); ++i) listener.await_notification(0, 100000);
  REQUIRE(receiver.payloads.size() == 1);
  const auto j = nlohmann::json::parse(receiver.payloads.front());
  CHECK(j["event"] == "email_sent");
  CHECK(j["email_id"] == email_id);
  CHECK(j["brief_date"] == "2025-10-01");
}

TEST_SUITE_END();
