// Every layer and option of docs/layers.md against the independent oracle, TensorFlow.js's Layers API
// (tfjs_oracle.hpp), all cases in one tfjs process. Where tfjs computes something differently from Keras 3
// (tests/tfjs/run_tfjs.js lists each difference), the test asserts that the harness refuses the case, and a
// second source checks strata: values worked out by hand from Keras 3's definitions, below.
#include <cmath>
#include <functional>

#include "numerics_util.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
using strata::SymbolicTensor;

namespace {

struct Case {
  std::string what;
  std::function<strata::Model()> build;
  std::vector<std::vector<int64_t>> inputs;  // batch included
  int64_t terms = 1;                         // the longest dot product or sum an output element needs
  std::string refused = "";                  // when tfjs differs from Keras 3: the harness's reason
};

// Kernels and biases uniform in [-1, 1); batch-norm variances in [0.5, 1.5] (a variance must be positive).
void randomize(const strata::Model& model, uint64_t seed) {
  randomize_weights(model, seed);
  for (strata::Layer layer : model.layers()) {
    if (layer.class_name() == "Normalization" && layer.count_params() > 0) {
      std::vector<strata::Tensor> w = layer.get_weights();
      w[1] = strata::Tensor::random_uniform(w[1].dims(), seed + 1000, 0.5f, 1.5f);
      layer.set_weights(w);
    }
    if (layer.class_name() != "BatchNormalization") continue;
    std::vector<strata::Tensor> w = layer.get_weights();
    w.back() = strata::Tensor::random_uniform(w.back().dims(), seed + 1000, 0.5f, 1.5f);
    layer.set_weights(w);
  }
}

std::vector<Case> cases() {
  std::vector<Case> c;
  // Convolutions: "same" with an odd total padding (TensorFlow puts the extra pixel bottom/right), strides,
  // dilation, asymmetric kernels, no bias, and every activation tfjs computes as Keras 3 does.
  for (const char* padding : {"valid", "same"}) {
    for (int stride : {1, 2}) {
      for (int size : {8, 9}) {
        c.push_back({fmt::format("Conv2D 3x3 {} stride {} on {}x{}", padding, stride, size, size),
                     [=] {
                       return single({size, size, 4}, [&](auto x) {
                         return L::Conv2D(5, 3, {.strides = stride, .padding = padding})(x);
                       });
                     },
                     {{2, size, size, 4}},
                     36});
      }
    }
  }
  c.push_back({"Conv2D 4x4 same stride 3 (padding 3: 1 top, 2 bottom)",
               [] {
                 return single({10, 10, 3},
                               [](auto x) { return L::Conv2D(4, 4, {.strides = 3, .padding = "same"})(x); });
               },
               {{2, 10, 10, 3}},
               48});
  c.push_back({"Conv2D dilation 2 same, no bias",
               [] {
                 return single({9, 9, 3}, [](auto x) {
                   return L::Conv2D(4, 3, {.padding = "same", .dilation_rate = 2, .use_bias = false})(x);
                 });
               },
               {{2, 9, 9, 3}},
               27});
  c.push_back(
      {"Conv2D 1x5 kernel, strides (2, 1)",
       [] {
         return single({8, 9, 3}, [](auto x) { return L::Conv2D(4, {1, 5}, {.strides = {2, 1}})(x); });
       },
       {{2, 8, 9, 3}},
       15});
  for (const char* activation : {"relu", "relu6", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu",
                                 "swish", "softplus", "linear"}) {
    c.push_back(
        {fmt::format("Conv2D with activation {}", activation),
         [=] {
           return single({6, 6, 3}, [&](auto x) { return L::Conv2D(5, 3, {.activation = activation})(x); });
         },
         {{2, 6, 6, 3}},
         27});
  }
  for (int dm : {1, 2}) {
    c.push_back({fmt::format("DepthwiseConv2D same stride 2, depth_multiplier {}", dm),
                 [=] {
                   return single({8, 8, 4}, [&](auto x) {
                     return L::DepthwiseConv2D(
                         3,
                         {.strides = 2, .padding = "same", .depth_multiplier = dm, .activation = "relu6"})(x);
                   });
                 },
                 {{2, 8, 8, 4}},
                 9});
    c.push_back({fmt::format("SeparableConv2D 3x5 same, depth_multiplier {}", dm),
                 [=] {
                   return single({9, 9, 4}, [&](auto x) {
                     return L::SeparableConv2D(5, {3, 5}, {.padding = "same", .depth_multiplier = dm})(x);
                   });
                 },
                 {{2, 9, 9, 4}},
                 15 * 8});
  }
  c.push_back({"Dense on rank 2, Dense on rank 4",
               [] {
                 return single({5, 4, 6}, [](auto x) {
                   return L::Dense(3, {.activation = "tanh"})(L::Flatten()(L::Dense(7)(x)));
                 });
               },
               {{2, 5, 4, 6}},
               5 * 4 * 7});
  c.push_back({"BatchNormalization, then one without center and scale",
               [] {
                 return single({5, 5, 3}, [](auto x) {
                   return L::BatchNormalization({.center = false, .scale = false})(
                       L::BatchNormalization()(x));
                 });
               },
               {{2, 5, 5, 3}},
               4});
  // Pooling: "same" windows that overhang (Keras averages over the pixels inside only).
  for (const char* padding : {"valid", "same"}) {
    c.push_back({fmt::format("MaxPooling2D 3 stride 2 {}", padding),
                 [=] {
                   return single({8, 9, 3}, [&](auto x) {
                     return L::MaxPooling2D(3, {.strides = 2, .padding = padding})(x);
                   });
                 },
                 {{2, 8, 9, 3}},
                 1});
    c.push_back({fmt::format("AveragePooling2D 3 stride 2 {}", padding),
                 [=] {
                   return single({8, 9, 3}, [&](auto x) {
                     return L::AveragePooling2D(3, {.strides = 2, .padding = padding})(x);
                   });
                 },
                 {{2, 8, 9, 3}},
                 9});
  }
  // 1D pooling over the steps, with "same" windows that overhang as above (8 steps: an odd total padding,
  // the extra step after).
  for (const char* padding : {"valid", "same"}) {
    c.push_back({fmt::format("MaxPooling1D 3 stride 2 {}", padding),
                 [=] {
                   return single({8, 3}, [&](auto x) {
                     return L::MaxPooling1D(3, {.strides = 2, .padding = padding})(x);
                   });
                 },
                 {{2, 8, 3}},
                 1});
    c.push_back({fmt::format("AveragePooling1D 3 stride 2 {}", padding),
                 [=] {
                   return single({8, 3}, [&](auto x) {
                     return L::AveragePooling1D(3, {.strides = 2, .padding = padding})(x);
                   });
                 },
                 {{2, 8, 3}},
                 3});
  }
  c.push_back({"AveragePooling1D default pool 2, strides the pool size",
               [] {
                 return single({7, 4}, [](auto x) { return L::AveragePooling1D()(x); });
               },
               {{2, 7, 4}},
               2});
  c.push_back({"GlobalAveragePooling1D, GlobalMaxPooling1D",
               [] {
                 return pair({7, 3}, {4, 3}, [](auto x, auto y) {
                   return L::add({L::GlobalAveragePooling1D()(x), L::GlobalMaxPooling1D()(y)});
                 });
               },
               {{2, 7, 3}, {2, 4, 3}},
               7});
  c.push_back({"GlobalAveragePooling2D, GlobalMaxPooling2D",
               [] {
                 return pair({7, 9, 3}, {4, 5, 3}, [](auto x, auto y) {
                   return L::add({L::GlobalAveragePooling2D()(x), L::GlobalMaxPooling2D()(y)});
                 });
               },
               {{2, 7, 9, 3}, {2, 4, 5, 3}},
               63});
  // keepdims: tfjs ignores it, so the harness runs these as its Mean and Max ops (run_tfjs.js).
  c.push_back({"GlobalAveragePooling2D, GlobalMaxPooling2D keepdims",
               [] {
                 return single({7, 9, 3}, [](auto x) {
                   return L::add({L::GlobalAveragePooling2D({.keepdims = true})(x),
                                  L::GlobalMaxPooling2D({.keepdims = true})(x)});
                 });
               },
               {{2, 7, 9, 3}},
               63});
  c.push_back({"GlobalAveragePooling1D, GlobalMaxPooling1D keepdims",
               [] {
                 return single({5, 3}, [](auto x) {
                   return L::multiply({L::GlobalAveragePooling1D({.keepdims = true})(x),
                                       L::GlobalMaxPooling1D({.keepdims = true})(x)});
                 });
               },
               {{2, 5, 3}},
               5});
  // hard_swish (Keras 3's hard_silu): no tfjs activation; the harness runs the Activation layer as its op.
  c.push_back({"Activation hard_swish",
               [] {
                 return single({6, 4}, [](auto x) { return L::Activation("hard_swish")(x * 4.0); });
               },
               {{2, 6, 4}},
               1});
  c.push_back(
      {"Conv2D activation hard_swish",
       [] {
         return single({4, 4, 2}, [](auto x) { return L::Conv2D(2, 1, {.activation = "hard_swish"})(x); });
       },
       {{1, 4, 4, 2}},
       2,
       "hard_silu"});
  // Merges, with three inputs and with broadcasting.
  for (const char* merge : {"Add", "Multiply", "Average", "Maximum", "Minimum"}) {
    c.push_back(
        {fmt::format("{} of three inputs", merge),
         [=] {
           auto a = strata::Input({4, 4, 3}), b = strata::Input({4, 4, 3}), d = strata::Input({4, 4, 3});
           const std::vector<SymbolicTensor> in = {a, b, d};
           const std::string m = merge;
           SymbolicTensor out = m == "Add"        ? L::add(in)
                                : m == "Multiply" ? L::multiply(in)
                                : m == "Average"  ? L::average(in)
                                : m == "Maximum"  ? L::maximum(in)
                                                  : L::minimum(in);
           return strata::Model({a, b, d}, out);
         },
         {{2, 4, 4, 3}, {2, 4, 4, 3}, {2, 4, 4, 3}},
         3});
  }
  c.push_back({"Add broadcasting (4, 4, 3) with (1, 1, 3)",
               [] {
                 return pair({4, 4, 3}, {1, 1, 3}, [](auto x, auto y) { return L::add({x, y}); });
               },
               {{2, 4, 4, 3}, {2, 1, 1, 3}},
               2});
  c.push_back({"Add of ranks 4 and 2: Keras expands the lower rank at axis 1",
               [] {
                 return pair({4, 4, 3}, {3}, [](auto x, auto y) { return L::add({x, y}); });
               },
               {{3, 4, 4, 3}, {3, 3}},
               2});
  for (int axis : {-1, 1, 2, 3}) {
    c.push_back({fmt::format("Concatenate axis {}", axis),
                 [=] {
                   return pair({4, 4, 3}, {4, 4, 3}, [&](auto x, auto y) {
                     return L::concatenate({x, y}, {.axis = axis});
                   });
                 },
                 {{2, 4, 4, 3}, {2, 4, 4, 3}},
                 1});
  }
  c.push_back({"ZeroPadding2D ((1, 2), (3, 0)), Cropping2D ((1, 0), (2, 1)), UpSampling2D (2, 3)",
               [] {
                 return single({5, 6, 2}, [](auto x) {
                   return L::UpSampling2D({2, 3})(
                       L::Cropping2D({{1, 0}, {2, 1}})(L::ZeroPadding2D({{1, 2}, {3, 0}})(x)));
                 });
               },
               {{2, 5, 6, 2}},
               1});
  c.push_back({"Reshape, Dropout, Flatten, Dense",
               [] {
                 return single({4, 6, 2}, [](auto x) {
                   return L::Dense(5)(L::Flatten()(L::Dropout(0.5f)(L::Reshape({6, 4, 2})(x))));
                 });
               },
               {{2, 4, 6, 2}},
               48});
  c.push_back(
      {"values of rank 5 and 6: Dense, Multiply, Add, Concatenate, Softmax (tfjs has no batch norm there)",
       [] {
         return single({4, 6, 3}, [](auto x) {
           auto a = L::Reshape({2, 2, 6, 3})(x);
           auto d = L::Dense(4, {.activation = "relu"})(a);
           auto m = L::multiply({L::Activation("sigmoid")(d), L::Dense(4)(a)});
           auto r6 = L::Reshape({2, 2, 3, 2, 4})(L::add({m, d}));
           return L::Softmax()(L::concatenate({r6, L::Activation("tanh")(r6)}, {.axis = 3}));
         });
       },
       {{2, 4, 6, 3}},
       3});
  c.push_back({"ReLU max_value 6, LeakyReLU 0.1, Softmax, Activation elu",
               [] {
                 return single({4, 4, 3}, [](auto x) {
                   x = L::ReLU({.max_value = 6.0f})(L::Conv2D(3, 1)(x));
                   x = L::LeakyReLU({.negative_slope = 0.1f})(L::Conv2D(3, 1)(x));
                   return L::Softmax()(L::Activation("elu")(x));
                 });
               },
               {{2, 4, 4, 3}},
               9});
  c.push_back({"a nested model, and a layer shared by two calls",
               [] {
                 auto in = strata::Input({6, 6, 3});
                 strata::Model inner(in, L::Conv2D(3, 3, {.padding = "same", .activation = "relu"})(in),
                                     "inner");
                 auto a = strata::Input({6, 6, 3}), b = strata::Input({6, 6, 3});
                 L::Conv2D shared(4, 1, {.name = "shared"});
                 return strata::Model({a, b}, L::add({shared(inner({a})), shared(b)}));
               },
               {{2, 6, 6, 3}, {2, 6, 6, 3}},
               27 * 4});
  // 1D convolutions: valid and same, strides, dilation, an even kernel with same's odd padding.
  for (const char* padding : {"valid", "same"}) {
    for (int stride : {1, 2}) {
      c.push_back({fmt::format("Conv1D 4 {} stride {}", padding, stride),
                   [=] {
                     return single({11, 3}, [&](auto x) {
                       return L::Conv1D(5, 4,
                                        {.strides = stride, .padding = padding, .activation = "relu"})(x);
                     });
                   },
                   {{2, 11, 3}},
                   12});
    }
  }
  c.push_back({"Conv1D 3 same dilation 2, no bias",
               [] {
                 return single({9, 4}, [](auto x) {
                   return L::Conv1D(3, 3, {.padding = "same", .dilation_rate = 2, .use_bias = false})(x);
                 });
               },
               {{2, 9, 4}},
               12});
  // Transposed convolutions (tfjs-core's kernel with Keras 3's padding: run_tfjs.js's KerasConvTranspose):
  // the DCGAN's 4x4 same stride 2, valid, output_padding on both paddings, dilation, a kernel shorter than
  // the stride (output cells no input reaches), and the 1D class.
  struct Transposed {
    int kernel, stride, dilation;
    const char* padding;
    std::optional<int> output_padding;
    const char* activation;
  };
  for (const Transposed& t :
       {Transposed{4, 2, 1, "same", std::nullopt, "relu"},
        Transposed{3, 2, 1, "valid", std::nullopt, "linear"}, Transposed{3, 2, 1, "same", 1, "sigmoid"},
        Transposed{3, 2, 1, "valid", 1, "linear"}, Transposed{5, 3, 1, "same", 2, "tanh"},
        Transposed{4, 2, 1, "same", 0, "linear"}, Transposed{3, 1, 2, "same", std::nullopt, "linear"},
        Transposed{3, 1, 2, "valid", std::nullopt, "relu"},
        Transposed{2, 3, 1, "valid", std::nullopt, "linear"}}) {
    const std::string extra = t.output_padding ? std::to_string(*t.output_padding) : "None";
    std::optional<strata::Size2> op2;
    if (t.output_padding) op2 = strata::Size2(*t.output_padding, *t.output_padding);
    c.push_back({fmt::format("Conv2DTranspose {} {} stride {} dilation {} output_padding {} {}", t.kernel,
                             t.padding, t.stride, t.dilation, extra, t.activation),
                 [=] {
                   return single({5, 4, 6}, [&](auto x) {
                     return L::Conv2DTranspose(7, {t.kernel, t.kernel == 1 ? 1 : t.kernel - 1},
                                               {.strides = t.stride,
                                                .padding = t.padding,
                                                .output_padding = op2,
                                                .dilation_rate = t.dilation,
                                                .activation = t.activation})(x);
                   });
                 },
                 {{2, 5, 4, 6}},
                 6 * t.kernel * t.kernel});
    c.push_back({fmt::format("Conv1DTranspose {} {} stride {} dilation {} output_padding {} {}", t.kernel,
                             t.padding, t.stride, t.dilation, extra, t.activation),
                 [=] {
                   return single({6, 5}, [&](auto x) {
                     return L::Conv1DTranspose(4, t.kernel,
                                               {.strides = t.stride,
                                                .padding = t.padding,
                                                .output_padding = t.output_padding,
                                                .dilation_rate = t.dilation,
                                                .activation = t.activation})(x);
                   });
                 },
                 {{2, 6, 5}},
                 5 * t.kernel});
  }
  // Grouped convolutions: tfjs-layers ignores groups, so the harness runs one tfjs-core convolution per group
  // (KerasGroupedConv2D). Two groups of 3x3, strided, with relu; and ConvNeXt's group per channel, 7x7.
  c.push_back({"Conv2D groups 2",
               [] {
                 return single({6, 6, 4}, [](auto x) {
                   return L::Conv2D(6, 3,
                                    {.strides = 2, .padding = "same", .groups = 2, .activation = "relu"})(x);
                 });
               },
               {{2, 6, 6, 4}},
               3 * 3 * 2});
  c.push_back({"Conv2D a group per channel",
               [] {
                 return single({9, 9, 8},
                               [](auto x) { return L::Conv2D(8, 7, {.padding = "same", .groups = 8})(x); });
               },
               {{1, 9, 9, 8}},
               7 * 7});
  // tfjs computes these differently from Keras 3, or lacks them: refused, and checked by hand below.
  c.push_back({"Activation hard_sigmoid",
               [] { return single({3}, [](auto x) { return L::Activation("hard_sigmoid")(x); }); },
               {{1, 3}},
               1,
               "hard_sigmoid"});
  c.push_back({"Activation leaky_relu",
               [] { return single({3}, [](auto x) { return L::Activation("leaky_relu")(x); }); },
               {{1, 3}},
               1,
               "leaky_relu"});
  c.push_back({"ReLU threshold",
               [] { return single({3}, [](auto x) { return L::ReLU({.threshold = 0.5f})(x); }); },
               {{1, 3}},
               1,
               "threshold"});
  c.push_back({"Conv1D causal",
               [] {
                 return single({8, 3}, [](auto x) { return L::Conv1D(2, 3, {.padding = "causal"})(x); });
               },
               {{1, 8, 3}},
               9,
               "causal"});
  c.push_back({"Conv1D groups 3",
               [] {
                 return single({8, 3}, [](auto x) { return L::Conv1D(3, 2, {.groups = 3})(x); });
               },
               {{1, 8, 3}},
               2,
               "groups"});
  c.push_back({"Subtract",
               [] { return pair({3}, {3}, [](auto x, auto y) {
                      return L::subtract({x, y});
                    }); },
               {{1, 3}, {1, 3}},
               1,
               "Subtract"});
  c.push_back({"DepthwiseConv2D dilation 2",
               [] {
                 return single({9, 9, 3}, [](auto x) {
                   return L::DepthwiseConv2D({3, 2}, {.padding = "same", .dilation_rate = 2})(x);
                 });
               },
               {{1, 9, 9, 3}},
               6,
               "dilation_rate"});
  c.push_back({"SpatialDropout2D",
               [] {
                 return single({4, 4, 3}, [](auto x) { return L::SpatialDropout2D(0.5f)(x); });
               },
               {{1, 4, 4, 3}},
               1,
               "SpatialDropout2D"});
  c.push_back({"Softmax over axis 1 and -2, Activation log_softmax, Dense with log_softmax",
               [] {
                 return single({4, 5}, [](auto x) {
                   auto a = L::Softmax({.axis = 1})(x);
                   auto b = L::Softmax({.axis = -2})(L::Activation("log_softmax")(x));
                   return L::Add()({a, b, L::Dense(5, {.activation = "log_softmax"})(x)});
                 });
               },
               {{2, 4, 5}},
               5});
  c.push_back({"ELU, ThresholdedReLU theta 0.3 (tfjs's ELU takes alpha 1 only; 0.5 is checked by hand)",
               [] {
                 return single({6}, [](auto x) {
                   return L::ThresholdedReLU({.theta = 0.3f})(L::ELU()(L::Dense(6)(x)));
                 });
               },
               {{2, 6}},
               6});
  c.push_back({"Permute (2, 1) and (3, 1, 2), RepeatVector 3",
               [] {
                 return single({4, 5}, [](auto x) {
                   auto p = L::Permute({2, 1})(x);                            // (None, 5, 4)
                   auto q = L::Permute({3, 1, 2})(L::Reshape({5, 2, 2})(p));  // (None, 2, 5, 2)
                   auto r = L::RepeatVector(3)(L::Flatten()(q));              // (None, 3, 20)
                   return L::Flatten()(r);
                 });
               },
               {{2, 4, 5}}});
  c.push_back({"Rescaling 1/127.5 - 1 after an input, and per channel after a convolution",
               [] {
                 return single({5, 5, 3}, [](auto x) {
                   auto y = L::Conv2D(3, 3)(L::Rescaling(1.0 / 127.5, {.offset = {-1.0f}})(x));
                   return L::Rescaling({0.5f, -2.0f, 3.0f}, {.offset = {0.1f, 0.2f, -0.3f}})(y);
                 });
               },
               {{2, 5, 5, 3}},
               27});
  c.push_back(
      {"Normalization per channel after a convolution, inverted, and with statistics as weights",
       [] {
         return single({5, 5, 3}, [](auto x) {
           auto y = L::Conv2D(3, 3)(L::Normalization({.mean = std::vector<float>{0.5f, -0.25f, 1.0f},
                                                      .variance = std::vector<float>{4.0f, 0.5f, 0.0f}})(x));
           y = L::Normalization(
               {.mean = std::vector<float>{2.0f}, .variance = std::vector<float>{9.0f}, .invert = true})(y);
           return L::Normalization({.axis = {2, 3}})(y);
         });
       },
       {{2, 5, 5, 3}},
       27});
  // PReLU: one alpha per element (Keras's default), per channel, per pixel, and per (row, channel) pair,
  // whose alternating shared and unshared axes take oneDNN's general kernel; and after a dense layer.
  for (const std::vector<int>& shared : std::vector<std::vector<int>>{{}, {1, 2}, {3}, {2}}) {
    c.push_back({fmt::format("PReLU shared_axes [{}]", fmt::join(shared, ", ")),
                 [=] {
                   return single({5, 6, 3}, [&](auto x) {
                     return L::PReLU({.shared_axes = shared})(L::Conv2D(4, 3, {.padding = "same"})(x));
                   });
                 },
                 {{2, 5, 6, 3}},
                 27});
  }
  c.push_back({"PReLU after Dense",
               [] { return single({6}, [](auto x) { return L::PReLU()(L::Dense(5)(x)); }); },
               {{3, 6}},
               6});
  // Resizing layers: Keras 3's half-pixel rule growing and shrinking by whole and fractional factors, crops
  // to the target's aspect ratio, and CenterCrop's odd margins and its resize for images smaller than the
  // target.
  c.push_back({"UpSampling2D (2, 3) bilinear",
               [] {
                 return single({5, 4, 3}, [](auto x) {
                   return L::UpSampling2D({2, 3}, {.interpolation = "bilinear"})(L::Conv2D(3, 1)(x));
                 });
               },
               {{2, 5, 4, 3}},
               3});
  for (const char* interpolation : {"bilinear", "nearest"}) {
    for (const auto& [h, w] : std::vector<std::pair<int, int>>{{9, 12}, {4, 5}, {7, 3}, {13, 13}}) {
      // Plain, cropped to the target's aspect ratio, or padded to it with a fill value of -0.5.
      for (int aspect : {0, 1, 2}) {
        c.push_back({fmt::format("Resizing 6x9 to {}x{} {}{}", h, w, interpolation,
                                 aspect == 1   ? " cropped to aspect"
                                 : aspect == 2 ? " padded to aspect"
                                               : ""),
                     [=] {
                       return single({6, 9, 2}, [&](auto x) {
                         return L::Resizing(h, w,
                                            {.interpolation = interpolation,
                                             .crop_to_aspect_ratio = aspect == 1,
                                             .pad_to_aspect_ratio = aspect == 2,
                                             .fill_value = -0.5f})(x);
                       });
                     },
                     {{2, 6, 9, 2}}});
      }
    }
  }
  for (const auto& [h, w] : std::vector<std::pair<int, int>>{{4, 5}, {3, 8}, {6, 9}, {8, 4}, {10, 12}}) {
    c.push_back({fmt::format("CenterCrop 6x9 to {}x{}", h, w),
                 [=] {
                   return single({6, 9, 2}, [&](auto x) { return L::CenterCrop(h, w)(x); });
                 },
                 {{2, 6, 9, 2}}});
  }
  // GroupNormalization: groups of several channels, one group (layer normalization over all), one channel per
  // group (instance normalization), on images, sequences and vectors, with and without gamma and beta.
  for (const auto& [groups, center, scale] : std::vector<std::tuple<int, bool, bool>>{
           {2, true, true}, {1, true, false}, {-1, false, true}, {3, false, false}}) {
    c.push_back({fmt::format("GroupNormalization groups {} center {} scale {}", groups, center, scale),
                 [=] {
                   return single({5, 4, 6}, [&](auto x) {
                     auto image = L::GroupNormalization({.groups = groups, .center = center, .scale = scale})(
                         L::Conv2D(6, 3, {.padding = "same"})(x));
                     auto seq = L::GroupNormalization({.groups = groups, .epsilon = 0.1f})(
                         L::Reshape({20, 6})(image));
                     auto vec = L::GroupNormalization({.groups = groups})(L::Dense(6)(L::Flatten()(seq)));
                     return L::Concatenate()({L::Flatten()(image), vec});
                   });
                 },
                 {{2, 5, 4, 6}},
                 54});
  }
  // (tfjs's class named Identity is an initializer: the Identity layer is checked by hand below.)
  c.push_back({"GaussianNoise, GaussianDropout, AlphaDropout, Dropout with noise_shape",
               [] {
                 return single({4, 3}, [](auto x) {
                   auto y = L::GaussianDropout(0.3f)(L::GaussianNoise(0.1f)(x));
                   y = L::AlphaDropout(0.2f)(L::Dropout(0.5f, {.noise_shape = {strata::None, 1, 3}})(y));
                   return L::Dense(2)(y);
                 });
               },
               {{2, 4, 3}},
               3});
  c.push_back({"SpatialDropout1D",
               [] {
                 return single({4, 3}, [](auto x) { return L::SpatialDropout1D(0.5f)(x); });
               },
               {{1, 4, 3}}});
  c.push_back({"ActivityRegularization",
               [] { return single({3}, [](auto x) { return L::ActivityRegularization({.l1 = 0.01f})(x); }); },
               {{1, 3}},
               1,
               "ActivityRegularization"});
  return c;
}

}  // namespace

TEST_CASE("Every layer and option equals tfjs, or is refused where tfjs differs from Keras 3",
          "[tfjs][numerics]") {
  const std::vector<Case> all = cases();
  const std::vector<TfjsCase> runs = tfjs_runs(all, 1, randomize);
  const std::vector<TfjsResult> results = tfjs_predict_all(runs);
  for (size_t i = 0; i < all.size(); ++i) {
    INFO(all[i].what);
    if (!all[i].refused.empty()) {
      INFO(results[i].refused);
      CHECK(results[i].refused.find(all[i].refused) != std::string::npos);
      continue;
    }
    REQUIRE(results[i].refused.empty());
    const std::vector<strata::Tensor> ours = runs[i].model.predict(runs[i].inputs);
    REQUIRE(ours.size() == results[i].outputs.size());
    for (size_t k = 0; k < ours.size(); ++k) {
      const double error = scaled_error(ours[k], results[i].outputs[k]);
      INFO("error against tfjs " << error);
      CHECK(error <= 2 * float32_tolerance(all[i].terms));
    }
  }
}

// The second source for what the harness refuses: values worked out by hand from Keras 3's definitions.
TEST_CASE("What tfjs computes differently, checked by hand", "[tfjs][numerics]") {
  auto run = [](const strata::Model& m, std::vector<strata::Tensor> in) {
    return m.predict(in).at(0).values();
  };
  auto close = [](const std::vector<float>& got, const std::vector<float>& want) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-6));
  };
  const strata::Tensor x({1, 5}, {-4.0f, -1.5f, 0.0f, 1.5f, 3.5f});
  // Keras 3: hard_sigmoid(x) = relu6(x + 3) / 6 (Keras 2 and tfjs: clip(0.2 x + 0.5, 0, 1)).
  close(run(single({5}, [](auto t) { return L::Activation("hard_sigmoid")(t); }), {x}),
        {0.0f, 0.25f, 0.5f, 0.75f, 1.0f});
  // leaky_relu's default negative slope is 0.2 as an activation (0.3 as the LeakyReLU layer).
  close(run(single({5}, [](auto t) { return L::Activation("leaky_relu")(t); }), {x}),
        {-0.8f, -0.3f, 0.0f, 1.5f, 3.5f});
  // ReLU with threshold 0.5 and negative slope 0.1: x >= threshold ? x : 0.1 * (x - threshold).
  close(run(single({5}, [](auto t) { return L::ReLU({.negative_slope = 0.1f, .threshold = 0.5f})(t); }), {x}),
        {-0.45f, -0.2f, -0.05f, 1.5f, 3.5f});
  // Subtract: the first input minus the second.
  const strata::Tensor y({1, 5}, {1.0f, 1.0f, 1.0f, 1.0f, 1.0f});
  close(run(pair({5}, {5},
                 [](auto a, auto b) {
                   return L::subtract({a, b});
                 }),
            {x, y}),
        {-5.0f, -2.5f, -1.0f, 0.5f, 2.5f});
  // Conv2D groups 2, 1x1 kernel: output channel g sees only input channels 2g and 2g+1.
  strata::Model grouped =
      single({1, 1, 4}, [](auto t) { return L::Conv2D(2, 1, {.groups = 2, .use_bias = false})(t); });
  grouped.layers().back().set_weights({strata::Tensor({1, 1, 2, 2}, {1.0f, 10.0f, 2.0f, 20.0f})});  // HWIO
  // out0 = 1 * in0 + 2 * in1; out1 = 10 * in2 + 20 * in3.
  close(run(grouped, {strata::Tensor({1, 1, 1, 4}, {1.0f, 2.0f, 3.0f, 4.0f})}), {5.0f, 110.0f});
  // GlobalMaxPooling2D keepdims: shape (1, 1, 1, C), the per-channel maximum.
  const strata::Model pooled =
      single({2, 2, 2}, [](auto t) { return L::GlobalMaxPooling2D({.keepdims = true})(t); });
  const strata::Tensor out = pooled.predict(strata::Tensor({1, 2, 2, 2}, {1, -1, 4, 0, -2, 7, 3, 2}));
  CHECK(out.dims() == std::vector<int64_t>{1, 1, 1, 2});
  close(out.values(), {4.0f, 7.0f});
  // GlobalAveragePooling1D keepdims: shape (1, 1, C), the per-feature mean over the steps.
  const strata::Model steps_mean =
      single({3, 2}, [](auto t) { return L::GlobalAveragePooling1D({.keepdims = true})(t); });
  const strata::Tensor mean = steps_mean.predict(strata::Tensor({1, 3, 2}, {1, -1, 4, 0, -2, 7}));
  CHECK(mean.dims() == std::vector<int64_t>{1, 1, 2});
  close(mean.values(), {1.0f, 2.0f});
  // SpatialDropout2D: the identity at inference.
  const strata::Tensor image = random_input({1, 2, 2, 3}, 9);
  close(run(single({2, 2, 3}, [](auto t) { return L::SpatialDropout2D(0.5f)(t); }), {image}), image.values());
  // ELU alpha 0.5: 0.5 * (exp(x) - 1) below 0.
  close(run(single({5}, [](auto t) { return L::ELU({.alpha = 0.5f})(t); }), {x}),
        {0.5f * std::expm1(-4.0f), 0.5f * std::expm1(-1.5f), 0.0f, 1.5f, 3.5f});
  // SpatialDropout1D, ActivityRegularization and Identity: the identity at inference too.
  const strata::Tensor steps = random_input({1, 4, 3}, 10);
  close(run(single({4, 3}, [](auto t) { return L::Identity()(t); }), {steps}), steps.values());
  close(run(single({4, 3}, [](auto t) { return L::SpatialDropout1D(0.5f)(t); }), {steps}), steps.values());
  close(run(single({4, 3}, [](auto t) { return L::ActivityRegularization({.l2 = 0.1f})(t); }), {steps}),
        steps.values());
}

// tfjs ignores DepthwiseConv2D's dilation, so the second source is an identity: a kernel dilated by d equals
// the undilated kernel with d - 1 zeros between its taps. strata's dilated layer against tfjs running the
// expanded kernel without dilation.
TEST_CASE("a dilated depthwise convolution equals tfjs on its zero-expanded kernel", "[tfjs][numerics]") {
  for (const char* padding : {"valid", "same"}) {
    INFO(padding);
    auto x = strata::Input({11, 10, 3});
    L::DepthwiseConv2D dilated({3, 2}, {.padding = padding, .depth_multiplier = 2, .dilation_rate = 2});
    const strata::Model ours(x, dilated(x));
    randomize(ours, 5);
    // (3, 2) taps dilated by 2 span (5, 3): the expanded kernel holds the taps at even offsets.
    auto y = strata::Input({11, 10, 3});
    L::DepthwiseConv2D expanded({5, 3}, {.padding = padding, .depth_multiplier = 2});
    const strata::Model theirs(y, expanded(y));
    const std::vector<strata::Tensor> w = dilated.get_weights();  // (3, 2, 3, 2) kernel, (6) bias
    std::vector<float> k(5 * 3 * 3 * 2, 0.0f);
    for (int h = 0; h < 3; ++h)
      for (int v = 0; v < 2; ++v)
        for (int c = 0; c < 6; ++c) k[((2 * h) * 3 + 2 * v) * 6 + c] = w[0].data()[(h * 2 + v) * 6 + c];
    expanded.set_weights({strata::Tensor({5, 3, 3, 2}, k), w[1]});
    const strata::Tensor input = random_input({2, 11, 10, 3}, 3);
    const std::vector<strata::Tensor> oracle = tfjs_predict(theirs, {input});
    CHECK(scaled_error(ours.predict(input), oracle.at(0)) <= 2 * float32_tolerance(6));
  }
}
