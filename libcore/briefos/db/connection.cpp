// SPDX-License-Identifier: MIT
//
// Connecting, and keeping secrets out of messages. libpq's own error text for
// a failed connection names the host and the reason but never the password;
// we still pass everything through redact(), because a URL given by the user
// may be echoed back by other layers. redact() is util::redact (the one
// masking rule, util/secrets.hpp) under the name db callers know.
#include "briefos/db/connection.hpp"
#include "briefos/db/detail/pqxx_access.hpp"

#include "briefos/error.hpp"
#include "briefos/util/secrets.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <regex>

namespace briefos::db {

std::string redact(const std::string& text) {
  return util::redact(text);
}

void check_connection_string(const std::string& url, const std::string& source) {
  if (url.empty()) return;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options != nullptr) {
    PQconninfoFree(options);
    return;
  }
  std::string reason = error != nullptr ? error : "out of memory";
  PQfreemem(error);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  throw UsageError("invalid database URL from " + source + ": " + redact(reason),
                   "Write postgresql://USER@HOST:PORT/DBNAME or a conninfo string (host=... dbname=...).");
}

std::string database_name(const std::string& url) {
  static const std::regex url_db(R"(^postgres(?:ql)?://[^/?]*/([^?]+))", std::regex::icase);
  static const std::regex kv_db(R"((?:^|\s)dbname\s*=\s*'?([^'\s]+))");
  std::smatch m;
  if (std::regex_search(url, m, url_db)) return m[1].str();
  if (std::regex_search(url, m, kv_db)) return m[1].str();
  if (url.empty()) {
    if (const char* d = std::getenv("PGDATABASE"); d != nullptr && *d != '\0') return d;
  }
  return "(default)";
}

std::unique_ptr<pqxx::connection> connect(const std::string& url,
                                          const std::string& application_name) {
  check_connection_string(url, "the connection string");
  try {
    auto cx = std::make_unique<pqxx::connection>(url);
    pqxx::nontransaction tx{*cx};
    tx.exec_params("SELECT set_config('application_name', $1, false)", application_name);
    return cx;
  } catch (const pqxx::broken_connection& e) {
    std::string reason = e.what();
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    // libpq reports "connection to server ... failed: <reason>\n\t<detail>";
    // keep it whole but on one line, each run of blanks one space.
    std::string flat;
    for (const char c : reason) {
      const bool blank = c == '\n' || c == '\t' || c == ' ' || c == '\r';
      if (!blank) {
        flat.push_back(c);
      } else if (!flat.empty() && flat.back() != ' ') {
        flat.push_back(' ');
      }
    }
    reason = flat;
    throw DatabaseUnreachable("could not connect to database \"" + database_name(url)
                                  + "\": " + redact(reason),
                              "Set --database-url, BRIEFOS_DATABASE_URL or the PG* variables.");
  }
}

bool is_connection_lost(const std::exception& e) noexcept {
  // Our own word for it: the worker rethrows a lost slot connection as
  // DatabaseUnreachable, and a caller up the stack must still read it so.
  if (dynamic_cast<const DatabaseUnreachable*>(&e) != nullptr) return true;
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) return true;
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) return true;
  if (const auto* s = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string state = s->sqlstate();
    // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
    // class 08 connection exceptions.
    return state == "57P01" || state == "57P02" || state == "57P03"
           || state.rfind("08", 0) == 0;
  }
  return false;
}

}  // namespace briefos::db
