// SPDX-License-Identifier: MIT
//
// The database side of briefos-migrate (briefos::db::Migrator) against a real
// PostgreSQL: the advisory lock and its timeout, a failing migration rolling
// back with its history row, a no-transaction migration really running
// outside a transaction, two migrators on two connections at once, and the
// two-part enum migration with the monitoring queries. The built program is
// tested end to end by tests/cli/migrate.test.sh.
#include "fixture.hpp"

#include <briefos/db/migrator.hpp>
#include <briefos/error.hpp>
#include <briefos/migrate.hpp>

#include <doctest/doctest.h>
#include <pqxx/pqxx>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using briefos::db::Migrator;
using briefos::db::Session;
using briefos::db::detail::cx;
using briefos::migrate::Migration;
using briefos::testing::url_for;

// An empty database (no migrations) for one test case.
class EmptyDb {
public:
  EmptyDb() : m_name(briefos::testing::create_empty_database("mig")), m_url(url_for(m_name)) {}
  ~EmptyDb() {
    try {
      briefos::testing::drop_database(m_name);
    } catch (...) {
      // A leftover database in the throwaway cluster is harmless.
    }
  }
  EmptyDb(const EmptyDb&) = delete;
  EmptyDb& operator=(const EmptyDb&) = delete;

  const std::string& url() const { return m_url; }

private:
  std::string m_name;
  std::string m_url;
};

std::string scalar(Session& session, const std::string& sql) {
  pqxx::read_transaction tx{cx(session)};
  const pqxx::result r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

std::vector<Migration> built_in() {
  return briefos::migrate::load(briefos::migrate::embedded_files());
}

Migration custom(int version, const std::string& name, const std::string& up_sql,
                 bool in_transaction = true) {
  Migration m;
  m.version = version;
  m.name = name;
  m.up_file = "test_" + name + ".up.sql";
  m.down_file = "test_" + name + ".down.sql";
  m.up_sql = up_sql;
  m.down_sql = "SELECT 1;";
  m.up_in_transaction = in_transaction;
  m.checksum = briefos::migrate::checksum(up_sql);
  return m;
}

}  // namespace

TEST_SUITE_BEGIN("migrate");

TEST_CASE("migrate::lock held by another session times out with exit 4") {
  EmptyDb db;
  auto holder_s = Session::open(db.url(), "briefos-test");
  auto waiter_s = Session::open(db.url(), "briefos-test");
  Migrator holder{*holder_s};
  Migrator waiter{*waiter_s};

  holder.lock(std::chrono::milliseconds(0));
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  try {
    waiter.lock(std::chrono::milliseconds(300));
  } catch (const briefos::Error& e) {
    status = e.exit_status();
    CHECK(std::string(e.what()).find("another migrator holds it") != std::string::npos);
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(status == briefos::exit_lock_timeout);
  CHECK(waited >= std::chrono::milliseconds(300));

  // A plain pg_advisory_lock on the same key (what an operator's psql
  // session would take) blocks the migrator just the same.
  holder.unlock();
  {
    pqxx::nontransaction tx{cx(*holder_s)};
    tx.exec("SELECT pg_advisory_lock(x'6272696566'::bigint)");
  }
  CHECK_THROWS_AS(waiter.lock(std::chrono::milliseconds(0)), briefos::Error);
  {
    pqxx::nontransaction tx{cx(*holder_s)};
    tx.exec("SELECT pg_advisory_unlock(x'6272696566'::bigint)");
  }
  // Released: the waiter gets it at once, and only one session holds it.
  waiter.lock(std::chrono::milliseconds(0));
  // pg_locks shows a bigint key as classid (high half) and objid (low half).
  const std::string our_lock =
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 98"
      " AND objid = 1919509862 AND objsubid = 1"
      " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
  CHECK(scalar(*holder_s, our_lock + " AND granted") == "1");
  waiter.unlock();
  CHECK(scalar(*holder_s, our_lock) == "0");
}

TEST_CASE("migrate::failing migration leaves no trace") {
  EmptyDb db;
  auto session = Session::open(db.url(), "briefos-test");
  Migrator m{*session};
  m.ensure_history_table();
  const auto set = built_in();
  for (const auto& mig : set) m.apply_up(mig);
  const int last = set.back().version;

  const Migration broken = custom(last + 1, "broken",
                                  "-- fails on line 4\n"
                                  "CREATE TABLE partial_marker (id int);\n"
                                  "INSERT INTO partial_marker VALUES (1);\n"
                                  "SELEC oops;\n");
  std::string message;
  int status = 0;
  try {
    m.apply_up(broken);
  } catch (const briefos::Error& e) {
    message = e.what();
    status = e.exit_status();
  }
  CHECK(status == briefos::exit_failure);
  CHECK(message.find("\"test_broken.up.sql\" at line 4") != std::string::npos);
  CHECK(message.find("syntax error") != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
  CHECK(scalar(*session, "SELECT to_regclass('partial_marker') IS NULL") == "t");
  CHECK(scalar(*session, "SELECT max(version) FROM briefos_schema_migrations") == std::to_string(last));

  // A runtime error without a position still names the file.
  try {
    m.apply_up(custom(last + 1, "divide", "CREATE TABLE partial_marker (id int);\nSELECT 1/0;\n"));
    FAIL("division by zero did not throw");
  } catch (const briefos::Error& e) {
    CHECK(std::string(e.what()).find("\"test_divide.up.sql\"") != std::string::npos);
    CHECK(std::string(e.what()).find("division by zero") != std::string::npos);
  }
  CHECK(scalar(*session, "SELECT to_regclass('partial_marker') IS NULL") == "t");

  // The connection is still usable, and a good migration applies after it.
  m.apply_up(custom(last + 1, "good", "CREATE TABLE good_marker (id int);"));
  CHECK(scalar(*session, "SELECT name FROM briefos_schema_migrations WHERE version = "
                       + std::to_string(last + 1))
        == "good");
}

TEST_CASE("migrate::no-transaction migration runs outside a transaction") {
  EmptyDb db;
  auto session = Session::open(db.url(), "briefos-test");
  Migrator m{*session};
  m.ensure_history_table();
  m.apply_up(custom(1, "table", "CREATE TABLE t (a int);"));
  const std::string concurrently = "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);";
  // Inside a transaction PostgreSQL refuses it ...
  CHECK_THROWS_AS(m.apply_up(custom(2, "index", concurrently, true)), briefos::Error);
  CHECK(scalar(*session, "SELECT to_regclass('t_a_idx') IS NULL") == "t");
  // ... outside one it works, and the history row follows.
  m.apply_up(custom(2, "index", concurrently, false));
  CHECK(scalar(*session, "SELECT to_regclass('t_a_idx') IS NOT NULL") == "t");
  const auto history = m.applied();
  REQUIRE(history.size() == 2);
  CHECK(history[1].version == 2);
  CHECK(history[1].name == "index");
  CHECK(history[1].checksum == briefos::migrate::checksum(concurrently));
  CHECK(history[1].applied_at.back() == 'Z');
}

TEST_CASE("migrate::two migrators at once apply each migration once") {
  EmptyDb db;
  const auto set = built_in();
  std::vector<int> applied_by(2, 0);
  std::vector<std::string> errors(2);
  auto migrate_all = [&](int who) {
    try {
      auto session = Session::open(db.url(), "briefos-test");
      Migrator m{*session};
      m.lock(std::chrono::seconds(60));
      m.ensure_history_table();
      const auto done = m.applied();  // read only once the lock is held
      const int from = done.empty() ? 0 : done.back().version;
      for (const auto& mig : set) {
        if (mig.version <= from) continue;
        m.apply_up(mig);
        ++applied_by[static_cast<std::size_t>(who)];
      }
      m.unlock();
    } catch (const std::exception& e) {
      errors[static_cast<std::size_t>(who)] = e.what();
    }
  };
  std::thread a(migrate_all, 0);
  std::thread b(migrate_all, 1);
  a.join();
  b.join();
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
  CHECK(applied_by[0] + applied_by[1] == static_cast<int>(set.size()));
  CHECK((applied_by[0] == 0 || applied_by[1] == 0));  // one did all, the other nothing
  auto session = Session::open(db.url(), "briefos-test");
  CHECK(scalar(*session, "SELECT count(DISTINCT version) = count(*) AND count(*) = "
                       + std::to_string(set.size()) + " FROM briefos_schema_migrations")
        == "t");
}

TEST_CASE("migrate::enum value usable after part 1 and monitoring queries run") {
  briefos::testing::TestDb db;
  const std::string user = "00000000-0000-4000-8000-0000000000aa";
  const std::string email = "00000000-0000-4000-8000-0000000000bb";
  const std::string brief = "00000000-0000-4000-8000-0000000000cc";
  {
    pqxx::work tx{db.cx()};
    tx.exec_params("INSERT INTO users (id, email, name) VALUES ($1, 'm@example.com', 'M')", user);
    // get_pending_brief_emails lists only users who opted in to the email.
    tx.exec_params(
        "INSERT INTO user_brief_preferences (user_id, timezone, email_daily_brief)"
        " VALUES ($1, 'Europe/Paris', true)",
        user);
    tx.exec_params(
        "INSERT INTO emails (id, subject, content, from_email, from_name, created_by, category,"
        " tracking_id, template_data) VALUES ($1, 'Your brief', '<p>hi</p>', 'no@example.com',"
        " 'briefos', $2::uuid, 'daily_brief', 'trk-1',"
        " jsonb_build_object('brief_id', $3::text, 'brief_date', '2025-01-02', 'user_id', $2::text))",
        email, user, brief);
    tx.exec_params(
        "INSERT INTO email_recipients (email_id, recipient_email, recipient_name)"
        " VALUES ($1, 'm@example.com', 'M')",
        email);
    tx.exec_params(
        "INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key)"
        " VALUES ('generate_brief_email', $1, jsonb_build_object('emailId', $2::text), 'email:' || $2)",
        user, email);
    tx.commit();
  }
  // The three monitoring queries, exactly as operators type them.
  CHECK(db.exec("SELECT * FROM brief_email_stats").size() == 1);
  const pqxx::result pending = db.exec("SELECT * FROM get_pending_brief_emails(100)");
  REQUIRE(pending.size() == 1);
  CHECK(std::string(pending[0]["brief_id"].c_str()) == brief);
  const pqxx::result status = db.exec("SELECT * FROM get_brief_email_status('" + brief + "')");
  REQUIRE(status.size() == 1);
  CHECK(std::string(status[0]["email_id"].c_str()) == email);

  // Reverting down to version 1 removes the enum value and its jobs.
  Migrator m{db.session()};
  const auto set = built_in();
  for (auto it = set.rbegin(); it != set.rend() && it->version > 1; ++it) m.apply_down(*it);
  CHECK(db.scalar("SELECT count(*) FROM pg_enum WHERE enumtypid = 'queue_type'::regtype"
                  " AND enumlabel = 'generate_brief_email'")
        == "0");
  CHECK(db.scalar("SELECT count(*) FROM queue_jobs") == "0");
  CHECK(db.scalar("SELECT to_regclass('brief_email_stats') IS NULL") == "t");
  CHECK(db.scalar("SELECT max(version) FROM briefos_schema_migrations") == "1");
}

TEST_SUITE_END();
