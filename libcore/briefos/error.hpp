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
  exit_unavailable = 6,     // briefos-email: the mail relay was down; the run
                            // stopped with the work left pending
  exit_interrupted = 130,   // stopped by a signal before the work was done
};

// The one exception hierarchy of briefos. Classes say what an error means
// (usage, bad data, transient, permanent, an unreachable database), not
// where it was thrown; the worker turns meaning into a job's fate and only
// the front end (cli.cpp) turns it into an exit status.
//
// The root: the one exception type programs report. `what()` is the primary message
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

// Data that can never be processed as it is: a row, a job's metadata, a
// template, a header value. A job that meets it fails for good (no retry
// would change the data); at the top of a program it is bad input (exit 2).
class DataError : public Error {
public:
  explicit DataError(const std::string& message, std::string hint = {})
      : Error(message, std::move(hint), exit_usage) {}
};

// Work that failed now and may succeed when tried again later (a server
// busy or away). A job that meets it is retried with backoff.
class TransientError : public Error {
public:
  using Error::Error;
};

// Work that will not succeed however often it is tried (a job with no
// handler, a recipient refused for good). A job that meets it fails.
class PermanentError : public Error {
public:
  using Error::Error;
};

}  // namespace briefos
