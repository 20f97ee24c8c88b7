// Writes the models the code generator's test rebuilds from C++ (tests/codegen/CMakeLists.txt runs it at
// build time, then `strata codegen` on what it wrote): the seed blocks, ResNet50 and MobileNetV2 at 64x64,
// the nested, shared, recurrent and attention model of the saving tests, the corner cases of names and
// call orders, and Keras's masks (saving_fixtures.hpp), each with seeded random weights
// (BatchNormalization statistics included) so that a weight read into the wrong place shows. The sanitizer
// build leaves the two applications out (tests/codegen/CMakeLists.txt says why).
#include <cstdio>
#include <exception>
#include <string>

#include "numerics_util.hpp"
#include "saving_fixtures.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: codegen_write_fixtures DIR\n", stderr);
    return 2;
  }
  using namespace strata_test;
  const std::string dir = argv[1];
  try {
    const strata::Model seed1 = seed_block_1(), seed2 = seed_block_2(), everything = everything_model(),
                        corner = codegen_corner_model(), with_ops = ops_model(),
                        attention = attention_layers_model(), masked = masked_sequence_model();
    randomize_weights(seed1, 1);
    randomize_weights(seed2, 2);
    randomize_weights(everything, 3);
    randomize_weights(corner, 6);
    randomize_weights(with_ops, 7);
    randomize_weights(attention, 8);
    randomize_weights(masked, 9);
    seed1.save(dir + "/seed1.keras");
    seed2.save(dir + "/seed2.keras");
    everything.save(dir + "/everything.keras");
    corner.save(dir + "/corner.keras");
    with_ops.save(dir + "/ops.keras");
    attention.save(dir + "/attention.keras");
    masked.save(dir + "/masked.keras");
#ifndef STRATA_SANITIZED
    namespace apps = strata::applications;
    const strata::Model resnet = apps::ResNet50({.input_shape = {64, 64, 3}});
    const strata::Model mobilenet = apps::MobileNetV2({.input_shape = {64, 64, 3}});
    randomize_weights_keeping_scale(resnet, 4);
    randomize_weights_keeping_scale(mobilenet, 5);
    resnet.save(dir + "/resnet50.keras");
    mobilenet.save(dir + "/mobilenet_v2.keras");
#endif
  } catch (const std::exception& e) {
    std::fprintf(stderr, "codegen_write_fixtures: %s\n", e.what());
    return 1;
  }
  return 0;
}
