// SPDX-License-Identifier: MIT
//
// Config files. A config file is TOML, parsed by toml++ (CLI11's own reader
// is lenient: it took an unterminated string as a value and a line of prose
// as an unknown key). Policy:
//
// - A file that is not TOML is a usage error naming the file, line and
//   column: nothing of it is applied.
// - Top-level keys and `[briefos-<program>]` set the program's options;
//   `[sub]` and `[briefos-<program>.sub]` its subcommand's. Keys are long
//   option names, with underscores or dashes. One file serves every program:
//   a program skips the sections of the others.
// - An unknown key, or an unknown section (`[briefos-emial]`, a subcommand
//   the program lacks), is a warning naming the file and line, with the
//   nearest known name when it looks like a misspelling; it is not applied.
// - Values are typed: a flag takes a boolean; any other option a string or
//   a number (durations and rates are strings: "15min"); an array only an
//   option that takes several values. The wrong type, or a value the option
//   refuses, is a usage error naming the file, line and key.
#include "briefos/config.hpp"

#include "briefos/error.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

namespace briefos::config {

namespace {

// The programs that may have a section in a shared file.
const std::vector<std::string> k_programs = {"briefos-email", "briefos-generate", "briefos-migrate",
                                             "briefos-queue", "briefos-schedule", "briefos-stats"};

std::string where(const std::string& path, std::size_t line) {
  return "config file \"" + path + "\", line " + std::to_string(line);
}

std::string number_text(double d) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

// A scalar as text and its kind; Kind::other for tables, dates and times.
std::pair<Kind, std::string> scalar(const toml::node& n) {
  if (const auto* s = n.as_string()) return {Kind::string, s->get()};
  if (const auto* i = n.as_integer()) return {Kind::integer, std::to_string(i->get())};
  if (const auto* f = n.as_floating_point()) return {Kind::floating, number_text(f->get())};
  if (const auto* b = n.as_boolean()) return {Kind::boolean, b->get() ? "true" : "false"};
  return {Kind::other, {}};
}

void collect(const toml::table& table, std::vector<std::string>& path, File& out) {
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (const auto* sub = node.as_table()) {
      path.push_back(name);
      const std::size_t line = sub->source().begin.line != 0 ? sub->source().begin.line : key.source().begin.line;
      out.sections.push_back(Section{path, line});
      collect(*sub, path, out);
      path.pop_back();
      continue;
    }
    Entry e;
    e.sections = path;
    e.key = name;
    e.line = key.source().begin.line != 0 ? key.source().begin.line : node.source().begin.line;
    e.column = key.source().begin.column;
    if (const auto* arr = node.as_array()) {
      e.kind = Kind::array;
      for (const toml::node& item : *arr) {
        auto [k, text] = scalar(item);
        e.input_kinds.push_back(k);
        e.inputs.push_back(std::move(text));
      }
    } else {
      auto [k, text] = scalar(node);
      e.kind = k;
      e.input_kinds.push_back(k);
      e.inputs.push_back(std::move(text));
    }
    out.entries.push_back(std::move(e));
  }
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string normalise(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return key;
}

CLI::Option* find_long_option(CLI::App& app, const std::string& name) {
  for (CLI::Option* opt : app.get_options()) {
    for (const std::string& lname : opt->get_lnames()) {
      if (lname == name) return opt;
    }
  }
  return nullptr;
}

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates,
                       const std::string& before = "\"", const std::string& after = "\"") {
  const std::string near = closest(word, candidates);
  return near.empty() ? std::string() : " (did you mean " + before + near + after + "?)";
}

// The option names of `app` as a file would write them (underscores).
std::vector<std::string> key_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    for (std::string n : opt->get_lnames()) {
      if (n == "help" || n == "version" || n == "config") continue;
      std::replace(n.begin(), n.end(), '-', '_');
      names.push_back(n);
    }
  }
  return names;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::string: return "a string";
    case Kind::integer: return "an integer";
    case Kind::floating: return "a number";
    case Kind::boolean: return "a boolean";
    case Kind::array: return "an array";
    case Kind::other: break;
  }
  return "a date, time or table";
}

// Refuse a value whose TOML type the option cannot take.
void check_type(const Entry& e, const CLI::Option& opt, const std::string& path) {
  const bool flag = opt.get_expected_max() == 0;  // add_flag sets expected(0)
  std::string expected;
  if (flag) {
    if (e.kind != Kind::boolean) expected = "a boolean (true or false)";
  } else if (e.kind == Kind::array && opt.get_items_expected_max() <= 1) {
    expected = "a single value";
  } else {
    for (Kind k : e.input_kinds) {
      if (k == Kind::boolean || k == Kind::other) expected = "a string or a number";
    }
  }
  if (expected.empty()) return;
  throw UsageError("invalid value for \"" + e.dotted() + "\" in " + where(path, e.line) + ": expected " + expected
                       + ", not " + kind_name(e.kind == Kind::array && !flag ? Kind::other : e.kind),
                   flag ? "Write " + e.key + " = true or " + e.key + " = false."
                        : "Quote durations, rates and other text: " + e.key + " = \"...\".");
}

// The key a `key = value` line sets, for a syntax error's message: toml++
// names the line and column, an operator looks for the key. Empty when
// the line is not such a line (a header, a continuation) or when the key
// is not plain ASCII, since the line may be anything.
std::string key_on_line(std::string_view text, std::uint32_t line) {
  std::size_t start = 0;
  for (std::uint32_t n = 1; n < line; ++n) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  std::size_t i = text.find_first_not_of(" \t", start);
  const std::size_t key_start = i;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) != 0 || text[i] == '_'
                             || text[i] == '-' || text[i] == '.')) {
    ++i;
  }
  const std::size_t key_end = i;
  if (key_start == std::string_view::npos || key_end == key_start || key_end - key_start > 64) return {};
  i = text.find_first_not_of(" \t", key_end);
  if (i == std::string_view::npos || text[i] != '=') return {};
  return std::string(text.substr(key_start, key_end - key_start));
}

}  // namespace

std::string Entry::dotted() const {
  std::string s;
  for (const std::string& p : sections) s += p + ".";
  return s + key;
}

File parse(std::string_view text, const std::string& path) {
  File file;
  file.path = path;
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const std::string key = key_on_line(text, e.source().begin.line);
    throw UsageError("could not parse config file \"" + path + "\", line "
                         + std::to_string(e.source().begin.line) + ", column "
                         + std::to_string(e.source().begin.column)
                         + (key.empty() ? std::string() : " (key \"" + key + "\")") + ": "
                         + std::string(e.description()));
  }
  std::vector<std::string> sections;
  collect(table, sections, file);
  std::stable_sort(file.entries.begin(), file.entries.end(),
                   [](const Entry& a, const Entry& b) { return a.line < b.line; });
  std::stable_sort(file.sections.begin(), file.sections.end(),
                   [](const Section& a, const Section& b) { return a.line < b.line; });
  return file;
}

File read_file(const std::string& path) {
  std::ifstream in(path);
  // A directory opens and reads as an empty file: refuse it rather than run
  // with none of the settings the operator meant to give.
  std::error_code ec;
  const bool directory = in && std::filesystem::is_directory(path, ec);
  if (!in || directory) {
    throw UsageError("could not read config file \"" + path + "\": " + std::strerror(directory ? EISDIR : errno));
  }
  // A config file is a few lines. Read at most 1 MiB, so that a path such
  // as /dev/zero ends in an error rather than in a hang and all the memory.
  constexpr std::size_t max_size = 1U << 20U;
  std::string text(max_size + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_size) {
    throw UsageError("could not read config file \"" + path + "\": larger than 1 MiB");
  }
  return parse(text, path);
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 0;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(normalise(word), normalise(c));
    if (d == 0) continue;
    if (best.empty() || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  // A misspelling: a couple of typos, or a third of a long name.
  const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  return !best.empty() && best_distance <= allowed ? best : std::string();
}

void apply(const File& file,
           CLI::App& app,
           const std::vector<const CLI::Option*>& keep,
           std::vector<std::string>& warnings,
           Sources& sources) {
  const std::string& program = app.get_name();
  std::vector<std::string> programs = k_programs;
  if (std::find(programs.begin(), programs.end(), program) == programs.end()) programs.push_back(program);
  std::vector<std::string> subcommands;
  for (const CLI::App* sub : app.get_subcommands({})) subcommands.push_back(sub->get_name());

  // The scope a section path names: ours, another program's (skipped) or
  // unknown (warned about once, at its header).
  enum class Scope { ours, other_program, unknown };
  struct Resolved {
    Scope scope;
    CLI::App* app;
  };
  auto resolve = [&](std::vector<std::string> path) -> Resolved {
    if (!path.empty() && path.front().rfind("briefos-", 0) == 0) {
      if (path.front() != program) {
        const bool known = std::find(programs.begin(), programs.end(), path.front()) != programs.end();
        return {known ? Scope::other_program : Scope::unknown, nullptr};
      }
      path.erase(path.begin());
    }
    if (path.empty()) return {Scope::ours, &app};
    if (path.size() > 1) return {Scope::unknown, nullptr};
    for (CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == path.front()) return {Scope::ours, sub};
    }
    return {Scope::unknown, nullptr};
  };

  std::set<std::vector<std::string>> warned;
  auto warn_section = [&](const std::vector<std::string>& path, std::size_t line) {
    // Warn about the outermost unknown table only: [briefos-emial] once,
    // not again for [briefos-emial.x].
    for (std::size_t n = 1; n <= path.size(); ++n) {
      std::vector<std::string> prefix(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(n));
      if (resolve(prefix).scope != Scope::unknown) continue;
      if (!warned.insert(prefix).second) return;
      std::string name;
      for (const std::string& p : prefix) name += (name.empty() ? "" : ".") + p;
      std::vector<std::string> candidates = n == 1 ? programs : std::vector<std::string>{};
      for (const std::string& s : subcommands) candidates.push_back(n == 1 ? s : prefix.front() + "." + s);
      if (n == 1) {
        for (const std::string& s : subcommands) candidates.push_back(program + "." + s);
      }
      warnings.push_back(where(file.path, line) + ": unknown section [" + name + "] ignored"
                         + suggestion(name, candidates, "[", "]"));
      return;
    }
  };
  for (const Section& s : file.sections) warn_section(s.path, s.line);

  for (const Entry& e : file.entries) {
    const Resolved r = resolve(e.sections);
    if (r.scope == Scope::other_program) continue;
    if (r.scope == Scope::unknown) {
      warn_section(e.sections, e.line);
      continue;
    }
    CLI::Option* opt = normalise(e.key) == "config" ? nullptr : find_long_option(*r.app, normalise(e.key));
    if (opt == nullptr || normalise(e.key) == "help" || normalise(e.key) == "version") {
      warnings.push_back(where(file.path, e.line) + ": unknown key \"" + e.dotted() + "\" ignored"
                         + suggestion(e.key, key_names(*r.app)));
      continue;
    }
    if (std::find(keep.begin(), keep.end(), opt) != keep.end()) continue;
    check_type(e, *opt, file.path);
    try {
      opt->clear();
      for (const std::string& v : e.inputs) opt->add_result(v);
      opt->run_callback();
    } catch (const CLI::Error& err) {
      throw UsageError("invalid value for \"" + e.dotted() + "\" in " + where(file.path, e.line) + ": " + err.what());
    }
    sources[opt] = "key \"" + e.dotted() + "\" in " + where(file.path, e.line);
  }
}

}  // namespace briefos::config
