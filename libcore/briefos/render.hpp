// SPDX-License-Identifier: MIT
#pragma once

// The email's rendering: the brief's Markdown to the HTML and text parts,
// the subject and the template data, from the templates in templates/.
// Pure: no database, no network; bad templates are DataError. The Markdown
// rendering lives in render/markdown.cpp, the link policy in render/links.

#include "briefos/render/links.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace briefos::render {

// Steps taken by this module's own passes over a document (each byte and
// each md4c callback counts), for tests that hold rendering to linear work.
struct Work {
  std::size_t steps = 0;
};

// Make the relative links of a Markdown document absolute against
// `base_url` (no trailing slash needed): inline links and images
// `[t](/x)`, reference definitions `[t]: /x`, `href="/x"` / `src="/x"`, and
// bare `/projects|tasks|notes|phases|briefs/...` paths at the start of a line
// or after whitespace. Absolute, protocol-relative (`//host`) and fragment
// links are left alone (the reference's vectors, buildos-worker.md 8.6).
std::string absolutize_markdown(std::string_view markdown, std::string_view base_url, Work* work = nullptr);

// HTML fragment for `markdown` (md4c, CommonMark + GFM tables,
// strikethrough and task lists). Raw HTML in the input is not HTML: it is
// shown escaped. Links follow `policy` (render/links.hpp): kept ones are
// absolute, refused ones are their label; images are their alt text.
std::string markdown_to_html(std::string_view markdown, const LinkPolicy& policy, Work* work = nullptr);

// The text/plain rendering of `markdown`, from the same parse: the text as
// it reads (headings keep their "#", list items their "-" or number,
// emphasis its "*"), a kept link as `label (URL)`, a refused one as its
// label, an image as its alt text.
std::string markdown_to_text(std::string_view markdown, const LinkPolicy& policy, Work* work = nullptr);

// How the HTML is written for an email: inline styles on every tag (mail
// clients drop <style> and external CSS), and top-level lists cut to
// `list_items` items (0: all), the rest one line "... and N more in
// <section> ->" linking to the section's (H2's) own link. The size budget
// of Renderer::render uses the cut.
struct HtmlOptions {
  bool email_styles = false;
  std::size_t list_items = 0;
};
std::string markdown_to_html(std::string_view markdown, const LinkPolicy& policy, const HtmlOptions& options,
                             Work* work = nullptr);

// Where the text part's link URLs go: after each link, "label (URL)"; or as
// numbered references, "label [1]", listed "[1] URL" before the next
// section (H1 or H2) and at the end.
enum class TextLinks { inline_urls, references };
std::string markdown_to_text(std::string_view markdown, const LinkPolicy& policy, TextLinks links,
                             Work* work = nullptr);

// The same with the policy of `base_url` and no allow-list.
std::string markdown_to_html(std::string_view markdown, std::string_view base_url);
std::string markdown_to_text(std::string_view markdown, std::string_view base_url);

// `&`, `<`, `>`, `"` and `'` escaped.
std::string html_escape(std::string_view text);

// "2025-10-01" -> "Wednesday, October 1, 2025" / "Wed, Oct 1". The date is
// the brief's own calendar date, never shifted through a time zone. Throws
// std::invalid_argument for anything but a valid YYYY-MM-DD.
std::string long_date(std::string_view iso_date);
std::string short_date(std::string_view iso_date);

// A subject line variant for A/B tests: `name` is stored in
// emails.subject_variant, `tmpl` is a Mustache template.
struct SubjectVariant {
  std::string name;
  std::string tmpl;
};

// The Mustache templates of one deployment.
struct TemplateSet {
  std::string subject;  // subject.mustache
  std::string html;     // html.mustache
  std::string text;     // text.mustache
  std::vector<SubjectVariant> variants;  // subject-variants.txt, optional
  std::string origin;   // where they came from, for messages
};

// The templates compiled into the library (identical to templates/).
TemplateSet builtin_templates();

// Load the set from `dir`: each file present replaces the built-in one, so an
// override can change only the HTML. An empty `dir` means the installed
// templates (share/briefos/templates) when they exist, else the built-in
// ones. Throws briefos::UsageError for a missing directory (the option's
// value) and briefos::DataError naming the file for a template that cannot
// be read or does not parse.
TemplateSet load_templates(const std::string& dir);

// Parse "name: template" lines ('#' comments and blank lines skipped).
// Throws briefos::DataError for a malformed line or a duplicate name.
std::vector<SubjectVariant> parse_variants(std::string_view text, const std::string& origin);

// Index of the variant email `email_id` gets out of `count`: a stable hash
// of the id, so a retry or a preview always picks the same one.
std::size_t pick_variant(std::string_view email_id, std::size_t count);

// What a template sees about one email.
struct EmailView {
  std::string email_id;
  std::string subject;          // emails.subject as stored by briefos-generate
  std::string brief_id;
  std::string brief_date;       // YYYY-MM-DD
  std::string markdown;         // the brief (summary_content), always shown
  std::string analysis;         // llm_analysis; its own labelled section when not blank
  std::string recipient_name;
  std::string recipient_email;
  std::string from_name;
  bool is_reengagement = false;
  std::string base_url;         // links in the brief, footer links
  std::vector<std::string> link_allow;  // hosts links may lead to besides base_url's
  std::string brief_url;        // link to the brief in the web app
  std::string preferences_url;
  std::string unsubscribe_url;  // may be empty
  std::string tracking_url;     // full pixel URL; empty = tracking off
  std::string postal_address;   // --postal-address: the footer's postal address; may be empty
};

// The HTML part's size budget: Gmail clips a message past 102 KB, hiding
// the rest of the brief and the unsubscribe footer. Past it, the brief's
// lists are shortened (HtmlOptions::list_items) until the part fits.
inline constexpr std::size_t html_budget = 100 * 1024;

struct Rendered {
  std::string subject;
  std::string html;
  std::string text;
  std::string subject_variant;  // empty when the set has no variants
};

// Renders emails with one template set. Parsing happens once, in the
// constructor; one Renderer per thread (rendering is not thread-safe).
class Renderer {
public:
  explicit Renderer(const TemplateSet& set);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Render `view`: the brief, then the analysis (when not blank) as a
  // section marked as generated, both under one link policy. The brief's
  // title line is the template's; its executive summary is the summary
  // block, the preheader and, when it is briefos's own sentence, the
  // counts (brief::parse_summary). The HTML part keeps to html_budget by
  // shortening lists; the text part keeps everything, its links as
  // numbered references (TextLinks::references). The HTML carries exactly one tracking pixel when
  // `view.tracking_url` is set (added before </body> if the template has no
  // {{{tracking_pixel}}}) and none otherwise. Throws briefos::Error when a
  // template renders the pixel twice or the subject comes out empty.
  Rendered render(const EmailView& view);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace briefos::render
