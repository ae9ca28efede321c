// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace briefos::db {

// A PostgreSQL array literal ({"a","b",NULL}) of `values`, to pass as ONE
// bound parameter and cast in SQL ($1::text[], $1::bigint[], ...). libpqxx
// 6.4 has no array parameters; quoting every element keeps any text safe.
std::string array_literal(const std::vector<std::optional<std::string>>& values);

}  // namespace briefos::db
