// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace briefos::db {

// The text of `f`, or nothing for NULL. (libpqxx 6.4's as<std::optional<T>>
// does not handle NULL for every T; this does, and reads the same in 7.x.)
inline std::optional<std::string> opt_text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::string(f.c_str(), f.size());
}

// A PostgreSQL array literal ({"a","b",NULL}) of `values`, to pass as ONE
// bound parameter and cast in SQL ($1::text[], $1::bigint[], ...). libpqxx
// 6.4 has no array parameters; quoting every element keeps any text safe.
std::string array_literal(const std::vector<std::optional<std::string>>& values);

}  // namespace briefos::db
