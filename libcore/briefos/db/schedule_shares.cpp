// SPDX-License-Identifier: MIT
//
// schedule_store::enqueue_chunks: a sweep's window inserts shared out over
// several connections. The policy:
//
// - The sweep's own transaction takes chunks like every share; the others
//   run on connections of their own (db::Session, application_name
//   "<tool> (share)"), one thread each, taking the next chunk when free.
// - The shares never hold the same user (a zone's windows stay in one
//   chunk, and a user has one preference), so none should wait on
//   another's rows. Each statement of a share, and of the sweep's
//   transaction while shares run, waits at most share_lock_timeout_ms for
//   a row lock (lock_not_available, SQLSTATE 55P03); such a chunk (a
//   backfill's uncommitted job, or a preference that moved zones between
//   the shares' snapshots) is done again on the sweep's transaction after
//   the shares have committed, with the sweep's own lock timeout.
// - The shares commit only once every share (the sweep's included) has
//   done its chunks without error; any failure rolls them all back and is
//   rethrown; a dry run rolls them back too. So if the sweep fails after
//   this returns, the shares' jobs stay, and the next sweep, covering the
//   same window, counts them as already queued.
// - A connection or a thread that cannot be had is a warning: the others
//   do that share's part.
#include "briefos/db/connection.hpp"
#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/schedule_sql.hpp"
#include "briefos/db/schedule_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace briefos::db::schedule_store {

namespace {

// How long a parallel share waits for a row lock (see the file comment).
constexpr const char* share_lock_timeout_ms = "10000";
constexpr const char* lock_not_available = "55P03";

void set_lock_timeout(pqxx::transaction_base& tx, const std::string& value) {
  tx.exec_params("SELECT set_config('lock_timeout', $1, true)", value);
}

// One call of enqueue_chunks: the chunks, who takes which, and when the
// shares may commit.
class ChunkRun {
public:
  ChunkRun(Transaction& tx, const Shares& shares, const std::vector<std::vector<Window>>& chunks,
           std::int64_t known_s, std::int64_t lead_s)
      : m_tx(tx), m_shares(shares), m_chunks(chunks), m_known_s(known_s), m_lead_s(lead_s),
        m_others(chunks.size() > 1
                     ? std::min<std::size_t>(static_cast<std::size_t>(std::max(1, shares.connections)) - 1,
                                             chunks.size() - 1)
                     : 0) {}

  long long run(EnqueueResult& result);

private:
  struct Share {
    EnqueueResult result;
    long long due = 0;
    std::exception_ptr error;
    std::thread thread;
  };

  long long take(pqxx::dbtransaction& t, EnqueueResult& r);
  long long redo_deferred(EnqueueResult& result);
  long long run_shared(EnqueueResult& result);
  void share(Share& s);
  void done(bool ok);

  Transaction& m_tx;
  const Shares& m_shares;
  const std::vector<std::vector<Window>>& m_chunks;
  const std::int64_t m_known_s;
  const std::int64_t m_lead_s;
  const std::size_t m_others;  // shares besides the sweep's transaction

  std::atomic<std::size_t> m_next{0};
  std::mutex m_mu;
  std::vector<std::size_t> m_deferred;  // chunks that hit the lock timeout
  std::condition_variable m_cv;
  std::size_t m_finished = 0;  // shares (the sweep's included) done with their chunks
  bool m_failed = false;
};

// The next chunks, until none is left, on `t`; a chunk whose statement hit
// the lock timeout is deferred.
long long ChunkRun::take(pqxx::dbtransaction& t, EnqueueResult& r) {
  long long due = 0;
  for (std::size_t i; (i = m_next++) < m_chunks.size();) {
    try {
      due += schedule_sql::enqueue_windows(t, m_chunks[i], m_known_s, m_lead_s, r, m_shares.dry_run);
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != lock_not_available) throw;
      std::lock_guard lock(m_mu);
      m_deferred.push_back(i);
    }
  }
  return due;
}

// The chunks that hit the lock timeout, again on the sweep's transaction
// (at the end, when the other shares have committed), waiting as the
// sweep's own lock timeout says.
long long ChunkRun::redo_deferred(EnqueueResult& result) {
  long long due = 0;
  std::sort(m_deferred.begin(), m_deferred.end());
  for (std::size_t i : m_deferred) {
    spdlog::info("window statement {} of {} waited on a row lock; doing it again after the other shares",
                 i + 1, m_chunks.size());
    due += schedule_sql::enqueue_windows(detail::dbtx(m_tx), m_chunks[i], m_known_s, m_lead_s, result, m_shares.dry_run);
  }
  return due;
}

void ChunkRun::done(bool ok) {
  std::lock_guard lock(m_mu);
  ++m_finished;
  m_failed = m_failed || !ok;
  m_cv.notify_all();
}

// One share's thread: its own connection and transaction, its chunks, then
// a wait for every share before it commits.
void ChunkRun::share(Share& s) {
  bool counted = false;
  try {
    std::unique_ptr<Session> session;
    try {
      session = Session::open(m_shares.url, m_shares.application_name + " (share)");
    } catch (const std::exception& e) {
      // A connection limit or a busy server: the other connections do
      // this share's part, the sweep goes on.
      spdlog::warn("an extra connection for the sweep's inserts failed ({}); going on with fewer",
                   redact(e.what()));
      counted = true;
      done(true);
      return;
    }
    Transaction t{*session};
    set_lock_timeout(detail::tx(t), share_lock_timeout_ms);
    s.due = take(detail::dbtx(t), s.result);
    counted = true;
    done(true);
    std::unique_lock lock(m_mu);
    m_cv.wait(lock, [&] { return m_finished >= m_others + 1; });
    if (m_failed || m_shares.dry_run) return;  // the transaction rolls back
    lock.unlock();
    t.commit();
  } catch (...) {
    s.error = std::current_exception();
    m_next = m_chunks.size();
    if (!counted) done(false);
  }
}

// The shares' threads and the sweep's own part; then the shares' results
// merged into `result`.
long long ChunkRun::run_shared(EnqueueResult& result) {
  std::vector<Share> shares(m_others);
  std::size_t started = 0;
  try {
    for (; started < m_others; ++started) {
      shares[started].thread = std::thread([this, &s = shares[started]] { share(s); });
    }
  } catch (const std::system_error& e) {
    // No thread for the rest: like connections that could not be opened.
    spdlog::warn("an extra thread for the sweep's inserts failed ({}); going on with fewer", e.what());
    for (std::size_t k = started; k < m_others; ++k) done(true);
  }
  long long due = 0;
  std::exception_ptr error;
  try {
    pqxx::dbtransaction& tx = detail::dbtx(m_tx);
    const auto saved_timeout = tx.exec("SELECT current_setting('lock_timeout')")[0][0].as<std::string>();
    set_lock_timeout(tx, share_lock_timeout_ms);
    due = take(tx, result);
    set_lock_timeout(tx, saved_timeout);
  } catch (...) {
    error = std::current_exception();
    m_next = m_chunks.size();
  }
  done(!error);
  for (std::size_t k = 0; k < started; ++k) shares[k].thread.join();
  if (error) std::rethrow_exception(error);
  for (auto& s : shares) {
    if (s.error) std::rethrow_exception(s.error);
  }
  for (auto& s : shares) {
    due += s.due;
    result.already_queued += s.result.already_queued;
    result.already_generated += s.result.already_generated;
    result.queued.insert(result.queued.end(), std::make_move_iterator(s.result.queued.begin()),
                         std::make_move_iterator(s.result.queued.end()));
  }
  return due;
}

long long ChunkRun::run(EnqueueResult& result) {
  spdlog::debug("window inserts: {} statement(s) on {} connection(s)", m_chunks.size(), m_others + 1);
  if (m_others == 0) {
    const long long due = take(detail::dbtx(m_tx), result);
    return due + redo_deferred(result);  // only with a lock_timeout set for the role or database
  }
  long long due = run_shared(result);
  due += redo_deferred(result);
  // Job ids in the order they were queued, as with one connection.
  std::sort(result.queued.begin(), result.queued.end(),
            [](const QueuedJob& a, const QueuedJob& b) { return a.id < b.id; });
  return due;
}

}  // namespace

long long enqueue_chunks(Transaction& tx,
                         const Shares& shares,
                         const std::vector<std::vector<Window>>& chunks,
                         std::int64_t known,
                         std::int64_t lead_s,
                         EnqueueResult& out) {
  return ChunkRun{tx, shares, chunks, known, lead_s}.run(out);
}

}  // namespace briefos::db::schedule_store
