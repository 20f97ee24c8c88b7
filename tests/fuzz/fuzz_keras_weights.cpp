// libFuzzer target: the Keras HDF5 weights reader. Build with -DSTRATA_BUILD_FUZZERS=ON (clang); see
// tests/fuzz/README.md.
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    strata_fuzz::read_keras_weights(data, size);
  } catch (const strata::Error&) {
    // The documented failure: a FileError (or ValueError) naming the file and what is wrong.
  }
  return 0;
}
