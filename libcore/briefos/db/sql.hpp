// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
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

// The same for values that are never NULL, without copying them into
// optionals first (the batch statements of briefos-generate pass hundreds
// of KB of Markdown this way).
std::string array_literal(const std::vector<std::string_view>& values);

}  // namespace briefos::db
