// SPDX-License-Identifier: MIT
#include "fixture.hpp"

#include <briefos/db/migrator.hpp>
#include <briefos/migrate.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

namespace briefos::testing {

namespace {

std::atomic<int> g_counter{0};

std::string template_name() {
  // The template depends on the migration set, so a changed file gets a new
  // one rather than a stale schema.
  std::string all;
  for (const auto& m : migrate::load(migrate::embedded_files())) all += m.checksum;
  return "briefos_tmpl_" + migrate::checksum(all).substr(0, 12);
}

void ensure_template() {
  static bool done = false;
  if (done) return;
  const std::string tmpl = template_name();
  pqxx::connection admin{admin_url()};
  {
    pqxx::nontransaction tx{admin};
    // Serialise template creation across test processes.
    tx.exec("SELECT pg_advisory_lock(424242)");
    const bool exists =
        !tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", tmpl).empty();
    if (!exists) {
      tx.exec("CREATE DATABASE " + tx.quote_name(tmpl + "_build"));
      {
        auto session = db::Session::open(url_for(tmpl + "_build"), "briefos-test");
        db::Migrator m{*session};
        m.ensure_history_table();
        for (const auto& mig : migrate::load(migrate::embedded_files())) m.apply_up(mig);
      }
      tx.exec("ALTER DATABASE " + tx.quote_name(tmpl + "_build") + " RENAME TO "
              + tx.quote_name(tmpl));
    }
    tx.exec("SELECT pg_advisory_unlock(424242)");
  }
  done = true;
}

}  // namespace

const std::string& admin_url() {
  static const std::string url = [] {
    const char* v = std::getenv("BRIEFOS_TEST_DATABASE_URL");
    if (v == nullptr || *v == '\0') throw std::runtime_error("BRIEFOS_TEST_DATABASE_URL is not set");
    return std::string(v);
  }();
  return url;
}

std::string url_for(const std::string& name) {
  const std::string& base = admin_url();
  static const std::regex url_db(R"(^(postgres(?:ql)?://[^/?]*/)([^?]*)(.*)$)");
  std::smatch m;
  if (std::regex_match(base, m, url_db)) return m[1].str() + name + m[3].str();
  return base + " dbname=" + name;
}

std::string create_empty_database(const std::string& prefix) {
  const std::string name =
      prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(g_counter++);
  pqxx::connection admin{admin_url()};
  pqxx::nontransaction tx{admin};
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
  tx.exec("CREATE DATABASE " + tx.quote_name(name));
  return name;
}

void drop_database(const std::string& name) {
  pqxx::connection admin{admin_url()};
  pqxx::nontransaction tx{admin};
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
}

TestDb::TestDb() {
  ensure_template();
  m_name = "t_" + std::to_string(getpid()) + "_" + std::to_string(g_counter++);
  {
    pqxx::connection admin{admin_url()};
    pqxx::nontransaction tx{admin};
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(m_name) + " WITH (FORCE)");
    tx.exec("CREATE DATABASE " + tx.quote_name(m_name) + " TEMPLATE " + tx.quote_name(template_name()));
  }
  m_url = url_for(m_name);
  m_session = briefos::db::Session::open(m_url, "briefos-db-tests");
}

TestDb::~TestDb() {
  m_session.reset();
  try {
    drop_database(m_name);
  } catch (...) {
    // A failed drop leaves a database behind in a throwaway cluster; the
    // test's own result matters more.
  }
}

briefos::db::Session& TestDb::session() { return *m_session; }
pqxx::connection& TestDb::cx() { return briefos::db::detail::cx(*m_session); }

pqxx::result TestDb::exec(const std::string& sql) {
  pqxx::work tx{cx()};
  pqxx::result r = tx.exec(sql);
  tx.commit();
  return r;
}

std::string TestDb::scalar(const std::string& sql) {
  const pqxx::result r = exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

int run_shell(const std::string& command, std::string* out) {
  std::string cmd = command + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  std::string text;
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  const int status = pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace briefos::testing
