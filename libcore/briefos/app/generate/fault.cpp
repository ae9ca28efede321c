// SPDX-License-Identifier: MIT
// BRIEFOS_FAULT_PROJECTS: see fault.hpp.
#include "briefos/app/generate/fault.hpp"

#include "briefos/util/text.hpp"

#include <cstdlib>

namespace briefos::generate {

std::unordered_set<std::string> fault_projects() {
  std::unordered_set<std::string> out;
  const char* v = std::getenv("BRIEFOS_FAULT_PROJECTS");
  if (v == nullptr) return out;
  for (std::string& id : util::split_commas(v)) out.insert(std::move(id));
  return out;
}

}  // namespace briefos::generate
