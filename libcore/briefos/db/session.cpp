// SPDX-License-Identifier: MIT
// db::Session, db::Transaction and db::Listener: thin owners of the libpqxx
// connection, transaction and notification receiver, so that the rest of
// briefos can hold them without naming libpqxx. Also the process's pooling
// mode (BRIEFOS_POOLER): behind a pooler in transaction mode a Listener
// does nothing and the workers fall back on their poll interval, because a
// LISTEN binds a server connection the pooler hands to other clients.
#include "briefos/db/session.hpp"

#include "briefos/db/connection.hpp"
#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/error.hpp"

#include <cstdlib>
#include <stdexcept>
#include <variant>

namespace briefos::db {

Pooling pooling() {
  static const Pooling mode = [] {
    const char* v = std::getenv("BRIEFOS_POOLER");
    const std::string value = v == nullptr ? "" : v;
    if (value.empty() || value == "session") return Pooling::session;
    if (value == "transaction") return Pooling::transaction;
    throw UsageError("BRIEFOS_POOLER must be \"session\" or \"transaction\", not \"" + value + "\"",
                     "Set BRIEFOS_POOLER=transaction behind PgBouncer in transaction pooling mode.");
  }();
  return mode;
}

struct Session::Impl {
  std::unique_ptr<pqxx::connection> cx;
  std::string url;
  std::string application_name;
  unsigned epoch = 0;
};

Session::Session(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Session::~Session() = default;

std::unique_ptr<Session> Session::open(const std::string& url, const std::string& application_name) {
  (void)pooling();  // a bad BRIEFOS_POOLER is a usage error before any work
  auto impl = std::make_unique<Impl>();
  impl->cx = connect(url, application_name);
  impl->url = url;
  impl->application_name = application_name;
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

void Session::reconnect() {
  auto fresh = connect(m_impl->url, m_impl->application_name);
  m_impl->cx = std::move(fresh);
  ++m_impl->epoch;
}

unsigned Session::epoch() const noexcept { return m_impl->epoch; }

bool Session::is_open() const noexcept { return m_impl->cx && m_impl->cx->is_open(); }

bool Session::lost(const std::exception& e) const noexcept {
  return is_connection_lost(e) || !is_open();
}

void Session::await_notification(std::chrono::milliseconds timeout) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout - secs);
  m_impl->cx->await_notification(static_cast<long>(secs.count()), static_cast<long>(micros.count()));
}

struct Transaction::Impl {
  std::variant<std::monostate, pqxx::work, pqxx::read_transaction, pqxx::nontransaction> tx;
};

Transaction::Transaction(Session& session, Kind kind)
    : m_session(session), m_impl(std::make_unique<Impl>()) {
  pqxx::connection& cx = detail::cx(session);
  switch (kind) {
    case Kind::write: m_impl->tx.emplace<pqxx::work>(cx); break;
    case Kind::read_only: m_impl->tx.emplace<pqxx::read_transaction>(cx); break;
    case Kind::autocommit: m_impl->tx.emplace<pqxx::nontransaction>(cx); break;
  }
}

Transaction::~Transaction() = default;

void Transaction::commit() { detail::tx(*this).commit(); }

pqxx::connection& detail::Access::connection(Session& s) { return *s.m_impl->cx; }

pqxx::transaction_base& detail::Access::tx(Transaction& t) {
  return std::visit(
      [](auto& x) -> pqxx::transaction_base& {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) {
          throw std::logic_error("db::Transaction without a transaction");
        } else {
          return x;
        }
      },
      t.m_impl->tx);
}

pqxx::dbtransaction& detail::Access::dbtx(Transaction& t) {
  if (auto* w = std::get_if<pqxx::work>(&t.m_impl->tx)) return *w;
  if (auto* r = std::get_if<pqxx::read_transaction>(&t.m_impl->tx)) return *r;
  throw std::logic_error("db::Transaction: an autocommit transaction has no transaction block");
}

namespace {
class Receiver final : public pqxx::notification_receiver {
public:
  Receiver(pqxx::connection_base& cx, const std::string& channel, std::function<void()> wake)
      : pqxx::notification_receiver(cx, channel), m_wake(std::move(wake)) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override {
    if (m_wake) m_wake();
  }

private:
  std::function<void()> m_wake;
};
}  // namespace

struct Listener::Impl {
  Receiver receiver;
  Impl(pqxx::connection_base& cx, const std::string& channel, std::function<void()> wake)
      : receiver(cx, channel, std::move(wake)) {}
};

Listener::Listener(Session& session, const std::string& channel, std::function<void()> wake) {
  if (pooling() == Pooling::transaction) return;  // no LISTEN: the caller's poll interval does
  m_impl = std::make_unique<Impl>(detail::cx(session), channel, std::move(wake));
}

Listener::~Listener() = default;

}  // namespace briefos::db
