// libFuzzer target: the .keras archive reader (load_model). Build with -DSTRATA_BUILD_FUZZERS=ON (clang); see
// tests/fuzz/README.md.
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    strata_fuzz::read_keras_archive(data, size);
  } catch (const strata::Error&) {
    // The documented failure: an error naming the file or the layer and what is wrong.
  }
  return 0;
}
