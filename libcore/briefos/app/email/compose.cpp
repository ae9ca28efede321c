// SPDX-License-Identifier: MIT
//
// Message composition (see compose.hpp). The rules: the From is the row's,
// with --from's address (and name, when given) over it; a Message-ID stored
// by an earlier attempt wins, so every attempt of an email (and a resend from
// 'sending') carries the same one; links are built on --base-url with the
// ids percent-encoded; List-Unsubscribe carries the https URL (RFC 8058
// one-click needs https; an http URL stays in the body only) and a mailto
// with the token in the local part; every message says Auto-Submitted and
// names its email id and subject variant.
#include "briefos/app/email/compose.hpp"

namespace briefos::app::email {

namespace {

namespace store = db::email_store;
using nlohmann::json;

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string percent_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

// The unsubscribe URL for (percent-encoded) `token`: --unsubscribe-url with
// {token} replaced (or a token parameter added), else base/unsubscribe/TOKEN.
std::string unsubscribe_url(const Settings& settings, const std::string& base, const std::string& token) {
  if (token.empty()) return {};
  const std::string tmpl = settings.unsubscribe_url.empty() ? base + "/unsubscribe/{token}" : settings.unsubscribe_url;
  return tmpl.find("{token}") != std::string::npos
             ? replace_all(tmpl, "{token}", token)
             : tmpl + (tmpl.find('?') == std::string::npos ? "?token=" : "&token=") + token;
}

// The open pixel's URL: --tracking-url with {id} replaced (or the id
// appended), else base/api/email-tracking/ID.
std::string tracking_url(const Settings& settings, const std::string& base, const std::string& tracking_id) {
  const std::string prefix = settings.tracking_url.empty() ? base + "/api/email-tracking/" : settings.tracking_url;
  const std::string tid = percent_encode(tracking_id);
  return prefix.find("{id}") != std::string::npos ? replace_all(prefix, "{id}", tid) : prefix + tid;
}

// "mailto:unsubscribe+TOKEN@domain": the token goes into the local part, so
// it survives mail clients that drop ?subject=, and keeps the line short.
std::string unsubscribe_mailto(const Settings& settings, const std::string& domain, const std::string& token) {
  const std::string mailto = settings.unsubscribe_mailto.empty() ? "unsubscribe@" + domain : settings.unsubscribe_mailto;
  if (!mime::is_valid_address(mailto)) {
    throw mime::MimeError("invalid unsubscribe mailto address \"" + mailto + "\"");
  }
  const std::size_t at = mailto.rfind('@');
  return "mailto:" + mailto.substr(0, at) + "+" + token + mailto.substr(at);
}

}  // namespace

std::string json_string(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string brief_id_of(const store::EmailRow& row) {
  return row.brief_id.value_or(json_string(row.template_data, "brief_id"));
}

std::string brief_date_of(const store::EmailRow& row) {
  return row.brief_date.value_or(json_string(row.template_data, "brief_date"));
}

std::optional<std::string> message_id_domain(const Settings& settings) {
  if (!settings.message_id_domain.empty()) return settings.message_id_domain;
  if (settings.from) return mime::domain_of(settings.from->address);
  return std::nullopt;
}

std::optional<std::string> subject_variant(const Settings& settings, const std::string& email_id) {
  const auto& variants = settings.templates.variants;
  if (variants.empty()) return std::nullopt;
  return variants[render::pick_variant(email_id, variants.size())].name;
}

Composed compose(const Settings& settings,
                 render::Renderer& renderer,
                 const store::EmailRow& row,
                 std::chrono::system_clock::time_point now) {
  if (!row.recipient_email) throw mime::MimeError("email " + row.id + " has no recipient");
  mime::Mailbox from{row.from_email, mime::clean_display_name(row.from_name)};
  if (settings.from) {
    from.address = settings.from->address;
    if (!settings.from->name.empty()) from.name = settings.from->name;
  }
  const std::string domain =
      settings.message_id_domain.empty() ? mime::domain_of(from.address) : settings.message_id_domain;
  const std::string message_id = row.message_id && !row.message_id->empty()
                                     ? *row.message_id
                                     : mime::message_id_for(row.id, domain);
  const std::string base = trim_slash(settings.base_url);
  const std::string brief_id = brief_id_of(row);
  const std::string token = percent_encode(row.unsubscribe_token.value_or(""));
  const std::string unsub = unsubscribe_url(settings, base, token);

  render::EmailView v;
  v.email_id = row.id;
  v.subject = row.subject;
  v.brief_id = brief_id;
  v.brief_date = brief_date_of(row);
  v.markdown = row.markdown;
  v.analysis = row.analysis;
  // The name is cosmetic: cleaned, never a reason to fail the email.
  const std::string to_name = mime::clean_display_name(row.recipient_name.value_or(""));
  v.recipient_name = to_name;
  v.recipient_email = *row.recipient_email;
  v.from_name = from.name;
  const auto reeng = row.template_data.find("is_reengagement");
  v.is_reengagement = reeng != row.template_data.end() && reeng->is_boolean() && reeng->get<bool>();
  v.base_url = base;
  v.link_allow = settings.link_allow;
  v.brief_url = base + "/briefs/" + percent_encode(brief_id);
  v.preferences_url = base + "/settings";
  v.unsubscribe_url = unsub;
  if (row.tracking_enabled) v.tracking_url = tracking_url(settings, base, row.tracking_id);
  v.postal_address = settings.postal_address;
  Composed c;
  c.rendered = renderer.render(v);

  mime::Message m;
  m.from = from;
  if (settings.reply_to) {
    m.reply_to = settings.reply_to;
  } else if (row.reply_to && !row.reply_to->empty()) {
    m.reply_to = mime::Mailbox{*row.reply_to, ""};
  }
  m.to = {*row.recipient_email, to_name};
  m.subject = c.rendered.subject;
  m.message_id = message_id;
  m.date = now;
  if (unsub.rfind("https://", 0) == 0) m.unsubscribe_https = unsub;
  if (!token.empty()) m.unsubscribe_mailto = unsubscribe_mailto(settings, domain, token);
  m.list_id = "Daily brief <daily-brief." + domain + ">";
  m.extra_headers = {{"Auto-Submitted", "auto-generated"}, {"X-Briefos-Email-Id", row.id}};
  if (!c.rendered.subject_variant.empty()) {
    m.extra_headers.emplace_back("X-Briefos-Subject-Variant", c.rendered.subject_variant);
  }
  m.text = c.rendered.text;
  m.html = c.rendered.html;
  m.boundary_seed = row.id;

  c.outgoing.email_id = row.id;
  c.outgoing.message_id = message_id;
  c.outgoing.envelope_from = from.address;
  c.outgoing.recipients = {*row.recipient_email};
  c.outgoing.subject = c.rendered.subject;
  c.outgoing.data = mime::build(m);
  c.recipient = *row.recipient_email;
  return c;
}

store::EmailRow preview_row(const store::BriefRow& b, const Settings& s) {
  store::EmailRow row;
  row.id = b.id;
  row.status = "pending";
  const std::string subj = json_string(b.metadata, "email_subject");
  row.subject = subj.empty() ? "Daily Brief - " + render::short_date(b.brief_date) : subj;
  row.from_email = s.from ? s.from->address : "briefs@localhost";
  row.from_name = s.from && !s.from->name.empty() ? s.from->name : "briefos";
  row.tracking_enabled = true;
  row.tracking_id = "preview";
  row.created_by = b.user_id;
  row.category = "daily_brief";
  row.template_data = json{{"brief_id", b.id}, {"brief_date", b.brief_date}, {"user_id", b.user_id}};
  row.recipient_count = 1;
  row.recipient_email = b.user_email;
  row.recipient_name = b.user_name;
  row.unsubscribe_token = "preview";
  row.user_exists = true;
  row.brief_id = b.id;
  row.brief_date = b.brief_date;
  row.markdown = b.markdown;
  row.analysis = b.analysis;
  return row;
}

}  // namespace briefos::app::email
