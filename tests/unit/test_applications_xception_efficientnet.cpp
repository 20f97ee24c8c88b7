// keras.applications' Xception and EfficientNetB0-B7: Keras's parameter counts (published totals; trainable
// and not), layer counts, names, order and shapes, the options' shapes and errors, their preprocess_input,
// and each family's fused plan against the reference at a reduced size. No forward pass at full size
// (test_tfjs_oracle runs each family against tfjs).
#include <string>
#include <vector>

#include "application_util.hpp"
#include "numerics_util.hpp"

namespace apps = strata::applications;
using strata::None;
using strata::Shape;
using namespace strata_test;

TEST_CASE("Xception has Keras's parameter counts, names and shapes", "[applications][xception]") {
  strata::clear_session();
  const strata::Model model = apps::Xception();
  CHECK(model.name() == "xception");
  CHECK(model.count_params() == 22'910'480);
  CHECK(non_trainable(model) == 54'528);
  CHECK(model.input().shape() == Shape({None, 299, 299, 3}));
  // input, block1 (6), block2 (9: no leading relu), blocks 3 and 4 (10), 8 middle blocks of 10, block13
  // (10), block14 (6), top (2).
  const std::vector<std::string> names = layer_names(model);
  CHECK(names.size() == 1 + 6 + 9 + 2 * 10 + 8 * 10 + 10 + 6 + 2);
  CHECK(std::vector<std::string>(names.begin() + 1, names.begin() + 8) ==
        std::vector<std::string>{"block1_conv1", "block1_conv1_bn", "block1_conv1_act", "block1_conv2",
                                 "block1_conv2_bn", "block1_conv2_act", "block2_sepconv1"});
  CHECK(has_layer(names, "block2_sepconv2_act"));
  CHECK(!has_layer(names, "block2_sepconv1_act"));
  // The shortcuts' convolutions, batch norms and sums are unnamed in Keras: four of each, twelve sums.
  CHECK(has_layer(names, "conv2d_3"));
  CHECK(!has_layer(names, "conv2d_4"));
  CHECK(has_layer(names, "batch_normalization_3"));
  CHECK(has_layer(names, "add_11"));
  CHECK(!has_layer(names, "add_12"));
  CHECK(has_layer(names, "block12_sepconv3_bn"));
  CHECK(tail(names, 3) == std::vector<std::string>{"block14_sepconv2_act", "avg_pool", "predictions"});
  CHECK(model.get_layer("block2_pool").output().shape() == Shape({None, 74, 74, 128}));
  CHECK(model.get_layer("block4_pool").output().shape() == Shape({None, 19, 19, 728}));
  CHECK(model.get_layer("block13_pool").output().shape() == Shape({None, 10, 10, 1024}));
  CHECK(model.get_layer("block14_sepconv2_act").output().shape() == Shape({None, 10, 10, 2048}));
  // A separable convolution without a bias: the depthwise and the pointwise kernel.
  const std::vector<strata::Tensor> sep = model.get_layer("block14_sepconv2").get_weights();
  REQUIRE(sep.size() == 2);
  CHECK(sep[0].dims() == std::vector<int64_t>{3, 3, 1536, 1});
  CHECK(sep[1].dims() == std::vector<int64_t>{1, 1, 1536, 2048});

  const strata::Model features =
      apps::Xception({.include_top = false, .input_shape = {71, 71, 3}, .pooling = "max"});
  CHECK(layer_names(features).back() == "global_max_pooling2d");
  CHECK(features.output().shape() == Shape({None, 2048}));
  CHECK(features.count_params() == 22'910'480 - (2048 * 1000 + 1000));
  CHECK(features.get_layer("block14_sepconv2_act").output().shape() == Shape({None, 3, 3, 2048}));
  CHECK_THROWS_WITH(apps::Xception({.include_top = false, .input_shape = {70, 71, 3}}),
                    Catch::Contains("[Xception]") && Catch::Contains("71x71"));
}

TEST_CASE("The EfficientNets have Keras's parameter counts, names and shapes",
          "[applications][efficientnet]") {
  strata::clear_session();
  const strata::Model b0 = apps::EfficientNetB0();
  CHECK(b0.name() == "efficientnetb0");
  CHECK(b0.count_params() == 5'330'571);
  // Batch-norm statistics and the normalization's mean, variance and count.
  CHECK(non_trainable(b0) == 42'023);
  CHECK(b0.input().shape() == Shape({None, 224, 224, 3}));
  // input and stem (7), block1a (10), 15 more blocks of 13, 4 strided paddings, 9 shortcuts with their
  // dropouts, top_conv, top_bn, top_activation, the top (3).
  const std::vector<std::string> names = layer_names(b0);
  CHECK(names.size() == 7 + 10 + 15 * 13 + 4 + 9 * 2 + 3 + 3);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 11) ==
        std::vector<std::string>{"input_layer", "rescaling", "normalization", "stem_conv_pad", "stem_conv",
                                 "stem_bn", "stem_activation", "block1a_dwconv", "block1a_bn",
                                 "block1a_activation", "block1a_se_squeeze"});
  CHECK(std::vector<std::string>(names.begin() + 11, names.begin() + 18) ==
        std::vector<std::string>{"block1a_se_reshape", "block1a_se_reduce", "block1a_se_expand",
                                 "block1a_se_excite", "block1a_project_conv", "block1a_project_bn",
                                 "block2a_expand_conv"});
  CHECK(has_layer(names, "block2a_dwconv_pad"));
  CHECK(!has_layer(names, "block5a_dwconv_pad"));
  CHECK(has_layer(names, "block6d_drop"));
  CHECK(has_layer(names, "block6d_add"));
  CHECK(!has_layer(names, "block7a_add"));
  CHECK(tail(names, 6) == std::vector<std::string>{"top_conv", "top_bn", "top_activation", "avg_pool",
                                                   "top_dropout", "predictions"});
  CHECK(b0.get_layer("block1a_se_reshape").output().shape() == Shape({None, 1, 1, 32}));
  CHECK(b0.get_layer("block1a_se_reduce").output().shape() == Shape({None, 1, 1, 8}));
  CHECK(b0.get_layer("block2a_dwconv").output().shape() == Shape({None, 56, 56, 96}));
  CHECK(b0.get_layer("block6d_add").output().shape() == Shape({None, 7, 7, 192}));
  CHECK(b0.get_layer("top_activation").output().shape() == Shape({None, 7, 7, 1280}));
  CHECK(b0.get_layer("normalization").get_weights().size() == 3);

  // The rest of the family: Keras's totals and non-trainable counts (computed independently from
  // efficientnet.py's arithmetic), default sizes and the widths the coefficients give.
  struct Member {
    strata::Model (*build)(apps::ApplicationOptions);
    const char* name;
    int64_t params, frozen;
    int64_t size, top_channels;
    size_t layers;
  };
  const std::vector<Member> family = {
      {apps::EfficientNetB1, "efficientnetb1", 7'856'239, 62'055, 240, 1280, 342},
      {apps::EfficientNetB2, "efficientnetb2", 9'177'569, 67'575, 260, 1408, 342},
      {apps::EfficientNetB3, "efficientnetb3", 12'320'535, 87'303, 300, 1536, 387},
      {apps::EfficientNetB4, "efficientnetb4", 19'466'823, 125'207, 380, 1792, 477},
      {apps::EfficientNetB5, "efficientnetb5", 30'562'527, 172'743, 456, 2048, 579},
      {apps::EfficientNetB6, "efficientnetb6", 43'265'143, 224'439, 528, 2304, 669},
      {apps::EfficientNetB7, "efficientnetb7", 66'658'687, 310'727, 600, 2560, 816},
  };
  for (const Member& m : family) {
    INFO(m.name);
    strata::clear_session();
    const strata::Model model = m.build({});
    CHECK(model.name() == m.name);
    CHECK(model.count_params() == m.params);
    CHECK(non_trainable(model) == m.frozen);
    CHECK(model.layers().size() == m.layers);
    CHECK(model.input().shape() == Shape({None, m.size, m.size, 3}));
    CHECK(model.get_layer("top_activation").output().shape()[-1] == m.top_channels);
  }

  strata::clear_session();
  const strata::Model features = apps::EfficientNetB0({.include_top = false, .pooling = "avg"});
  CHECK(features.input().shape() == Shape({None, None, None, 3}));
  CHECK(layer_names(features).back() == "avg_pool");
  CHECK(features.count_params() == 5'330'571 - (1280 * 1000 + 1000));
  const strata::Model max_pooled = apps::EfficientNetB3({.include_top = false, .pooling = "max"});
  CHECK(layer_names(max_pooled).back() == "max_pool");
}

TEST_CASE("Xception and the EfficientNets refuse bad options with the model's name",
          "[applications][errors]") {
  using Builder = strata::Model (*)(apps::ApplicationOptions);
  const std::vector<std::pair<std::string, Builder>> builders = {{"Xception", apps::Xception},
                                                                 {"EfficientNetB0", apps::EfficientNetB0},
                                                                 {"EfficientNetB7", apps::EfficientNetB7}};
  for (const auto& [name, build] : builders) check_application_option_errors(name, build);
}

TEST_CASE("Xception's and EfficientNet's preprocess_input are Keras's", "[applications][imagenet]") {
  const strata::Tensor images({1, 1, 2, 3}, {10.0f, 20.0f, 30.0f, 0.0f, 255.0f, 128.0f});
  CHECK(apps::xception::preprocess_input(images) == apps::resnet_v2::preprocess_input(images));
  CHECK_THROWS_WITH(apps::xception::preprocess_input(strata::Tensor::zeros({4, 3})),
                    Catch::Contains("xception::preprocess_input"));
  // EfficientNet rescales inside the model: the pixels are passed through, whatever their shape.
  CHECK(apps::efficientnet::preprocess_input(images) == images);
  CHECK(apps::efficientnet::preprocess_input(strata::Tensor::zeros({4, 3})) == strata::Tensor::zeros({4, 3}));
}

TEST_CASE("Xception and EfficientNetB0 match the reference at a reduced size", "[applications][numerics]") {
  // Measured errors 3.0e-5 and 3.6e-5 (Xception), 2.0e-6 and 2.5e-6 (EfficientNetB0) against 1.6e-3 and
  // 1.9e-3; a perturbed input moves the outputs by 0.35 and 0.53 of their scale.
  strata::clear_session();
  check_application_against_reference(
      apps::Xception({.include_top = false, .input_shape = {71, 71, 3}, .pooling = "avg"}), {2, 71, 71, 3},
      1536, 80);
  strata::clear_session();
  check_application_against_reference(
      apps::EfficientNetB0({.input_shape = {64, 64, 3}, .classes = 10, .classifier_activation = ""}),
      {2, 64, 64, 3}, 1152, 90);
}
