// SPDX-License-Identifier: MIT
//
// The brief email as a recipient sees it (render.cpp, templates/, the
// email options of render/markdown.cpp): one title, the summary block and
// preheader, the text part's numbered references, the HTML part's size
// budget for a heavy user, and the footer's postal address.
#include <briefos/brief.hpp>
#include <briefos/render.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace briefos::render;
namespace brief = briefos::brief;

namespace {

const std::string base = "https://build-os.com";

std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

brief::TimePoint at(const char* iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  REQUIRE(std::sscanf(iso, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) == 5);
  using namespace std::chrono;
  const sys_days day = year{y} / mo / d;
  return brief::TimePoint{duration_cast<milliseconds>(day.time_since_epoch() + hours{h} + minutes{mi})};
}

// `n_projects` projects of `n_tasks` open tasks each, spread from ten days
// before 2025-10-01 to twenty after, with descriptions, plus notes.
std::vector<brief::Project> heavy(int n_projects, int n_tasks) {
  std::vector<brief::Project> out;
  for (int p = 0; p < n_projects; ++p) {
    brief::Project pr;
    char pid[64];
    std::snprintf(pid, sizeof pid, "10000000-0000-4000-8000-%012d", p);
    pr.id = pid;
    pr.name = "Project number " + std::to_string(p + 1) + " with a longer name";
    pr.description = "A project that has a description of a reasonable length, as real ones do.";
    for (int t = 0; t < n_tasks; ++t) {
      brief::Task task;
      char tid[64];
      std::snprintf(tid, sizeof tid, "20000000-0000-4000-8000-%06d%06d", p, t);
      task.id = tid;
      task.project_id = pr.id;
      task.title = "Task " + std::to_string(t + 1) + " of project " + std::to_string(p + 1) + ": do the thing";
      task.description = "Some words about what the task needs, and why it matters to the project.";
      task.priority = t % 3 == 0 ? "high" : "medium";
      task.status = t % 4 == 0 ? "in_progress" : "backlog";
      char start[40];
      const int day = (t % 30) - 10;  // -10 .. 19 days around Oct 1
      std::snprintf(start, sizeof start, "2025-%02d-%02dT13:00", day < 0 ? 9 : 10, day < 0 ? 30 + day : day + 1);
      task.start_date = at(start);
      task.updated_at = at("2025-09-30T12:00");
      pr.tasks.push_back(task);
    }
    for (int n = 0; n < 5; ++n) {
      brief::Note note;
      note.id = pr.id + "-n" + std::to_string(n);
      note.project_id = pr.id;
      note.title = "Note " + std::to_string(n + 1);
      note.content = "Notes are short paragraphs of what was decided and what comes next.";
      note.updated_at = at("2025-09-30T12:00");
      pr.notes.push_back(note);
    }
    out.push_back(std::move(pr));
  }
  return out;
}

EmailView view_of(const std::string& markdown) {
  EmailView v;
  v.email_id = "0b5c2f6e-1111-4222-8333-944455556666";
  v.subject = "Daily Brief - Wed, Oct 1";
  v.brief_id = "b1";
  v.brief_date = "2025-10-01";
  v.markdown = markdown;
  v.base_url = base;
  v.brief_url = base + "/briefs/b1";
  v.preferences_url = base + "/settings";
  v.unsubscribe_url = base + "/unsubscribe/tok";
  v.tracking_url = base + "/api/email-tracking/track-1";
  return v;
}

}  // namespace

TEST_SUITE_BEGIN("render");

TEST_CASE("render::Renderer shows one title, the summary block and the preheader") {
  const auto projects = heavy(2, 30);
  const brief::BuiltBrief b = brief::build(projects, "2025-10-01", "UTC", at("2025-10-01T08:00"), {});
  Renderer r{builtin_templates()};
  const Rendered out = r.render(view_of(b.markdown));
  CAPTURE(out.html);
  CHECK(count_of(out.html, "<h1") == 1);
  CHECK(count_of(out.html, "Daily Brief") == 2);  // <title> (the subject) and the one heading
  CHECK(out.html.find("Executive Summary") == std::string::npos);
  // The preheader: hidden, first in the body, the summary sentence as text.
  const std::size_t body = out.html.find("<body");
  const std::size_t pre = out.html.find("<div style=\"display:none;", body);
  REQUIRE(pre != std::string::npos);
  const brief::Totals t = brief::totals_of(b.projects);
  std::string sentence = brief::executive_summary(t);
  for (std::size_t p = sentence.find("**"); p != std::string::npos; p = sentence.find("**", p)) sentence.erase(p, 2);
  CHECK(sentence.starts_with("You have 2 active projects with 2 tasks starting today across 2 projects."));
  CHECK(out.html.find(sentence, pre) < out.html.find("</div>", pre));
  for (const std::size_t n : {t.today, t.overdue, t.upcoming, t.completed}) {
    CHECK(out.html.find(">" + std::to_string(n) + "</div>") != std::string::npos);
  }
  CHECK(out.html.find(">Open your brief</a>") != std::string::npos);
  CHECK(out.text.find("Today: 2 | Overdue: " + std::to_string(t.overdue) + " | Upcoming: " + std::to_string(t.upcoming)
                      + " | Completed: 0") != std::string::npos);
  CHECK(t.overdue == 20);
  CHECK(t.upcoming == 38);
  // Mail-client rules: no style sheet, no web font, no image but the pixel.
  CHECK(out.html.find("<style") == std::string::npos);
  CHECK(out.html.find("<link") == std::string::npos);
  CHECK(out.html.find("@import") == std::string::npos);
  CHECK(count_of(out.html, "<img") == 1);
  CHECK(out.html.find("max-width:600px") != std::string::npos);
  // The overdue alert: one line per project.
  CHECK(count_of(out.html, ": 10 overdue tasks</li>") == 2);
}

TEST_CASE("render::Renderer without briefos's summary sentence shows no counts") {
  Renderer r{builtin_templates()};
  const brief::BuiltBrief b = brief::build({}, "2025-10-01", "UTC", at("2025-10-01T08:00"), {});
  const Rendered out = r.render(view_of(b.markdown));
  CHECK(out.html.find("no active projects") != std::string::npos);
  CHECK(out.html.find(">overdue</div>") == std::string::npos);
  CHECK(out.text.find("Overdue:") == std::string::npos);
}

TEST_CASE("render::Renderer text part lists links as numbered references per section") {
  Renderer r{builtin_templates()};
  const std::string md = "# T\n\n## Executive Summary\n\nYou have **1 active project** and no tasks starting today. "
                         "**2 tasks** are upcoming.\n\n## [One](/projects/1)\n\n- [A](/tasks/a)\n- [B](/tasks/b)\n- "
                         "[A again](/tasks/a)\n\n## [Two](/projects/2)\n\n- [C](/tasks/c)\n";
  const Rendered out = r.render(view_of(md));
  CAPTURE(out.text);
  CHECK(out.text.find("## One [1]\n\n- A [2]\n- B [3]\n- A again [2]\n\n[1] https://build-os.com/projects/1\n"
                      "[2] https://build-os.com/tasks/a\n[3] https://build-os.com/tasks/b\n\n## Two [4]\n\n- C [5]\n\n"
                      "[4] https://build-os.com/projects/2\n[5] https://build-os.com/tasks/c\n")
        != std::string::npos);
  CHECK(out.text.find("(https://") == std::string::npos);
  CHECK(out.text.find("Open your brief: https://build-os.com/briefs/b1") != std::string::npos);
}

TEST_CASE("render::Renderer keeps a heavy user's HTML part under the budget") {
  const auto projects = heavy(20, 30);
  const brief::BuiltBrief b = brief::build(projects, "2025-10-01", "UTC", at("2025-10-01T08:00"), {});
  Renderer r{builtin_templates()};
  const Rendered out = r.render(view_of(b.markdown));
  MESSAGE("heavy user: Markdown ", b.markdown.size(), " B, HTML ", out.html.size(), " B, text ", out.text.size(), " B");
  const std::size_t whole = markdown_to_html(b.markdown, LinkPolicy::of(base), HtmlOptions{true, 0}).size();
  MESSAGE("heavy user: the brief's HTML with whole lists would be ", whole, " B");
  CHECK(whole > html_budget);  // so the budget is what keeps it under
  CHECK(out.html.size() <= html_budget);
  CHECK(out.html.find("and unsubscribe") == std::string::npos);
  CHECK(out.html.find("/unsubscribe/tok") != std::string::npos);  // the footer survives
  for (const auto& p : projects) {
    CAPTURE(p.name);
    CHECK(out.html.find(p.name) != std::string::npos);
    CHECK(out.text.find(p.name) != std::string::npos);
    CHECK(out.text.find("/projects/" + p.id + "/tasks/") != std::string::npos);  // the text part is whole
  }
  // Shortened lists say how many are left out and link to the project.
  CHECK(out.html.find(" more in Project number 20 with a longer name &rarr;</a>") != std::string::npos);
  CHECK(out.html.find("href=\"https://build-os.com/projects/" + projects[19].id + "\"") != std::string::npos);
  // A brief that fits keeps its lists whole.
  const auto light = heavy(2, 30);
  const brief::BuiltBrief lb = brief::build(light, "2025-10-01", "UTC", at("2025-10-01T08:00"), {});
  const Rendered small = r.render(view_of(lb.markdown));
  CHECK(small.html.find(" more in ") == std::string::npos);
}

TEST_CASE("render::markdown_to_html list_items cuts top-level lists only") {
  const std::string md = "## [P](/projects/p)\n\n- a\n- b\n  - b1\n  - b2\n  - b3\n- c\n- d\n";
  const std::string html = markdown_to_html(md, LinkPolicy::of(base), HtmlOptions{false, 2});
  CHECK(html.find("<li>a") != std::string::npos);
  CHECK(html.find("b3") != std::string::npos);  // nested lists are whole
  CHECK(html.find("<li>c") == std::string::npos);
  CHECK(html.find("<li>d") == std::string::npos);
  CHECK(html.find("<a href=\"https://build-os.com/projects/p\">&hellip; and 2 more in P &rarr;</a>") != std::string::npos);
  const std::string styled = markdown_to_html(md, LinkPolicy::of(base), HtmlOptions{true, 0});
  CHECK(styled.find("<li style=\"") != std::string::npos);
  CHECK(styled.find("<li>") == std::string::npos);
}

TEST_CASE("render::Renderer shows the postal address in the footer, escaped") {
  Renderer r{builtin_templates()};
  EmailView v = view_of("# T\n\nhello\n");
  v.postal_address = "Example <Inc>, 1 Main St";
  const Rendered out = r.render(v);
  CHECK(out.html.find("Example &lt;Inc&gt;, 1 Main St") > out.html.find("/unsubscribe/tok"));
  CHECK(out.text.find("Example <Inc>, 1 Main St") > out.text.find("Unsubscribe:"));
  v.postal_address.clear();
  CHECK(r.render(v).html.find("1 Main St") == std::string::npos);
}

TEST_SUITE_END();
