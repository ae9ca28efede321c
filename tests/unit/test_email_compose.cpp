// SPDX-License-Identifier: MIT
// app/email/compose: an email row and the settings in, the message out; no
// database, no transport.
#include <briefos/app/email/compose.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace email = briefos::app::email;
namespace mime = briefos::mime;
using briefos::db::email_store::BriefRow;
using briefos::db::email_store::EmailRow;

namespace {

const std::string email_id = "11111111-2222-4333-8444-555555555555";
const std::string brief_id = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

EmailRow row() {
  EmailRow r;
  r.id = email_id;
  r.status = "pending";
  r.subject = "Daily Brief - Oct 1";
  r.from_email = "briefs@mail.example.com";
  r.from_name = "Brief Bot";
  r.tracking_enabled = true;
  r.tracking_id = "trk 1";
  r.created_by = "u1";
  r.category = "daily_brief";
  r.template_data = {{"brief_id", brief_id}, {"brief_date", "2025-10-01"}};
  r.recipient_count = 1;
  r.recipient_email = "ada@example.org";
  r.recipient_name = "Ada";
  r.unsubscribe_token = "tok";
  r.user_exists = true;
  r.brief_id = brief_id;
  r.brief_date = "2025-10-01";
  r.markdown = "# Today\n\n- Launch website\n";
  return r;
}

email::Settings settings() {
  email::Settings s;
  s.base_url = "https://app.example.com/";
  return s;
}

email::Composed compose(const email::Settings& s, const EmailRow& r) {
  briefos::render::Renderer renderer{s.templates};
  return email::compose(s, renderer, r, std::chrono::system_clock::time_point(std::chrono::seconds(1759302000)));
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE_BEGIN("email_compose");

TEST_CASE("email::compose addresses the message from the row") {
  const auto c = compose(settings(), row());
  CHECK(c.recipient == "ada@example.org");
  CHECK(c.outgoing.email_id == email_id);
  CHECK(c.outgoing.envelope_from == "briefs@mail.example.com");
  CHECK(c.outgoing.recipients == std::vector<std::string>{"ada@example.org"});
  CHECK(c.outgoing.message_id == "briefos." + email_id + "@mail.example.com");
  CHECK(c.outgoing.subject == c.rendered.subject);
  const std::string& m = c.outgoing.data;
  CHECK(has(m, "From: Brief Bot <briefs@mail.example.com>\r\n"));
  CHECK(has(m, "To: Ada <ada@example.org>\r\n"));
  CHECK(has(m, "Message-ID: <briefos." + email_id + "@mail.example.com>\r\n"));
  CHECK(has(m, "Date: Wed, 01 Oct 2025 07:00:00 +0000\r\n"));
  CHECK(has(m, "Auto-Submitted: auto-generated\r\n"));
  CHECK(has(m, "X-Briefos-Email-Id: " + email_id + "\r\n"));
  CHECK(has(m, "List-Id: Daily brief <daily-brief.mail.example.com>\r\n"));
  CHECK_FALSE(has(m, "Reply-To:"));
}

TEST_CASE("email::compose keeps a stored Message-ID and applies the settings") {
  EmailRow r = row();
  r.message_id = "briefos.earlier@old.example";
  r.reply_to = "team@example.com";
  email::Settings s = settings();
  s.from = mime::Mailbox{"news@example.net", ""};
  s.message_id_domain = "ids.example.net";
  const auto c = compose(s, r);
  CHECK(c.outgoing.message_id == "briefos.earlier@old.example");
  CHECK(c.outgoing.envelope_from == "news@example.net");
  // --from without a name keeps the row's name.
  CHECK(has(c.outgoing.data, "From: Brief Bot <news@example.net>\r\n"));
  CHECK(has(c.outgoing.data, "Reply-To: team@example.com\r\n"));
  CHECK(has(c.outgoing.data, "List-Id: Daily brief <daily-brief.ids.example.net>\r\n"));
  s.reply_to = mime::Mailbox{"help@example.net", "Help"};
  CHECK(has(compose(s, r).outgoing.data, "Reply-To: Help <help@example.net>\r\n"));
  r.message_id.reset();
  CHECK(compose(s, r).outgoing.message_id == "briefos." + email_id + "@ids.example.net");
}

TEST_CASE("email::compose builds the links on the base URL") {
  const auto c = compose(settings(), row());
  CHECK(has(c.rendered.text, "https://app.example.com/briefs/" + brief_id));
  CHECK(has(c.rendered.html, "https://app.example.com/unsubscribe/tok"));
  // The tracking id is percent-encoded into the default pixel URL.
  CHECK(has(c.rendered.html, "https://app.example.com/api/email-tracking/trk%201"));
  // Too long for one line: each URL on a line of its own.
  CHECK(has(c.outgoing.data, "List-Unsubscribe:\r\n <https://app.example.com/unsubscribe/tok>,\r\n"
                             " <mailto:unsubscribe+tok@mail.example.com>\r\n"));
  CHECK(has(c.outgoing.data, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));

  email::Settings s = settings();
  s.unsubscribe_url = "https://u.example.com/out?user=1";
  s.tracking_url = "https://t.example.com/p/{id}.gif";
  s.unsubscribe_mailto = "leave@example.com";
  const auto d = compose(s, row());
  CHECK(has(d.rendered.html, "https://u.example.com/out?user=1&amp;token=tok"));
  CHECK(has(d.rendered.html, "https://t.example.com/p/trk%201.gif"));
  CHECK(has(d.outgoing.data, "<mailto:leave+tok@example.com>"));

  s.unsubscribe_url = "https://u.example.com/{token}/bye";
  CHECK(has(compose(s, row()).rendered.html, "https://u.example.com/tok/bye"));
}

TEST_CASE("email::compose sends no one-click header for an http unsubscribe URL") {
  email::Settings s = settings();
  s.base_url = "http://localhost:8080";
  const auto c = compose(s, row());
  CHECK(has(c.rendered.html, "http://localhost:8080/unsubscribe/tok"));
  CHECK_FALSE(has(c.outgoing.data, "List-Unsubscribe-Post"));
  CHECK(has(c.outgoing.data, "List-Unsubscribe: <mailto:unsubscribe+tok@mail.example.com>\r\n"));
}

TEST_CASE("email::compose without a token or tracking has no unsubscribe and no pixel") {
  EmailRow r = row();
  r.unsubscribe_token.reset();
  r.tracking_enabled = false;
  const auto c = compose(settings(), r);
  CHECK_FALSE(has(c.outgoing.data, "List-Unsubscribe"));
  CHECK_FALSE(has(c.rendered.html, "email-tracking"));
}

TEST_CASE("email::compose takes the brief from template_data when the brief row is gone") {
  EmailRow r = row();
  r.brief_id.reset();
  r.brief_date.reset();
  CHECK(email::brief_id_of(r) == brief_id);
  CHECK(email::brief_date_of(r) == "2025-10-01");
  CHECK(has(compose(settings(), r).rendered.text, "/briefs/" + brief_id));
  r.template_data = nlohmann::json::object();
  CHECK(email::brief_id_of(r).empty());
}

TEST_CASE("email::compose refuses what cannot be a safe message") {
  EmailRow r = row();
  SUBCASE("no recipient") {
    r.recipient_email.reset();
    CHECK_THROWS_WITH_AS(compose(settings(), r), ("email " + email_id + " has no recipient").c_str(),
                         mime::MimeError);
  }
  SUBCASE("two addresses in one") {
    r.recipient_email = "ada@example.org, eve@example.net";
    CHECK_THROWS_AS(compose(settings(), r), mime::MimeError);
  }
  SUBCASE("a bad unsubscribe mailbox") {
    email::Settings s = settings();
    s.unsubscribe_mailto = "not an address";
    CHECK_THROWS_WITH_AS(compose(s, r), "invalid unsubscribe mailto address \"not an address\"", mime::MimeError);
  }
}

TEST_CASE("email::message_id_domain and subject_variant follow the settings") {
  email::Settings s = settings();
  CHECK_FALSE(email::message_id_domain(s));
  s.from = mime::Mailbox{"news@example.net", ""};
  CHECK(email::message_id_domain(s) == "example.net");
  s.message_id_domain = "ids.example.net";
  CHECK(email::message_id_domain(s) == "ids.example.net");
  CHECK_FALSE(email::subject_variant(s, email_id));
  s.templates.variants.push_back({"a", "A {{brief_date}}"});
  s.templates.variants.push_back({"b", "B {{brief_date}}"});
  const auto v = email::subject_variant(s, email_id);
  REQUIRE(v);
  CHECK((*v == "a" || *v == "b"));
  CHECK(email::subject_variant(s, email_id) == v);  // stable per email
}

TEST_CASE("email::preview_row is the email briefos-generate would create") {
  BriefRow b;
  b.id = brief_id;
  b.user_id = "u1";
  b.brief_date = "2025-10-01";
  b.markdown = "# Hi";
  b.user_email = "ada@example.org";
  b.user_name = "Ada";
  b.metadata = {{"email_subject", "Your day"}};
  const EmailRow r = email::preview_row(b, settings());
  CHECK(r.id == brief_id);
  CHECK(r.subject == "Your day");
  CHECK(r.from_email == "briefs@localhost");
  CHECK(r.from_name == "briefos");
  CHECK(r.recipient_email == "ada@example.org");
  CHECK(r.recipient_count == 1);
  CHECK(r.brief_id == brief_id);
  CHECK(r.facts().status == briefos::delivery::EmailStatus::pending);
  b.metadata = nlohmann::json::object();
  email::Settings s = settings();
  s.from = mime::Mailbox{"news@example.net", "News"};
  const EmailRow p = email::preview_row(b, s);
  CHECK(p.subject.rfind("Daily Brief - ", 0) == 0);
  CHECK(p.from_email == "news@example.net");
  CHECK(p.from_name == "News");
  CHECK(has(compose(s, p).outgoing.data, "To: Ada <ada@example.org>\r\n"));
}

TEST_SUITE_END();
