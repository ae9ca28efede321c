// SPDX-License-Identifier: MIT
// briefos-email's state machine against a real PostgreSQL, with a recording
// transport: cancellation cases, recipients in step, failures, idempotence.
#include "fixture.hpp"

#include <briefos/db/queue.hpp>
#include <briefos/app/email/service.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using briefos::testing::TestDb;
namespace ec = briefos::app::email;
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

std::string read_seed(const std::string& prefix = "db", int count = 1) {
  std::ifstream in(std::string(BRIEFOS_SOURCE_DIR) + "/tests/cli/email_seed.sql");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string sql = ss.str();
  // psql variables, as the shell tests pass them.
  for (std::size_t p; (p = sql.find(":'prefix'")) != std::string::npos;) sql.replace(p, 9, "'" + prefix + "'");
  for (std::size_t p; (p = sql.find(":count")) != std::string::npos;) sql.replace(p, 6, std::to_string(count));
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
    auto jobs = queue::claim(db.session(), o);
    REQUIRE(jobs.size() == 1);
    return jobs.front();
  }

  std::vector<queue::Job> claim_all() {
    queue::ClaimOptions o;
    o.types = {"generate_brief_email"};
    o.worker_id = "test:1";
    o.limit = 10;
    return queue::claim(db.session(), o);
  }

  // How many messages with each email's Message-ID the transport saw, by
  // email id order: "1,2,1".
  std::string deliveries_by_email() {
    std::string out;
    for (const auto& row : db.exec("SELECT message_id FROM emails ORDER BY id")) {
      const std::string mid = row[0].is_null() ? std::string() : row[0].as<std::string>();
      long n = 0;
      for (const auto& m : box->sent) n += m.message_id == mid ? 1 : 0;
      out += (out.empty() ? "" : ",") + std::to_string(n);
    }
    return out;
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
  const auto outcome = sender->handle(db.session(), job);
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
  CHECK(d->status == ec::Result::sent);
}

TEST_CASE_FIXTURE(EmailFixture, "email::running the same job twice sends nothing the second time") {
  const queue::Job job = claim();
  sender->handle(db.session(), job);
  REQUIRE(box->sent.size() == 1);
  // The same job again (a duplicate delivery of the job by the queue): the
  // email is sent, nothing goes out, and the lost job is reported as such.
  CHECK_THROWS_AS(sender->handle(db.session(), job), queue::LeaseLost);
  CHECK(box->sent.size() == 1);
  // A new job for the same email (someone re-enqueued it): completed, no send.
  db.exec("INSERT INTO queue_jobs (job_type, metadata, dedup_key) VALUES ('generate_brief_email', "
          "jsonb_build_object('emailId', '" + email_id + "'), 'email-" + email_id + "')");
  const queue::Job again = claim();
  const auto outcome = sender->handle(db.session(), again);
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::completed);
  CHECK(box->sent.size() == 1);
  CHECK(sender->take(again.id)->status == ec::Result::skipped);
  CHECK(db.scalar("SELECT count(*) FROM email_tracking_events WHERE event_type = 'sent'") == "1");
}

TEST_CASE_FIXTURE(EmailFixture, "email::cancels when the user opted out") {
  db.exec("UPDATE user_brief_preferences SET email_daily_brief = false");
  const queue::Job job = claim();
  const auto outcome = sender->handle(db.session(), job);
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
  sender->handle(db.session(), claim());
  CHECK(box->sent.empty());
  CHECK(email_status() == "cancelled");
  CHECK(recipient_statuses() == "cancelled");
  CHECK(db.scalar("SELECT error_message FROM emails") == "the user's brief delivery is deactivated");
}

TEST_CASE_FIXTURE(EmailFixture, "email::cancels when the address is suppressed") {
  db.exec("INSERT INTO email_suppressions (email, reason) VALUES ('db1@example.org', 'unsubscribed')");
  sender->handle(db.session(), claim());
  CHECK(box->sent.empty());
  CHECK(email_status() == "cancelled");
  CHECK(recipient_statuses() == "cancelled");
  CHECK(db.scalar("SELECT error_message FROM emails").find("suppression list (unsubscribed)") != std::string::npos);
}

TEST_CASE_FIXTURE(EmailFixture, "email::cancels when the brief is gone") {
  db.exec("DELETE FROM daily_briefs");
  sender->handle(db.session(), claim());
  CHECK(box->sent.empty());
  CHECK(email_status() == "cancelled");
  CHECK(recipient_statuses() == "cancelled");
  CHECK(db.scalar("SELECT error_message FROM emails") == "the brief no longer exists");
}

TEST_CASE_FIXTURE(EmailFixture, "email::a transient failure goes back to pending with the error") {
  box->script = {mail::FailureKind::transient};
  const queue::Job job = claim();
  const auto outcome = sender->handle(db.session(), job);
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
  const auto outcome = sender->handle(db.session(), claim());
  // The email is recorded failed, and its job fails with it.
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::failed);
  CHECK(email_status() == "failed");
  CHECK(recipient_statuses() == "failed");
  CHECK(events() == "failed");
  CHECK(db.scalar("SELECT count(*) FROM email_suppressions") == "0");
}

TEST_CASE_FIXTURE(EmailFixture, "email::a 5xx bounces and suppresses the address") {
  box->script = {mail::FailureKind::rejected};
  const auto outcome = sender->handle(db.session(), claim());
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::failed);
  CHECK(email_status() == "failed");
  CHECK(recipient_statuses() == "bounced");
  CHECK(events() == "failed");
  CHECK(db.scalar("SELECT reason FROM email_suppressions WHERE email = 'db1@example.org'") == "hard_bounce");
}

TEST_CASE_FIXTURE(EmailFixture, "email::an email left in sending is resent with the same Message-ID") {
  db.exec("UPDATE emails SET status = 'sending', message_id = 'briefos.earlier@old.example'");
  db.exec("UPDATE email_recipients SET status = 'sending'");
  sender->handle(db.session(), claim());
  REQUIRE(box->sent.size() == 1);
  CHECK(box->sent.front().message_id == "briefos.earlier@old.example");
  CHECK(sender->resent() == 1);
  CHECK(email_status() == "sent");
  CHECK(recipient_statuses() == "sent");
  CHECK(db.scalar("SELECT event_data->>'resent' FROM email_tracking_events") == "true");
}

TEST_CASE_FIXTURE(EmailFixture, "email::a missing email fails the job for good") {
  db.exec("DELETE FROM emails");
  CHECK_THROWS_AS(sender->handle(db.session(), claim()), queue::PermanentError);
  CHECK(box->sent.empty());
}

TEST_CASE_FIXTURE(EmailFixture, "email::a user without a usable address: cancelled, nothing sent") {
  db.exec("UPDATE users SET email = 'ada@example.org, eve@example.net'");
  const auto outcome = sender->handle(db.session(), claim());
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::completed);
  CHECK(box->sent.empty());
  CHECK(email_status() == "cancelled");
  CHECK(recipient_statuses() == "cancelled");
  CHECK(db.scalar("SELECT error_message FROM emails") == "the user has no valid email address");
}

TEST_CASE_FIXTURE(EmailFixture, "email::the recipient is the user's address at send time") {
  db.exec("UPDATE email_recipients SET recipient_email = 'old@example.net'");
  sender->handle(db.session(), claim());
  REQUIRE(box->sent.size() == 1);
  CHECK(box->sent.front().recipients == std::vector<std::string>{"db1@example.org"});
  CHECK(db.scalar("SELECT recipient_email FROM email_recipients") == "db1@example.org");
  CHECK(db.scalar("SELECT event_data->>'from' FROM email_tracking_events WHERE event_type = 'recipient_changed'")
        == "old@example.net");
  CHECK(email_status() == "sent");
}

TEST_CASE_FIXTURE(EmailFixture, "email::a relay that cannot be reached hands the email back, no attempt used") {
  box->script = {mail::FailureKind::unavailable};
  const auto outcome = sender->handle(db.session(), claim());
  CHECK(outcome.kind == briefos::worker::Outcome::Kind::unavailable);
  CHECK(email_status() == "pending");
  CHECK(recipient_statuses() == "pending");
  CHECK(db.scalar("SELECT message_id FROM emails") == "briefos." + email_id + "@example.com");
  CHECK(events() == "");
}

TEST_CASE_FIXTURE(EmailFixture, "email::notifies briefos_events after commit") {
  pqxx::connection listener{db.url()};
  struct Receiver final : pqxx::notification_receiver {
    std::vector<std::string> payloads;
    explicit Receiver(pqxx::connection_base& c) : pqxx::notification_receiver(c, "briefos_events") {}
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
  } receiver{listener};
  listener.get_notifs();
  sender->handle(db.session(), claim());
  // The NOTIFY was committed with the email; wait for it (bounded).
  for (int i = 0; i < 50 && receiver.payloads.empty(); ++i) listener.await_notification(0, 100000);
  REQUIRE(receiver.payloads.size() == 1);
  const auto j = nlohmann::json::parse(receiver.payloads.front());
  CHECK(j["event"] == "email_sent");
  CHECK(j["email_id"] == email_id);
  CHECK(j["brief_date"] == "2025-10-01");
}

// --- Batching (BatchHooks): one statement per group, not per message ---

using Flush = briefos::worker::BatchHooks::Flush;

TEST_CASE_FIXTURE(EmailFixture, "email::a batch marks its group sending and records every delivery once") {
  db.exec(read_seed("bt", 3));
  sender->set_batching(std::chrono::milliseconds(1000), 32);
  const auto jobs = claim_all();
  REQUIRE(jobs.size() == 4);
  sender->begin_batch(db.session(), jobs);
  const auto first = sender->handle(db.session(), jobs[0]);
  CHECK(first.deferred);
  // The first job's group is the whole batch: all four marked at once.
  CHECK(db.scalar("SELECT count(*) FROM emails WHERE status = 'sending'") == "4");
  CHECK(db.scalar("SELECT count(*) FROM email_recipients WHERE status = 'sending'") == "4");
  for (std::size_t k = 1; k < jobs.size(); ++k) CHECK(sender->handle(db.session(), jobs[k]).deferred);
  CHECK(box->sent.size() == 4);
  // Accepted, not yet recorded: nothing is due (4 of 32, under 1 s).
  CHECK(sender->flush(db.session(), Flush::if_due).empty());
  CHECK(db.scalar("SELECT count(*) FROM email_tracking_events") == "0");
  const auto recorded = sender->flush(db.session(), Flush::now);
  REQUIRE(recorded.size() == 4);
  for (const auto& r : recorded) {
    CHECK(r.held);
    CHECK(r.result.value("status", "") == "sent");
  }
  sender->end_batch(db.session(), {});
  CHECK(db.scalar("SELECT string_agg(DISTINCT status, ',') FROM emails") == "sent");
  CHECK(db.scalar("SELECT count(*) FROM emails WHERE sent_at IS NOT NULL AND message_id = 'briefos.' || id || '@example.com'") == "4");
  CHECK(db.scalar("SELECT string_agg(DISTINCT status, ',') FROM email_recipients") == "sent");
  CHECK(db.scalar("SELECT count(*) || ':' || count(DISTINCT email_id) FROM email_tracking_events WHERE event_type = 'sent'") == "4:4");
  CHECK(db.scalar("SELECT count(*) FROM queue_jobs WHERE status = 'completed'") == "4");
  CHECK(deliveries_by_email() == "1,1,1,1");
  // The same jobs again: nothing more goes out.
  sender->begin_batch(db.session(), jobs);
  for (const auto& j : jobs) CHECK_THROWS_AS(sender->handle(db.session(), j), queue::LeaseLost);
  sender->end_batch(db.session(), {});
  CHECK(box->sent.size() == 4);
}

TEST_CASE_FIXTURE(EmailFixture, "email::a batch puts emails it marked and never handed over back to pending") {
  db.exec(read_seed("bt", 3));
  sender->set_batching(std::chrono::milliseconds(1000), 32);
  const auto jobs = claim_all();
  REQUIRE(jobs.size() == 4);
  sender->begin_batch(db.session(), jobs);
  CHECK(sender->handle(db.session(), jobs[0]).deferred);
  CHECK(sender->flush(db.session(), Flush::now).size() == 1);
  // A stop before the other three: the worker ends the batch, then releases.
  sender->end_batch(db.session(), std::vector<queue::Job>(jobs.begin() + 1, jobs.end()));
  CHECK(db.scalar("SELECT count(*) FILTER (WHERE status = 'sent') || ':' || count(*) FILTER (WHERE status = 'pending') FROM emails") == "1:3");
  CHECK(db.scalar("SELECT count(*) FROM email_recipients WHERE status = 'pending'") == "3");
  CHECK(box->sent.size() == 1);
}

TEST_CASE_FIXTURE(EmailFixture, "email::a crash before the batch record resends only what was left sending") {
  db.exec(read_seed("bt", 3));
  sender->set_batching(std::chrono::milliseconds(1000), 32);
  const auto jobs = claim_all();
  REQUIRE(jobs.size() == 4);
  sender->begin_batch(db.session(), jobs);
  sender->handle(db.session(), jobs[0]);
  REQUIRE(sender->flush(db.session(), Flush::now).size() == 1);  // recorded
  sender->handle(db.session(), jobs[1]);                          // accepted, not recorded
  // The process dies here: no flush, no end_batch. Its leases expire and the
  // jobs are rescued; a new process runs them.
  const std::string recorded_id = jobs[0].metadata.value("emailId", "");
  db.exec("UPDATE queue_jobs SET locked_until = now() - interval '1 second' WHERE status = 'processing'");
  {
    briefos::db::Transaction tx{db.session()};
    CHECK(queue::rescue_expired(tx).retried == 3);
    tx.commit();
  }
  CHECK(db.scalar("SELECT count(*) FROM emails WHERE status = 'sending'") == "3");
  ec::Settings s;
  s.base_url = "https://app.example.com";
  s.message_id_domain = "example.com";
  ec::Sender after(s, [b = box] { return std::make_unique<FakeTransport>(b); }, nullptr, false);
  after.set_batching(std::chrono::milliseconds(1000), 32);
  const auto rescued = claim_all();
  REQUIRE(rescued.size() == 3);
  after.begin_batch(db.session(), rescued);
  for (const auto& j : rescued) {
    CHECK(j.metadata.value("emailId", "") != recorded_id);
    CHECK(after.handle(db.session(), j).deferred);
    const auto d = after.take(j.id);
    REQUIRE(d);
    CHECK(d->resent);
  }
  CHECK(after.flush(db.session(), Flush::now).size() == 3);
  after.end_batch(db.session(), {});
  CHECK(after.resent() == 3);
  CHECK(db.scalar("SELECT count(*) FROM emails WHERE status = 'sent'") == "4");
  CHECK(db.scalar("SELECT count(*) || ':' || count(DISTINCT email_id) FROM email_tracking_events WHERE event_type = 'sent'") == "4:4");
  // The recorded email went out once; the accepted-but-unrecorded one twice
  // with one Message-ID; the two marked and never sent once each.
  const std::string mid0 = db.scalar("SELECT message_id FROM emails WHERE id = '" + recorded_id + "'");
  const std::string mid1 = db.scalar("SELECT message_id FROM emails WHERE id = '" + jobs[1].metadata.value("emailId", "") + "'");
  long n0 = 0;
  long n1 = 0;
  for (const auto& m : box->sent) {
    n0 += m.message_id == mid0 ? 1 : 0;
    n1 += m.message_id == mid1 ? 1 : 0;
  }
  CHECK(n0 == 1);
  CHECK(n1 == 2);
  CHECK(box->sent.size() == 5);
}

TEST_SUITE_END();
