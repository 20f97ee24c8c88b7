// keras.applications' NASNetMobile and NASNetLarge: Keras's parameter counts (published totals, and
// NASNetLarge's published non-trainable count; the rest and the layer counts from nasnet.py's arithmetic,
// computed apart from strata), names (the unnamed relus, shifted paths and sums), order and shapes, the
// options' shapes and errors, preprocess_input, and the fused plan against the reference at a reduced size
// (test_tfjs_oracle runs NASNetMobile against tfjs).
#include <string>
#include <vector>

#include "application_util.hpp"
#include "numerics_util.hpp"

namespace apps = strata::applications;
using strata::None;
using strata::Shape;
using namespace strata_test;

namespace {

// The number of weight tensors (Keras's `len(model.weights)`).
size_t weight_tensors(const strata::Model& model) {
  size_t count = 0;
  for (const strata::Layer& layer : model.layers()) count += layer.get_weights().size();
  return count;
}

}  // namespace

TEST_CASE("NASNetMobile has Keras's parameter counts, names and shapes", "[applications][nasnet]") {
  strata::clear_session();
  const strata::Model model = apps::NASNetMobile();
  CHECK(model.name() == "nasnet_mobile");
  CHECK(model.count_params() == 5'326'716);
  CHECK(non_trainable(model) == 36'738);
  CHECK(weight_tensors(model) == 1126);
  CHECK(model.input().shape() == Shape({None, 224, 224, 3}));
  // 192 relus and batch norms, 160 separable and 36 plain convolutions, 80 sums, 60 poolings, 24 paddings,
  // 20 concatenations, 4 croppings, the input and the top's two.
  const std::vector<std::string> names = layer_names(model);
  CHECK(names.size() == 771);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 4) ==
        std::vector<std::string>{"input_layer", "stem_conv1", "stem_bn1", "activation"});
  // The relus other than the four `adjust_relu_1_`, the shifted paths and one sum per reduction cell are
  // unnamed.
  CHECK(has_layer(names, "activation_187"));
  CHECK(!has_layer(names, "activation_188"));
  CHECK(has_layer(names, "adjust_relu_1_stem_2"));
  CHECK(has_layer(names, "adjust_relu_1_0"));
  CHECK(has_layer(names, "adjust_relu_1_5"));
  CHECK(has_layer(names, "adjust_relu_1_9"));
  CHECK(has_layer(names, "zero_padding2d_3"));
  CHECK(!has_layer(names, "zero_padding2d_4"));
  CHECK(has_layer(names, "cropping2d_3"));
  CHECK(has_layer(names, "concatenate_3"));
  CHECK(has_layer(names, "add_3"));
  CHECK(!has_layer(names, "add_4"));
  // Keras's own irregular names: the reduction cells' `add3`/`add4`, their fifth block named `left4`.
  CHECK(has_layer(names, "reduction_add3_reduce_4"));
  CHECK(has_layer(names, "separable_conv_1_reduction_left4_stem_1"));
  CHECK(has_layer(names, "reduction_left4_stem_1"));
  CHECK(model.get_layer("reduction_left4_stem_1").class_name() == "AveragePooling2D");
  // The first cell uses its input as the previous one; later cells of a stack project the previous cell's
  // output to their filters.
  CHECK(!has_layer(names, "adjust_bn_stem_1"));
  CHECK(model.get_layer("adjust_conv_projection_1").get_weights()[0].dims() ==
        std::vector<int64_t>{1, 1, 88, 44});
  CHECK(position_of(names, "stem_bn1") < position_of(names, "reduction_conv_1_stem_1"));
  CHECK(tail(names, 3) ==
        std::vector<std::string>{"activation_187", "global_average_pooling2d", "predictions"});
  // The stacks: 44, 88 and 176 filters a branch, six branches a normal cell, four a reduction cell.
  CHECK(model.get_layer("stem_conv1").output().shape() == Shape({None, 111, 111, 32}));
  CHECK(model.get_layer("reduction_concat_stem_1").output().shape() == Shape({None, 56, 56, 44}));
  CHECK(model.get_layer("reduction_concat_stem_2").output().shape() == Shape({None, 28, 28, 88}));
  CHECK(model.get_layer("normal_concat_3").output().shape() == Shape({None, 28, 28, 264}));
  CHECK(model.get_layer("reduction_concat_reduce_4").output().shape() == Shape({None, 14, 14, 352}));
  CHECK(model.get_layer("normal_concat_8").output().shape() == Shape({None, 14, 14, 528}));
  CHECK(model.get_layer("reduction_concat_reduce_8").output().shape() == Shape({None, 7, 7, 704}));
  CHECK(model.get_layer("normal_concat_12").output().shape() == Shape({None, 7, 7, 1056}));
  // Creation order, which numbers the unnamed layers: the cell's relu, then the separable block's relu of
  // h, its second relu, then the relu of p (the stem's output) for the block on the right.
  const auto input_of = [&](const std::string& layer) {
    return model.get_layer(layer).input().layer().name();
  };
  CHECK(input_of("activation") == "stem_bn1");
  CHECK(input_of("activation_1") == "reduction_bn_1_stem_1");
  CHECK(input_of("activation_2") == "separable_conv_1_bn_reduction_left1_stem_1");
  CHECK(input_of("activation_3") == "stem_bn1");
  CHECK(input_of("zero_padding2d") == "adjust_relu_1_stem_2");
  CHECK(input_of("cropping2d") == "zero_padding2d");
  // Without skip_reduction the cell after a reduction adjusts the reduction's own input (the last normal
  // cell's output), not the one before it.
  CHECK(input_of("adjust_relu_1_5") == "normal_concat_3");
  CHECK(input_of("adjust_relu_1_9") == "normal_concat_8");
  CHECK(model.get_layer("separable_conv_1_bn_normal_left1_0").get_weights().size() == 4);
  CHECK(model.get_layer("separable_conv_1_normal_left1_0").get_weights().size() == 2);

  // Without the top Keras fixes 224x224 too; pooling as asked.
  strata::clear_session();
  const strata::Model features = apps::NASNetMobile({.include_top = false, .pooling = "avg"});
  CHECK(features.input().shape() == Shape({None, 224, 224, 3}));
  CHECK(features.output().shape() == Shape({None, 1056}));
  CHECK(features.count_params() == 5'326'716 - (1056 * 1000 + 1000));
  // The smallest input: the last stack sees one pixel.
  strata::clear_session();
  const strata::Model smallest = apps::NASNetMobile({.include_top = false, .input_shape = {32, 32, 3}});
  CHECK(smallest.output().shape() == Shape({None, 1, 1, 1056}));
}

TEST_CASE("NASNetLarge has Keras's parameter counts", "[applications][nasnet]") {
  strata::clear_session();
  // Keras without the top and an input shape would build a model that cannot run: strata asks for the size.
  CHECK_THROWS_WITH(apps::NASNetLarge({.include_top = false}),
                    Catch::Contains("[NASNetLarge]") && Catch::Contains("known input height and width") &&
                        Catch::Contains("{331, 331, 3}"));
  CHECK_THROWS_WITH(apps::NASNetMobile({.include_top = false, .input_shape = {None, None, 3}}),
                    Catch::Contains("[NASNetMobile]") && Catch::Contains("(None, None, 3)"));
#ifndef STRATA_SANITIZED
  // 356 MB of weights: built only outside the sanitizers.
  strata::clear_session();
  const strata::Model model = apps::NASNetLarge();
  CHECK(model.name() == "nasnet_large");
  CHECK(model.count_params() == 88'949'818);
  CHECK(non_trainable(model) == 196'668);
  CHECK(weight_tensors(model) == 1546);
  CHECK(model.layers().size() == 1041);
  CHECK(model.input().shape() == Shape({None, 331, 331, 3}));
  CHECK(model.get_layer("normal_concat_5").output().shape() == Shape({None, 42, 42, 1008}));
  // skip_reduction: the cell after a reduction adjusts the reduction's previous input (the output of the
  // normal cell before the last), not the reduction's own input.
  CHECK(model.get_layer("adjust_relu_1_7").input().layer().name() == "normal_concat_4");
  CHECK(model.get_layer("adjust_relu_1_13").input().layer().name() == "normal_concat_11");
  CHECK(model.get_layer("adjust_bn_7").output().shape() == Shape({None, 21, 21, 336}));
  CHECK(model.get_layer("normal_concat_18").output().shape() == Shape({None, 11, 11, 4032}));
  CHECK(has_layer(layer_names(model), "activation_259"));
  CHECK(!has_layer(layer_names(model), "activation_260"));
#endif
}

TEST_CASE("The NASNets refuse bad options and preprocess as Keras", "[applications][errors]") {
  check_application_option_errors("NASNetMobile", apps::NASNetMobile);
  check_common_option_errors("NASNetLarge", apps::NASNetLarge);
  const strata::Tensor images({1, 1, 2, 3}, {10.0f, 20.0f, 30.0f, 0.0f, 255.0f, 128.0f});
  CHECK(apps::nasnet::preprocess_input(images) == apps::resnet_v2::preprocess_input(images));
  CHECK_THROWS_WITH(apps::nasnet::preprocess_input(strata::Tensor::zeros({4, 3})),
                    Catch::Contains("nasnet::preprocess_input"));
}

TEST_CASE("NASNetMobile matches the reference at a reduced size", "[applications][numerics]") {
  strata::clear_session();
  const strata::Model model =
      apps::NASNetMobile({.input_shape = {64, 64, 3}, .classes = 10, .classifier_activation = ""});
  // Measured errors 1.6e-5 (fused) and 2.1e-5 (unfused) against 1.6e-3; a perturbed input moves the logits
  // by 0.54 of their scale.
  check_application_against_reference(model, {2, 64, 64, 3}, 1056, 150);
}
