// keras.applications' VGG16, VGG19, ResNet101, ResNet152 and the ResNet V2s: Keras's parameter counts (the
// published ones, total, trainable and not), layer counts, names and shapes, the options' shapes and
// errors, their preprocess_input, and each family's fused plan against the reference at a reduced size. No
// forward pass at full size (test_tfjs_oracle runs VGG16 and ResNet50V2 against tfjs).
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "application_util.hpp"
#include "numerics_util.hpp"

namespace apps = strata::applications;
using strata::None;
using strata::Shape;
using namespace strata_test;

TEST_CASE("VGG16 and VGG19 have Keras's parameter counts, layers and shapes", "[applications][vgg]") {
  strata::clear_session();
  const strata::Model vgg16 = apps::VGG16();
  CHECK(vgg16.name() == "vgg16");
  CHECK(vgg16.count_params() == 138'357'544);
  CHECK(non_trainable(vgg16) == 0);
  std::vector<std::string> names = layer_names(vgg16);
  // The input, 13 convolutions, 5 poolings, flatten and 3 dense layers.
  REQUIRE(names.size() == 23);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 4) ==
        std::vector<std::string>{"input_layer", "block1_conv1", "block1_conv2", "block1_pool"});
  CHECK(tail(names, 5) == std::vector<std::string>{"block5_pool", "flatten", "fc1", "fc2", "predictions"});
  CHECK(vgg16.get_layer("block3_conv3").output().shape() == Shape{None, 56, 56, 256});
  CHECK(vgg16.get_layer("block5_pool").output().shape() == Shape{None, 7, 7, 512});
  CHECK(vgg16.get_layer("flatten").output().shape() == Shape{None, 25088});
  CHECK(vgg16.get_layer("fc1").count_params() == 25088 * 4096 + 4096);
  CHECK(vgg16.get_layer("block1_pool").class_name() == "MaxPooling2D");
  const std::string summary = vgg16.summary_string();
  CHECK_THAT(summary, Catch::Contains("Model: \"vgg16\""));
  CHECK_THAT(summary, Catch::Contains("Total params: 138,357,544 "));

  strata::clear_session();
  const strata::Model vgg19 = apps::VGG19();
  CHECK(vgg19.name() == "vgg19");
  CHECK(vgg19.count_params() == 143'667'240);
  names = layer_names(vgg19);
  REQUIRE(names.size() == 26);  // 16 convolutions
  for (const char* block : {"block3", "block4", "block5"})
    CHECK(has_layer(names, std::string(block) + "_conv4"));
  CHECK_FALSE(has_layer(names, "block2_conv3"));
}

TEST_CASE("VGG16 options give Keras's shapes and names", "[applications][vgg]") {
  strata::clear_session();
  // Without the top, the pooling layer is unnamed in Keras: the default name.
  const strata::Model avg = apps::VGG16({.include_top = false, .input_shape = {64, 64, 3}, .pooling = "avg"});
  CHECK(avg.outputs()[0].shape() == Shape{None, 512});
  CHECK(layer_names(avg).back() == "global_average_pooling2d");
  CHECK(avg.count_params() ==
        14'714'688);  // the convolutions alone: 138,357,544 minus the three dense layers
  const strata::Model max = apps::VGG19({.include_top = false, .input_shape = {32, 32, 3}, .pooling = "max"});
  CHECK(max.outputs()[0].shape() == Shape{None, 512});
  CHECK(layer_names(max).back() == "global_max_pooling2d");
  const strata::Model open = apps::VGG16({.include_top = false});
  CHECK(open.inputs()[0].shape() == Shape{None, None, None, 3});
  CHECK(open.outputs()[0].shape() == Shape{None, None, None, 512});
  // Keras allows another input size with the top when no ImageNet weights are asked for.
  const strata::Model small = apps::VGG16({.input_shape = {32, 32, 3}, .classes = 10, .name = "small"});
  CHECK(small.name() == "small");
  CHECK(small.get_layer("flatten").output().shape() == Shape{None, 512});
  CHECK(small.outputs()[0].shape() == Shape{None, 10});
}

TEST_CASE("VGG and the ResNets refuse bad options with the model's name", "[applications][errors]") {
  using Builder = strata::Model (*)(apps::ApplicationOptions);
  const std::vector<std::pair<std::string, Builder>> builders = {
      {"VGG16", apps::VGG16},         {"VGG19", apps::VGG19},           {"ResNet101", apps::ResNet101},
      {"ResNet152", apps::ResNet152}, {"ResNet50V2", apps::ResNet50V2}, {"ResNet152V2", apps::ResNet152V2}};
  for (const auto& [name, build] : builders) {
    INFO(name);
    const std::string where = "[" + name + "]";
    CHECK_THROWS_WITH(build({.input_shape = {16, 16, 3}}),
                      Catch::Contains(where) && Catch::Contains("32x32"));
    CHECK_THROWS_AS(build({.input_shape = {64, 64, 1}}), strata::ValueError);
    CHECK_THROWS_WITH(build({.include_top = false, .pooling = "sum"}), Catch::Contains(where));
    std::string stem = name;
    std::transform(stem.begin(), stem.end(), stem.begin(), [](unsigned char c) { return std::tolower(c); });
    CHECK_THROWS_WITH(build({.weights = "imagenet"}), Catch::Contains(where) &&
                                                          Catch::Contains("keras.applications." + name) &&
                                                          Catch::Contains("\"" + stem + ".weights.h5\""));
    // Keras's validate_activation: pretrained weights go with a softmax top (or none).
    CHECK_THROWS_WITH(build({.weights = "w.weights.h5", .classifier_activation = "relu"}),
                      Catch::Contains(where) && Catch::Contains("classifier_activation=\"relu\""));
    CHECK_THROWS_AS(build({.classes = 0}), strata::ValueError);
  }
}

TEST_CASE("ResNet101 and ResNet152 have Keras's parameter counts and layers", "[applications][resnet]") {
  strata::clear_session();
  const strata::Model r101 = apps::ResNet101();
  CHECK(r101.name() == "resnet101");
  CHECK(r101.count_params() == 44'707'176);
  CHECK(r101.count_trainable_params() == 44'601'832);
  CHECK(non_trainable(r101) == 105'344);
  std::vector<std::string> names = layer_names(r101);
  // 33 blocks: 4 with a projection (12 layers each), 29 without (10); 7 stem layers and 2 of the top.
  CHECK(names.size() == 4 * 12 + 29 * 10 + 7 + 2);
  CHECK(r101.get_layer("conv4_block23_out").output().shape() == Shape{None, 14, 14, 1024});
  CHECK_FALSE(has_layer(names, "conv4_block24_out"));
  CHECK(tail(names, 3) == std::vector<std::string>{"conv5_block3_out", "avg_pool", "predictions"});

  strata::clear_session();
  const strata::Model r152 = apps::ResNet152();
  CHECK(r152.name() == "resnet152");
  CHECK(r152.count_params() == 60'419'944);
  CHECK(r152.count_trainable_params() == 60'268'520);
  CHECK(non_trainable(r152) == 151'424);
  names = layer_names(r152);
  CHECK(names.size() == 4 * 12 + 46 * 10 + 7 + 2);
  CHECK(r152.get_layer("conv3_block8_out").output().shape() == Shape{None, 28, 28, 512});
  CHECK(r152.get_layer("conv4_block36_out").output().shape() == Shape{None, 14, 14, 1024});
}

TEST_CASE("The ResNet V2s have Keras's parameter counts, pre-activation blocks and strides",
          "[applications][resnet]") {
  strata::clear_session();
  const strata::Model r50 = apps::ResNet50V2();
  CHECK(r50.name() == "resnet50v2");
  CHECK(r50.count_params() == 25'613'800);
  const std::vector<std::string> names = layer_names(r50);
  // Blocks of 11 layers, 12 with a projection (each stack's first) or a strided 1x1 max pooling (the last
  // of the first three stacks); a stem of 5 (no batch norm before the blocks), post_bn and post_relu, the
  // top's 2.
  CHECK(names.size() == 4 * 12 + 3 * 12 + 9 * 11 + 5 + 2 + 2);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 7) ==
        std::vector<std::string>{"input_layer", "conv1_pad", "conv1_conv", "pool1_pad", "pool1_pool",
                                 "conv2_block1_preact_bn", "conv2_block1_preact_relu"});
  CHECK(tail(names, 5) ==
        std::vector<std::string>{"conv5_block3_out", "post_bn", "post_relu", "avg_pool", "predictions"});
  CHECK_FALSE(has_layer(names, "conv1_bn"));
  // The stride sits on each stack's last block, its shortcut an unnamed 1x1 max pooling.
  CHECK(r50.get_layer("conv2_block2_out").output().shape() == Shape{None, 56, 56, 256});
  CHECK(r50.get_layer("conv2_block3_out").output().shape() == Shape{None, 28, 28, 256});
  CHECK(r50.get_layer("conv2_block3_2_pad").output().shape() == Shape{None, 58, 58, 64});
  CHECK(r50.get_layer("conv4_block6_out").output().shape() == Shape{None, 7, 7, 1024});
  CHECK(r50.get_layer("conv5_block3_out").output().shape() == Shape{None, 7, 7, 2048});
  for (const char* pool : {"max_pooling2d", "max_pooling2d_1", "max_pooling2d_2"}) {
    CHECK(r50.get_layer(pool).class_name() == "MaxPooling2D");
  }
  CHECK_FALSE(has_layer(names, "max_pooling2d_3"));
  CHECK(r50.get_layer("conv2_block1_1_conv").count_params() == 64 * 64);  // no bias before a batch norm
  CHECK(r50.get_layer("conv2_block1_3_conv").count_params() == 64 * 256 + 256);

  strata::clear_session();
  const strata::Model r101 = apps::ResNet101V2();
  CHECK(r101.name() == "resnet101v2");
  CHECK(r101.count_params() == 44'675'560);
  CHECK(r101.count_trainable_params() == 44'577'896);
  CHECK(non_trainable(r101) == 97'664);
  strata::clear_session();
  const strata::Model r152 = apps::ResNet152V2({.include_top = false, .pooling = "max"});
  CHECK(r152.count_params() == 60'380'648 - (2048 * 1000 + 1000));
  CHECK(layer_names(r152).back() == "max_pool");
  CHECK(apps::ResNet152V2().count_params() == 60'380'648);
}

TEST_CASE("VGG's and the ResNets' preprocess_input are Keras's modes", "[applications][imagenet]") {
  const strata::Tensor images({1, 1, 2, 3}, {10.0f, 20.0f, 30.0f, 0.0f, 255.0f, 128.0f});
  const strata::Tensor caffe = apps::resnet50::preprocess_input(images);
  CHECK(apps::resnet::preprocess_input(images) == caffe);
  CHECK(apps::vgg16::preprocess_input(images) == caffe);
  CHECK(apps::vgg19::preprocess_input(images) == caffe);
  CHECK(apps::resnet_v2::preprocess_input(images) == apps::mobilenet_v2::preprocess_input(images));
  CHECK(apps::resnet_v2::preprocess_input(images).values()[4] == 1.0f);
  CHECK_THROWS_WITH(apps::vgg19::preprocess_input(strata::Tensor::zeros({1, 2, 2, 4})),
                    Catch::Contains("vgg19::preprocess_input"));
  CHECK_THROWS_WITH(apps::resnet_v2::preprocess_input(strata::Tensor::zeros({4, 3})),
                    Catch::Contains("resnet_v2::preprocess_input"));
}

// Depth multiplies float32 rounding (test_applications_numerics: the same budget for ResNet50).
constexpr int kDepth = 50;

TEST_CASE("VGG16 and ResNet50V2 match the reference at a reduced size", "[applications][numerics]") {
  {
    strata::clear_session();
    strata::Model vgg = apps::VGG16({.include_top = false, .input_shape = {32, 32, 3}, .pooling = "avg"});
    randomize_like_trained(vgg, 41, random_input({4, 32, 32, 3}, 42));
    const strata::Tensor input = random_input({2, 32, 32, 3}, 43);
    const std::string plan = vgg.compile().plan_string(1);
    INFO(plan);
    CHECK(plan.find("ref:") == std::string::npos);
    CHECK(occurrences(plan, "conv + relu") == 13);
    // No batch norm, 16 layers: measured 1.5e-6 against a tolerance of 2 * float32_tolerance(4608) = 1.3e-4;
    // a perturbed input moves the output by 0.069 of its scale.
    check_against_reference(vgg, {input}, 2 * float32_tolerance(4608));
    CHECK(sensitivity(vgg, input) >= 100 * 2 * float32_tolerance(4608));
  }
  {
    // ResNet50V2 (its deeper siblings differ only in block counts): every `_2_pad` folded into its
    // convolution, the batch norms after convolutions folded, the pre-activation ones left as steps.
    // Measured: error 1.2e-4; a perturbed input moves the output by 0.49 of its scale.
    strata::clear_session();
    strata::Model resnet =
        apps::ResNet50V2({.include_top = false, .input_shape = {48, 48, 3}, .pooling = "avg"});
    randomize_like_trained(resnet, 51, random_input({4, 48, 48, 3}, 52));
    const strata::Tensor input = random_input({2, 48, 48, 3}, 53);
    const std::string plan = resnet.compile().plan_string(1);
    INFO(plan);
    CHECK(plan.find("ref:") == std::string::npos);
    // Only pool1_pad stays: without a relu before it (V2 has no conv1_bn and conv1_relu) its zeros can be
    // a window's maximum, which a pooling's own padding would leave out.
    CHECK(occurrences(plan, "zero_pad") == 1);
    CHECK(occurrences(plan, "batch_norm") == 16 + 1);  // each block's preact_bn, and post_bn
    check_against_reference(resnet, {input}, kDepth * float32_tolerance(4608));
    CHECK(sensitivity(resnet, input) >= 100 * kDepth * float32_tolerance(4608));
  }
}
