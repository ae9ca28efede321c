// SPDX-License-Identifier: MIT
#pragma once

// Every SQL statement of `briefos-email bounces`: which email a report is
// about, and what recording it changes. The policy, with its one home here:
//
//   - hard bounce: the recipient becomes 'bounced', the address is
//     suppressed ('hard_bounce'), a 'bounced' event {"kind": "hard", ...};
//   - soft bounce: a 'bounced' event {"kind": "soft", ...}; once the
//     address has `soft_limit` soft bounces recorded within `soft_window`,
//     it is suppressed ('soft_bounce');
//   - complaint: the address is suppressed ('complaint'), the user is opted
//     out of brief emails (user_brief_preferences.email_daily_brief = false)
//     and a 'complained' event is recorded.
//
// An address already suppressed keeps its first reason. Each (report,
// address) is recorded once (email_bounce_reports): recording it again
// changes nothing and says so. One report's recipients are recorded in the
// caller's transaction.

#include "briefos/db/session.hpp"

#include <chrono>
#include <string>

namespace briefos::db::bounce_store {

enum class Kind { hard_bounce, soft_bounce, complaint };

struct Policy {
  int soft_limit = 3;                                 // soft bounces that suppress an address
  std::chrono::hours soft_window{std::chrono::hours(24 * 7)};  // ... within this long
};

// What a report says about one recipient.
struct Notice {
  std::string report_id;   // the report's Message-ID, or sha256:<hex>
  Kind kind = Kind::hard_bounce;
  std::string email_id;    // from our Message-ID or a VERP address; "" when neither
  std::string message_id;  // the original's Message-ID as quoted; "" when not quoted
  std::string address;     // the recipient the report names
  std::string status;      // "5.1.1"; "" for a complaint
  std::string detail_json; // event_data: {"kind", "status", "action", "diagnostic", "reporting_mta", "report_id"}
  std::string summary;     // suppression detail and recipient error: "5.1.1 550 ... (report <id>)"
};

enum class State {
  recorded,   // new: the email's recipient got what the policy says
  duplicate,  // this report was recorded before: nothing changed
  unmatched,  // no email of ours: nothing changed (see `why`)
};

struct Recorded {
  State state = State::unmatched;
  std::string why;           // unmatched: "no email with Message-ID <...>", ...
  std::string email_id;
  std::string recipient_id;
  std::string address;       // our recipient's address (lower-case)
  bool suppressed = false;   // this notice suppressed the address
  bool opted_out = false;    // this notice opted the user out
  long long soft_count = 0;  // soft bounces of the address within the window (soft only)
};

// Find the email `n` is about and record it. By email id (checked against
// the Message-ID when one was quoted); else, when the report quoted no
// original, the last email sent to `n.address`. A report quoting someone
// else's Message-ID is unmatched.
Recorded record(Transaction& tx, const Notice& n, const Policy& policy);

}  // namespace briefos::db::bounce_store
