// SPDX-License-Identifier: MIT
#include "briefos/db/detail/sql.hpp"

namespace briefos::db {

namespace {

// {"a","b",NULL}: every element quoted, with '"' and '\\' escaped. The
// size is computed first so the literal is built in one allocation, and
// the runs between characters to escape are copied whole.
template <typename Values, typename Get>
std::string build_array_literal(const Values& values, Get get) {
  std::size_t size = 2;
  for (const auto& v : values) {
    const std::optional<std::string_view> e = get(v);
    if (!e) {
      size += 5;
      continue;
    }
    size += e->size() + 3;
    for (char c : *e) size += (c == '"' || c == '\\') ? 1 : 0;
  }
  std::string out;
  out.reserve(size);
  out += '{';
  bool first = true;
  for (const auto& v : values) {
    if (!first) out += ',';
    first = false;
    const std::optional<std::string_view> e = get(v);
    if (!e) {
      out += "NULL";
      continue;
    }
    out += '"';
    // Copy the runs between characters to escape whole.
    const char* run = e->data();
    const char* const end = run + e->size();
    for (const char* c = run; c != end; ++c) {
      if (*c == '"' || *c == '\\') {
        out.append(run, static_cast<std::size_t>(c - run));
        out += '\\';
        run = c;  // the character itself starts the next run
      }
    }
    out.append(run, static_cast<std::size_t>(end - run));
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

std::string array_literal(const std::vector<std::optional<std::string>>& values) {
  return build_array_literal(values, [](const std::optional<std::string>& v) -> std::optional<std::string_view> {
    if (!v) return std::nullopt;
    return std::string_view(*v);
  });
}

std::string array_literal(const std::vector<std::string_view>& values) {
  return build_array_literal(values, [](std::string_view v) -> std::optional<std::string_view> { return v; });
}

}  // namespace briefos::db
