// SPDX-License-Identifier: MIT
//
// Corpus replay for the fuzz targets, built with the project's own compiler
// (GCC in CI, where clang and libFuzzer are not needed). It links one
// target's LLVMFuzzerTestOneInput and calls it once per file of the corpus
// directories named on the command line, in name order, so every input that
// once found a bug, and every seed, is re-checked by scripts/test: a broken
// invariant aborts, which CTest reports as a failure. A directory without
// any input is an error too, so a mistyped path cannot pass for green.
// -timeout=N is libFuzzer's per-input time limit: an input that runs
// longer than N seconds aborts the replay, as it fails a fuzzing run, so an
// input that was slow once stays a test of speed.
//
//   fuzz-replay-<target> [-timeout=N] DIR...
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void on_alarm(int) {
  constexpr char msg[] = "replay: error: an input ran past -timeout (the input named last above)\n";
  (void)!write(2, msg, sizeof msg - 1);
  std::abort();
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  unsigned timeout_s = 0;
  int first = 1;
  if (argc > 1 && std::string(argv[1]).rfind("-timeout=", 0) == 0) {
    timeout_s = static_cast<unsigned>(std::strtoul(argv[1] + 9, nullptr, 10));
    first = 2;
    std::signal(SIGALRM, on_alarm);
  }
  if (argc <= first) {
    std::fprintf(stderr, "usage: %s [-timeout=N] CORPUS_DIR...\n", argv[0]);
    return 2;
  }
  std::size_t total = 0;
  for (int a = first; a < argc; ++a) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(argv[a], ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    if (ec) {
      std::fprintf(stderr, "replay: error: could not read \"%s\": %s\n", argv[a], ec.message().c_str());
      return 1;
    }
    if (files.empty()) {
      std::fprintf(stderr, "replay: error: no inputs in \"%s\"\n", argv[a]);
      return 1;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::ostringstream buffer;
      buffer << in.rdbuf();
      if (!in) {
        std::fprintf(stderr, "replay: error: could not read \"%s\"\n", f.c_str());
        return 1;
      }
      const std::string bytes = buffer.str();
      std::fprintf(stderr, "replay: %s (%zu bytes)\n", f.filename().c_str(), bytes.size());
      alarm(timeout_s);
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      alarm(0);
      ++total;
    }
  }
  std::printf("replayed %zu inputs\n", total);
  return 0;
}
