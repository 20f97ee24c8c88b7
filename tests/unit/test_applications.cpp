// keras.applications ResNet50 and MobileNetV2: Keras's parameter counts, layer names and order, output
// shapes for each option, option errors, and the ImageNet helpers. No forward passes at full size here:
// the end-to-end numerical checks run at a reduced size elsewhere.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "application_util.hpp"
#include "test_util.hpp"

namespace apps = strata::applications;
using strata::None;
using strata::Shape;
using namespace strata_test;

namespace {

// Runs `f`, which must throw exactly `E` with a message containing every one of `parts`.
template <class E>
void require_throws(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const E& e) {
    for (const std::string& part : parts) CHECK_THAT(e.what(), Catch::Contains(part));
    return;
  }
  FAIL("no exception thrown");
}

}  // namespace

TEST_CASE("ResNet50 has Keras's parameter counts, layer count, names and order", "[applications][resnet50]") {
  strata::clear_session();
  const strata::Model model = apps::ResNet50();
  CHECK(model.name() == "resnet50");
  CHECK(model.count_params() == 25'636'712);
  CHECK(model.count_trainable_params() == 25'583'592);
  CHECK(non_trainable(model) == 53'120);

  const std::vector<std::string> names = layer_names(model);
  REQUIRE(names.size() == 177);
  const std::vector<std::string> first = {"input_layer", "conv1_pad", "conv1_conv", "conv1_bn",
                                          "conv1_relu",  "pool1_pad", "pool1_pool", "conv2_block1_1_conv"};
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 8) == first);
  const std::vector<std::string> last = {"conv5_block3_3_conv", "conv5_block3_3_bn", "conv5_block3_add",
                                         "conv5_block3_out", "avg_pool", "predictions"};
  CHECK(std::vector<std::string>(names.end() - 6, names.end()) == last);

  // Same depth for the projection and the third convolution; the walk back from the add meets the
  // projection first.
  const size_t relu2 = position_of(names, "conv2_block1_2_relu");
  CHECK(names[relu2 + 1] == "conv2_block1_0_conv");
  CHECK(names[relu2 + 2] == "conv2_block1_3_conv");
  CHECK(names[relu2 + 3] == "conv2_block1_0_bn");
  CHECK(names[relu2 + 4] == "conv2_block1_3_bn");
  CHECK(names[relu2 + 5] == "conv2_block1_add");
  for (const char* stage : {"conv3", "conv4", "conv5"}) {
    const size_t relu = position_of(names, std::string(stage) + "_block1_2_relu");
    CHECK(names[relu + 1] == std::string(stage) + "_block1_0_conv");
    CHECK(names[relu + 2] == std::string(stage) + "_block1_3_conv");
  }
  // Identity blocks have no projection.
  CHECK(std::count(names.begin(), names.end(), "conv4_block6_out") == 1);
  CHECK(std::find(names.begin(), names.end(), "conv4_block2_0_conv") == names.end());

  CHECK(model.inputs()[0].shape() == Shape{None, 224, 224, 3});
  CHECK(model.outputs()[0].shape() == Shape{None, 1000});
  CHECK(model.get_layer("conv1_pad").output().shape() == Shape{None, 230, 230, 3});
  CHECK(model.get_layer("conv1_conv").output().shape() == Shape{None, 112, 112, 64});
  CHECK(model.get_layer("pool1_pool").output().shape() == Shape{None, 56, 56, 64});
  CHECK(model.get_layer("conv2_block3_out").output().shape() == Shape{None, 56, 56, 256});
  // The stride sits on the first 1x1 of each later stage's first block.
  CHECK(model.get_layer("conv3_block1_1_conv").output().shape() == Shape{None, 28, 28, 128});
  CHECK(model.get_layer("conv3_block1_0_conv").output().shape() == Shape{None, 28, 28, 512});
  CHECK(model.get_layer("conv4_block6_out").output().shape() == Shape{None, 14, 14, 1024});
  CHECK(model.get_layer("conv5_block3_out").output().shape() == Shape{None, 7, 7, 2048});

  CHECK(model.get_layer("conv1_conv").class_name() == "Conv2D");
  CHECK(model.get_layer("conv1_conv").count_params() == 7 * 7 * 3 * 64 + 64);  // with a bias
  CHECK(model.get_layer("conv1_bn").class_name() == "BatchNormalization");
  CHECK(model.get_layer("conv1_bn").count_params() == 4 * 64);
  CHECK(model.get_layer("conv1_relu").class_name() == "Activation");
  CHECK(model.get_layer("conv2_block1_add").class_name() == "Add");
  CHECK(model.get_layer("avg_pool").class_name() == "GlobalAveragePooling2D");
  CHECK(model.get_layer("predictions").count_params() == 2048 * 1000 + 1000);

  const std::string summary = model.summary_string({.line_length = 108});
  CHECK_THAT(summary, Catch::Contains("Model: \"resnet50\""));
  CHECK_THAT(summary, Catch::Contains("Total params: 25,636,712 "));
  CHECK_THAT(summary, Catch::Contains("Trainable params: 25,583,592 "));
  CHECK_THAT(summary, Catch::Contains("Non-trainable params: 53,120 "));
  CHECK_THAT(summary, Catch::Contains("conv2_block1_0_conv (Conv2D)"));
}

TEST_CASE("ResNet50 options give Keras's output shapes", "[applications][resnet50]") {
  strata::clear_session();
  SECTION("no top: any image size, a 4D output") {
    const strata::Model model = apps::ResNet50({.include_top = false});
    CHECK(model.inputs()[0].shape() == Shape{None, None, None, 3});
    CHECK(model.outputs()[0].shape() == Shape{None, None, None, 2048});
    CHECK(model.count_params() == 23'587'712);
    CHECK(non_trainable(model) == 53'120);
    CHECK(model.layers().size() == 175);
    CHECK(model.layers().back().name() == "conv5_block3_out");
  }
  SECTION("no top, average pooling") {
    const strata::Model model = apps::ResNet50({.include_top = false, .input_shape = {96, 96, 3}, .pooling = "avg"});
    CHECK(model.get_layer("conv5_block3_out").output().shape() == Shape{None, 3, 3, 2048});
    CHECK(model.outputs()[0].shape() == Shape{None, 2048});
    CHECK(model.layers().back().name() == "avg_pool");
  }
  SECTION("no top, max pooling") {
    const strata::Model model = apps::ResNet50({.include_top = false, .input_shape = {32, 32, 3}, .pooling = "max"});
    CHECK(model.get_layer("conv5_block3_out").output().shape() == Shape{None, 1, 1, 2048});
    CHECK(model.outputs()[0].shape() == Shape{None, 2048});
    CHECK(model.layers().back().name() == "max_pool");
    CHECK(model.layers().back().class_name() == "GlobalMaxPooling2D");
  }
  SECTION("top with another input size, class count and activation") {
    const strata::Model model = apps::ResNet50(
        {.input_shape = {96, 128, 3}, .classes = 10, .classifier_activation = "linear", .name = "small"});
    CHECK(model.name() == "small");
    CHECK(model.inputs()[0].shape() == Shape{None, 96, 128, 3});
    CHECK(model.get_layer("conv5_block3_out").output().shape() == Shape{None, 3, 4, 2048});
    CHECK(model.outputs()[0].shape() == Shape{None, 10});
    CHECK(model.count_params() == 23'587'712 + 2048 * 10 + 10);
  }
  SECTION("pooling is ignored with the top, as in Keras") {
    const strata::Model model = apps::ResNet50({.pooling = "max"});
    CHECK(model.outputs()[0].shape() == Shape{None, 1000});
    CHECK(model.layers()[model.layers().size() - 2].name() == "avg_pool");
  }
}

TEST_CASE("ResNet50 refuses bad options", "[applications][resnet50][errors]") {
  require_throws<strata::ValueError>([] { apps::ResNet50({.input_shape = {31, 64, 3}}); },
                                     {"[ResNet50]", "at least 32x32", "(31, 64, 3)"});
  require_throws<strata::ValueError>([] { apps::ResNet50({.include_top = false, .input_shape = {64, 20, 3}}); },
                                     {"at least 32x32", "(64, 20, 3)"});
  require_throws<strata::ValueError>([] { apps::ResNet50({.input_shape = {64, 64, 1}}); },
                                     {"3 channels", "(64, 64, 1)"});
  require_throws<strata::ValueError>([] { apps::ResNet50({.include_top = false, .input_shape = {64, 64, None}}); },
                                     {"3 channels", "(64, 64, None)"});
  require_throws<strata::ValueError>([] { apps::ResNet50({.input_shape = {64, 64}}); }, {"three dims", "(64, 64)"});
  require_throws<strata::ValueError>([] { apps::ResNet50({.input_shape = {None, None, 3}}); },
                                     {"include_top", "static", "(None, None, 3)"});
  require_throws<strata::ValueError>([] { apps::ResNet50({.include_top = false, .pooling = "mean"}); },
                                     {"pooling", "\"avg\"", "\"max\"", "\"mean\""});
  require_throws<strata::ValueError>([] { apps::ResNet50({.classes = 0}); }, {"classes", "received 0"});
  require_throws<strata::ValueError>([] { apps::ResNet50({.classifier_activation = "softmaxx"}); }, {"softmaxx"});
}

TEST_CASE("MobileNetV2 has Keras's parameter counts, layer count, names and order", "[applications][mobilenet_v2]") {
  strata::clear_session();
  const strata::Model model = apps::MobileNetV2();
  CHECK(model.name() == "mobilenetv2_1.00_224");
  CHECK(model.count_params() == 3'538'984);
  CHECK(model.count_trainable_params() == 3'504'872);
  CHECK(non_trainable(model) == 34'112);

  const std::vector<std::string> names = layer_names(model);
  REQUIRE(names.size() == 156);
  const std::vector<std::string> first = {"input_layer",
                                          "Conv1",
                                          "bn_Conv1",
                                          "Conv1_relu",
                                          "expanded_conv_depthwise",
                                          "expanded_conv_depthwise_BN",
                                          "expanded_conv_depthwise_relu",
                                          "expanded_conv_project",
                                          "expanded_conv_project_BN",
                                          "block_1_expand",
                                          "block_1_expand_BN",
                                          "block_1_expand_relu",
                                          "block_1_pad",
                                          "block_1_depthwise"};
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 14) == first);
  const std::vector<std::string> last = {"block_16_project",  "block_16_project_BN", "Conv_1", "Conv_1_bn",
                                         "out_relu", "global_average_pooling2d", "predictions"};
  CHECK(std::vector<std::string>(names.end() - 7, names.end()) == last);
  // Residual adds where the width and size stay, and a pad before each stride-2 depthwise convolution.
  for (int block : {2, 4, 5, 7, 8, 9, 11, 12, 14, 15}) {
    CHECK(model.get_layer("block_" + std::to_string(block) + "_add").class_name() == "Add");
  }
  CHECK(std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.ends_with("_add"); }) == 10);
  for (int block : {1, 3, 6, 13}) {
    CHECK(model.get_layer("block_" + std::to_string(block) + "_pad").class_name() == "ZeroPadding2D");
  }
  CHECK(std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.ends_with("_pad"); }) == 4);

  CHECK(model.get_layer("Conv1").output().shape() == Shape{None, 112, 112, 32});
  CHECK(model.get_layer("Conv1").count_params() == 3 * 3 * 3 * 32);  // no bias
  CHECK(model.get_layer("Conv1_relu").class_name() == "ReLU");
  CHECK(model.get_layer("expanded_conv_depthwise").class_name() == "DepthwiseConv2D");
  CHECK(model.get_layer("expanded_conv_depthwise").count_params() == 3 * 3 * 32);
  // An even size pads only bottom and right: 112 -> 113 -> 56.
  CHECK(model.get_layer("block_1_pad").output().shape() == Shape{None, 113, 113, 96});
  CHECK(model.get_layer("block_1_depthwise").output().shape() == Shape{None, 56, 56, 96});
  CHECK(model.get_layer("block_16_project_BN").output().shape() == Shape{None, 7, 7, 320});
  CHECK(model.get_layer("out_relu").output().shape() == Shape{None, 7, 7, 1280});
  CHECK(model.outputs()[0].shape() == Shape{None, 1000});

  const std::string summary = model.summary_string({.line_length = 108});
  CHECK_THAT(summary, Catch::Contains("Model: \"mobilenetv2_1.00_224\""));
  CHECK_THAT(summary, Catch::Contains("Total params: 3,538,984 "));
  CHECK_THAT(summary, Catch::Contains("Trainable params: 3,504,872 "));
  CHECK_THAT(summary, Catch::Contains("Non-trainable params: 34,112 "));
}

TEST_CASE("MobileNetV2 options give Keras's shapes, widths and names", "[applications][mobilenet_v2]") {
  strata::clear_session();
  SECTION("no top: any image size, a 4D output, the size in the name reads None") {
    const strata::Model model = apps::MobileNetV2({.include_top = false});
    CHECK(model.name() == "mobilenetv2_1.00_None");
    CHECK(model.inputs()[0].shape() == Shape{None, None, None, 3});
    CHECK(model.outputs()[0].shape() == Shape{None, None, None, 1280});
    CHECK(model.count_params() == 2'257'984);
    CHECK(model.layers().size() == 154);
    // An unknown size is padded as an even one.
    CHECK(model.get_layer("block_1_pad").output().shape() == Shape{None, None, None, 96});
  }
  SECTION("an odd size pads on both sides") {
    const strata::Model model = apps::MobileNetV2({.input_shape = {97, 97, 3}, .include_top = false});
    CHECK(model.name() == "mobilenetv2_1.00_97");
    CHECK(model.get_layer("Conv1").output().shape() == Shape{None, 49, 49, 32});
    CHECK(model.get_layer("block_1_pad").output().shape() == Shape{None, 51, 51, 96});
    CHECK(model.get_layer("block_1_depthwise").output().shape() == Shape{None, 25, 25, 96});
  }
  SECTION("pooling") {
    const strata::Model avg = apps::MobileNetV2({.input_shape = {96, 96, 3}, .include_top = false, .pooling = "avg"});
    CHECK(avg.outputs()[0].shape() == Shape{None, 1280});
    CHECK(avg.layers().back().class_name() == "GlobalAveragePooling2D");
    const strata::Model max = apps::MobileNetV2({.input_shape = {96, 96, 3}, .include_top = false, .pooling = "max"});
    CHECK(max.outputs()[0].shape() == Shape{None, 1280});
    CHECK(max.layers().back().class_name() == "GlobalMaxPooling2D");
  }
  SECTION("top with another input size and class count") {
    const strata::Model model = apps::MobileNetV2({.input_shape = {96, 96, 3}, .classes = 10, .name = "tiny"});
    CHECK(model.name() == "tiny");
    CHECK(model.get_layer("out_relu").output().shape() == Shape{None, 3, 3, 1280});
    CHECK(model.outputs()[0].shape() == Shape{None, 10});
    CHECK(model.count_params() == 2'257'984 + 1280 * 10 + 10);
  }
  SECTION("alpha 0.35 narrows every width but the last convolution's") {
    const strata::Model model = apps::MobileNetV2({.alpha = 0.35f});
    CHECK(model.name() == "mobilenetv2_0.35_224");
    CHECK(model.get_layer("Conv1").output().shape()[-1] == 16);                // make_divisible(11.2) = 16
    CHECK(model.get_layer("expanded_conv_project").output().shape()[-1] == 8);  // int(5.6) -> 8
    CHECK(model.get_layer("block_1_expand").output().shape()[-1] == 48);        // 6 * 8
    CHECK(model.get_layer("block_16_project").output().shape()[-1] == 112);
    CHECK(model.get_layer("Conv_1").output().shape()[-1] == 1280);
  }
  SECTION("alpha 1.3 widens the last convolution; widths come from the decimal alpha") {
    const strata::Model model = apps::MobileNetV2({.alpha = 1.3f, .include_top = false});
    CHECK(model.name() == "mobilenetv2_1.30_None");
    CHECK(model.get_layer("Conv1").output().shape()[-1] == 40);             // make_divisible(41.6) = 40
    CHECK(model.get_layer("block_13_project").output().shape()[-1] == 208);  // int(160 * 1.3) = 208
    CHECK(model.get_layer("Conv_1").output().shape()[-1] == 1664);
  }
}

TEST_CASE("MobileNetV2 refuses bad options", "[applications][mobilenet_v2][errors]") {
  require_throws<strata::ValueError>([] { apps::MobileNetV2({.alpha = 0.0f}); }, {"[MobileNetV2]", "alpha", "0"});
  require_throws<strata::ValueError>([] { apps::MobileNetV2({.alpha = -1.0f}); }, {"alpha", "-1"});
  require_throws<strata::ValueError>([] { apps::MobileNetV2({.input_shape = {16, 16, 3}}); },
                                     {"at least 32x32", "(16, 16, 3)"});
  require_throws<strata::ValueError>([] { apps::MobileNetV2({.input_shape = {64, 64, 4}}); }, {"3 channels"});
  require_throws<strata::ValueError>([] { apps::MobileNetV2({.input_shape = {64, None, 3}}); }, {"static"});
  require_throws<strata::ValueError>([] { apps::MobileNetV2({.include_top = false, .pooling = "sum"}); },
                                     {"pooling", "\"sum\""});
  require_throws<strata::ValueError>([] { apps::MobileNetV2({.classes = -3}); }, {"classes", "-3"});
}

TEST_CASE("resnet50::preprocess_input is Keras's caffe mode", "[applications][imagenet]") {
  const strata::Tensor images({1, 1, 2, 3}, {10.0f, 20.0f, 30.0f, 0.0f, 255.0f, 128.0f});
  const strata::Tensor out = apps::resnet50::preprocess_input(images);
  REQUIRE(out.dims() == images.dims());
  // RGB -> BGR, then minus the BGR mean, in float32.
  const std::vector<float> expected = {30.0f - 103.939f, 20.0f - 116.779f, 10.0f - 123.68f,
                                       128.0f - 103.939f, 255.0f - 116.779f, 0.0f - 123.68f};
  CHECK(out.values() == expected);
  CHECK(out.values()[0] == Approx(-73.939));
  CHECK(out.values()[4] == Approx(138.221));
  CHECK(out.values()[5] == Approx(-123.68));
  CHECK(images.values()[0] == 10.0f);  // the input is left alone

  require_throws<strata::ShapeError>([] { apps::resnet50::preprocess_input(strata::Tensor::zeros({2, 2, 3})); },
                                     {"resnet50::preprocess_input", "(2, 2, 3)", "3)"});
  require_throws<strata::ShapeError>([] { apps::resnet50::preprocess_input(strata::Tensor::zeros({1, 2, 2, 4})); },
                                     {"(batch, height, width, 3)", "(1, 2, 2, 4)"});
}

TEST_CASE("mobilenet_v2::preprocess_input scales [0, 255] to [-1, 1]", "[applications][imagenet]") {
  const strata::Tensor images({1, 2, 1, 2}, {0.0f, 127.5f, 255.0f, 51.0f});
  const strata::Tensor out = apps::mobilenet_v2::preprocess_input(images);
  REQUIRE(out.dims() == images.dims());
  CHECK(out.values() == std::vector<float>{-1.0f, 0.0f, 1.0f, 51.0f / 127.5f - 1.0f});
  CHECK(out.values()[3] == Approx(-0.6));
  require_throws<strata::ShapeError>([] { apps::mobilenet_v2::preprocess_input(strata::Tensor::zeros({4, 3})); },
                                     {"mobilenet_v2::preprocess_input", "(4, 3)"});
}

TEST_CASE("decode_predictions gives the top classes, best first", "[applications][imagenet]") {
  std::vector<float> scores(2 * 1000, 0.0f);
  scores[3] = 0.9f;
  scores[7] = 0.5f;
  scores[999] = 0.5f;  // ties go to the lower index
  scores[1] = 0.2f;
  scores[1000 + 0] = std::numeric_limits<float>::quiet_NaN();  // NaN ranks last
  scores[1000 + 500] = -1.0f;
  scores[1000 + 42] = 3.0f;
  const strata::Tensor predictions({2, 1000}, scores);

  const auto top4 = apps::decode_predictions(predictions, 4);
  REQUIRE(top4.size() == 2);
  REQUIRE(top4[0].size() == 4);
  CHECK(top4[0][0].index == 3);
  CHECK(top4[0][0].name == "tiger shark");
  CHECK(top4[0][0].score == 0.9f);
  CHECK(top4[0][1].index == 7);
  CHECK(top4[0][1].name == "cock");
  CHECK(top4[0][2].index == 999);
  CHECK(top4[0][2].name == "toilet tissue");
  CHECK(top4[0][3].index == 1);
  CHECK(top4[0][3].name == "goldfish");
  CHECK(top4[1][0].index == 42);
  CHECK(top4[1][1].index == 1);  // the first of the zeros

  const auto all = apps::decode_predictions(predictions, 1000);
  CHECK(all[1].size() == 1000);
  CHECK(all[1][998].index == 500);
  CHECK(all[1][999].index == 0);
  CHECK(std::isnan(all[1][999].score));

  CHECK(apps::decode_predictions(predictions)[0].size() == 5);
  CHECK(apps::decode_predictions(strata::Tensor::zeros({0, 1000})).empty());

  require_throws<strata::ShapeError>([] { apps::decode_predictions(strata::Tensor::zeros({1, 999})); },
                                     {"decode_predictions", "(samples, 1000)", "(1, 999)"});
  require_throws<strata::ShapeError>([] { apps::decode_predictions(strata::Tensor::zeros({1000})); }, {"(1000,)"});
  require_throws<strata::ValueError>([&] { apps::decode_predictions(predictions, 0); }, {"top", "received 0"});
  require_throws<strata::ValueError>([&] { apps::decode_predictions(predictions, 1001); }, {"1001"});
}

TEST_CASE("imagenet_class_name covers the 1000 ImageNet classes", "[applications][imagenet]") {
  CHECK(apps::imagenet_class_name(0) == "tench");
  CHECK(apps::imagenet_class_name(1) == "goldfish");
  CHECK(apps::imagenet_class_name(999) == "toilet tissue");
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(apps::imagenet_class_name(i).empty());
  require_throws<strata::ValueError>([] { apps::imagenet_class_name(-1); }, {"0..999", "-1"});
  require_throws<strata::ValueError>([] { apps::imagenet_class_name(1000); }, {"1000"});
}

TEST_CASE("The applications' weights option loads a file written by save_weights", "[applications][weights]") {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("strata_test_applications_" + std::to_string(::getpid()) + ".weights.h5");
  strata::clear_session();
  const apps::MobileNetV2Options options{.input_shape = {32, 32, 3}, .alpha = 0.35f, .classes = 10};
  const strata::Model saved = apps::MobileNetV2(options);
  // Weights of their own in the first convolution and the classifier, so a load is visible.
  uint64_t seed = 21;
  for (const char* name : {"Conv1", "predictions"}) {
    strata::Layer layer = saved.get_layer(name);
    std::vector<strata::Tensor> weights = layer.get_weights();
    for (strata::Tensor& w : weights) w = strata::Tensor::random_uniform(w.dims(), seed++, -0.2f, 0.2f);
    layer.set_weights(weights);
  }
  saved.save_weights(path.string());

  apps::MobileNetV2Options with_file = options;
  with_file.weights = path.string();
  const strata::Model loaded = apps::MobileNetV2(with_file);
  const strata::Model initial = apps::MobileNetV2(options);
  std::filesystem::remove(path);

  const std::vector<strata::Layer> saved_layers = saved.layers(), loaded_layers = loaded.layers();
  REQUIRE(saved_layers.size() == loaded_layers.size());
  for (size_t i = 0; i < saved_layers.size(); ++i) {
    INFO(saved_layers[i].name());
    CHECK(loaded_layers[i].get_weights() == saved_layers[i].get_weights());
  }
  CHECK_FALSE(initial.get_layer("predictions").get_weights() == saved.get_layer("predictions").get_weights());
  const strata::Tensor x = strata::Tensor::random_uniform({2, 32, 32, 3}, 5, -1.0f, 1.0f);
  CHECK(loaded.predict(x) == saved.predict(x));
}

TEST_CASE("The applications' weights option refuses \"imagenet\" and missing files", "[applications][weights][errors]") {
  require_throws<strata::ValueError>([] { apps::ResNet50({.weights = "imagenet"}); },
                                     {"[ResNet50]", "\"imagenet\"", "strata downloads nothing",
                                      "keras.applications.ResNet50(weights=\"imagenet\").save_weights"});
  require_throws<strata::ValueError>([] { apps::MobileNetV2({.weights = "imagenet"}); },
                                     {"[MobileNetV2]", "strata downloads nothing", "path"});
  const std::string missing = (std::filesystem::temp_directory_path() / "strata_no_such.weights.h5").string();
  require_throws<strata::FileError>(
      [&] { apps::MobileNetV2({.input_shape = {32, 32, 3}, .alpha = 0.35f, .weights = missing}); }, {missing});
}
