// SPDX-License-Identifier: MIT
#pragma once

// The operator's side of briefos-email (issue 18): resend an email,
// maintain the suppression list, apply an unsubscribe token. Every function
// works inside the caller's transaction, so a --dry-run runs the very same
// statements and rolls them back. The two changes that make or opt out on
// another's behalf go through SECURITY DEFINER functions of migration 0010
// (briefos_resend_email, briefos_unsubscribe), whose SQL is the one home
// of what they do (the web tier calls briefos_unsubscribe too).

#include "briefos/db/session.hpp"

#include <optional>
#include <string>
#include <vector>

namespace briefos::db::email_admin {

// --- resend ---

// The newest daily-brief email made for the brief of `user_id` on
// `brief_date` (YYYY-MM-DD) that is not itself a resend; nullopt if none.
std::optional<std::string> brief_email_of(Transaction& tx, const std::string& user_id, const std::string& brief_date);

// A resend of an email not sent yet (pending or sending), if there is one.
struct ActiveResend {
  std::string email_id;
  std::string status;
  std::optional<long long> job_id;  // its pending or processing email job
};

// Lock email `original` (FOR UPDATE: two resends of one email take turns)
// and return its unsent resend, if any.
std::optional<ActiveResend> lock_and_find_resend(Transaction& tx, const std::string& original);

struct Resent {
  std::string email_id;
  long long job_id = 0;
};

// A new email copied from daily-brief email `original` (briefos_resend_email:
// the user's current address, linked by resent_from, `forced` kept) and its
// generate_brief_email job (the shape of jobs::email_job, its rules passed
// from jobs.hpp), in `tx`. Throws Error when the function makes nothing
// (not a daily-brief email, or its user is gone).
Resent resend(Transaction& tx, const std::string& original, const std::string& user_id,
              const std::string& brief_id, bool forced);

// --- the suppression list ---

struct Suppression {
  std::string address;
  std::string reason;
  std::optional<std::string> detail;
  std::string created_at;  // 2026-03-08T07:30:00Z
};

// What suppress() found or did.
struct Suppressed {
  bool added = false;   // false: the address was suppressed already
  Suppression entry;    // the new entry, or the one that was there
};

// Add `address` (lower-cased) with `reason` and `detail`; an address
// already present keeps its entry.
Suppressed suppress(Transaction& tx, const std::string& address, const std::string& reason,
                    const std::optional<std::string>& detail);

// Delete the suppression of `address` (lower-cased); the entry that was
// removed, or nullopt when there was none.
std::optional<Suppression> unsuppress(Transaction& tx, const std::string& address);

struct ListFilter {
  std::optional<std::string> reason;
  std::optional<long long> since_seconds_ago;  // the database's clock
  std::optional<std::string> since;            // an instant (timestamptz text)
};

// Suppressions matching `filter`, newest first.
std::vector<Suppression> suppressions(Transaction& tx, const ListFilter& filter);

// --- unsubscribe ---

enum class Unsubscribed { unsubscribed, already, unknown_token };

struct UnsubscribeResult {
  Unsubscribed outcome = Unsubscribed::unknown_token;
  std::optional<std::string> email_id;
  std::optional<std::string> user_id;
  std::optional<std::string> address;
};

// briefos_unsubscribe(token): opt the user out, suppress the address, one
// 'unsubscribed' event; idempotent.
UnsubscribeResult unsubscribe(Transaction& tx, const std::string& token);

}  // namespace briefos::db::email_admin
