// keras.applications' MobileNetV3Small and MobileNetV3Large: Keras's parameter counts (published totals at
// alpha 1.0; the variants' counted independently from mobilenet_v3.py's arithmetic), names (Keras's unnamed
// `re_lu_N` and `activation_N`, the hard sigmoid's `add` and `multiply` operations), shapes, options and
// errors, preprocess_input, and the fused plans against the reference at a reduced size (test_tfjs_oracle
// runs them against tfjs).
#include <string>
#include <vector>

#include "application_util.hpp"
#include "numerics_util.hpp"

namespace apps = strata::applications;
using strata::None;
using strata::Shape;
using namespace strata_test;

TEST_CASE("MobileNetV3 has Keras's parameter counts, names and shapes", "[applications][mobilenet_v3]") {
  strata::clear_session();
  const strata::Model small = apps::MobileNetV3Small();
  CHECK(small.name() == "MobileNetV3Small");
  CHECK(small.count_params() == 2'554'968);
  CHECK(non_trainable(small) == 12'112);
  // Keras needs no fixed size even with the top.
  CHECK(small.input().shape() == Shape({None, None, None, 3}));
  CHECK(small.output().shape() == Shape({None, 1000}));
  const std::vector<std::string> names = layer_names(small);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 19) ==
        std::vector<std::string>{"input_layer", "rescaling", "conv", "conv_bn", "activation",
                                 "expanded_conv_depthwise_pad", "expanded_conv_depthwise",
                                 "expanded_conv_depthwise_bn", "re_lu",
                                 "expanded_conv_squeeze_excite_avg_pool", "expanded_conv_squeeze_excite_conv",
                                 "expanded_conv_squeeze_excite_relu", "expanded_conv_squeeze_excite_conv_1",
                                 "add", "re_lu_1", "multiply", "expanded_conv_squeeze_excite_mul",
                                 "expanded_conv_project", "expanded_conv_project_bn"});
  CHECK(small.get_layer("add").class_name() == "Add");
  CHECK(has_layer(names, "expanded_conv_10_add"));
  CHECK(!has_layer(names, "expanded_conv_11_expand"));
  CHECK(tail(names, 10) == std::vector<std::string>{"conv_1", "conv_1_bn", "activation_17",
                                                    "global_average_pooling2d", "conv_2", "activation_18",
                                                    "dropout", "logits", "flatten", "predictions"});
  strata::clear_session();
  const strata::Model sized = apps::MobileNetV3Small({.input_shape = {224, 224, 3}});
  CHECK(sized.get_layer("expanded_conv_2_add").output().shape() == Shape({None, 28, 28, 24}));
  CHECK(sized.get_layer("conv_1").output().shape() == Shape({None, 7, 7, 576}));
  CHECK(sized.get_layer("conv_2").output().shape() == Shape({None, 1, 1, 1024}));

  strata::clear_session();
  const strata::Model large = apps::MobileNetV3Large({.input_shape = {224, 224, 3}});
  CHECK(large.name() == "MobileNetV3Large");
  CHECK(large.count_params() == 5'507'432);
  CHECK(non_trainable(large) == 24'400);
  const std::vector<std::string> large_names = layer_names(large);
  CHECK(has_layer(large_names, "expanded_conv_14_add"));
  CHECK(!has_layer(large_names, "expanded_conv_squeeze_excite_avg_pool"));
  CHECK(large.get_layer("expanded_conv_3_squeeze_excite_conv").output().shape() == Shape({None, 1, 1, 24}));
  CHECK(large.get_layer("conv_1").output().shape() == Shape({None, 7, 7, 960}));
  CHECK(large.get_layer("conv_2").output().shape() == Shape({None, 1, 1, 1280}));

  // The variants (counts from mobilenet_v3.py's arithmetic, computed apart from strata): minimalistic (3x3
  // kernels, relus, no squeeze-and-excitation), alpha 0.75, and a widened top past alpha 1.
  struct Variant {
    const char* what;
    strata::Model (*build)();
    int64_t params, frozen;
  };
  const std::vector<Variant> variants = {
      {"small minimalistic", [] { return apps::MobileNetV3Small({.minimalistic = true}); }, 2'056'848,
       12'112},
      {"large minimalistic", [] { return apps::MobileNetV3Large({.minimalistic = true}); }, 3'948'688,
       24'400},
      {"small alpha 0.75", [] { return apps::MobileNetV3Small({.alpha = 0.75f}); }, 2'051'552, 9'680},
      {"large alpha 0.75", [] { return apps::MobileNetV3Large({.alpha = 0.75f}); }, 4'012'616, 19'088},
  };
  for (const Variant& v : variants) {
    INFO(v.what);
    strata::clear_session();
    const strata::Model model = v.build();
    CHECK(model.count_params() == v.params);
    CHECK(non_trainable(model) == v.frozen);
  }
  strata::clear_session();
  const strata::Model minimal = apps::MobileNetV3Small({.minimalistic = true});
  CHECK(!has_layer(layer_names(minimal), "activation"));
  CHECK(minimal.get_layer("expanded_conv_3_depthwise").get_weights()[0].dims() ==
        std::vector<int64_t>{3, 3, 96, 1});
  // alpha 1.3: int(16 * 1.3 + 4) // 8 * 8 = 24 from Python's float 1.3; the top widens to _depth(1280 * 1.3).
  const strata::Model wide = apps::MobileNetV3Large({.alpha = 1.3f});
  CHECK(wide.get_layer("expanded_conv_project").output().shape()[-1] == 24);
  CHECK(wide.get_layer("conv_2").output().shape()[-1] == 1664);

  strata::clear_session();
  const strata::Model features =
      apps::MobileNetV3Large({.include_top = false, .pooling = "max", .include_preprocessing = false});
  CHECK(layer_names(features)[1] == "conv");
  CHECK(layer_names(features).back() == "max_pool");
  CHECK(features.output().shape() == Shape({None, 960}));
  const strata::Model no_dropout = apps::MobileNetV3Small({.dropout_rate = 0.0f});
  CHECK(!has_layer(layer_names(no_dropout), "dropout"));
  CHECK(apps::MobileNetV3Small({.name = "edge"}).name() == "edge");
}

TEST_CASE("MobileNetV3 refuses bad options with the model's name", "[applications][errors]") {
  using Builder = strata::Model (*)(apps::MobileNetV3Options);
  for (const auto& [name, build] : std::vector<std::pair<std::string, Builder>>{
           {"MobileNetV3Small", apps::MobileNetV3Small}, {"MobileNetV3Large", apps::MobileNetV3Large}}) {
    INFO(name);
    const std::string where = "[" + name + "]";
    CHECK_THROWS_WITH(build({.input_shape = {16, 64, 3}}),
                      Catch::Contains(where) && Catch::Contains("32x32"));
    CHECK_THROWS_WITH(build({.alpha = 0.0f}), Catch::Contains(where) && Catch::Contains("alpha"));
    CHECK_THROWS_WITH(build({.dropout_rate = 1.0f}),
                      Catch::Contains(where) && Catch::Contains("dropout_rate"));
    CHECK_NOTHROW(build({.include_top = false, .dropout_rate = 1.0f}));
    check_common_option_errors(name, build);
  }
  const strata::Tensor images({1, 1, 2, 3}, {10.0f, 20.0f, 30.0f, 0.0f, 255.0f, 128.0f});
  CHECK(apps::mobilenet_v3::preprocess_input(images) == images);
}

TEST_CASE("MobileNetV3 matches the reference at a reduced size", "[applications][numerics]") {
  // Measured errors 1.8e-4 to 2.4e-4 against 1.7e-3 (relu6, hard swish and the hard sigmoid gates bend at
  // fixed points, and the last stage is 2x2 pixels); a perturbed input moves the outputs by 0.32 and 1.08 of
  // their scale.
  const apps::MobileNetV3Options options{
      .input_shape = {64, 64, 3}, .classes = 10, .classifier_activation = ""};
  strata::clear_session();
  check_application_against_reference(apps::MobileNetV3Small(options), {2, 64, 64, 3}, 1280, 90);
  strata::clear_session();
  check_application_against_reference(apps::MobileNetV3Large(options), {2, 64, 64, 3}, 1280, 100);
}
