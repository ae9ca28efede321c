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
// DATA phase is not something to build on. A kept connection the server
// closed meanwhile shows up as a failure before MAIL FROM was accepted; that
// one is retried once at once on a new connection (nothing was handed over).
//
// TLS: smtps:// is implicit TLS. smtp:// upgrades with STARTTLS: "required"
// (CURLUSESSL_ALL, refuses to go on without TLS) is the default whenever a
// user name is set, so a password never crosses the network in clear;
// otherwise "opportunistic" (CURLUSESSL_TRY) is the default, which suits a
// relay on loopback. ?tls=none turns STARTTLS off.
//
// What the server said: libcurl reports only the last reply code and a
// generic message ("Weird server reply"), so the transport follows the
// dialogue through libcurl's debug callback: each command it sends moves the
// stage (EHLO, MAIL, RCPT, DATA, the end of the message) and each reply is
// kept whole. A failure is then the stage, the reply code, the RFC 3463
// enhanced code and the text, classified by mail::classify() (reply.cpp has
// the policy).
//
// Timeouts per phase, enforced in libcurl's progress callback (called at
// least once a second, also while nothing moves): the connect and TLS
// handshake (--connect-timeout), the greeting and every command's reply
// (--command-timeout), the reply to the end of DATA (--timeout, RFC 5321's
// 10 minutes by default). The same callback polls the stop flag, so SIGTERM
// aborts a hand-over within about a second (FailureKind::interrupted), except
// one whose end of DATA is already sent: its reply gets 5 seconds more, since
// aborting then can only make a duplicate.
#include "briefos/error.hpp"
#include "briefos/mail/reply.hpp"
#include "briefos/mail/transport.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

#include <sys/socket.h>

namespace briefos::mail {

namespace {

using Clock = std::chrono::steady_clock;

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

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if ((s[i] | 0x20) != (prefix[i] | 0x20)) return false;
  }
  return true;
}

// The dialogue of one hand-over, as seen through libcurl's debug callback,
// and the phase deadlines checked by its progress callback.
struct Dialogue {
  Stage stage = Stage::connect;
  bool waiting_reply = true;      // a reply is due (greeting, command, end of DATA)
  Clock::time_point since;        // when the current wait began
  int code = 0;                   // the last complete reply
  std::string text;
  std::string partial;            // lines of a multi-line reply so far
  bool timed_out = false;
  bool interrupted = false;
  bool quitting = false;          // QUIT sent (on cleanup): its 221 is not the story
  curl_off_t uploaded = -1;
  curl_socket_t socket = CURL_SOCKET_BAD;  // the connection's, to shut it down
  Clock::time_point stop_seen{};  // when a stop was first seen during end of DATA
  static constexpr std::chrono::seconds stop_grace{5};
  // Limits and the stop flag (from the transport).
  std::chrono::milliseconds command_timeout{60000};
  std::chrono::milliseconds data_timeout{600000};
  const std::function<bool()>* stop = nullptr;

  void begin(bool reused) {
    stage = reused ? Stage::mail : Stage::connect;
    waiting_reply = !reused;
    since = Clock::now();
    code = 0;
    text.clear();
    partial.clear();
    timed_out = interrupted = quitting = false;
    stop_seen = {};
    uploaded = -1;
  }

  void command(std::string_view line) {
    // Only a known verb is logged, never the rest of the line: AUTH's
    // arguments and continuation lines are the credentials.
    static constexpr std::string_view verbs[] = {"EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "RSET",
                                                  "NOOP", "QUIT"};
    std::string_view verb = "(AUTH data)";
    for (const std::string_view v : verbs) {
      if (starts_with_ci(line, v)) verb = v;
    }
    spdlog::debug("smtp > {}", verb);
    if (starts_with_ci(line, "MAIL FROM")) stage = Stage::mail;
    else if (starts_with_ci(line, "RCPT TO")) stage = Stage::rcpt;
    else if (starts_with_ci(line, "DATA")) stage = Stage::data;
    else if (starts_with_ci(line, "QUIT")) {
      quitting = true;
      return;
    }
    else if (starts_with_ci(line, "EHLO") || starts_with_ci(line, "HELO") || starts_with_ci(line, "STARTTLS")
             || starts_with_ci(line, "AUTH")) stage = Stage::hello;
    // Anything else (an AUTH continuation) stays in its stage.
    waiting_reply = true;
    since = Clock::now();
  }

  void reply_line(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.size() < 3 || quitting) return;
    spdlog::debug("smtp < {}", line);
    if (stage == Stage::connect) stage = Stage::greeting;
    const bool more = line.size() > 3 && line[3] == '-';
    const std::string_view rest = line.size() > 4 ? line.substr(4) : std::string_view();
    if (!partial.empty()) partial += " / ";
    partial += rest;
    if (more) return;
    code = std::atoi(std::string(line.substr(0, 3)).c_str());
    text = std::move(partial);
    partial.clear();
    waiting_reply = false;
    // 354 (only ever the answer to DATA): the message body goes out now; its
    // end gets the DATA limit.
    if (code == 354) {
      stage = Stage::end_of_data;
      since = Clock::now();
    }
  }

  // 0 to go on, 1 to abort the transfer.
  // Stop the transfer: the callback's non-zero return, and the socket shut
  // down, because libcurl (7.88) waits for the reply to the end of DATA in a
  // blocking loop of its "done" phase that does not heed that return value.
  int abort_transfer() {
    if (socket != CURL_SOCKET_BAD) ::shutdown(socket, SHUT_RDWR);
    return 1;
  }

  int tick(curl_off_t ulnow) {
    const auto now = Clock::now();
    if (stop != nullptr && *stop && (*stop)()) {
      // Before the message is out, stopping loses nothing; once its end is
      // sent, the relay may be accepting it, and aborting can only turn that
      // into a duplicate: its reply gets a short grace.
      if (stage != Stage::end_of_data) {
        interrupted = true;
        return abort_transfer();
      }
      if (stop_seen == Clock::time_point{}) stop_seen = now;
      if (now - stop_seen > stop_grace) {
        interrupted = true;
        return abort_transfer();
      }
    }
    if (stage == Stage::end_of_data) {
      // While the body moves, progress is the proof of life; from the last
      // byte sent, the reply to the end of DATA has the long limit. (libcurl
      // counts the body after its own line-ending work, so "all sent" cannot
      // be told from the totals: the limit runs from the last progress.)
      if (ulnow != uploaded) {
        uploaded = ulnow;
        since = now;
        return 0;
      }
      if (now - since > data_timeout) timed_out = true;
      return timed_out ? abort_transfer() : 0;
    }
    if (waiting_reply && stage != Stage::connect && now - since > command_timeout) {
      timed_out = true;
      return abort_transfer();
    }
    return 0;
  }
};

extern "C" int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* userp) {
  auto* d = static_cast<Dialogue*>(userp);
  const std::string_view text(data, size);
  switch (type) {
    case CURLINFO_HEADER_OUT: d->command(text); break;
    case CURLINFO_TEXT:
      // TCP is up: from here the greeting is due within --command-timeout.
      if (d->stage == Stage::connect && text.rfind("Connected to", 0) == 0) {
        d->stage = Stage::greeting;
        d->waiting_reply = true;
        d->since = Clock::now();
      }
      break;
    case CURLINFO_HEADER_IN: {
      // libcurl may pass several reply lines at once.
      std::size_t start = 0;
      while (start < text.size()) {
        const std::size_t nl = text.find('\n', start);
        const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        d->reply_line(text.substr(start, end - start));
        start = end;
      }
      break;
    }
    default: break;
  }
  return 0;
}

// Every new connection's socket (one per handle at a time: a failure drops
// the handle).
extern "C" int on_socket(void* userp, curl_socket_t fd, curlsocktype) {
  static_cast<Dialogue*>(userp)->socket = fd;
  return CURL_SOCKOPT_OK;
}

extern "C" int on_progress(void* userp, curl_off_t, curl_off_t, curl_off_t, curl_off_t ulnow) {
  return static_cast<Dialogue*>(userp)->tick(ulnow);
}

class SmtpTransport final : public Transport {
public:
  explicit SmtpTransport(const TransportConfig& cfg)
      : m_connect_timeout(cfg.connect_timeout), m_stop(cfg.stop) {
    m_dialogue.command_timeout = cfg.command_timeout;
    m_dialogue.data_timeout = cfg.timeout;
    m_dialogue.stop = &m_stop;
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
    const bool reused = m_curl != nullptr && m_sent > 0;
    try {
      attempt(m, reused);
    } catch (const SendError& e) {
      // A kept connection the server closed while idle: nothing was handed
      // over, so try once more on a fresh one.
      if (!reused || e.kind() != FailureKind::unavailable) throw;
      attempt(m, false);
    }
  }

  std::string describe() const override { return m_url; }

private:
  void attempt(const Outgoing& m, bool reused) {
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
    m_dialogue.begin(reused);
    const CURLcode rc = curl_easy_perform(m_curl);
    curl_easy_setopt(m_curl, CURLOPT_MAIL_RCPT, nullptr);
    curl_slist_free_all(rcpt);
    if (rc == CURLE_OK) {
      ++m_sent;
      return;
    }
    const std::string detail = m_errbuf[0] != '\0' ? std::string(m_errbuf) : curl_easy_strerror(rc);
    reset();
    fail(m, rc, detail);
  }

  [[noreturn]] void fail(const Outgoing& m, CURLcode rc, const std::string& detail) const {
    const Dialogue& d = m_dialogue;
    Reply reply;
    reply.stage = d.stage;
    // The last reply counts only if it is a refusal: a 250 to RCPT followed
    // by a dropped connection at DATA is a connection failure at DATA.
    if (d.code >= 400 && !d.waiting_reply) {
      reply.code = d.code;
      reply.text = d.text;
      reply.enhanced = enhanced_code(d.text, d.code);
    } else if (d.timed_out) {
      reply.text = "no reply within the " + std::string(d.stage == Stage::end_of_data ? "--timeout" : "--command-timeout")
                   + " limit";
    } else if (d.interrupted) {
      reply.text = "stopped by a signal before the server answered";
    } else {
      reply.text = detail;
    }
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT
        || (rc == CURLE_OPERATION_TIMEDOUT && d.stage == Stage::connect)) {
      reply.stage = Stage::connect;
    }
    const std::string to = m.recipients.empty() ? std::string() : m.recipients.front();
    std::string msg = "could not send email to \"" + to + "\" via " + describe() + ": " + reply.describe();
    FailureKind kind = d.interrupted ? FailureKind::interrupted : classify(reply);
    if (rc == CURLE_LOGIN_DENIED) msg += "; check the user and BRIEFOS_SMTP_PASSWORD";
    if (rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION) {
      // TLS never came up: the relay's (or our CA file's) problem.
      kind = FailureKind::unavailable;
    }
    throw SendError(msg, kind, std::move(reply));
  }

  void open() {
    m_curl = curl_easy_init();
    m_sent = 0;
    if (m_curl == nullptr) throw SendError("could not initialise libcurl", FailureKind::unavailable);
    curl_easy_setopt(m_curl, CURLOPT_URL, m_url.c_str());
    curl_easy_setopt(m_curl, CURLOPT_ERRORBUFFER, m_errbuf);
    curl_easy_setopt(m_curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(m_curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(m_curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_connect_timeout.count()));
    // The dialogue (stages, whole replies) and the per-phase deadlines.
    curl_easy_setopt(m_curl, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(m_curl, CURLOPT_DEBUGDATA, &m_dialogue);
    curl_easy_setopt(m_curl, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(m_curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(m_curl, CURLOPT_XFERINFODATA, &m_dialogue);
    curl_easy_setopt(m_curl, CURLOPT_SOCKOPTFUNCTION, on_socket);
    curl_easy_setopt(m_curl, CURLOPT_SOCKOPTDATA, &m_dialogue);
    curl_easy_setopt(m_curl, CURLOPT_NOPROGRESS, 0L);
    // libcurl's own per-reply limit (120 s unless set) is only a backstop
    // behind the progress callback's: the longer of the two phase limits.
    const auto longest = std::max(m_dialogue.command_timeout, m_dialogue.data_timeout);
    curl_easy_setopt(m_curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, static_cast<long>((longest.count() + 999) / 1000 + 5));
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
    m_sent = 0;
  }

  CURL* m_curl = nullptr;
  long long m_sent = 0;  // messages accepted on the current connection
  std::string m_url;
  std::string m_user;
  std::string m_password;
  std::string m_ca_file;
  Tls m_tls = Tls::opportunistic;
  std::chrono::milliseconds m_connect_timeout;
  std::function<bool()> m_stop;
  Dialogue m_dialogue;
  char m_errbuf[CURL_ERROR_SIZE] = {};
};

}  // namespace

std::unique_ptr<Transport> make_smtp_transport(const TransportConfig& cfg) {
  return std::make_unique<SmtpTransport>(cfg);
}

}  // namespace briefos::mail
