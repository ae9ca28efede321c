// SPDX-License-Identifier: MIT
#pragma once

// The database handles the rest of briefos holds: a Session (one open
// connection) and a Transaction (one unit of work on it). They are
// briefos's own types so that nothing outside db/ includes or names
// libpqxx: handlers, services and front ends pass these to the stores, and
// only db/ (through db/detail/pqxx_access.hpp) reaches the libpqxx objects
// inside. A move to another libpqxx touches db/ alone.

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>

namespace briefos::db {

namespace detail {
struct Access;
}

// How the connections of this process reach PostgreSQL. `session`: directly,
// or through a pooler in session mode (PgBouncer pool_mode=session), where a
// client keeps one server connection for as long as it is connected. 
// `transaction`: through a pooler in transaction mode (PgBouncer
// pool_mode=transaction), where each transaction may run on another server
// connection and no session state survives between transactions; then
// briefos sends its statements unnamed instead of as named prepared
// statements, polls instead of LISTENing (Listener does nothing) and refuses
// to migrate (the migration lock is a session lock). A pooler cannot be
// detected from the client side, so the operator says so:
// BRIEFOS_POOLER=transaction (unset, empty or "session": session).
enum class Pooling { session, transaction };

// The pooling of this process, read once from BRIEFOS_POOLER; UsageError
// (exit 2) for any other value.
Pooling pooling();

// One connection to PostgreSQL, tagged with an application_name. Not
// thread-safe: one thread (one worker slot) at a time.
class Session {
public:
  // Open a connection to `url` (a postgres:// URL or a libpq conninfo
  // string; empty means libpq's PG* variables). Throws DatabaseUnreachable
  // (exit 3) with any password removed.
  static std::unique_ptr<Session> open(const std::string& url, const std::string& application_name);

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // False once the connection is known to be broken.
  bool is_open() const noexcept;

  // True if `e` means this session's connection is gone (server restart,
  // network) rather than an error in one statement.
  bool lost(const std::exception& e) const noexcept;

  // Wait up to `timeout` for a NOTIFY on a channel this session listens to
  // (see Listener); returns at once when one arrives.
  void await_notification(std::chrono::milliseconds timeout);

  // Replace a lost connection with a new one to the same URL, in place (the
  // worker's reconnect after a failover: a multi-host URL with
  // target_session_attrs=read-write then reaches the promoted standby).
  // Throws DatabaseUnreachable as open() does. Session state (LISTEN,
  // prepared statements) does not survive; a Listener must be made anew.
  void reconnect();

  // How many times reconnect() succeeded: who keeps state per session (the
  // email sender's batch) drops it when this changes.
  unsigned epoch() const noexcept;

private:
  friend struct detail::Access;
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// A unit of work on a Session. Rolled back when destroyed without commit().
class Transaction {
public:
  enum class Kind {
    write,       // BEGIN ... COMMIT, read committed
    read_only,   // BEGIN READ ONLY
    autocommit,  // no transaction: each statement commits on its own
  };
  explicit Transaction(Session& session, Kind kind = Kind::write);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();
  Session& session() noexcept { return m_session; }

private:
  friend struct detail::Access;
  struct Impl;
  Session& m_session;
  std::unique_ptr<Impl> m_impl;
};

// Run `fn` in a write transaction on `session` and commit it; an exception
// from `fn` rolls it back and propagates.
template <typename F>
auto in_transaction(Session& session, F&& fn) {
  Transaction tx{session};
  if constexpr (std::is_void_v<decltype(fn(tx))>) {
    fn(tx);
    tx.commit();
  } else {
    auto result = fn(tx);
    tx.commit();
    return result;
  }
}

// LISTEN on `channel` for as long as this object lives; `wake` runs (on the
// session's thread, inside Session::await_notification) for each NOTIFY.
class Listener {
public:
  Listener(Session& session, const std::string& channel, std::function<void()> wake);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace briefos::db
