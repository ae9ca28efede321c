// SPDX-License-Identifier: MIT
//
// The migration set: file naming, pairing and validation. Versions are dense
// integers from 1; a gap or a duplicate is an error rather than something to
// guess about, because an operator who sees 0004 missing wants to know before
// anything runs. Checksums cover the up file only (the down file may be fixed
// after the fact without making the database look drifted) and ignore CRLF
// line endings, as Flyway does, so a checkout on another platform is not
// "drift".
#include "briefos/migrate.hpp"

#include "briefos/error.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace briefos::migrate {

std::vector<SourceFile> read_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error("could not read migration directory \"" + dir + "\": not a directory");
  }
  std::vector<SourceFile> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) {
      throw Error("could not read migration file \"" + entry.path().string() + "\"");
    }
    std::ostringstream text;
    text << in.rdbuf();
    files.push_back({entry.path().filename().string(), text.str()});
  }
  if (ec) throw Error("could not read migration directory \"" + dir + "\": " + ec.message());
  return files;
}

std::string checksum(const std::string& content) {
  std::string normalised;
  normalised.reserve(content.size());
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '\r' && i + 1 < content.size() && content[i + 1] == '\n') continue;
    normalised.push_back(content[i]);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(normalised.data(), normalised.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

bool runs_outside_transaction(const std::string& sql) {
  std::istringstream in(sql);
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    if (line.compare(first, 2, "--") != 0) return false;  // past the comment block
    // The marker is a line of its own: a comment that merely mentions it
    // (such as the hint in a file made by `briefos-migrate new`) does not
    // take a migration out of its transaction.
    const auto last = line.find_last_not_of(" \t\r");
    if (line.compare(first, last + 1 - first, no_transaction_marker) == 0) return true;
  }
  return false;
}

std::optional<int> error_line(const std::string& message) {
  static const std::regex line_re(R"(LINE (\d+):)");
  std::smatch m;
  if (std::regex_search(message, m, line_re)) return std::stoi(m[1].str());
  return std::nullopt;
}

std::vector<Migration> load(const std::vector<SourceFile>& files) {
  static const std::regex name_re(R"(^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$)");
  std::vector<std::string> problems;
  std::map<int, Migration> by_version;
  std::map<std::string, int> seen_stems;
  for (const SourceFile& f : files) {
    std::smatch m;
    if (!std::regex_match(f.name, m, name_re)) {
      problems.push_back("\"" + f.name + "\" is not named NNNN_name.up.sql or NNNN_name.down.sql");
      continue;
    }
    const int version = std::stoi(m[1].str());
    const std::string name = m[2].str();
    const bool up = m[3].str() == "up";
    if (version == 0) {
      problems.push_back("\"" + f.name + "\": version 0000 is reserved for the empty schema");
      continue;
    }
    Migration& mig = by_version[version];
    if (mig.version != 0 && mig.name != name) {
      problems.push_back("duplicate version " + m[1].str() + ": \"" + mig.name + "\" and \""
                         + name + "\"");
      continue;
    }
    mig.version = version;
    mig.name = name;
    if (up) {
      mig.up_file = f.name;
      mig.up_sql = f.content;
      mig.up_in_transaction = !runs_outside_transaction(f.content);
      mig.checksum = checksum(f.content);
    } else {
      mig.down_file = f.name;
      mig.down_sql = f.content;
      mig.down_in_transaction = !runs_outside_transaction(f.content);
    }
  }
  std::vector<Migration> out;
  int expected = 1;
  for (auto& [version, mig] : by_version) {
    char stem[16];
    std::snprintf(stem, sizeof stem, "%04d", version);
    if (mig.up_file.empty()) problems.push_back("migration " + std::string(stem) + "_" + mig.name + " has no .up.sql file");
    if (mig.down_file.empty()) problems.push_back("migration " + std::string(stem) + "_" + mig.name + " has no .down.sql file");
    if (version != expected) {
      char want[16];
      std::snprintf(want, sizeof want, "%04d", expected);
      problems.push_back("gap in migration versions: " + std::string(want) + " is missing before "
                         + stem + "_" + mig.name);
    }
    expected = version + 1;
    out.push_back(std::move(mig));
  }
  if (!problems.empty()) {
    std::string msg = "invalid migration set: " + problems.front();
    for (std::size_t i = 1; i < problems.size(); ++i) msg += "; " + problems[i];
    throw Error(msg);
  }
  return out;
}

std::string next_stem(const std::vector<Migration>& existing, const std::string& name) {
  static const std::regex ok(R"(^[a-z][a-z0-9_]*$)");
  if (!std::regex_match(name, ok)) {
    throw UsageError("invalid migration name \"" + name + "\": use lower-case snake_case");
  }
  const int next = existing.empty() ? 1 : existing.back().version + 1;
  char stem[16];
  std::snprintf(stem, sizeof stem, "%04d", next);
  return std::string(stem) + "_" + name;
}

}  // namespace briefos::migrate
