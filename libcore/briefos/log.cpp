// SPDX-License-Identifier: MIT
//
// Logging for all programs. Logs are events for people and log collectors and
// always go to stderr; data goes to stdout. The text form follows the message
// convention of the PostgreSQL client programs ("briefos-email: error: ...").
// The JSON form is produced by a formatter that serialises each record with
// nlohmann/json, because spdlog's pattern formatter does not escape the
// message and would emit invalid JSON for a message with a quote or newline.
// Invalid UTF-8 in a message is replaced, never allowed to break the line,
// and in text form control characters are too (see TextFormatter). Every
// record, in either form, passes through util::redact: a URL's credentials
// or a conninfo password never reach a log, whichever layer quoted them.
// With JSON logs, the human summaries programs write to stderr go through
// JsonLines and become records too: stderr holds one format.
#include "briefos/log.hpp"

#include "briefos/error.hpp"
#include "briefos/util/secrets.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

namespace briefos::log {

namespace {

class JsonFormatter final : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        msg.time.time_since_epoch())
                        .count();
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string text =
        json_line(static_cast<long long>(ms),
                  std::string(level.data(), level.size()),
                  std::string(msg.logger_name.data(), msg.logger_name.size()),
                  util::redact(std::string_view(msg.payload.data(), msg.payload.size())));
    dest.append(text.data(), text.data() + text.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// The text form, "%n: %^%l%$: %v", with the message kept on one line. User
// data reaches log messages (a project's name, a time zone, a server's
// reply), and a CR or LF in it would forge a line of its own in a log that
// operators read and grep, an ESC would drive their terminal. So every
// control character but tab becomes a space.
class TextFormatter final : public spdlog::formatter {
public:
  TextFormatter() : m_pattern(std::make_unique<spdlog::pattern_formatter>("%n: %^%l%$: %v")) {}

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    std::string text = util::redact(std::string_view(msg.payload.data(), msg.payload.size()));
    for (char& c : text) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) c = ' ';
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    spdlog::details::log_msg one_line = msg;
    one_line.payload = spdlog::string_view_t(text.data(), text.size());
    m_pattern->format(one_line, dest);
    // The colour sink reads the range from the message it passed in.
    msg.color_range_start = one_line.color_range_start;
    msg.color_range_end = one_line.color_range_end;
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }

private:
  std::unique_ptr<spdlog::pattern_formatter> m_pattern;
};

spdlog::level::level_enum parse_level(const std::string& level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "info") return spdlog::level::info;
  if (level == "warning" || level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "off") return spdlog::level::off;
  throw UsageError("invalid value \"" + level + "\" for option --log-level",
                   "Use one of trace, debug, info, warning, error, off.");
}

}  // namespace

std::string json_line(long long ts_ms,
                      const std::string& level,
                      const std::string& logger,
                      const std::string& message) {
  nlohmann::ordered_json line;
  line["ts_ms"] = ts_ms;
  line["level"] = level;
  line["logger"] = logger;
  line["msg"] = message;
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
}

class JsonLines::Buf final : public std::streambuf {
public:
  Buf(std::ostream& target, std::string tool_name) : m_target(target), m_tool(std::move(tool_name)) {}

  void flush_line() {
    if (m_line.empty()) return;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    m_target << summary_json_line(static_cast<long long>(ms), m_tool, m_line);
    m_target.flush();
    m_line.clear();
  }

protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    const char c = traits_type::to_char_type(ch);
    // A carriage return redraws a terminal line (progress): a record ends.
    if (c == '\n' || c == '\r') {
      flush_line();
    } else {
      m_line.push_back(c);
    }
    return ch;
  }
  int sync() override { return 0; }  // a record ends at a newline only

private:
  std::ostream& m_target;
  std::string m_tool;
  std::string m_line;
};

JsonLines::JsonLines(std::ostream& target, std::string tool_name)
    : std::ostream(nullptr), m_buf(std::make_unique<Buf>(target, std::move(tool_name))) {
  rdbuf(m_buf.get());
}

JsonLines::~JsonLines() {
  m_buf->flush_line();
}

std::string summary_json_line(long long ts_ms, const std::string& tool_name, const std::string& line) {
  std::string msg = line;
  const std::string prefix = tool_name + ": ";
  if (msg.rfind(prefix, 0) == 0) msg.erase(0, prefix.size());
  return json_line(ts_ms, "info", tool_name, util::redact(msg));
}

void setup(const std::string& tool_name, const std::string& level, Format format,
           std::ostream* stream) {
  const auto lvl = parse_level(level);
  spdlog::drop(tool_name);
  std::shared_ptr<spdlog::logger> logger;
  if (stream != nullptr) {
    logger = std::make_shared<spdlog::logger>(
        tool_name, std::make_shared<spdlog::sinks::ostream_sink_mt>(*stream, true));
  } else {
    logger = spdlog::stderr_color_mt(tool_name);
  }
  if (format == Format::json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_formatter(std::make_unique<TextFormatter>());
  }
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace briefos::log
