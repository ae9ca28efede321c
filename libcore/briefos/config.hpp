// SPDX-License-Identifier: MIT
#pragma once

// Config files: reading TOML (toml++) into entries that know where they
// were written, and applying them to a program's CLI11 options. The policy
// on what a file may hold (sections, types, unknown keys) lives in
// config.cpp; the precedence between flags, environment and file lives in
// cli.cpp, which calls apply() only for the options nothing else set.

#include <CLI/CLI.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace briefos::config {

// What TOML type a value had: options check it against what they take.
enum class Kind { string, integer, floating, boolean, array, other };

// One `key = value` of a file, with the tables it sits in.
struct Entry {
  std::vector<std::string> sections;  // e.g. {"briefos-email"} or {"run"}
  std::string key;
  Kind kind = Kind::other;
  std::vector<std::string> inputs;  // the value (array: each element) as text
  std::vector<Kind> input_kinds;    // the TOML type of each input
  std::size_t line = 0;
  std::size_t column = 0;

  // "section.sub.key" as written.
  std::string dotted() const;
};

// A table of the file: `[name]`, `[a.b]` (or one implied by a dotted key).
struct Section {
  std::vector<std::string> path;
  std::size_t line = 0;
};

struct File {
  std::string path;
  std::vector<Entry> entries;     // in the order of the file
  std::vector<Section> sections;  // in the order of the file
};

// Parse `text` as TOML. A syntax error is a UsageError naming `path`, the
// line and the column.
File parse(std::string_view text, const std::string& path);

// Read and parse the file at `path` (at most 1 MiB; not a directory).
// Throws UsageError when it cannot be read or parsed.
File read_file(const std::string& path);

// The candidate nearest to `word` when it is a likely misspelling of it
// (a small edit distance), else empty: the "did you mean" of warnings.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

// Where an option's value came from, for error messages ("environment
// variable BRIEFOS_EMAIL_RATE", "key \"rate\" in config file \"f\", line 3").
using Sources = std::map<const CLI::Option*, std::string>;

// Apply `file` to `app`, whose name is the program's: top-level keys and
// `[briefos-<program>]` set its options, `[sub]` / `[briefos-<program>.sub]`
// its subcommand `sub`'s; other programs' sections are skipped. Options in
// `keep` (set by a flag or the environment) keep their value. Unknown keys
// and sections become `warnings` (file and line, with a "did you mean");
// a value of the wrong type or one the option refuses is a UsageError
// naming the file, line and key. Each option set is recorded in `sources`.
void apply(const File& file,
           CLI::App& app,
           const std::vector<const CLI::Option*>& keep,
           std::vector<std::string>& warnings,
           Sources& sources);

}  // namespace briefos::config
