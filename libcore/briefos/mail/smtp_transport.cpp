// SPDX-License-Identifier: MIT
//
// SMTP over libcurl, one connection per worker slot, kept open across
// messages.
//
// libcurl keeps the connection of an easy handle alive between
// curl_easy_perform() calls and sends QUIT only on cleanup, so each slot owns
// one handle and sets MAIL FROM, RCPT TO and the upload reader per message.
// After any failure the handle is dropped and the next message starts a fresh
// session, because the server's state after a refused command or a broken
// DATA phase is not something to build on.
//
// TLS: smtps:// is implicit TLS. smtp:// upgrades with STARTTLS: "required"
// (CURLUSESSL_ALL, refuses to go on without TLS) is the default whenever a
// user name is set, so a password never crosses the network in clear;
// otherwise "opportunistic" (CURLUSESSL_TRY) is the default, which suits a
// relay on loopback. ?tls=none turns STARTTLS off.
//
// Errors are classified by the server's last reply code
// (CURLINFO_RESPONSE_CODE): 4xx is transient; 5xx to RCPT or to the end of
// DATA is a rejection of this recipient or message (bounce and suppress);
// 5xx to MAIL FROM is a configuration problem of ours (the message fails, the
// recipient is not blamed); a refused connection, a reset or a timeout is
// transient. The overall timeout defaults to 10 minutes, the RFC 5321
// 4.5.3.2 limit for the reply to the end of DATA: a shorter timeout turns a
// slow but successful delivery into a retry and so into a duplicate.
#include "briefos/error.hpp"
#include "briefos/mail/transport.hpp"

#include <curl/curl.h>

#include <cstring>

namespace briefos::mail {

namespace {

enum class Tls { required, opportunistic, none, implicit };

struct Reader {
  const std::string* data = nullptr;
  std::size_t offset = 0;
};

extern "C" std::size_t read_message(char* buffer, std::size_t size, std::size_t nitems, void* userp) {
  auto* r = static_cast<Reader*>(userp);
  const std::size_t room = size * nitems;
  const std::size_t left = r->data->size() - r->offset;
  const std::size_t n = left < room ? left : room;
  std::memcpy(buffer, r->data->data() + r->offset, n);
  r->offset += n;
  return n;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

class SmtpTransport final : public Transport {
public:
  explicit SmtpTransport(const TransportConfig& cfg)
      : m_connect_timeout(cfg.connect_timeout), m_timeout(cfg.timeout) {
    std::string url = cfg.url;
    const bool implicit = url.rfind("smtps://", 0) == 0;
    m_tls = implicit ? Tls::implicit : Tls::opportunistic;
    bool tls_given = false;
    const std::size_t q = url.find('?');
    if (q != std::string::npos) {
      const std::string mode = url.substr(q + 5);  // after "?tls="
      m_tls = mode == "required" ? Tls::required : mode == "none" ? Tls::none : Tls::opportunistic;
      tls_given = true;
      url.erase(q);
    }
    const std::size_t scheme_end = url.find("://") + 3;
    const std::size_t auth_end = url.find('/', scheme_end);
    const std::string auth = url.substr(scheme_end, auth_end == std::string::npos ? std::string::npos
                                                                                  : auth_end - scheme_end);
    const std::size_t at = auth.rfind('@');
    if (at != std::string::npos) {
      m_user = percent_decode(auth.substr(0, at));
      url.erase(scheme_end, at + 1);
      if (!tls_given && !implicit) m_tls = Tls::required;
    }
    if (cfg.password) m_password = *cfg.password;
    m_ca_file = cfg.ca_file;
    m_url = url;
  }

  ~SmtpTransport() override { reset(); }

  void send(const Outgoing& m) override {
    if (m_curl == nullptr) open();
    Reader reader{&m.data, 0};
    curl_slist* rcpt = nullptr;
    for (const std::string& r : m.recipients) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
    const std::string from = "<" + m.envelope_from + ">";
    curl_easy_setopt(m_curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(m_curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(m_curl, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(m_curl, CURLOPT_READDATA, &reader);
    curl_easy_setopt(m_curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(m.data.size()));
    m_errbuf[0] = '\0';
    const CURLcode rc = curl_easy_perform(m_curl);
    long code = 0;
    curl_easy_getinfo(m_curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(m_curl, CURLOPT_MAIL_RCPT, nullptr);
    curl_slist_free_all(rcpt);
    if (rc == CURLE_OK) return;

    std::string detail = m_errbuf[0] != '\0' ? std::string(m_errbuf) : curl_easy_strerror(rc);
    reset();
    const std::string to = m.recipients.empty() ? std::string() : m.recipients.front();
    std::string msg = "could not send email to \"" + to + "\" via " + describe() + ": " + detail;
    if (code > 0 && detail.find(std::to_string(code)) == std::string::npos) {
      msg += " (server replied " + std::to_string(code) + ")";
    }
    if (rc == CURLE_LOGIN_DENIED) {
      throw SendError(msg + "; check the user and BRIEFOS_SMTP_PASSWORD", FailureKind::transient, code);
    }
    if (code >= 500 && code < 600) {
      if (detail.find("MAIL failed") != std::string::npos) {
        throw SendError(msg + " (the sender address was refused)", FailureKind::permanent, code);
      }
      if (detail.find("unexpected smtp-server response") != std::string::npos
          && detail.find("RCPT") == std::string::npos) {
        // Greeting or EHLO refused: the server, not this recipient.
        throw SendError(msg, FailureKind::transient, code);
      }
      throw SendError(msg, FailureKind::rejected, code);
    }
    throw SendError(msg, FailureKind::transient, code);
  }

  std::string describe() const override { return m_url; }

private:
  void open() {
    m_curl = curl_easy_init();
    if (m_curl == nullptr) throw SendError("could not initialise libcurl", FailureKind::transient);
    curl_easy_setopt(m_curl, CURLOPT_URL, m_url.c_str());
    curl_easy_setopt(m_curl, CURLOPT_ERRORBUFFER, m_errbuf);
    curl_easy_setopt(m_curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(m_curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(m_curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_connect_timeout.count()));
    curl_easy_setopt(m_curl, CURLOPT_TIMEOUT_MS, static_cast<long>(m_timeout.count()));
    // libcurl (7.88) waits for the reply to the end of DATA under its own
    // per-reply limit, 120 s unless set, and not under CURLOPT_TIMEOUT_MS:
    // a server hanging after DATA held a --timeout 3 run for 123 s, and a
    // server answering after 120 s (RFC 5321 allows 10 minutes) became a
    // retry, so a duplicate. Each reply gets --timeout too.
    curl_easy_setopt(m_curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                     static_cast<long>((m_timeout.count() + 999) / 1000));
    // Keep an idle connection for up to 5 minutes between messages.
    curl_easy_setopt(m_curl, CURLOPT_MAXAGE_CONN, 300L);
    curl_easy_setopt(m_curl, CURLOPT_TCP_KEEPALIVE, 1L);
    switch (m_tls) {
      case Tls::required: curl_easy_setopt(m_curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL)); break;
      case Tls::opportunistic: curl_easy_setopt(m_curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY)); break;
      case Tls::none: curl_easy_setopt(m_curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE)); break;
      case Tls::implicit: break;
    }
    // The server's certificate is always verified (libcurl's default, never
    // turned off); a relay with a private CA is trusted through its CA file.
    if (!m_ca_file.empty()) curl_easy_setopt(m_curl, CURLOPT_CAINFO, m_ca_file.c_str());
    if (!m_user.empty()) {
      curl_easy_setopt(m_curl, CURLOPT_USERNAME, m_user.c_str());
      curl_easy_setopt(m_curl, CURLOPT_PASSWORD, m_password.c_str());
    }
  }

  void reset() {
    if (m_curl != nullptr) curl_easy_cleanup(m_curl);
    m_curl = nullptr;
  }

  CURL* m_curl = nullptr;
  std::string m_url;
  std::string m_user;
  std::string m_password;
  std::string m_ca_file;
  Tls m_tls = Tls::opportunistic;
  std::chrono::milliseconds m_connect_timeout;
  std::chrono::milliseconds m_timeout;
  char m_errbuf[CURL_ERROR_SIZE] = {};
};

}  // namespace

std::unique_ptr<Transport> make_smtp_transport(const TransportConfig& cfg) {
  return std::make_unique<SmtpTransport>(cfg);
}

}  // namespace briefos::mail
