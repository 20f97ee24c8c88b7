// Whole networks against the independent oracle, TensorFlow.js's Layers API (tfjs_oracle.hpp): the seed
// notebook's residual blocks, ResNet50, ResNet50V2, VGG16, MobileNetV2, DenseNet121, InceptionV3, MobileNet,
// InceptionResNetV2, Xception, EfficientNetB0, EfficientNetV2B0 and S, ConvNeXtTiny, NASNetMobile and
// MobileNetV3 as Keras defines them, each run by tfjs from its Keras config and weights. Weights have
// realistic statistics (kernels at Keras's scale; batch-norm moments calibrated on sample inputs, as a
// trained network has), and every test shows it can fail: a perturbed input moves the output by at least 100
// times the tolerance. Under the sanitizers the applications only run, fused and unfused
// (sanitized_smoke_run).
#include <cmath>

#include "dcgan_models.hpp"
#include "mbconv_model.hpp"
#include "numerics_util.hpp"
#include "text_cnn_model.hpp"
#include "tfjs_oracle.hpp"
#include "unet_model.hpp"

using namespace strata_test;
namespace L = strata::layers;

namespace {

// strata (default compile: the fused oneDNN plan) against tfjs, and the test's own sensitivity.
void check_against_tfjs(const strata::Model& model, const strata::Tensor& input, double tolerance) {
  const strata::Tensor ours = model.predict(input);
  const strata::Tensor theirs = tfjs_predict(model, {input}).at(0);
  const double error = scaled_error(ours, theirs);
  const double moved = sensitivity(model, input);
  INFO("error against tfjs " << error << ", tolerance " << tolerance
                             << ", perturbed input moves the output by " << moved);
  CHECK(error <= tolerance);
  CHECK(moved >= 100 * tolerance);
}

strata::Model seed_block(int which) {
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  if (which == 1) {
    residual = L::Conv2D(64, 1)(residual);
  } else {
    x = L::MaxPooling2D(2, {.padding = "same"})(x);
    residual = L::Conv2D(64, 1, {.strides = 2})(residual);
  }
  return strata::Model(inputs, L::add({x, residual}), which == 1 ? "residual_block" : "residual_block_2");
}

}  // namespace

// Tolerances: float32 accumulation over the longest dot product (float32_tolerance: 8 ulps * sqrt(terms)),
// times the depth for whole networks, whose layers carry earlier errors forward with gains near 1.

TEST_CASE("The seed notebook's residual blocks equal tfjs", "[tfjs][numerics]") {
  for (int which : {1, 2}) {
    strata::Model block = seed_block(which);
    randomize_like_trained(block, 100 + which, random_input({4, 32, 32, 3}, 8));
    // Sensitivity measured: 0.3-0.5 of the output scale; tolerance 3 * float32_tolerance(288) = 4.9e-5.
    check_against_tfjs(block, random_input({2, 32, 32, 3}, 7), 3 * float32_tolerance(3 * 3 * 32));
  }
}

TEST_CASE("ResNet50 equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  // 64x64 keeps tfjs's pure JavaScript kernels to a few seconds; every stage still has 2x2 or more pixels.
  strata::Model model =
      strata::applications::ResNet50({.include_top = false, .input_shape = {64, 64, 3}, .pooling = "avg"});
  if (sanitized_smoke_run(model, {2, 64, 64, 3})) return;
  randomize_like_trained(model, 11, random_input({4, 64, 64, 3}, 3));
  check_against_tfjs(model, random_input({2, 64, 64, 3}, 5), 50 * float32_tolerance(4608));
}

TEST_CASE("ResNet50V2 equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  // The pre-activation blocks, the unnamed 1x1 strided max poolings of the shortcuts, post_bn.
  strata::Model model =
      strata::applications::ResNet50V2({.include_top = false, .input_shape = {64, 64, 3}, .pooling = "avg"});
  if (sanitized_smoke_run(model, {2, 64, 64, 3})) return;
  randomize_like_trained(model, 12, random_input({4, 64, 64, 3}, 13));
  check_against_tfjs(model, random_input({2, 64, 64, 3}, 14), 50 * float32_tolerance(4608));
}

TEST_CASE("VGG16 equals tfjs", "[tfjs][numerics][applications]") {
  // With its top at 32x32: flatten (512 values), fc1, fc2 (4096 each), 10 classes' logits.
  strata::Model model = strata::applications::VGG16(
      {.input_shape = {32, 32, 3}, .classes = 10, .classifier_activation = "linear"});
  if (sanitized_smoke_run(model, {2, 32, 32, 3})) return;
  randomize_like_trained(model, 15, random_input({4, 32, 32, 3}, 16));
  // Measured 2.6e-6; a perturbed input moves the logits by 0.036 of their scale.
  check_against_tfjs(model, random_input({2, 32, 32, 3}, 17), 2 * float32_tolerance(4608));
}

TEST_CASE("MobileNetV2 equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  strata::Model model = strata::applications::MobileNetV2(
      {.input_shape = {96, 96, 3}, .classes = 10, .classifier_activation = "linear"});
  if (sanitized_smoke_run(model, {2, 96, 96, 3})) return;
  randomize_like_trained(model, 21, random_input({4, 96, 96, 3}, 4));
  check_against_tfjs(model, random_input({2, 96, 96, 3}, 6), 50 * float32_tolerance(1280));
}

TEST_CASE("DenseNet121 equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  // 64x64: the dense blocks' concatenations, batch norms on them, average-pooled transitions; conv5 at 2x2.
  strata::Model model =
      strata::applications::DenseNet121({.include_top = false, .input_shape = {64, 64, 3}, .pooling = "avg"});
  if (sanitized_smoke_run(model, {2, 64, 64, 3})) return;
  randomize_like_trained(model, 22, random_input({4, 64, 64, 3}, 23));
  // Measured 9.4e-6; a perturbed input moves the output by 0.88 of its scale.
  check_against_tfjs(model, random_input({2, 64, 64, 3}, 24), 50 * float32_tolerance(1152));
}

TEST_CASE("InceptionV3 equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  // The smallest input Keras allows: unnamed layers, batch norms without gamma, 1x7/7x1 and 1x3/3x1
  // convolutions, "same" average poolings (padding not counted), every mixed block.
  strata::Model model = strata::applications::InceptionV3(
      {.input_shape = {75, 75, 3}, .classes = 10, .classifier_activation = "linear"});
  if (sanitized_smoke_run(model, {2, 75, 75, 3})) return;
  randomize_like_trained(model, 25, random_input({4, 75, 75, 3}, 26));
  // Measured 9.5e-6; a perturbed input moves the logits by 0.40 of their scale.
  check_against_tfjs(model, random_input({2, 75, 75, 3}, 27), 50 * float32_tolerance(9 * 448));
}

TEST_CASE("MobileNet equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  // Without its top (tfjs's GlobalAveragePooling2D has no keepdims; the top runs against the reference in
  // test_applications_densenet_inception_mobilenet); alpha 0.75 and a depth multiplier of 2 widen the
  // depthwise layers.
  strata::Model model = strata::applications::MobileNet({.input_shape = {64, 64, 3},
                                                         .alpha = 0.75f,
                                                         .depth_multiplier = 2,
                                                         .include_top = false,
                                                         .pooling = "avg"});
  if (sanitized_smoke_run(model, {2, 64, 64, 3})) return;
  randomize_like_trained(model, 28, random_input({4, 64, 64, 3}, 29));
  // Measured 1.4e-5; a perturbed input moves the output by 0.76 of its scale.
  check_against_tfjs(model, random_input({2, 64, 64, 3}, 30), 50 * float32_tolerance(1536));
}

TEST_CASE("Xception equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  // The smallest input Keras allows, with the top: separable convolutions without biases, the strided 1x1
  // shortcuts and "same" max poolings of the entry and exit blocks, the eight identity middle blocks.
  strata::Model model = strata::applications::Xception(
      {.input_shape = {71, 71, 3}, .classes = 10, .classifier_activation = "linear"});
  if (sanitized_smoke_run(model, {2, 71, 71, 3})) return;
  randomize_like_trained(model, 31, random_input({4, 71, 71, 3}, 32));
  // Measured 2.7e-6; a perturbed input moves the logits by 0.18 of their scale, so the budget is 20 depths.
  check_against_tfjs(model, random_input({2, 71, 71, 3}, 33), 20 * float32_tolerance(1536));
}

TEST_CASE("InceptionResNetV2 equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  // The smallest input Keras allows, with the top: the 40 residual blocks, each adding its biased 1x1
  // projection scaled by 0.17, 0.1, 0.2 or 1.0 to its input (tfjs runs Keras's CustomScaleLayer as
  // run_tfjs.js's KerasCustomScaleLayer), the reductions' valid strided convolutions and max poolings.
  strata::Model model = strata::applications::InceptionResNetV2(
      {.input_shape = {75, 75, 3}, .classes = 10, .classifier_activation = "linear"});
  if (sanitized_smoke_run(model, {2, 75, 75, 3})) return;
  randomize_like_trained(model, 37, random_input({4, 75, 75, 3}, 38));
  // Measured 1.2e-5; a perturbed input moves the logits by 0.39 of their scale.
  check_against_tfjs(model, random_input({2, 75, 75, 3}, 39), 50 * float32_tolerance(2080));
}

TEST_CASE("EfficientNetB0 equals tfjs, normalization and batch norms calibrated",
          "[tfjs][numerics][applications]") {
  // The model's own rescaling and normalization (its mean and variance calibrated as Keras's adapt would),
  // swish, squeeze-and-excitation (pooling, reshape, two 1x1 convolutions, multiply), the strided blocks'
  // asymmetric paddings, the shortcuts' per-sample dropouts, the top's dropout.
  strata::Model model = strata::applications::EfficientNetB0(
      {.input_shape = {64, 64, 3}, .classes = 10, .classifier_activation = "linear"});
  if (sanitized_smoke_run(model, {2, 64, 64, 3})) return;
  randomize_like_trained(model, 34, random_input({4, 64, 64, 3}, 35));
  // Measured 4.4e-6; a perturbed input moves the logits by 1.06 of their scale.
  check_against_tfjs(model, random_input({2, 64, 64, 3}, 36), 50 * float32_tolerance(1152));
}

TEST_CASE("EfficientNetV2B0 and EfficientNetV2S equal tfjs, batch norms calibrated",
          "[tfjs][numerics][applications]") {
  // B0: the fixed normalization, fused blocks with and without expansion, the bottlenecks'
  // squeeze-and-excitation; S: the rescaling to [-1, 1], the first stage's shortcuts. Both with their tops;
  // S at 96x96, as in test_applications_efficientnet_v2 (at 64x64 it is chaotic). Their preprocessing makes
  // the test's inputs nearly constant images, so the errors are larger than EfficientNetB0's, whose
  // normalization is calibrated on them.
  strata::Model b0 = strata::applications::EfficientNetV2B0(
      {.input_shape = {64, 64, 3}, .classes = 10, .classifier_activation = ""});
  strata::Model s = strata::applications::EfficientNetV2S(
      {.input_shape = {96, 96, 3}, .classes = 10, .classifier_activation = ""});
  if (sanitized_smoke_run(b0, {2, 64, 64, 3}) && sanitized_smoke_run(s, {2, 96, 96, 3})) return;
  randomize_like_trained(b0, 50, random_input({4, 64, 64, 3}, 51));
  // Measured 1.2e-4; a perturbed input moves the logits by 0.42 of their scale.
  check_against_tfjs(b0, random_input({2, 64, 64, 3}, 52), 50 * float32_tolerance(1152));
  randomize_like_trained(s, 53, random_input({4, 96, 96, 3}, 54));
  // Measured 1.9e-4; a perturbed input moves the logits by 0.33 of their scale.
  check_against_tfjs(s, random_input({2, 96, 96, 3}, 55), 50 * float32_tolerance(1536));
}

TEST_CASE("ConvNeXtTiny equals tfjs", "[tfjs][numerics][applications]") {
  // The nested stem and downsampling Sequentials, the 7x7 convolutions with a group per channel
  // (run_tfjs.js's KerasGroupedConv2D), layer normalizations, Dense on 4D maps, exact gelu, LayerScale
  // (KerasLayerScale) and the residual sums as Keras's add ops; the head. 64x64: the last stage sees 2x2
  // pixels. Without its normalization, whose ImageNet statistics would turn the test's inputs in [-1, 1) into
  // a nearly constant image (a perturbed input then moved the logits by 3e-4 of their scale); the
  // Normalization layer runs against tfjs in EfficientNetB0's and EfficientNetV2B0's tests. Its logits follow
  // the input about linearly, so the budget is 5 depths, as in test_applications_convnext. Measured 1.7e-6; a
  // perturbed input moves the logits by 0.16 of their scale.
  strata::Model model = strata::applications::ConvNeXtTiny({.include_preprocessing = false,
                                                            .input_shape = {64, 64, 3},
                                                            .classes = 10,
                                                            .classifier_activation = ""});
  if (sanitized_smoke_run(model, {2, 64, 64, 3})) return;
  randomize_convnext_like_trained(model, 56, random_input({4, 64, 64, 3}, 57));
  check_against_tfjs(model, random_input({2, 64, 64, 3}, 58), 5 * float32_tolerance(4 * 768));
}

TEST_CASE("NASNetMobile equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  // With its top, 64x64: the cells' separable convolution blocks (strided ones after Keras's correct_pad
  // padding), 3x3 average and max poolings, the previous cell's adjustment by two strided 1x1 paths, the
  // second shifted a pixel by zero padding and cropping, the projections, and the concatenations.
  strata::Model model = strata::applications::NASNetMobile(
      {.input_shape = {64, 64, 3}, .classes = 10, .classifier_activation = ""});
  if (sanitized_smoke_run(model, {2, 64, 64, 3})) return;
  randomize_like_trained(model, 59, random_input({4, 64, 64, 3}, 60));
  // Measured 6.9e-6; a perturbed input moves the logits by 0.66 of their scale.
  check_against_tfjs(model, random_input({2, 64, 64, 3}, 61), 50 * float32_tolerance(1056));
}

TEST_CASE("MobileNetV3Small and MobileNetV3Large equal tfjs, batch norms calibrated",
          "[tfjs][numerics][applications]") {
  // Their own rescaling, hard swish (tfjs runs it as keras_ops.js's HardSilu), squeeze-and-excitation gated
  // by Keras's operations relu6(x + 3) * (1 / 6), the 5x5 depthwise blocks, the kept-dims pooled top with
  // conv_2, logits and a flatten; the large one at alpha 0.75, the small one minimalistic too.
  struct Case {
    const char* what;
    strata::Model (*build)();
  };
  const Case cases[] = {
      {"MobileNetV3Small",
       [] {
         return strata::applications::MobileNetV3Small({.input_shape = {64, 64, 3}, .classes = 10});
       }},
      {"MobileNetV3Large alpha 0.75",
       [] {
         return strata::applications::MobileNetV3Large(
             {.input_shape = {64, 64, 3}, .alpha = 0.75f, .classes = 10, .classifier_activation = ""});
       }},
      {"MobileNetV3Small minimalistic",
       [] {
         return strata::applications::MobileNetV3Small(
             {.input_shape = {64, 64, 3}, .minimalistic = true, .classes = 10, .classifier_activation = ""});
       }},
  };
  uint64_t seed = 40;
  for (const Case& c : cases) {
    INFO(c.what);
    strata::Model model = c.build();
    if (sanitized_smoke_run(model, {2, 64, 64, 3})) continue;
    randomize_like_trained(model, seed, random_input({4, 64, 64, 3}, seed + 1));
    check_against_tfjs(model, random_input({2, 64, 64, 3}, seed + 2), 50 * float32_tolerance(1280));
    seed += 10;
  }
}

TEST_CASE("keras-io's MNIST GAN generator and discriminator equal tfjs", "[tfjs][numerics][gan]") {
  // samples/dcgan_models.hpp: Dense, LeakyReLU, Reshape, two 4x4 stride-2 same transposed convolutions, a
  // 7x7 convolution with sigmoid; and the strided discriminator.
  strata::Sequential generator = make_generator();
  randomize_like_trained(generator, 21, random_input({4, kLatent}, 22));
  check_against_tfjs(generator, random_input({2, kLatent}, 23), 4 * float32_tolerance(7 * 7 * 128));
  strata::Sequential discriminator = make_discriminator();
  randomize_like_trained(discriminator, 24, random_input({4, 28, 28, 1}, 25));
  check_against_tfjs(discriminator, random_input({2, 28, 28, 1}, 26), 3 * float32_tolerance(3 * 3 * 64));
}

TEST_CASE("keras-io's U-Net equals tfjs, batch norms calibrated", "[tfjs][numerics][unet]") {
  // samples/unet_model.hpp at 32x32 (tfjs's JavaScript kernels stay fast; every block keeps 2x2 or more):
  // separable convolutions, stride-1 transposed convolutions (run as convolutions with the batch norm
  // folded in), upsampling and projected residuals; the per-pixel logits (the softmax of random weights is
  // nearly flat: a perturbed input moved it by only 0.0014).
  strata::Model unet = make_unet(32, 3, "linear");
  randomize_like_trained(unet, 31, random_input({4, 32, 32, 3}, 32));
  check_against_tfjs(unet, random_input({2, 32, 32, 3}, 33), 5 * float32_tolerance(3 * 3 * 256));
}

TEST_CASE("EfficientNet blocks with squeeze-excitation written as ops equal tfjs", "[tfjs][numerics][ops]") {
  // samples/mbconv_model.hpp: expansion, depthwise convolutions (one strided after a ZeroPadding2D), the
  // squeeze as ops::mean, the excitation as x * se, the residual as x + inputs; the ops run in tfjs as
  // Keras's op classes on tfjs-core's kernels.
  strata::Model model = make_efficientnet_blocks(32);
  CHECK(model.count_params() == 20306);
  randomize_like_trained(model, 41, random_input({4, 32, 32, 3}, 42));
  check_against_tfjs(model, random_input({2, 32, 32, 3}, 43), 5 * float32_tolerance(3 * 3 * 144));
}

TEST_CASE("keras-io's text classifier (Embedding, Conv1D) equals tfjs", "[tfjs][numerics][embedding]") {
  // samples/text_cnn_model.hpp with a 300-token vocabulary of 16 dimensions, ids held as floats (both
  // Keras's and tfjs's Embedding cast them to int32), the logit compared.
  strata::Model model = make_text_cnn(300, 16, "float32", "linear");
  randomize_weights_keeping_scale(model, 41);
  strata::Tensor ids = strata::Tensor::random_uniform({2, 64}, 42, 0.0f, 300.0f);
  for (int64_t i = 0; i < ids.size(); ++i) ids.data()[i] = std::floor(ids.data()[i]);
  const strata::Tensor ours = model.predict(ids);
  const strata::Tensor theirs = tfjs_predict(model, {ids}).at(0);
  const double tolerance = 4 * float32_tolerance(7 * 128);
  const double error = scaled_error(ours, theirs);
  // Every 3rd id replaced by its neighbour: other rows of the table, which any correct network sees.
  strata::Tensor moved_ids = ids;
  for (int64_t i = 0; i < ids.size(); i += 3) moved_ids.data()[i] = std::fmod(ids.data()[i] + 1.0f, 300.0f);
  const double moved = scaled_error(model.predict(moved_ids), ours);
  INFO("error against tfjs " << error << ", tolerance " << tolerance << ", other ids move the output by "
                             << moved);
  CHECK(error <= tolerance);
  CHECK(moved >= 100 * tolerance);
}
