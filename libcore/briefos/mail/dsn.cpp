// SPDX-License-Identifier: MIT
//
// DSN and ARF reports read with GMime (see dsn.hpp for the policy: what is a
// hard bounce, a soft bounce, a complaint). GMime does the MIME: the
// multipart structure, transfer encodings, header unfolding, mbox framing;
// the fields of a message/delivery-status or message/feedback-report body
// are header blocks (RFC 3464 section 2.1, RFC 5965 section 3.1) that GMime
// parses too, one block at a time. GLib's objects are reference counted; the
// Ref holder below drops each one on every path. Everything read from a
// report is untrusted text: it is capped, and only ever stored as data.
#include "briefos/mail/dsn.hpp"

#include "briefos/mail/reply.hpp"
#include "briefos/mime.hpp"
#include "briefos/util/text.hpp"

#include <gmime/gmime.h>

#include <mutex>
#include <utility>

namespace briefos::mail::dsn {

namespace {

// Diagnostic texts and addresses kept from a report are capped: a report is
// written by whoever sends mail to the bounce address.
constexpr std::size_t max_field = 1000;

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// A GObject reference, released when it goes out of scope.
template <typename T>
class Ref {
public:
  explicit Ref(T* p = nullptr) : m_p(p) {}
  ~Ref() {
    if (m_p != nullptr) g_object_unref(m_p);
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  Ref(Ref&& o) noexcept : m_p(std::exchange(o.m_p, nullptr)) {}
  Ref& operator=(Ref&&) = delete;
  T* get() const { return m_p; }
  explicit operator bool() const { return m_p != nullptr; }

private:
  T* m_p;
};

bool is_a(void* obj, GType type) {
  return obj != nullptr && g_type_check_instance_is_a(static_cast<GTypeInstance*>(obj), type) != 0;
}

GMimeObject* as_object(void* p) { return static_cast<GMimeObject*>(p); }

std::string capped(std::string_view s) {
  std::string t = util::trim(s.substr(0, std::min(s.size(), max_field)));
  for (char& c : t) {
    if (c == '\r' || c == '\n' || c == '\t' || c == '\0') c = ' ';
  }
  return t;
}

std::string header(GMimeObject* obj, const char* name) {
  const char* v = g_mime_object_get_header(obj, name);
  return v == nullptr ? std::string() : capped(v);
}

// A parser over `bytes` (GMime copies them into the memory stream).
Ref<GMimeParser> parser_over(std::string_view bytes, GMimeFormat format) {
  Ref<GMimeStream> stream{g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size())};
  GMimeParser* p = g_mime_parser_new_with_stream(stream.get());
  g_mime_parser_set_format(p, format);
  return Ref<GMimeParser>{p};
}

// The decoded content of a leaf part.
std::string content_of(GMimeObject* obj) {
  if (!is_a(obj, g_mime_part_get_type())) return {};
  GMimeDataWrapper* w = g_mime_part_get_content(static_cast<GMimePart*>(static_cast<void*>(obj)));
  if (w == nullptr) return {};
  Ref<GMimeStream> out{g_mime_stream_mem_new()};
  g_mime_data_wrapper_write_to_stream(w, out.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(static_cast<GMimeStreamMem*>(static_cast<void*>(out.get())));
  return {reinterpret_cast<const char*>(bytes->data), bytes->len};
}

// The header blocks of a delivery-status or feedback-report body, each
// parsed by GMime as the header of an empty part.
std::vector<Ref<GMimeObject>> header_blocks(std::string_view body) {
  std::vector<Ref<GMimeObject>> blocks;
  std::string text;
  for (const char c : body) {
    if (c != '\r') text += c;
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find("\n\n", pos);
    if (end == std::string::npos) end = text.size();
    const std::string block = text.substr(pos, end - pos);
    pos = end + 2;
    if (util::trim(block).empty()) continue;
    auto p = parser_over(block + "\n\n", GMIME_FORMAT_MESSAGE);
    GMimeObject* part = g_mime_parser_construct_part(p.get(), nullptr);
    if (part != nullptr) blocks.emplace_back(part);
  }
  return blocks;
}

// "smtp; 550 5.1.1 ..." -> "550 5.1.1 ..." (RFC 3464 typed fields).
std::string without_type(const std::string& value) {
  const std::size_t semi = value.find(';');
  return semi == std::string::npos ? value : util::trim(value.substr(semi + 1));
}

// "rfc822; Jo@Example.com" -> "Jo@Example.com" (the address type goes; so
// do angle brackets some relays add, and a display name before them).
std::string typed_address(const std::string& value) {
  std::string a = without_type(value);
  const std::size_t lt = a.rfind('<');
  const std::size_t gt = a.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) a = a.substr(lt + 1, gt - lt - 1);
  return a;
}

// The Message-ID field's value without angle brackets or spaces.
std::string bare_id(std::string_view v) {
  std::string s = util::trim(v);
  if (s.size() >= 2 && s.front() == '<') {
    const std::size_t gt = s.find('>');
    if (gt != std::string::npos) s = s.substr(1, gt - 1);
  }
  return capped(s);
}

Kind dsn_kind(const std::string& action, const std::string& status) {
  if (util::lower(action) != "failed") return Kind::none;
  Reply r;
  r.stage = Stage::rcpt;
  r.enhanced = status;
  r.code = !status.empty() && status[0] == '5' ? 550 : 450;
  if (r.code != 550) return Kind::soft_bounce;
  if (status.size() < 5 || status[1] != '.') r.enhanced.clear();  // no valid code: the class decides
  return classify(r) == FailureKind::rejected ? Kind::hard_bounce : Kind::soft_bounce;
}

// Email ids in the "+" details of the addresses in `value`.
void verp_ids(const std::string& value, std::vector<std::string>& out) {
  std::size_t pos = 0;
  while ((pos = value.find('+', pos)) != std::string::npos) {
    ++pos;
    std::size_t end = value.find('@', pos);
    if (end == std::string::npos) break;
    std::string tag = value.substr(pos, end - pos);
    if (tag.rfind("briefos.", 0) == 0) tag = tag.substr(8);
    if (util::is_uuid(tag)) out.push_back(util::lower(tag));
  }
}

// Walk the report's parts and remember those we read.
struct Parts {
  GMimeObject* status = nullptr;    // message/delivery-status (or global-delivery-status)
  GMimeObject* feedback = nullptr;  // message/feedback-report
  GMimeObject* original = nullptr;  // message/rfc822 or text/rfc822-headers
};

void collect(GMimeObject* obj, Parts& parts, int depth) {
  if (obj == nullptr || depth > 8) return;
  if (is_a(obj, g_mime_multipart_get_type())) {
    auto* mp = static_cast<GMimeMultipart*>(static_cast<void*>(obj));
    const int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i) collect(g_mime_multipart_get_part(mp, i), parts, depth + 1);
    return;
  }
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  if (ct == nullptr) return;
  if (g_mime_content_type_is_type(ct, "message", "delivery-status") != 0
      || g_mime_content_type_is_type(ct, "message", "global-delivery-status") != 0) {
    if (parts.status == nullptr) parts.status = obj;
  } else if (g_mime_content_type_is_type(ct, "message", "feedback-report") != 0) {
    if (parts.feedback == nullptr) parts.feedback = obj;
  } else if (g_mime_content_type_is_type(ct, "message", "rfc822") != 0
             || g_mime_content_type_is_type(ct, "message", "global") != 0
             || g_mime_content_type_is_type(ct, "text", "rfc822-headers") != 0) {
    if (parts.original == nullptr) parts.original = obj;
  }
}

// The original's Message-ID and To, from a message/rfc822 part (parsed by
// GMime as a message) or a text/rfc822-headers part (headers only).
void read_original(GMimeObject* obj, Report& r, std::string& original_to) {
  if (obj == nullptr) return;
  if (is_a(obj, g_mime_message_part_get_type())) {
    GMimeMessage* m = g_mime_message_part_get_message(static_cast<GMimeMessagePart*>(static_cast<void*>(obj)));
    if (m == nullptr) return;
    r.original_quoted = true;
    r.original_message_id = bare_id(header(as_object(m), "Message-ID"));
    original_to = header(as_object(m), "To");
    return;
  }
  const std::string text = content_of(obj);
  auto blocks = header_blocks(text.substr(0, text.find("\n\n")));
  if (blocks.empty()) return;
  r.original_quoted = true;
  r.original_message_id = bare_id(header(blocks.front().get(), "Message-ID"));
  original_to = header(blocks.front().get(), "To");
}

Parsed fail(std::string why) {
  Parsed p;
  p.error = std::move(why);
  return p;
}

Parsed read_report(GMimeMessage* msg) {
  GMimeObject* top = g_mime_message_get_mime_part(msg);
  if (top == nullptr) return fail("not a delivery status notification or feedback report (no body)");
  GMimeContentType* ct = g_mime_object_get_content_type(top);
  Parts parts;
  collect(top, parts, 0);
  if (parts.status == nullptr && parts.feedback == nullptr) {
    char* type = ct != nullptr ? g_mime_content_type_get_mime_type(ct) : nullptr;
    std::string t = type != nullptr ? type : "none";
    g_free(type);
    return fail("not a delivery status notification or feedback report (Content-Type " + capped(t) + ")");
  }
  Parsed p;
  Report& r = p.report;
  const char* id = g_mime_message_get_message_id(msg);
  if (id != nullptr && *id != '\0') {
    r.key = capped(id);
  } else {
    char* text = g_mime_object_to_string(as_object(msg), nullptr);
    char* sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    r.key = std::string("sha256:") + sum;
    g_free(sum);
    g_free(text);
  }
  for (const char* h : {"To", "Delivered-To", "X-Original-To", "Envelope-To"}) {
    verp_ids(header(as_object(msg), h), r.verp_email_ids);
  }
  std::string original_to;
  read_original(parts.original, r, original_to);

  if (parts.status != nullptr) {
    r.type = Report::Type::delivery_status;
    auto blocks = header_blocks(content_of(parts.status));
    if (blocks.empty()) return fail("a delivery status notification without per-message fields");
    r.reporting_mta = typed_address(header(blocks.front().get(), "Reporting-MTA"));
    for (std::size_t i = 1; i < blocks.size(); ++i) {
      GMimeObject* b = blocks[i].get();
      Recipient rc;
      rc.address = typed_address(header(b, "Final-Recipient"));
      rc.original = typed_address(header(b, "Original-Recipient"));
      rc.action = util::lower(header(b, "Action"));
      rc.status = header(b, "Status").substr(0, 16);
      rc.diagnostic = without_type(header(b, "Diagnostic-Code"));
      if (rc.address.empty() || rc.action.empty()) continue;
      rc.kind = dsn_kind(rc.action, rc.status);
      r.recipients.push_back(std::move(rc));
    }
    if (r.recipients.empty()) {
      return fail("a delivery status notification without a recipient (Final-Recipient and Action)");
    }
  } else {
    r.type = Report::Type::feedback;
    auto blocks = header_blocks(content_of(parts.feedback));
    if (blocks.empty()) return fail("a feedback report without fields");
    GMimeObject* b = blocks.front().get();
    Recipient rc;
    rc.action = util::lower(header(b, "Feedback-Type"));
    if (rc.action.empty()) return fail("a feedback report without a Feedback-Type");
    rc.address = typed_address(header(b, "Original-Rcpt-To"));
    if (rc.address.empty()) rc.address = typed_address(original_to);
    r.reporting_mta = header(b, "User-Agent");
    rc.kind = rc.action == "abuse" || rc.action == "fraud" ? Kind::complaint : Kind::none;
    r.recipients.push_back(std::move(rc));
  }
  p.ok = true;
  return p;
}

Parsed parse_with(GMimeParser* parser) {
  Ref<GMimeMessage> msg{g_mime_parser_construct_message(parser, nullptr)};
  if (!msg) return fail("not a MIME message");
  return read_report(msg.get());
}

}  // namespace

const char* to_string(Kind kind) noexcept {
  switch (kind) {
    case Kind::none: return "none";
    case Kind::hard_bounce: return "hard_bounce";
    case Kind::soft_bounce: return "soft_bounce";
    case Kind::complaint: return "complaint";
  }
  return "none";
}

Parsed parse(std::string_view message) {
  init_gmime();
  auto p = parser_over(message, GMIME_FORMAT_MESSAGE);
  return parse_with(p.get());
}

std::vector<Parsed> parse_input(std::string_view data) {
  init_gmime();
  std::vector<Parsed> out;
  if (data.rfind("From ", 0) != 0) {
    out.push_back(parse(data));
    return out;
  }
  auto p = parser_over(data, GMIME_FORMAT_MBOX);
  while (g_mime_parser_eos(p.get()) == 0) {
    Ref<GMimeMessage> msg{g_mime_parser_construct_message(p.get(), nullptr)};
    if (!msg) break;
    out.push_back(read_report(msg.get()));
  }
  if (out.empty()) out.push_back(fail("an mbox without a message"));
  return out;
}

std::string email_id_of_message_id(std::string_view message_id) {
  const std::string id = bare_id(message_id);
  const std::size_t at = id.rfind('@');
  if (id.rfind("briefos.", 0) != 0 || at == std::string::npos) return {};
  const std::string email_id = id.substr(8, at - 8);
  if (!util::is_uuid(email_id)) return {};
  try {
    // The inverse of the one formula: what it would write for this id.
    if (util::lower(mime::message_id_for(email_id, id.substr(at + 1))) != util::lower(id)) return {};
  } catch (const mime::MimeError&) {
    return {};
  }
  return util::lower(email_id);
}

}  // namespace briefos::mail::dsn
