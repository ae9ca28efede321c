// SPDX-License-Identifier: MIT
//
// briefos-stats's output. Policy: --output FILE writes to a temporary file
// in the same directory and renames it into place, so a reader
// (node_exporter's textfile collector, a web server) never sees a
// half-written report; a failed write removes the temporary file.
#include "briefos/app/stats/output.hpp"

#include "briefos/error.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace briefos::app::stats {

void write_output(cli::Context& ctx, const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    ctx.out << text;
    return;
  }
  const std::filesystem::path target(path);
  std::filesystem::path tmp = target;
  tmp += ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error("could not write \"" + tmp.string() + "\": " + std::strerror(errno));
    f << text;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      throw Error("could not write \"" + tmp.string() + "\": " + std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error("could not rename \"" + tmp.string() + "\" to \"" + path + "\": " + reason);
  }
  spdlog::debug("wrote {}", path);
}

}  // namespace briefos::app::stats
