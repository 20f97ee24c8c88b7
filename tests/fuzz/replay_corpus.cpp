// Replays a fuzzing corpus through a reader as an ordinary test (ctest: fuzz_replay.<target>): every file
// under the directory is read; strata::Error is the accepted failure, any other exception fails the test,
// and a crash or a sanitizer report fails it by itself.
//   replay_corpus npy|keras_weights|model_json|keras_archive <directory>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_targets.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s npy|keras_weights|model_json|keras_archive <corpus directory>\n",
                 argv[0]);
    return 2;
  }
  const std::string target = argv[1];
  auto read = target == "npy"             ? &strata_fuzz::read_npy
              : target == "keras_weights" ? &strata_fuzz::read_keras_weights
              : target == "model_json"    ? &strata_fuzz::read_model_json
              : target == "keras_archive" ? &strata_fuzz::read_keras_archive
                                          : nullptr;
  if (!read) {
    std::fprintf(stderr, "unknown target '%s'\n", target.c_str());
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[2])) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  int loaded = 0, rejected = 0, failed = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    try {
      read(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++loaded;
    } catch (const strata::Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      ++failed;
      std::fprintf(stderr, "%s: not a strata::Error: %s\n", file.c_str(), e.what());
    }
  }
  std::printf("%s: %zu files, %d loaded, %d rejected with strata::Error, %d failed\n", target.c_str(), files.size(),
              loaded, rejected, failed);
  return failed == 0 && !files.empty() ? 0 : 1;
}
