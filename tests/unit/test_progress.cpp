// SPDX-License-Identifier: MIT
// util::Progress: the progress line on stderr.
#include <briefos/util/progress.hpp>

#include <doctest/doctest.h>

#include <sstream>

using briefos::util::Progress;

TEST_SUITE_BEGIN("progress");

TEST_CASE("progress: a disabled line writes nothing") {
  std::ostringstream err;
  Progress p(err, false, 3, "briefs");
  p.tick();
  p.tick();
  p.clear();
  CHECK(err.str().empty());
}

TEST_CASE("progress: a known total draws a bar with done/total") {
  std::ostringstream err;
  Progress p(err, true, 2, "briefs");
  p.tick();  // the first item always draws
  const std::string first = err.str();
  CHECK(first.rfind("\r[###############---------------] 1/2  ", 0) == 0);
  CHECK(first.find(" briefs/s  ETA ") != std::string::npos);
  p.tick();  // the last item draws however soon it comes
  CHECK(err.str().find("\r[##############################] 2/2  ", first.size()) == first.size());
}

TEST_CASE("progress: an unknown total draws the count and the rate") {
  std::ostringstream err;
  Progress p(err, true, 0, "briefs");
  p.tick();
  CHECK(err.str().rfind("\r1 briefs  ", 0) == 0);
  CHECK(err.str().find(" briefs/s ") != std::string::npos);
}

TEST_CASE("progress: clear erases a drawn line once") {
  std::ostringstream err;
  Progress p(err, true, 5, "briefs");
  p.clear();
  CHECK(err.str().empty());  // nothing drawn yet
  p.tick();
  const std::size_t drawn = err.str().size();
  p.clear();
  CHECK(err.str().substr(drawn) == "\r\033[K");
  p.clear();
  CHECK(err.str().size() == drawn + 4);
}

TEST_SUITE_END();
