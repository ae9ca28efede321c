// SPDX-License-Identifier: MIT
// db/connection: which errors mean "the connection is gone" (a worker slot
// ends and the run exits 3) rather than "this statement failed".
#include <briefos/db/connection.hpp>
#include <briefos/error.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

TEST_CASE("connection: DatabaseUnreachable is a lost connection; other errors are not") {
  CHECK(briefos::db::is_connection_lost(briefos::DatabaseUnreachable("server closed the connection")));
  CHECK_FALSE(briefos::db::is_connection_lost(briefos::DataError("bad row")));
  CHECK_FALSE(briefos::db::is_connection_lost(briefos::Error("something else")));
  CHECK_FALSE(briefos::db::is_connection_lost(std::runtime_error("plain")));
}
