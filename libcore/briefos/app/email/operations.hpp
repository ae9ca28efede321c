// SPDX-License-Identifier: MIT
#pragma once

// The pure parts of briefos-email's operator commands (resend, suppress,
// unsuppress, suppressions, unsubscribe): checking their arguments and
// writing their lines. Every problem with an argument is a UsageError
// (exit 2); no database, no I/O.

#include "briefos/db/email_admin.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace briefos::app::email {

// The reasons email_suppressions accepts (its CHECK constraint).
bool is_suppression_reason(std::string_view reason) noexcept;

// --reason of `option`: one of the reasons, else UsageError.
std::string checked_reason(const std::string& option, const std::string& reason);

// An address to suppress or unsuppress: trimmed, lower-cased, a valid
// address (mime::is_valid_address), else UsageError.
std::string checked_address(const std::string& text);

// The token in `text`: the token itself, the local part of the
// --unsubscribe-mailto address ("unsubscribe+TOKEN"), or that whole address
// ("unsubscribe+TOKEN@example.com", with or without "mailto:"): what
// follows the last '+' of the local part. Throws UsageError for an empty
// token or one with spaces, control characters or above 200 bytes.
std::string unsubscribe_token_of(std::string_view text);

// --since of `suppressions`: a duration back from now (2h, 7d), an instant
// (2026-03-08T07:30:00Z) or a date (its midnight, UTC). Throws UsageError.
db::email_admin::ListFilter since_filter(const std::string& since);

// The word for an unsubscribe outcome: "unsubscribed", "already
// unsubscribed", "unknown token".
std::string to_string(db::email_admin::Unsubscribed outcome);

// A suppression as a JSON object (address, reason, detail, created_at).
nlohmann::json to_json(const db::email_admin::Suppression& s);

// A suppression as a table row: "ADDRESS  REASON  CREATED_AT  DETAIL".
std::string table_row(const db::email_admin::Suppression& s);

}  // namespace briefos::app::email
