// SPDX-License-Identifier: MIT
#include "briefos/db/sql.hpp"

namespace briefos::db {

std::string array_literal(const std::vector<std::optional<std::string>>& values) {
  std::string out = "{";
  bool first = true;
  for (const auto& v : values) {
    if (!first) out += ',';
    first = false;
    if (!v) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace briefos::db
