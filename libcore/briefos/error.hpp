// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>

namespace briefos {

// Exit statuses shared by every program. Each man page lists the ones its
// program uses; dedicated codes exist only where callers branch on them.
enum ExitStatus : int {
  exit_ok = 0,              // success
  exit_failure = 1,         // some work failed (details on stderr)
  exit_usage = 2,           // bad command line, config file or input
  exit_db_unreachable = 3,  // could not connect to, or lost, the database
  exit_lock_timeout = 4,    // briefos-migrate: another migrator held the lock
  exit_check_failed = 5,    // status --exit-code / health: a check failed
  exit_interrupted = 130,   // stopped by a signal before the work was done
};

// The one exception type programs report. `what()` is the primary message
// (lower-case, no trailing period); `hint()` an optional follow-up sentence;
// `exit_status()` what the program exits with when this reaches the top.
class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message,
                 std::string hint = {},
                 int exit_status = exit_failure)
      : std::runtime_error(message),
        m_hint(std::move(hint)),
        m_exit_status(exit_status) {}

  const std::string& hint() const noexcept { return m_hint; }
  int exit_status() const noexcept { return m_exit_status; }

private:
  std::string m_hint;
  int m_exit_status;
};

// Bad flags, config values or input the user gave: exit status 2.
class UsageError : public Error {
public:
  explicit UsageError(const std::string& message, std::string hint = {})
      : Error(message, std::move(hint), exit_usage) {}
};

// The database could not be reached, or the connection was lost: exit 3.
class DatabaseUnreachable : public Error {
public:
  explicit DatabaseUnreachable(const std::string& message, std::string hint = {})
      : Error(message, std::move(hint), exit_db_unreachable) {}
};

}  // namespace briefos
