// keras.applications' InceptionResNetV2: Keras's parameter count (published total; the non-trainable count
// and the layer count from inception_resnet_v2.py's arithmetic, computed apart from strata), names (the
// unnamed conv2d_bn layers and CustomScaleLayers, the named blocks), order and shapes, the options' shapes
// and errors, preprocess_input, the plan its residual blocks compile to, and the fused plan against the
// reference at a reduced size (test_tfjs_oracle runs it against tfjs).
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "application_util.hpp"
#include "numerics_util.hpp"

namespace apps = strata::applications;
using strata::None;
using strata::Shape;
using namespace strata_test;

TEST_CASE("InceptionResNetV2 has Keras's parameter counts, names and shapes",
          "[applications][inception_resnet_v2]") {
  strata::clear_session();
  const strata::Model model = apps::InceptionResNetV2();
  CHECK(model.name() == "inception_resnet_v2");
  CHECK(model.count_params() == 55'873'736);
  CHECK(non_trainable(model) == 60'544);
  CHECK(model.input().shape() == Shape({None, 299, 299, 3}));
  // 204 conv2d_bn (3 layers each), 4 max and 1 average pooling, 43 concatenations, 40 projections and 40
  // scaled sums, 39 block relus, the input and the top.
  const std::vector<std::string> names = layer_names(model);
  CHECK(names.size() == 782);
  CHECK(std::vector<std::string>(names.begin() + 1, names.begin() + 5) ==
        std::vector<std::string>{"conv2d", "batch_normalization", "activation", "conv2d_1"});
  CHECK(has_layer(names, "conv2d_202"));
  CHECK(!has_layer(names, "conv2d_203"));
  CHECK(has_layer(names, "activation_202"));
  CHECK(has_layer(names, "max_pooling2d_3"));
  CHECK(has_layer(names, "average_pooling2d"));
  CHECK(has_layer(names, "custom_scale_layer_39"));
  CHECK(!has_layer(names, "custom_scale_layer_40"));
  CHECK(has_layer(names, "block8_9_ac"));
  CHECK(!has_layer(names, "block8_10_ac"));
  CHECK(model.get_layer("custom_scale_layer").class_name() == "CustomScaleLayer");
  CHECK(position_of(names, "block35_1_mixed") < position_of(names, "block35_1_conv"));
  CHECK(position_of(names, "block35_1_conv") < position_of(names, "custom_scale_layer"));
  CHECK(position_of(names, "custom_scale_layer") < position_of(names, "block35_1_ac"));
  CHECK(tail(names, 6) == std::vector<std::string>{"custom_scale_layer_39", "conv_7b", "conv_7b_bn",
                                                   "conv_7b_ac", "avg_pool", "predictions"});
  CHECK(model.get_layer("mixed_5b").output().shape() == Shape({None, 35, 35, 320}));
  CHECK(model.get_layer("block35_10_ac").output().shape() == Shape({None, 35, 35, 320}));
  CHECK(model.get_layer("mixed_6a").output().shape() == Shape({None, 17, 17, 1088}));
  CHECK(model.get_layer("block17_20_ac").output().shape() == Shape({None, 17, 17, 1088}));
  CHECK(model.get_layer("mixed_7a").output().shape() == Shape({None, 8, 8, 2080}));
  CHECK(model.get_layer("conv_7b_ac").output().shape() == Shape({None, 8, 8, 1536}));
  // The projections carry a bias and no batch norm; the other convolutions the reverse, without gamma.
  CHECK(model.get_layer("block17_1_conv").get_weights().size() == 2);
  CHECK(model.get_layer("block17_1_conv").get_weights()[0].dims() == std::vector<int64_t>{1, 1, 384, 1088});
  CHECK(model.get_layer("conv_7b").get_weights().size() == 1);
  CHECK(model.get_layer("conv_7b_bn").get_weights().size() == 3);
  CHECK(model.get_layer("custom_scale_layer_30").get_weights().empty());

  strata::clear_session();
  const strata::Model features =
      apps::InceptionResNetV2({.include_top = false, .input_shape = {75, 75, 3}, .pooling = "max"});
  CHECK(layer_names(features).back() == "global_max_pooling2d");
  CHECK(features.output().shape() == Shape({None, 1536}));
  CHECK(features.count_params() == 55'873'736 - (1536 * 1000 + 1000));
  CHECK(features.get_layer("conv_7b_ac").output().shape() == Shape({None, 1, 1, 1536}));
  CHECK_THROWS_WITH(apps::InceptionResNetV2({.include_top = false, .input_shape = {74, 75, 3}}),
                    Catch::Contains("[InceptionResNetV2]") && Catch::Contains("75x75"));
}

TEST_CASE("InceptionResNetV2 refuses bad options and preprocesses as Keras", "[applications][errors]") {
  check_application_option_errors("InceptionResNetV2", apps::InceptionResNetV2);
  const strata::Tensor images({1, 1, 2, 3}, {10.0f, 20.0f, 30.0f, 0.0f, 255.0f, 128.0f});
  CHECK(apps::inception_resnet_v2::preprocess_input(images) == apps::resnet_v2::preprocess_input(images));
  CHECK_THROWS_WITH(apps::inception_resnet_v2::preprocess_input(strata::Tensor::zeros({4, 3})),
                    Catch::Contains("inception_resnet_v2::preprocess_input"));
}

TEST_CASE("InceptionResNetV2's residual blocks end in one step and match the reference at a reduced size",
          "[applications][numerics]") {
  strata::clear_session();
  const strata::Model model =
      apps::InceptionResNetV2({.input_shape = {75, 75, 3}, .classes = 10, .classifier_activation = "linear"});
  // Each block's scale folds into its projection, whose sum and relu become post-ops: 39 steps
  // `conv + sum + relu` and the last block's `conv + sum`, and no step of batch norm or add of its own.
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  // Steps whose primitive is `primitive`, with or without post-ops after it.
  const auto steps = [&](const std::string& primitive) {
    const std::regex step("(^|\n) *[0-9]+  " + primitive + "( \\+ [a-z_0-9]+)*  ");
    return std::distance(std::sregex_iterator(plan.begin(), plan.end(), step), std::sregex_iterator());
  };
  CHECK(steps("conv \\+ sum \\+ relu") == 39);
  CHECK(steps("conv \\+ sum") == 40);
  CHECK(steps("batch_norm") == 0);
  CHECK(steps("add") == 0);
  // Measured errors 5.2e-5 (fused) and 1.4e-4 (unfused) against 2.2e-3; a perturbed input moves the logits
  // by 0.43 of their scale.
  check_application_against_reference(model, {2, 75, 75, 3}, 2080, 110);
}
