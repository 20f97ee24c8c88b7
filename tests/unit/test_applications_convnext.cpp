// keras.applications' ConvNeXtTiny .. XLarge: Keras's parameter counts (Tiny's published total; the others
// and the layer counts from convnext.py's arithmetic, computed apart from strata), names, order and shapes,
// the nested stem and downsampling Sequentials, the model's name as the layers' prefix, the options' errors,
// preprocess_input, and the fused plan against the reference at a reduced size (test_tfjs_oracle runs Tiny
// against tfjs).
#include <string>
#include <vector>

#include "application_util.hpp"
#include "numerics_util.hpp"

namespace apps = strata::applications;
using strata::None;
using strata::Shape;
using namespace strata_test;

TEST_CASE("ConvNeXtTiny has Keras's parameter counts, names and shapes", "[applications][convnext]") {
  strata::clear_session();
  const strata::Model tiny = apps::ConvNeXtTiny();
  CHECK(tiny.name() == "convnext_tiny");
  CHECK(tiny.count_params() == 28'589'128);
  CHECK(non_trainable(tiny) == 0);
  // Input, normalization, 4 nested Sequentials, 18 blocks of 8 layers (the add included), the head's 3.
  CHECK(tiny.layers().size() == 153);
  CHECK(tiny.input().shape() == Shape({None, 224, 224, 3}));
  const std::vector<std::string> names = layer_names(tiny);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 12) ==
        std::vector<std::string>{
            "input_layer", "convnext_tiny_prestem_normalization", "convnext_tiny_stem",
            "convnext_tiny_stage_0_block_0_depthwise_conv", "convnext_tiny_stage_0_block_0_layernorm",
            "convnext_tiny_stage_0_block_0_pointwise_conv_1", "convnext_tiny_stage_0_block_0_gelu",
            "convnext_tiny_stage_0_block_0_pointwise_conv_2", "convnext_tiny_stage_0_block_0_layer_scale",
            "convnext_tiny_stage_0_block_0_identity", "add", "convnext_tiny_stage_0_block_1_depthwise_conv"});
  CHECK(tiny.get_layer("convnext_tiny_prestem_normalization").get_weights().empty());
  CHECK(tiny.get_layer("convnext_tiny_stem").class_name() == "Sequential");
  CHECK(tiny.get_layer("convnext_tiny_stem").output().shape() == Shape({None, 56, 56, 96}));
  // The block's depthwise convolution is a Conv2D with a group per channel.
  const strata::Layer depthwise = tiny.get_layer("convnext_tiny_stage_0_block_0_depthwise_conv");
  CHECK(depthwise.class_name() == "Conv2D");
  CHECK(depthwise.get_weights()[0].dims() == std::vector<int64_t>{7, 7, 1, 96});
  CHECK(tiny.get_layer("convnext_tiny_stage_0_block_0_pointwise_conv_1").get_weights()[0].dims() ==
        std::vector<int64_t>{96, 384});
  CHECK(tiny.get_layer("convnext_tiny_stage_0_block_0_layer_scale").get_weights()[0] ==
        strata::Tensor({96}, std::vector<float>(96, 1e-6f)));
  for (int i = 0; i < 3; ++i) {
    const strata::Layer down = tiny.get_layer("convnext_tiny_downsampling_block_" + std::to_string(i));
    CHECK(down.class_name() == "Sequential");
    CHECK(position_of(names, "convnext_tiny_downsampling_block_" + std::to_string(i)) <
          position_of(names, "convnext_tiny_stage_" + std::to_string(i + 1) + "_block_0_depthwise_conv"));
  }
  CHECK(tiny.get_layer("convnext_tiny_downsampling_block_2").output().shape() == Shape({None, 7, 7, 768}));
  CHECK(has_layer(names, "convnext_tiny_stage_2_block_8_identity"));
  CHECK(!has_layer(names, "convnext_tiny_stage_2_block_9_identity"));
  CHECK(tail(names, 4) == std::vector<std::string>{"add_17", "convnext_tiny_head_gap",
                                                   "convnext_tiny_head_layernorm",
                                                   "convnext_tiny_head_dense"});

  // Without the head, a global pooling (or none) and an unnamed layer normalization; the name prefixes
  // every layer.
  strata::clear_session();
  const strata::Model features = apps::ConvNeXtTiny({.include_top = false, .pooling = "avg"});
  CHECK(features.input().shape() == Shape({None, None, None, 3}));
  CHECK(tail(layer_names(features), 2) ==
        std::vector<std::string>{"global_average_pooling2d", "layer_normalization"});
  CHECK(features.count_params() == 28'589'128 - (768 * 1000 + 1000));
  strata::clear_session();
  const strata::Model maps =
      apps::ConvNeXtTiny({.include_top = false, .include_preprocessing = false, .name = "trunk"});
  CHECK(maps.name() == "trunk");
  CHECK(layer_names(maps)[1] == "trunk_stem");
  CHECK(layer_names(maps).back() == "layer_normalization");
  CHECK(maps.output().shape() == Shape({None, None, None, 768}));
}

TEST_CASE("The ConvNeXt family has Keras's parameter counts", "[applications][convnext]") {
  struct Member {
    strata::Model (*build)(apps::ConvNeXtOptions);
    const char* name;
    int64_t params;
    int64_t width;
  };
  std::vector<Member> family = {
      {apps::ConvNeXtSmall, "convnext_small", 50'223'688, 768},
      {apps::ConvNeXtBase, "convnext_base", 88'591'464, 1024},
  };
#ifndef STRATA_SANITIZED
  // 0.8 and 1.4 GB of weights: built only outside the sanitizers.
  family.push_back({apps::ConvNeXtLarge, "convnext_large", 197'767'336, 1536});
  family.push_back({apps::ConvNeXtXLarge, "convnext_xlarge", 350'196'968, 2048});
#endif
  for (const Member& m : family) {
    INFO(m.name);
    strata::clear_session();
    const strata::Model model = m.build({});
    CHECK(model.name() == m.name);
    CHECK(model.count_params() == m.params);
    CHECK(model.layers().size() == 297);
    CHECK(model.get_layer(std::string(m.name) + "_stage_2_block_26_identity").output().shape()[-1] ==
          m.width / 2);
    CHECK(model.get_layer(std::string(m.name) + "_head_layernorm").output().shape() ==
          Shape({None, m.width}));
  }
}

TEST_CASE("The ConvNeXts refuse bad options with the model's name", "[applications][errors]") {
  check_common_option_errors("ConvNeXtTiny", apps::ConvNeXtTiny);
  check_common_option_errors("ConvNeXtBase", apps::ConvNeXtBase);
  const strata::Tensor images({1, 1, 2, 3}, {10.0f, 20.0f, 30.0f, 0.0f, 255.0f, 128.0f});
  CHECK(apps::convnext::preprocess_input(images) == images);
}

TEST_CASE("ConvNeXtTiny matches the reference at a reduced size", "[applications][numerics]") {
  // 64x64: the stages see 16, 8, 4 and 2 pixels a side. Without the model's normalization (the test's
  // inputs are not pixels); test_tfjs_oracle runs it with it. Its logits follow the input about linearly (a
  // perturbation of 13% of the input's norm moves them by 0.11 of their scale, where the batch-normalized
  // families amplify it to 0.3-0.9), so its budget is 5 depths, 2.7e-4: measured 1.4e-6 fused and 1.5e-6
  // unfused.
  strata::clear_session();
  check_application_against_reference(apps::ConvNeXtTiny({.include_preprocessing = false,
                                                          .input_shape = {64, 64, 3},
                                                          .classes = 10,
                                                          .classifier_activation = ""}),
                                      {2, 64, 64, 3}, 4 * 768, 140, /*depths=*/5,
                                      randomize_convnext_like_trained);
}
