// SPDX-License-Identifier: MIT
//
// Maildir delivery (for the demo, tests and local use).
//
// The Maildir protocol makes a message appear atomically: write it under
// tmp/ with a unique name, fsync it, rename it into new/, then fsync new/ so
// the rename itself survives a crash. Only after that is the message
// "accepted". Every failure (a directory we cannot create or write, a full
// disk) is transient: the operator can fix it and the queue retries; nothing
// about the recipient is wrong.
#include "briefos/mail/transport.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace briefos::mail {

namespace {

std::atomic<unsigned long> g_sequence{0};

class MaildirTransport final : public Transport {
public:
  explicit MaildirTransport(std::string dir) : m_dir(std::move(dir)) {}

  void send(const Outgoing& m) override {
    if (!m_ready) prepare();
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    for (char* p = host; *p != '\0'; ++p) {
      if (*p == '/' || *p == ':') *p = '_';
    }
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now).count() % 1000000;
    const std::string name = std::to_string(secs) + ".M" + std::to_string(usec) + "P"
                             + std::to_string(getpid()) + "Q" + std::to_string(++g_sequence) + "."
                             + host;
    const std::string tmp = m_dir + "/tmp/" + name;
    const std::string dst = m_dir + "/new/" + name;
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) fail("could not create \"" + tmp + "\"", m);
    std::size_t off = 0;
    while (off < m.data.size()) {
      const ssize_t n = ::write(fd, m.data.data() + off, m.data.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        errno = e;
        fail("could not write \"" + tmp + "\"", m);
      }
      off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      errno = e;
      fail("could not flush \"" + tmp + "\"", m);
    }
    if (::rename(tmp.c_str(), dst.c_str()) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      errno = e;
      fail("could not move the message into \"" + m_dir + "/new\"", m);
    }
    const int dfd = ::open((m_dir + "/new").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }

  std::string describe() const override { return "maildir:" + m_dir; }

private:
  void prepare() {
    for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
      const std::string p = m_dir + sub;
      if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) {
        throw SendError("could not create Maildir directory \"" + p + "\": " + std::strerror(errno),
                        FailureKind::transient);
      }
    }
    m_ready = true;
  }

  [[noreturn]] void fail(const std::string& what, const Outgoing& m) {
    const std::string reason = std::strerror(errno);
    m_ready = false;
    throw SendError("could not deliver email " + m.email_id + " to " + describe() + ": " + what
                        + ": " + reason,
                    FailureKind::transient);
  }

  std::string m_dir;
  bool m_ready = false;
};

}  // namespace

std::unique_ptr<Transport> make_maildir_transport(const std::string& dir) {
  return std::make_unique<MaildirTransport>(dir);
}

}  // namespace briefos::mail
