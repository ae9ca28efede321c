// SPDX-License-Identifier: MIT
#pragma once

// Fault injection for tests and drills: BRIEFOS_FAULT_PROJECTS, a comma
// list of project ids, makes those projects fail while their brief is
// built (the brief leaves them out, as it does a project that really
// fails).

#include <string>
#include <unordered_set>

namespace briefos::generate {

// The project ids named by BRIEFOS_FAULT_PROJECTS (none when unset).
std::unordered_set<std::string> fault_projects();

}  // namespace briefos::generate
