// SPDX-License-Identifier: MIT
#pragma once

// Small text rules every layer shares, written once: what a UUID looks
// like, what counts as blank, how a comma-separated option is split.

#include <string>
#include <string_view>
#include <vector>

namespace briefos::util {

// 8-4-4-4-12 hexadecimal digits, either case (PostgreSQL's uuid input).
bool is_uuid(std::string_view s) noexcept;

// ASCII whitespace: space, \t, \n, \r, \f, \v.
bool is_space(char c) noexcept;

// `s` without leading and trailing ASCII whitespace.
std::string trim(std::string_view s);

// `s` with ASCII A-Z in lower case and every other byte kept (UTF-8 safe;
// uuids, header names and email addresses as PostgreSQL's lower() on ASCII).
std::string lower(std::string_view s);

// "a, b,,c" -> {"a", "b", "c"}: split at commas, trim, drop empty items.
std::vector<std::string> split_commas(std::string_view s);

}  // namespace briefos::util
