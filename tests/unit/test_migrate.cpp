// SPDX-License-Identifier: MIT
//
// Migration file parsing (briefos/migrate.hpp): naming, pairing, gaps and
// duplicates, the no-transaction marker, checksums, error lines and the
// name of the next migration. No database: everything here is what
// briefos-migrate decides before it connects.
#include <briefos/error.hpp>
#include <briefos/migrate.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using briefos::migrate::load;
using briefos::migrate::Migration;
using briefos::migrate::SourceFile;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The message load() throws for `files`, or "" if it does not throw.
std::string load_error(const std::vector<SourceFile>& files) {
  try {
    load(files);
  } catch (const briefos::Error& e) {
    return e.what();
  }
  return "";
}

std::vector<SourceFile> pair(const std::string& stem,
                             const std::string& up = "SELECT 1;\n",
                             const std::string& down = "SELECT 1;\n") {
  return {{stem + ".up.sql", up}, {stem + ".down.sql", down}};
}

std::vector<SourceFile> operator+(std::vector<SourceFile> a, const std::vector<SourceFile>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_SUITE_BEGIN("migrate");

TEST_CASE("migrate::load pairs and orders files by version") {
  // Given out of order, as a directory listing may be.
  const auto set = load(pair("0003_third", "-- 3\nSELECT 3;\n", "SELECT -3;")
                        + pair("0001_first_one", "SELECT 1;", "SELECT -1;")
                        + pair("0002_second", "SELECT 2;", "SELECT -2;"));
  REQUIRE(set.size() == 3);
  CHECK(set[0].version == 1);
  CHECK(set[0].name == "first_one");
  CHECK(set[0].up_file == "0001_first_one.up.sql");
  CHECK(set[0].down_file == "0001_first_one.down.sql");
  CHECK(set[0].up_sql == "SELECT 1;");
  CHECK(set[0].down_sql == "SELECT -1;");
  CHECK(set[1].version == 2);
  CHECK(set[2].version == 3);
  CHECK(set[2].name == "third");
  CHECK(set[2].checksum == briefos::migrate::checksum("-- 3\nSELECT 3;\n"));
  CHECK(set[0].up_in_transaction);
  CHECK(set[0].down_in_transaction);
  CHECK(load({}).empty());
}

TEST_CASE("migrate::load rejects badly named files") {
  for (const std::string bad :
       {"1_short.up.sql", "00001_five.up.sql", "0001_Upper.up.sql", "0001-dash.up.sql",
        "0001_name.sql", "0001_name.UP.sql", "0001_name.sideways.sql", "0001_.up.sql",
        "0001_has-dash.up.sql"}) {
    CAPTURE(bad);
    const std::string msg = load_error(pair("0001_good") + std::vector<SourceFile>{{bad, "SELECT 1;"}});
    CHECK(contains(msg, "\"" + bad + "\" is not named NNNN_name.up.sql"));
  }
  CHECK(contains(load_error(pair("0000_zero")), "version 0000 is reserved"));
}

TEST_CASE("migrate::load requires both files of each pair") {
  SUBCASE("up without down") {
    const std::string msg =
        load_error(pair("0001_a") + std::vector<SourceFile>{{"0002_b.up.sql", "SELECT 1;"}});
    CHECK(contains(msg, "migration 0002_b has no .down.sql file"));
  }
  SUBCASE("down without up") {
    const std::string msg =
        load_error(pair("0001_a") + std::vector<SourceFile>{{"0002_b.down.sql", "SELECT 1;"}});
    CHECK(contains(msg, "migration 0002_b has no .up.sql file"));
  }
}

TEST_CASE("migrate::load rejects gaps") {
  SUBCASE("missing in the middle") {
    const std::string msg = load_error(pair("0001_a") + pair("0003_c"));
    CHECK(contains(msg, "gap in migration versions: 0002 is missing before 0003_c"));
  }
  SUBCASE("not starting at 0001") {
    const std::string msg = load_error(pair("0002_b"));
    CHECK(contains(msg, "0001 is missing before 0002_b"));
  }
}

TEST_CASE("migrate::load rejects duplicate versions") {
  const std::string msg = load_error(pair("0001_a") + pair("0002_b") + pair("0002_other"));
  CHECK(contains(msg, "duplicate version 0002"));
  CHECK(contains(msg, "\"b\""));
  CHECK(contains(msg, "\"other\""));
}

TEST_CASE("migrate::load reports every problem on one line") {
  const std::string msg = load_error(pair("0001_a") + pair("0003_c")
                                     + std::vector<SourceFile>{{"bogus.sql", ""},
                                                               {"0004_d.up.sql", ""}});
  CHECK(contains(msg, "invalid migration set: "));
  CHECK(contains(msg, "bogus.sql"));
  CHECK(contains(msg, "0002 is missing"));
  CHECK(contains(msg, "0004_d has no .down.sql"));
  CHECK(msg.find('\n') == std::string::npos);
}

TEST_CASE("migrate::no-transaction marker only in the leading comment block") {
  using briefos::migrate::runs_outside_transaction;
  CHECK(runs_outside_transaction("-- briefos:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n"));
  CHECK(runs_outside_transaction(
      "-- Adds an index without blocking writes.\n--\n-- briefos:no-transaction\n\n"
      "CREATE INDEX CONCURRENTLY i ON t (a);\n"));
  CHECK(runs_outside_transaction("\n\n  -- briefos:no-transaction  \nSELECT 1;\n"));
  CHECK(runs_outside_transaction("-- first\r\n-- briefos:no-transaction\r\nSELECT 1;\r\n"));
  // After the first SQL line it is just a comment.
  CHECK_FALSE(runs_outside_transaction("-- a comment\nSELECT 1;\n-- briefos:no-transaction\n"));
  CHECK_FALSE(runs_outside_transaction("SELECT 1; -- briefos:no-transaction\n"));
  // Mentioning the marker inside a sentence does not count (the hint that
  // `briefos-migrate new` writes into every new file does exactly that).
  CHECK_FALSE(runs_outside_transaction(
      "-- For a single statement, add a line reading \"-- briefos:no-transaction\".\nSELECT 1;\n"));
  CHECK_FALSE(runs_outside_transaction("-- briefos:no-transaction-please\nSELECT 1;\n"));
  CHECK_FALSE(runs_outside_transaction("-- nothing special\nSELECT 1;\n"));
  CHECK_FALSE(runs_outside_transaction(""));

  const auto set = load(pair("0001_plain")
                        + pair("0002_index", "-- briefos:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
                               "-- briefos:no-transaction\nDROP INDEX CONCURRENTLY i;\n")
                        + pair("0003_late", "SELECT 1;\n-- briefos:no-transaction\n"));
  REQUIRE(set.size() == 3);
  CHECK(set[0].up_in_transaction);
  CHECK_FALSE(set[1].up_in_transaction);
  CHECK_FALSE(set[1].down_in_transaction);
  CHECK(set[2].up_in_transaction);
}

TEST_CASE("migrate::checksum is sha256 and ignores CRLF") {
  using briefos::migrate::checksum;
  CHECK(checksum("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(checksum("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(checksum("CREATE TABLE t (a int);\r\nSELECT 1;\r\n")
        == checksum("CREATE TABLE t (a int);\nSELECT 1;\n"));
  CHECK(checksum("SELECT 1;\n") != checksum("SELECT 2;\n"));
  CHECK(checksum("SELECT 1;\n") != checksum("SELECT 1;\n\n"));
  // A lone CR is content, not a line ending.
  CHECK(checksum("a\rb") != checksum("ab"));
  // The checksum covers the up file only.
  const auto a = load(pair("0001_a", "SELECT 1;", "SELECT 2;"));
  const auto b = load(pair("0001_a", "SELECT 1;", "SELECT 3;"));
  CHECK(a[0].checksum == b[0].checksum);
}

TEST_CASE("migrate::error_line reads the LINE of a PostgreSQL error") {
  using briefos::migrate::error_line;
  CHECK(error_line("ERROR:  syntax error at or near \"SELEC\"\nLINE 12: SELEC oops;\n"
                   "         ^\n")
        == 12);
  CHECK(error_line("ERROR:  relation \"nope\" does not exist\nLINE 1: SELECT * FROM nope\n") == 1);
  CHECK_FALSE(error_line("ERROR:  division by zero\n").has_value());
  CHECK_FALSE(error_line("").has_value());
}

TEST_CASE("migrate::next_stem numbers the next migration") {
  using briefos::migrate::next_stem;
  CHECK(next_stem({}, "initial") == "0001_initial");
  const auto set = load(pair("0001_a") + pair("0002_b") + pair("0003_c"));
  CHECK(next_stem(set, "add_task_labels") == "0004_add_task_labels");
  CHECK(next_stem(set, "v2") == "0004_v2");
  for (const std::string bad : {"", "Add", "add-labels", "1st", "_x", "add labels", "a/b"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(next_stem(set, bad), briefos::UsageError);
  }
}

TEST_CASE("migrate::read_dir reads only sql files") {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "briefos-unit-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  const fs::path dir = pattern;
  std::ofstream(dir / "0001_a.up.sql") << "SELECT 1;\r\n";
  std::ofstream(dir / "0001_a.down.sql") << "SELECT 2;\n";
  std::ofstream(dir / "README") << "not a migration\n";
  fs::create_directory(dir / "sub.sql");

  const auto files = briefos::migrate::read_dir(dir.string());
  CHECK(files.size() == 2);
  const auto set = load(files);
  REQUIRE(set.size() == 1);
  CHECK(set[0].up_sql == "SELECT 1;\r\n");  // read in binary: bytes as on disk
  fs::remove_all(dir);

  CHECK_THROWS_AS(briefos::migrate::read_dir((dir / "gone").string()), briefos::Error);
}

TEST_CASE("migrate::embedded set equals sql directory") {
  const auto embedded = load(briefos::migrate::embedded_files());
  const auto on_disk = load(briefos::migrate::read_dir(BRIEFOS_SOURCE_DIR "/sql"));
  REQUIRE(embedded.size() == on_disk.size());
  REQUIRE(embedded.size() >= 3);
  for (std::size_t i = 0; i < embedded.size(); ++i) {
    CAPTURE(embedded[i].name);
    CHECK(embedded[i].version == on_disk[i].version);
    CHECK(embedded[i].name == on_disk[i].name);
    CHECK(embedded[i].checksum == on_disk[i].checksum);
    CHECK(embedded[i].up_in_transaction == on_disk[i].up_in_transaction);
  }
  // The two-part enum migration: part 1 runs on its own, part 2 in a
  // transaction (it uses the new value).
  CHECK(embedded[0].name == "initial");
  CHECK(embedded[1].name == "add_email_brief_job_type_part1");
  CHECK_FALSE(embedded[1].up_in_transaction);
  CHECK(embedded[2].name == "add_email_brief_job_type_part2");
  CHECK(embedded[2].up_in_transaction);
}

TEST_SUITE_END();
