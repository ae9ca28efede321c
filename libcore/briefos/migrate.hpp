// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace briefos::migrate {

// One file of the migration set: its base name and its text.
struct SourceFile {
  std::string name;
  std::string content;
};

// A numbered migration: the pair NNNN_name.up.sql / NNNN_name.down.sql.
struct Migration {
  int version = 0;
  std::string name;
  std::string up_file;
  std::string down_file;
  std::string up_sql;
  std::string down_sql;
  bool up_in_transaction = true;
  bool down_in_transaction = true;
  std::string checksum;  // sha256 of the up file, line endings normalised
};

// The marker that makes a file run outside a transaction. It must be a line
// of its own (surrounding blanks allowed) in the file's leading comment block,
// and such a file holds one statement.
inline constexpr const char* no_transaction_marker = "-- briefos:no-transaction";

// The migrations compiled into the library from sql/ (generated at build time).
std::vector<SourceFile> embedded_files();

// The *.sql files of directory `dir`. Throws Error if it cannot be read.
std::vector<SourceFile> read_dir(const std::string& dir);

// Pair and order `files` into migrations. Every problem (a name that does not
// follow NNNN_name.{up,down}.sql, an up without down, a duplicate or missing
// version number) is collected and thrown as one Error naming each file.
std::vector<Migration> load(const std::vector<SourceFile>& files);

// Lower-case hex SHA-256 of `content` with CRLF turned into LF.
std::string checksum(const std::string& content);

// True if the leading comment block of `sql` holds the no-transaction marker.
bool runs_outside_transaction(const std::string& sql);

// The "LINE n:" a PostgreSQL error message points at, if any.
std::optional<int> error_line(const std::string& message);

// File stem for a new migration called `name` after `existing`
// ("0005_add_index"). Throws UsageError for a name that is not snake_case.
std::string next_stem(const std::vector<Migration>& existing, const std::string& name);

}  // namespace briefos::migrate
