// SPDX-License-Identifier: MIT
// Database tests need BRIEFOS_TEST_DATABASE_URL; without it they exit 77 so
// CTest reports them skipped (scripts/test treats a skip as a failure).
// Listing test cases works without a database.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strstr(argv[i], "list-test") != nullptr || std::strcmp(argv[i], "-ltc") == 0) listing = true;
  }
  const char* url = std::getenv("BRIEFOS_TEST_DATABASE_URL");
  if (!listing && (url == nullptr || *url == '\0')) return 77;
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
