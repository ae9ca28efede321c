// SPDX-License-Identifier: MIT
#pragma once

#include <iosfwd>
#include <string>

namespace briefos::log {

enum class Format { text, json };

// Install the default spdlog logger for `tool_name`, writing to stderr (or to
// `stream` when given, which must outlive the logger: tests) in `format` at
// `level` ("trace", "debug", "info", "warning", "error", "off").
// Throws UsageError for an unknown level.
void setup(const std::string& tool_name, const std::string& level, Format format,
           std::ostream* stream = nullptr);

// Render one log record as a JSON line (exposed for tests): always valid
// JSON, whatever quotes, newlines or control bytes the message holds.
std::string json_line(long long ts_ms,
                      const std::string& level,
                      const std::string& logger,
                      const std::string& message);

}  // namespace briefos::log
