// SPDX-License-Identifier: MIT
#pragma once

// The --json contract every program keeps, in one place. Each line a
// program writes to stdout under --json is one JSON object whose first
// field is "v", the version of that program's output schema. Within a
// version fields may be added, never renamed, removed or retyped; absent
// values are null, booleans are JSON booleans, counts are numbers. A change
// that breaks this raises the version. Invalid UTF-8 in a value (a user's
// text) is replaced, never fatal. briefos(7) states the same promise.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace briefos::util {

inline constexpr int json_schema_version = 1;

// The opening of a line written by hand on a hot path (briefos-schedule's
// job lines): `{"v":1,` and the fields follow.
inline constexpr std::string_view json_line_opening = "{\"v\":1,";

// `fields` (an object) as one line, "v" first, ending in '\n'.
std::string json_line(const nlohmann::ordered_json& fields);
std::string json_line(const nlohmann::json& fields);

// `doc` (an object) as an indented document, "v" first, ending in '\n':
// the reports of briefos-stats and `briefos-queue show`.
std::string json_document(const nlohmann::ordered_json& doc);

}  // namespace briefos::util
