// SPDX-License-Identifier: MIT
// Database test fixture: each test case gets a fresh database created from a
// template that was migrated once with the embedded migrations, and dropped
// at the end. BRIEFOS_TEST_DATABASE_URL names a superuser connection to the
// throwaway cluster started by scripts/test.
#pragma once

#include <briefos/db/detail/pqxx_access.hpp>
#include <briefos/db/session.hpp>
#include <pqxx/pqxx>

#include <memory>
#include <string>

namespace briefos::testing {

// The admin URL from BRIEFOS_TEST_DATABASE_URL (tests exit 77 without it).
const std::string& admin_url();

// `admin_url()` pointed at database `name`.
std::string url_for(const std::string& name);

// Create an empty database (no migrations) and return its name.
std::string create_empty_database(const std::string& prefix);

// Drop database `name` (force-closing connections).
void drop_database(const std::string& name);

// A migrated database for one test case.
class TestDb {
public:
  TestDb();
  ~TestDb();
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  const std::string& name() const { return m_name; }
  const std::string& url() const { return m_url; }
  // A connection owned by the fixture, for setup and checks: as a
  // db::Session for the stores, as libpqxx for raw SQL in the checks.
  briefos::db::Session& session();
  pqxx::connection& cx();
  // Run `sql` in its own transaction and return the result.
  pqxx::result exec(const std::string& sql);
  // First column of the first row as text ("" for NULL).
  std::string scalar(const std::string& sql);

private:
  std::string m_name;
  std::string m_url;
  std::unique_ptr<briefos::db::Session> m_session;
};

// Run `command` through /bin/sh and return its exit status; stdout and
// stderr go to `out` when given.
int run_shell(const std::string& command, std::string* out = nullptr);

}  // namespace briefos::testing
