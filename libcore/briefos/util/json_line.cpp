// SPDX-License-Identifier: MIT
//
// The --json contract (see json_line.hpp): "v" first, then the fields in
// the order the program gave them.
#include "briefos/util/json_line.hpp"

namespace briefos::util {

namespace {

static_assert(json_line_opening == "{\"v\":1,", "json_line_opening follows json_schema_version");

template <class Object>
nlohmann::ordered_json versioned(const Object& fields) {
  nlohmann::ordered_json out{{"v", json_schema_version}};
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it.key() != "v") out[it.key()] = *it;
  }
  return out;
}

std::string dump(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + '\n';
}

}  // namespace

std::string json_line(const nlohmann::ordered_json& fields) { return dump(versioned(fields), -1); }

std::string json_line(const nlohmann::json& fields) { return dump(versioned(fields), -1); }

std::string json_document(const nlohmann::ordered_json& doc) { return dump(versioned(doc), 2); }

}  // namespace briefos::util
