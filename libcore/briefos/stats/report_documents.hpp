// SPDX-License-Identifier: MIT
#pragma once

// For the renderers in stats/ only: what each report shows, as a document
// (its sections, columns, total row, charts and CSV table). A new column of
// a report is added here, and every document format shows it.

#include "briefos/stats/document.hpp"
#include "briefos/stats/health.hpp"
#include "briefos/stats/reports.hpp"

namespace briefos::stats::detail {

Document email_document(const EmailReport& r, const Meta& meta);
Document brief_document(const BriefReport& r, const Meta& meta);
Document queue_document(const QueueReport& r, const Meta& meta);
// Sections: the user (single), briefs and their emails (the CSV table),
// recent jobs, the diagnosis (single) and its findings.
Document user_document(const UserReport& r, const Meta& meta);

// The phrase of a user report's latest email ("failed: bounced"), from
// email_outcome.
std::string last_email_outcome(const UserReport& r);
Document health_document(const HealthReport& r, const Meta& meta);

}  // namespace briefos::stats::detail
