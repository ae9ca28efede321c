// SPDX-License-Identifier: MIT
//
// The classification of refused hand-overs (see reply.hpp), as one ordered
// table.
//
// The policy, in the words of briefos-email(1), FAILURE HANDLING:
//   - Nothing before MAIL FROM is the message's fault. A refused or timed-out
//     connection, a DNS or TLS failure, a 421/554 greeting, a refused EHLO,
//     STARTTLS or AUTH: the relay is down or misconfigured, every message
//     would meet the same, so no attempt is used and the batch goes back.
//   - Only the recipient's own failures suppress the address: RCPT TO
//     refused with 5.1.x (no such user, bad domain) or 5.2.1 (mailbox
//     disabled), or with a bare 5xx, which relays use for unknown users.
//     A refusal for policy (5.7.x, relaying denied), a full mailbox (5.2.2)
//     or a system reason fails this email only: suppressing on those would
//     unsubscribe every user of a misconfigured relay.
//   - A 5xx to DATA or to the end of the message refuses this message
//     (content filter 5.7.1, size 5.3.4, 5.6.x): the email fails, the user
//     gets the next one.
//   - Any 4xx, and a connection lost or timed out after MAIL FROM, is worth
//     retrying.
#include "briefos/mail/reply.hpp"

#include <cctype>

namespace briefos::mail {

namespace {

bool before_mail(const Reply& r) {
  return r.stage == Stage::connect || r.stage == Stage::greeting || r.stage == Stage::hello;
}
bool smtp_after_mail(const Reply& r) {
  return r.stage == Stage::rcpt || r.stage == Stage::data || r.stage == Stage::end_of_data;
}
bool is5(const Reply& r) { return r.code >= 500 && r.code < 600; }
bool is4(const Reply& r) { return r.code >= 400 && r.code < 500; }
bool subject_is(const Reply& r, char subject) {
  return r.enhanced.size() >= 3 && r.enhanced[2] == subject;
}
bool recipient_gone(const Reply& r) {
  return r.enhanced.empty() || subject_is(r, '1') || r.enhanced.rfind("5.2.1", 0) == 0;
}

const std::vector<Rule> table{
    {"connect, greeting, EHLO, STARTTLS, AUTH", "any reply, or none", FailureKind::unavailable,
     "the relay is down or will not talk to us; no attempt is used",
     [](const Reply& r) { return before_mail(r); }},
    {"MAIL FROM", "none (connection lost)", FailureKind::unavailable,
     "the relay went away before taking the message; no attempt is used",
     [](const Reply& r) { return r.stage == Stage::mail && r.code == 0; }},
    {"MAIL FROM", "5xx", FailureKind::permanent,
     "the sender address was refused: our configuration, not the recipient",
     [](const Reply& r) { return r.stage == Stage::mail && is5(r); }},
    {"RCPT TO", "5xx with 5.1.x or 5.2.1, or without an enhanced code", FailureKind::rejected,
     "no such recipient, or a disabled mailbox: bounced and suppressed",
     [](const Reply& r) { return r.stage == Stage::rcpt && is5(r) && recipient_gone(r); }},
    {"RCPT TO", "any other 5xx (5.2.2, 5.3.x, 5.4.x, 5.7.x ...)", FailureKind::permanent,
     "full mailbox, policy or relaying refused: this email fails, the address is kept",
     [](const Reply& r) { return r.stage == Stage::rcpt && is5(r); }},
    {"end of DATA", "5xx with 5.1.x", FailureKind::rejected,
     "the recipient refused after the message: bounced and suppressed",
     [](const Reply& r) { return r.stage == Stage::end_of_data && is5(r) && subject_is(r, '1'); }},
    {"DATA, end of DATA", "any other 5xx (5.6.x, 5.7.x content or policy, 5.3.4 size ...)",
     FailureKind::permanent, "this message was refused: this email fails, the address is kept",
     [](const Reply& r) { return (r.stage == Stage::data || r.stage == Stage::end_of_data) && is5(r); }},
    {"MAIL FROM, RCPT TO, DATA, end of DATA", "4xx", FailureKind::transient,
     "try again later: retried with backoff until the retry horizon",
     [](const Reply& r) { return (r.stage == Stage::mail || smtp_after_mail(r)) && is4(r); }},
    {"RCPT TO, DATA, end of DATA", "none (connection lost or timed out)", FailureKind::transient,
     "the message may or may not have arrived: retried with the same Message-ID",
     [](const Reply& r) { return smtp_after_mail(r) && r.code == 0; }},
    {"webhook response", "408, 429, 5xx, or none", FailureKind::transient,
     "the receiver is busy or failing: retried with backoff",
     [](const Reply& r) {
       return r.stage == Stage::response && (r.code == 0 || r.code == 408 || r.code == 429 || r.code >= 500);
     }},
    {"webhook response", "any other 4xx", FailureKind::permanent,
     "the receiver refused this message: this email fails",
     [](const Reply& r) { return r.stage == Stage::response && is4(r); }},
    {"Maildir write", "none", FailureKind::transient, "disk full or unwritable: retried with backoff",
     [](const Reply& r) { return r.stage == Stage::write; }},
};

}  // namespace

const char* to_string(Stage stage) noexcept {
  switch (stage) {
    case Stage::connect: return "connect";
    case Stage::greeting: return "greeting";
    case Stage::hello: return "hello";
    case Stage::mail: return "mail";
    case Stage::rcpt: return "rcpt";
    case Stage::data: return "data";
    case Stage::end_of_data: return "end_of_data";
    case Stage::response: return "response";
    case Stage::write: return "write";
  }
  return "unknown";
}

const char* to_string(FailureKind kind) noexcept {
  switch (kind) {
    case FailureKind::unavailable: return "unavailable";
    case FailureKind::transient: return "transient";
    case FailureKind::permanent: return "permanent";
    case FailureKind::rejected: return "rejected";
    case FailureKind::interrupted: return "interrupted";
  }
  return "unknown";
}

nlohmann::json Reply::to_json() const {
  return {{"stage", to_string(stage)},
          {"code", code},
          {"enhanced", enhanced.empty() ? nlohmann::json(nullptr) : nlohmann::json(enhanced)},
          {"text", text}};
}

std::string Reply::describe() const {
  std::string out;
  if (code > 0) {
    out = std::to_string(code) + " ";
    // The text usually repeats the enhanced code; say it once.
    if (!enhanced.empty() && text.rfind(enhanced, 0) != 0) out += enhanced + " ";
  }
  out += text;
  out += std::string(" (") + to_string(stage) + ")";
  return out;
}

Reply Reply::from_json(const nlohmann::json& j) {
  Reply r;
  if (!j.is_object()) return r;
  const std::string stage = j.value("stage", "");
  for (const Stage s : {Stage::connect, Stage::greeting, Stage::hello, Stage::mail, Stage::rcpt, Stage::data,
                        Stage::end_of_data, Stage::response, Stage::write}) {
    if (stage == to_string(s)) r.stage = s;
  }
  if (const auto c = j.find("code"); c != j.end() && c->is_number_integer()) r.code = c->get<int>();
  if (const auto e = j.find("enhanced"); e != j.end() && e->is_string()) r.enhanced = e->get<std::string>();
  if (const auto t = j.find("text"); t != j.end() && t->is_string()) r.text = t->get<std::string>();
  return r;
}

std::string enhanced_code(std::string_view text, int code) {
  // class "." subject "." detail: 2/4/5, 1-3 digits, 1-3 digits (RFC 3463).
  std::size_t i = 0;
  if (text.empty() || (text[0] != '2' && text[0] != '4' && text[0] != '5')) return {};
  if (code > 0 && text[0] != static_cast<char>('0' + code / 100)) return {};
  i = 1;
  for (int part = 0; part < 2; ++part) {
    if (i >= text.size() || text[i] != '.') return {};
    const std::size_t start = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && i - start < 3) ++i;
    if (i == start) return {};
  }
  if (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) return {};
  return std::string(text.substr(0, i));
}

const std::vector<Rule>& rules() { return table; }

FailureKind classify(const Reply& reply) {
  for (const Rule& rule : table) {
    if (rule.matches(reply)) return rule.kind;
  }
  // A reply no rule foresees (a 2xx or 3xx where a failure was seen, a
  // 5xx to a stage not listed): retry rather than lose or suppress.
  return FailureKind::transient;
}

}  // namespace briefos::mail
