// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <ostream>
#include <streambuf>
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

// A stream for a program's human summaries ("briefos-email: 3 sent, ...")
// when logs are JSON: each line written to it goes to `target` as one JSON
// log record (level "info"), its "tool: " prefix dropped, so a log shipper
// reading stderr sees one format. Text mode does not use it.
class JsonLines final : public std::ostream {
public:
  JsonLines(std::ostream& target, std::string tool_name);
  ~JsonLines() override;
  JsonLines(const JsonLines&) = delete;
  JsonLines& operator=(const JsonLines&) = delete;

private:
  class Buf;
  std::unique_ptr<Buf> m_buf;
};

// The JSON record JsonLines writes for one summary line (exposed for tests).
std::string summary_json_line(long long ts_ms, const std::string& tool_name, const std::string& line);

}  // namespace briefos::log
