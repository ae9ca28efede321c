// SPDX-License-Identifier: MIT
#pragma once

// For db/stats_*.cpp only: the read-only transaction every report runs in,
// and the conversions of its columns (times as integer microseconds since
// the epoch, NULL as nullopt).

#include "briefos/db/session.hpp"
#include "briefos/error.hpp"
#include "briefos/stats/time.hpp"

#include <pqxx/pqxx>

#include <optional>
#include <string>

namespace briefos::db::stats_queries::detail {

// A read-only transaction with the snapshot and timeouts of the policy
// (see stats_queries.cpp). Rolled back when it ends: nothing to commit.
class ReadTx {
public:
  explicit ReadTx(Session& session);
  pqxx::transaction_base& tx();
  // The same transaction as briefos's own handle, for the reads other
  // stores own (schedule_store::active_zones).
  Transaction& transaction() { return m_tx; }
  // The transaction's now(): what the report's ages are relative to.
  stats::Time now();

private:
  Transaction m_tx;
};

stats::Time to_time(const pqxx::field& f);
std::optional<stats::Time> opt_time(const pqxx::field& f);
std::optional<double> opt_double(const pqxx::field& f);
std::optional<std::string> opt_text(const pqxx::field& f);

// A zone PostgreSQL does not know (its tz database can differ from the
// system's) is the operator's --tz: exit 2, not 1.
template <typename F>
auto with_zone_check(const std::string& zone, F&& f) {
  try {
    return f();
  } catch (const pqxx::data_exception& e) {
    const std::string what = e.what();
    if (what.find("time zone") != std::string::npos) {
      throw UsageError("time zone \"" + zone + "\" is not known to the database server");
    }
    throw;
  }
}

}  // namespace briefos::db::stats_queries::detail
