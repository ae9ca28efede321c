// SPDX-License-Identifier: MIT
//
// The table format: aligned columns for people, a rule under the header and
// above the total row, trailing blanks trimmed, and on request a per-day
// bar column scaled to the largest day. The user report, wide as a table,
// is shown as its diagnosis and one block per brief instead.
#include "briefos/stats/formats.hpp"
#include "briefos/stats/report_documents.hpp"
#include "briefos/stats/user_report.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace briefos::stats::detail {

namespace {

std::string pad(const std::string& s, std::size_t width, bool right) {
  const std::size_t w = display_width(s);
  if (w >= width) return s;
  const std::string fill(width - w, ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

std::string render_table(const Document& doc, const RenderOptions& options) {
  const std::string& zone = doc.meta.zone;
  std::ostringstream out;
  out << header_line(doc.meta) << "\n";
  for (const Section& s : doc.sections) {
    out << "\n";
    if (!s.title.empty()) out << s.title << "\n";
    if (s.single) {
      std::size_t key_w = 0;
      for (const Column& c : s.columns) key_w = std::max(key_w, display_width(c.title));
      const std::vector<Value>& row = s.rows.front();
      for (std::size_t i = 0; i < s.columns.size(); ++i) {
        out << "  " << pad(s.columns[i].title + ":", key_w + 1, false) << " "
            << human(row[i], s.columns[i].kind, zone) << "\n";
      }
      continue;
    }
    if (s.rows.empty()) {
      out << "  " << s.empty_text << "\n";
      continue;
    }
    const bool with_bar = options.chart && s.bar_column >= 0;
    std::vector<std::vector<std::string>> cells;
    std::vector<std::string> head;
    for (const Column& c : s.columns) head.push_back(c.title);
    double bar_max = 0;
    if (with_bar) {
      head.push_back(s.columns[static_cast<std::size_t>(s.bar_column)].title + " per day");
      for (const auto& row : s.rows) {
        bar_max = std::max(bar_max, as_double(row[static_cast<std::size_t>(s.bar_column)]).value_or(0));
      }
    }
    cells.push_back(head);
    auto add_row = [&](const std::vector<Value>& row, bool footer) {
      std::vector<std::string> line;
      for (std::size_t i = 0; i < s.columns.size(); ++i) {
        line.push_back(human(row[i], s.columns[i].kind, zone));
      }
      if (with_bar) {
        line.push_back(footer ? ""
                              : bar(as_double(row[static_cast<std::size_t>(s.bar_column)]).value_or(0),
                                    bar_max, options.chart_width));
      }
      cells.push_back(line);
    };
    for (const auto& row : s.rows) add_row(row, false);
    if (s.footer) add_row(*s.footer, true);
    std::vector<std::size_t> widths(head.size(), 0);
    for (const auto& line : cells) {
      for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], display_width(line[i]));
    }
    auto print = [&](const std::vector<std::string>& line) {
      std::string text;
      for (std::size_t i = 0; i < line.size(); ++i) {
        const bool right = i < s.columns.size() && right_aligned(s.columns[i].kind);
        const bool last = i + 1 == line.size();
        text += (i == 0 ? "" : "  ")
                + (last && !right ? line[i] : pad(line[i], widths[i], right));
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out << text << "\n";
    };
    print(cells.front());
    std::size_t total_w = 0;
    for (std::size_t i = 0; i < widths.size(); ++i) total_w += widths[i] + (i == 0 ? 0 : 2);
    std::string rule;
    for (std::size_t i = 0; i < total_w; ++i) rule += "-";
    out << rule << "\n";
    const std::size_t body_end = s.rows.size() + 1;
    for (std::size_t r = 1; r < cells.size(); ++r) {
      if (s.footer && r == body_end) out << rule << "\n";
      print(cells[r]);
    }
  }
  return out.str();
}

namespace {

// The diagnosis block of the user report: what the scheduler will do with
// the user, and what keeps anything from them.
void diagnosis_block(std::ostringstream& out, const UserReport& r, const Meta& meta) {
  const std::string& zone = meta.zone;
  const UserInfo& u = r.user;
  const Diagnosis d = diagnose(r, meta.generated_at);
  out << "\nDiagnosis\n";
  if (!u.has_preferences) {
    out << "  schedule:    (no preferences)\n";
  } else {
    out << "  schedule:    " << printable(d.schedule)
        << (d.zone_valid ? " (a valid zone)" : " (NOT a zone the tz database knows)") << "\n";
    if (d.problem) out << "  problem:     " << one_line(*d.problem, 100) << "\n";
  }
  out << "  next run:    ";
  if (d.next_run) {
    out << format_time_human(*d.next_run, u.timezone.value_or("UTC")) << " ("
        << format_time_human(*d.next_run, "UTC") << ")\n";
  } else {
    out << "none\n";
  }
  out << "  suppressed:  ";
  if (const auto& sup = r.suppression) {
    out << "yes, " << printable(sup->reason) << " since " << format_time_human(sup->since, zone);
    if (sup->detail) out << ": " << one_line(*sup->detail, 80);
    out << "\n";
  } else {
    out << "no\n";
  }
  out << "  last email:  ";
  if (const auto& m = r.last_email) {
    out << m->id;
    if (r.last_email_brief_date) out << " (brief " << *r.last_email_brief_date << ")";
    out << ", created " << format_time_human(m->created_at, zone) << ": " << last_email_outcome(r) << "\n";
    if (m->recipient) out << "               to " << printable(*m->recipient) << " (" << m->recipient_status.value_or("-") << ")\n";
    if (const auto& e = m->error ? m->error : m->recipient_error) out << "               error: " << one_line(*e, 100) << "\n";
  } else {
    out << "none\n";
  }
  if (d.findings.empty()) {
    out << "  findings:    none: nothing keeps briefs or emails from this user\n";
  } else {
    out << "  findings:\n";
    for (const std::string& f : d.findings) out << "    - " << f << "\n";
  }
}

}  // namespace

// The user report in a table is wide; a per-brief block reads better.
std::string user_table(const UserReport& r, const Meta& meta) {
  const std::string& zone = meta.zone;
  std::ostringstream out;
  Document doc = user_document(r, meta);
  doc.sections.resize(1);
  out << render_table(doc, RenderOptions{});
  diagnosis_block(out, r, meta);
  out << "\nBriefs and their emails\n";
  if (r.briefs.empty()) out << "  (no briefs in the window)\n";
  for (const UserBrief& b : r.briefs) {
    out << "  " << b.brief_date << "  " << b.status;
    if (b.completed_at) out << " at " << format_time_human(*b.completed_at, zone);
    if (b.generation_seconds) out << " (took " << format_duration(b.generation_seconds) << ")";
    out << ", " << b.project_count << (b.project_count == 1 ? " project" : " projects");
    if (b.failed_project_count > 0) out << " (" << b.failed_project_count << " failed)";
    if (b.is_empty) out << ", empty";
    if (b.llm_status) out << ", LLM " << *b.llm_status;
    out << "\n    brief " << b.id << "\n";
    if (b.error) out << "    error: " << one_line(*b.error, 100) << "\n";
    if (b.emails.empty()) out << "    email: " << email_outcome(r.user, b) << "\n";
    for (const UserEmail& m : b.emails) {
      UserBrief single = b;
      single.emails = {m};
      out << "    email " << m.id << ": " << email_outcome(r.user, single) << "\n";
      if (m.recipient) {
        out << "      to " << printable(*m.recipient) << " (" << m.recipient_status.value_or("-") << ")";
        if (m.sent_at) out << ", sent " << format_time_human(*m.sent_at, zone);
        if (m.opened_at) out << ", first opened " << format_time_human(*m.opened_at, zone);
        out << "\n";
      }
      if (m.error) out << "      reason: " << one_line(*m.error, 100) << "\n";
      if (m.recipient_error && m.recipient_error != m.error) {
        out << "      recipient error: " << one_line(*m.recipient_error, 100) << "\n";
      }
      if (m.relay_reply) out << "      relay reply: " << one_line(*m.relay_reply, 160) << "\n";
    }
  }
  Document jobs_doc = user_document(r, meta);
  Section jobs = jobs_doc.sections[2];
  for (auto& row : jobs.rows) {
    if (const auto* s = std::get_if<std::string>(&row[7])) row[7] = one_line(*s, 60);
  }
  jobs_doc.sections = {jobs};
  const std::string jobs_text = render_table(jobs_doc, RenderOptions{});
  out << jobs_text.substr(jobs_text.find('\n') + 1);
  return out.str();
}

}  // namespace briefos::stats::detail

namespace briefos::stats {

std::string bar(double value, double max, int width) {
  if (value <= 0 || max <= 0 || width <= 0) return "";
  static const char* const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const long long units = std::max(1LL, std::llround(value / max * width * 8));
  std::string out;
  for (long long i = 0; i < units / 8; ++i) out += "█";
  out += eighths[units % 8];
  return out;
}

}  // namespace briefos::stats
