// keras.applications' DenseNet121/169/201, InceptionV3 and MobileNet: Keras's parameter counts (published
// totals; trainable and not), layer counts, names, order and shapes, the options' shapes and errors, their
// preprocess_input, and each family's fused plan against the reference at a reduced size. No forward pass at
// full size (test_tfjs_oracle runs each family against tfjs).
#include <string>
#include <vector>

#include "application_util.hpp"
#include "numerics_util.hpp"

namespace apps = strata::applications;
using strata::None;
using strata::Shape;
using namespace strata_test;

TEST_CASE("The DenseNets have Keras's parameter counts, layers and shapes", "[applications][densenet]") {
  strata::clear_session();
  const strata::Model d121 = apps::DenseNet121();
  CHECK(d121.name() == "densenet121");
  CHECK(d121.count_params() == 8'062'504);
  CHECK(non_trainable(d121) == 83'648);
  // input, stem (2 paddings, conv, bn, relu, pool), 58 blocks of 7, 3 transitions of 4, bn, relu, top.
  std::vector<std::string> names = layer_names(d121);
  CHECK(names.size() == 1 + 6 + 58 * 7 + 3 * 4 + 2 + 2);
  CHECK(names[1] == "zero_padding2d");
  CHECK(names[5] == "zero_padding2d_1");
  CHECK(names[6] == "pool1");
  CHECK(std::vector<std::string>(names.begin() + 7, names.begin() + 14) ==
        std::vector<std::string>{"conv2_block1_0_bn", "conv2_block1_0_relu", "conv2_block1_1_conv",
                                 "conv2_block1_1_bn", "conv2_block1_1_relu", "conv2_block1_2_conv",
                                 "conv2_block1_concat"});
  CHECK(has_layer(names, "pool4_pool"));
  CHECK(has_layer(names, "conv5_block16_concat"));
  CHECK(tail(names, 4) == std::vector<std::string>{"bn", "relu", "avg_pool", "predictions"});
  CHECK(d121.get_layer("conv5_block16_concat").output().shape() == Shape({None, 7, 7, 1024}));
  CHECK(d121.get_layer("pool2_conv").output().shape() == Shape({None, 56, 56, 128}));
  CHECK(d121.get_layer("pool2_pool").output().shape() == Shape({None, 28, 28, 128}));
  CHECK(d121.output().shape() == Shape({None, 1000}));

  const strata::Model d169 = apps::DenseNet169();
  CHECK(d169.name() == "densenet169");
  CHECK(d169.count_params() == 14'307'880);
  CHECK(non_trainable(d169) == 158'400);
  CHECK(d169.get_layer("conv5_block32_concat").output().shape() == Shape({None, 7, 7, 1664}));

  const strata::Model d201 = apps::DenseNet201();
  CHECK(d201.name() == "densenet201");
  CHECK(d201.count_params() == 20'242'984);
  CHECK(non_trainable(d201) == 229'056);
  CHECK(d201.get_layer("conv4_block48_concat").output().shape() == Shape({None, 14, 14, 1792}));

  const strata::Model pooled = apps::DenseNet121({.include_top = false, .pooling = "max"});
  CHECK(layer_names(pooled).back() == "max_pool");
  CHECK(pooled.output().shape() == Shape({None, 1024}));
  CHECK(pooled.count_params() == 8'062'504 - (1024 * 1000 + 1000));
}

TEST_CASE("InceptionV3 has Keras's parameter counts, default names and shapes", "[applications][inception]") {
  strata::clear_session();
  const strata::Model model = apps::InceptionV3();
  CHECK(model.name() == "inception_v3");
  CHECK(model.count_params() == 23'851'784);
  CHECK(non_trainable(model) == 34'432);
  CHECK(model.input().shape() == Shape({None, 299, 299, 3}));
  // 94 conv2d_bn (3 layers each), 4 max and 9 average poolings, 15 concatenations, input, top.
  const std::vector<std::string> names = layer_names(model);
  CHECK(names.size() == 94 * 3 + 4 + 9 + 15 + 1 + 2);
  CHECK(std::vector<std::string>(names.begin() + 1, names.begin() + 5) ==
        std::vector<std::string>{"conv2d", "batch_normalization", "activation", "conv2d_1"});
  // Keras's default names follow creation order, which the layer list does not (it is by depth).
  CHECK(has_layer(names, "conv2d_93"));
  CHECK(!has_layer(names, "conv2d_94"));
  CHECK(has_layer(names, "activation_93"));
  CHECK(has_layer(names, "max_pooling2d_3"));
  CHECK(has_layer(names, "average_pooling2d_8"));
  CHECK(has_layer(names, "concatenate_1"));
  CHECK(has_layer(names, "mixed9_1"));
  CHECK(tail(names, 3) == std::vector<std::string>{"mixed10", "avg_pool", "predictions"});
  CHECK(model.get_layer("conv2d_93").output().shape() == Shape({None, 8, 8, 192}));
  CHECK(model.get_layer("mixed2").output().shape() == Shape({None, 35, 35, 288}));
  CHECK(model.get_layer("mixed7").output().shape() == Shape({None, 17, 17, 768}));
  CHECK(model.get_layer("mixed10").output().shape() == Shape({None, 8, 8, 2048}));
  // The batch norms have no gamma: beta, moving mean and moving variance.
  CHECK(model.get_layer("batch_normalization").get_weights().size() == 3);

  const strata::Model small =
      apps::InceptionV3({.include_top = false, .input_shape = {75, 75, 3}, .pooling = "avg"});
  CHECK(small.output().shape() == Shape({None, 2048}));
  CHECK(layer_names(small).back() == "global_average_pooling2d");
  CHECK(small.get_layer("mixed10").output().shape() == Shape({None, 1, 1, 2048}));
  CHECK_THROWS_WITH(apps::InceptionV3({.include_top = false, .input_shape = {74, 80, 3}}),
                    Catch::Contains("[InceptionV3]") && Catch::Contains("75x75"));
}

TEST_CASE("MobileNet has Keras's parameter counts, names and options", "[applications][mobilenet]") {
  strata::clear_session();
  const strata::Model model = apps::MobileNet();
  CHECK(model.name() == "mobilenet_1.00_224");
  CHECK(model.count_params() == 4'253'864);
  CHECK(non_trainable(model) == 21'888);
  const std::vector<std::string> names = layer_names(model);
  // input, conv1 (3), 13 blocks of 6 plus 4 paddings, the top's 5.
  CHECK(names.size() == 1 + 3 + 13 * 6 + 4 + 5);
  CHECK(std::vector<std::string>(names.begin() + 1, names.begin() + 11) ==
        std::vector<std::string>{"conv1", "conv1_bn", "conv1_relu", "conv_dw_1", "conv_dw_1_bn",
                                 "conv_dw_1_relu", "conv_pw_1", "conv_pw_1_bn", "conv_pw_1_relu",
                                 "conv_pad_2"});
  CHECK(tail(names, 5) == std::vector<std::string>{"global_average_pooling2d", "dropout", "conv_preds",
                                                   "reshape_2", "predictions"});
  CHECK(model.get_layer("conv_pw_13_relu").output().shape() == Shape({None, 7, 7, 1024}));
  CHECK(model.get_layer("conv_preds").output().shape() == Shape({None, 1, 1, 1000}));
  CHECK(model.output().shape() == Shape({None, 1000}));

  // Keras's alpha on a Python float: int(64 * 0.75) = 48; the depth multiplier widens the depthwise layers.
  const strata::Model narrow =
      apps::MobileNet({.input_shape = {160, 160, 3}, .alpha = 0.75f, .depth_multiplier = 2, .classes = 10});
  CHECK(narrow.name() == "mobilenet_0.75_160");
  CHECK(narrow.get_layer("conv_pw_1").output().shape() == Shape({None, 80, 80, 48}));
  CHECK(narrow.get_layer("conv_dw_2").output().shape() == Shape({None, 40, 40, 96}));
  CHECK(narrow.output().shape() == Shape({None, 10}));

  const strata::Model features = apps::MobileNet({.include_top = false});
  CHECK(features.name() == "mobilenet_1.00_None");
  CHECK(features.output().shape() == Shape({None, None, None, 1024}));

  CHECK_THROWS_WITH(apps::MobileNet({.alpha = 0.0f}),
                    Catch::Contains("[MobileNet]") && Catch::Contains("alpha"));
  CHECK_THROWS_WITH(apps::MobileNet({.depth_multiplier = 0}), Catch::Contains("depth_multiplier"));
  CHECK_THROWS_WITH(apps::MobileNet({.dropout = 1.5f}), Catch::Contains("dropout"));
  CHECK_THROWS_WITH(apps::MobileNet({.alpha = 1e7f}), Catch::Contains("alpha"));
  // Without the top there is no dropout to check, as in Keras.
  CHECK_NOTHROW(apps::MobileNet({.dropout = 1.5f, .include_top = false}));
  CHECK_THROWS_WITH(
      apps::MobileNet({.weights = "imagenet"}),
      Catch::Contains("keras.applications.MobileNet(") && Catch::Contains("\"mobilenet.weights.h5\""));
  CHECK_THROWS_WITH(apps::MobileNet({.input_shape = {28, 28, 3}}), Catch::Contains("32x32"));
}

TEST_CASE("The DenseNets and InceptionV3 refuse bad options with the model's name",
          "[applications][errors]") {
  using Builder = strata::Model (*)(apps::ApplicationOptions);
  const std::vector<std::pair<std::string, Builder>> builders = {{"DenseNet121", apps::DenseNet121},
                                                                 {"DenseNet169", apps::DenseNet169},
                                                                 {"DenseNet201", apps::DenseNet201},
                                                                 {"InceptionV3", apps::InceptionV3}};
  for (const auto& [name, build] : builders) check_application_option_errors(name, build);
}

TEST_CASE("DenseNet's, InceptionV3's and MobileNet's preprocess_input are Keras's modes",
          "[applications][imagenet]") {
  const strata::Tensor images({1, 1, 2, 3}, {10.0f, 20.0f, 30.0f, 0.0f, 255.0f, 128.0f});
  const std::vector<float> torch = apps::densenet::preprocess_input(images).values();
  // Keras's float32 steps: x / 255, then (x - mean) / std per channel.
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float deviation[3] = {0.229f, 0.224f, 0.225f};
  const std::vector<float> pixels = images.values();
  for (size_t i = 0; i < 6; ++i) CHECK(torch[i] == (pixels[i] / 255.0f - mean[i % 3]) / deviation[i % 3]);
  CHECK(torch[4] == Approx((1.0 - 0.456) / 0.224).epsilon(1e-6));
  CHECK(apps::inception_v3::preprocess_input(images) == apps::resnet_v2::preprocess_input(images));
  CHECK(apps::mobilenet::preprocess_input(images) == apps::resnet_v2::preprocess_input(images));
  CHECK_THROWS_WITH(apps::densenet::preprocess_input(strata::Tensor::zeros({1, 2, 2, 1})),
                    Catch::Contains("densenet::preprocess_input"));
  CHECK_THROWS_WITH(apps::mobilenet::preprocess_input(strata::Tensor::zeros({4, 3})),
                    Catch::Contains("mobilenet::preprocess_input"));
}

TEST_CASE("DenseNet121, InceptionV3 and MobileNet match the reference at a reduced size",
          "[applications][numerics]") {
  // Measured errors 1.8e-5 (DenseNet121), 1.1e-4 (InceptionV3), 6.5e-5 (MobileNet) against tolerances of
  // 1.6e-3 to 3.0e-3; a perturbed input moves the outputs by 0.62-1.3 of their scale. DenseNet121 runs at
  // 64x64: at 32x32 its last block is 1x1 pixel, the batch norms there are calibrated on 4 values per
  // channel, and their tiny variances magnify rounding (0.3-0.5% of the output's scale).
  struct Case {
    const char* what;
    strata::Model (*build)();
    std::vector<int64_t> input;
    int terms;  // the longest dot product
  };
  const std::vector<Case> cases = {
      {"DenseNet121",
       [] {
         return apps::DenseNet121({.include_top = false, .input_shape = {64, 64, 3}, .pooling = "avg"});
       },
       {2, 64, 64, 3},
       9 * 128},
      {"InceptionV3",
       [] {
         return apps::InceptionV3({.include_top = false, .input_shape = {75, 75, 3}, .pooling = "avg"});
       },
       {2, 75, 75, 3},
       9 * 448},
      {"MobileNet",
       [] {
         return apps::MobileNet({.input_shape = {32, 32, 3}, .classes = 10, .classifier_activation = ""});
       },
       {2, 32, 32, 3},
       1024},
  };
  uint64_t seed = 60;
  for (const Case& c : cases) {
    INFO(c.what);
    strata::clear_session();
    check_application_against_reference(c.build(), c.input, c.terms, seed);
    seed += 10;
  }
}
