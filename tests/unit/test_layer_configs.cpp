// Layer configs: get_config equal to Keras's key for key, from_config giving the same layer, the configs
// Keras 2 wrote (tests/data/keras2_layer_configs.json, copied from Keras-written model files) read and
// written back, and the errors for configs strata cannot honour. The expected Keras 3 configs below were read
// off each class's get_config in Keras 3.16's source (keras/src/layers/...), one per class.

#include <catch2/catch.hpp>

#include <clocale>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <strata/strata.hpp>

#include "layers/config_codecs.hpp"
#include "layers/layer_impl.hpp"
#include "message_matcher.hpp"

namespace L = strata::layers;
using nlohmann::json;
using strata::None;

namespace {

// Whole-message match where '*' stands for any text.
bool glob_match(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

class Glob : public Catch::MatcherBase<std::string> {
 public:
  explicit Glob(std::string pattern) : pattern_(std::move(pattern)) {}
  bool match(const std::string& text) const override { return glob_match(pattern_, text); }
  std::string describe() const override { return "matches \"" + pattern_ + "\""; }

 private:
  std::string pattern_;
};

auto MessageMatches(std::string pattern) {
  return strata_test::MessageThat(Glob(std::move(pattern)));
}

// The pieces Keras 3 writes the same way for many layers.
std::string expand(std::string text) {
  const std::map<std::string, std::string> pieces = {
      {"$base", R"("trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                   "config": {"name": "float32"}, "registered_name": null})"},
      {"$glorot", R"({"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null},
                      "registered_name": null})"},
      {"$he_normal", R"({"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": null},
                         "registered_name": null})"},
      {"$zeros", R"({"module": "keras.initializers", "class_name": "Zeros", "config": {},
                     "registered_name": null})"},
      {"$ones",
       R"({"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null})"},
  };
  for (const auto& [key, value] : pieces) {
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
      text.replace(at, key.size(), value);
    }
  }
  return text;
}

struct Example {
  strata::Layer layer;
  std::vector<strata::Dim> input;  // a shape to call it on (batch excluded); empty: an InputLayer
  int inputs = 1;                  // how many such inputs (merge layers: 2)
  std::string keras;               // the config Keras 3.16 writes for the same layer
};

// One layer of every built-in class, with arguments off their defaults where the class has any.
std::vector<Example> examples() {
  return {
      {L::Conv2D(8, {3, 5},
                 {.strides = 2,
                  .padding = "same",
                  .activation = "relu",
                  .use_bias = false,
                  .kernel_initializer = "he_normal",
                  .name = "c"}),
       {9, 9, 4},
       1,
       R"({"name": "c", $base, "filters": 8, "kernel_size": [3, 5], "strides": [2, 2], "padding": "same",
           "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
           "use_bias": false, "kernel_initializer": $he_normal, "bias_initializer": $zeros,
           "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
           "kernel_constraint": null, "bias_constraint": null})"},
      {L::Conv1D(6, 3,
                 {.padding = "causal", .dilation_rate = 2, .groups = 2, .activation = "tanh", .name = "c1"}),
       {12, 4},
       1,
       R"({"name": "c1", $base, "filters": 6, "kernel_size": [3], "strides": [1], "padding": "causal",
           "data_format": "channels_last", "dilation_rate": [2], "groups": 2, "activation": "tanh",
           "use_bias": true, "kernel_initializer": $glorot, "bias_initializer": $zeros,
           "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
           "kernel_constraint": null, "bias_constraint": null})"},
      {L::Conv2DTranspose(8, 4,
                          {.strides = 2,
                           .padding = "same",
                           .output_padding = strata::Size2(1, 0),
                           .activation = "relu",
                           .name = "up"}),
       {5, 5, 3},
       1,
       R"({"name": "up", $base, "filters": 8, "kernel_size": [4, 4], "strides": [2, 2], "padding": "same",
           "output_padding": [1, 0], "data_format": "channels_last", "dilation_rate": [1, 1],
           "activation": "relu", "use_bias": true, "kernel_initializer": $glorot, "bias_initializer": $zeros,
           "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
           "kernel_constraint": null, "bias_constraint": null})"},
      {L::Conv1DTranspose(3, 5, {.dilation_rate = 2, .use_bias = false, .name = "up1"}),
       {7, 2},
       1,
       R"({"name": "up1", $base, "filters": 3, "kernel_size": [5], "strides": [1], "padding": "valid",
           "output_padding": null, "data_format": "channels_last", "dilation_rate": [2], "activation": "linear",
           "use_bias": false, "kernel_initializer": $glorot, "bias_initializer": $zeros,
           "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
           "kernel_constraint": null, "bias_constraint": null})"},
      {L::ZeroPadding1D({1, 2}, {.name = "zp1"}),
       {6, 3},
       1,
       R"({"name": "zp1", $base, "padding": [1, 2], "data_format": "channels_last"})"},
      {L::Cropping1D(2, {.name = "cr1"}), {6, 3}, 1, R"({"name": "cr1", $base, "cropping": [2, 2]})"},
      {L::UpSampling1D(3, {.name = "up1d"}), {6, 3}, 1, R"({"name": "up1d", $base, "size": 3})"},
      {L::DepthwiseConv1D(3, {.strides = 2, .padding = "same", .depth_multiplier = 2, .name = "dw1"}),
       {9, 4},
       1,
       R"({"name": "dw1", $base, "depth_multiplier": 2, "kernel_size": [3], "strides": [2],
           "padding": "same", "data_format": "channels_last", "dilation_rate": [1], "activation": "linear",
           "use_bias": true, "depthwise_initializer": $glorot, "bias_initializer": $zeros,
           "depthwise_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
           "depthwise_constraint": null, "bias_constraint": null})"},
      {L::SeparableConv1D(6, 5, {.dilation_rate = 2, .activation = "relu", .name = "sep1"}),
       {12, 4},
       1,
       R"({"name": "sep1", $base, "depth_multiplier": 1, "filters": 6, "kernel_size": [5], "strides": [1],
           "padding": "valid", "data_format": "channels_last", "dilation_rate": [2], "activation": "relu",
           "use_bias": true, "depthwise_initializer": $glorot, "pointwise_initializer": $glorot,
           "bias_initializer": $zeros, "depthwise_regularizer": null, "pointwise_regularizer": null,
           "bias_regularizer": null, "activity_regularizer": null, "depthwise_constraint": null,
           "pointwise_constraint": null, "bias_constraint": null})"},
      {L::DepthwiseConv2D(3, {.depth_multiplier = 2, .dilation_rate = 2, .name = "dw"}),
       {9, 9, 4},
       1,
       R"({"name": "dw", $base, "depth_multiplier": 2, "kernel_size": [3, 3], "strides": [1, 1],
           "padding": "valid", "data_format": "channels_last", "dilation_rate": [2, 2], "activation": "linear",
           "use_bias": true, "depthwise_initializer": $glorot, "bias_initializer": $zeros,
           "depthwise_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
           "depthwise_constraint": null, "bias_constraint": null})"},
      {L::SeparableConv2D(16, 3, {.padding = "same", .activation = "swish", .name = "sep"}),
       {9, 9, 4},
       1,
       R"({"name": "sep", $base, "depth_multiplier": 1, "filters": 16, "kernel_size": [3, 3], "strides": [1, 1],
           "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "silu",
           "use_bias": true, "depthwise_initializer": $glorot, "pointwise_initializer": $glorot,
           "bias_initializer": $zeros, "depthwise_regularizer": null, "pointwise_regularizer": null,
           "bias_regularizer": null, "activity_regularizer": null, "depthwise_constraint": null,
           "pointwise_constraint": null, "bias_constraint": null})"},
      {L::Dense(10, {.activation = "softmax", .name = "d"}),
       {6},
       1,
       R"({"name": "d", $base, "units": 10, "activation": "softmax", "use_bias": true,
           "kernel_initializer": $glorot, "bias_initializer": $zeros, "kernel_regularizer": null,
           "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null,
           "quantization_config": null})"},
      {L::BatchNormalization({.momentum = 0.9f, .epsilon = 1.001e-5f, .center = false, .name = "bn"}),
       {5, 5, 4},
       1,
       R"({"name": "bn", $base, "axis": -1, "momentum": 0.9, "epsilon": 1.001e-05, "center": false, "scale": true,
           "beta_initializer": $zeros, "gamma_initializer": $ones, "moving_mean_initializer": $zeros,
           "moving_variance_initializer": $ones, "beta_regularizer": null, "gamma_regularizer": null,
           "beta_constraint": null, "gamma_constraint": null, "synchronized": false, "renorm": false,
           "renorm_clipping": null, "renorm_momentum": 0.99})"},
      {L::LayerNormalization({.epsilon = 1e-6f, .name = "ln"}),
       {4, 3},
       1,
       R"({"name": "ln", $base, "axis": -1, "epsilon": 1e-06, "center": true, "scale": true, "rms_scaling": false,
           "beta_initializer": $zeros, "gamma_initializer": $ones, "beta_regularizer": null,
           "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null})"},
      {L::LayerNormalization({.axis = {2, 3}, .center = false, .name = "ln2"}),
       {4, 3, 2},
       1,
       R"({"name": "ln2", $base, "axis": [2, 3], "epsilon": 0.001, "center": false, "scale": true,
           "rms_scaling": false, "beta_initializer": $zeros, "gamma_initializer": $ones, "beta_regularizer": null,
           "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null})"},
      {L::Activation("hard_sigmoid", {.name = "act"}),
       {3},
       1,
       R"({"name": "act", $base, "activation": "hard_sigmoid"})"},
      {L::ReLU({.max_value = 6.0f, .name = "r"}),
       {3},
       1,
       R"({"name": "r", $base, "max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0})"},
      {L::LeakyReLU({.negative_slope = 0.2f, .name = "lr"}),
       {3},
       1,
       R"({"name": "lr", $base, "negative_slope": 0.2})"},
      {L::Softmax({.name = "sm"}), {3}, 1, R"({"name": "sm", $base, "axis": -1})"},
      {L::GlobalAveragePooling2D({.keepdims = true, .name = "gap"}),
       {4, 4, 3},
       1,
       R"({"name": "gap", $base, "data_format": "channels_last", "keepdims": true})"},
      {L::GlobalMaxPooling2D({.name = "gmp"}),
       {4, 4, 3},
       1,
       R"({"name": "gmp", $base, "data_format": "channels_last", "keepdims": false})"},
      {L::MaxPooling2D(3, {.strides = 2, .padding = "same", .name = "mp"}),
       {8, 8, 3},
       1,
       R"({"name": "mp", $base, "pool_size": [3, 3], "padding": "same", "strides": [2, 2],
           "data_format": "channels_last"})"},
      {L::AveragePooling2D(2, {.name = "ap"}),
       {8, 8, 3},
       1,
       R"({"name": "ap", $base, "pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
           "data_format": "channels_last"})"},
      {L::MaxPooling1D(3, {.strides = 2, .padding = "same", .name = "mp1"}),
       {9, 3},
       1,
       R"({"name": "mp1", $base, "pool_size": [3], "padding": "same", "strides": [2],
           "data_format": "channels_last"})"},
      {L::AveragePooling1D(2, {.name = "ap1"}),
       {9, 3},
       1,
       R"({"name": "ap1", $base, "pool_size": [2], "padding": "valid", "strides": [2],
           "data_format": "channels_last"})"},
      {L::GlobalAveragePooling1D({.keepdims = true, .name = "gap1"}),
       {9, 3},
       1,
       R"({"name": "gap1", $base, "data_format": "channels_last", "keepdims": true})"},
      {L::GlobalMaxPooling1D({.name = "gmp1"}),
       {9, 3},
       1,
       R"({"name": "gmp1", $base, "data_format": "channels_last", "keepdims": false})"},
      {L::Add({.name = "add"}), {4}, 2, R"({"name": "add", $base})"},
      {L::Subtract({.name = "sub"}), {4}, 2, R"({"name": "sub", $base})"},
      {L::Multiply({.name = "mul"}), {4}, 2, R"({"name": "mul", $base})"},
      {L::Average({.name = "avg"}), {4}, 2, R"({"name": "avg", $base})"},
      {L::Maximum({.name = "max"}), {4}, 2, R"({"name": "max", $base})"},
      {L::Minimum({.name = "min"}), {4}, 2, R"({"name": "min", $base})"},
      {L::Concatenate({.axis = 1, .name = "cat"}), {4, 2}, 2, R"({"name": "cat", $base, "axis": 1})"},
      // keras.src.applications.inception_resnet_v2's class: the base keys and its scale.
      {L::CustomScaleLayer(0.17, {.name = "scaled"}), {4}, 2, R"({"name": "scaled", $base, "scale": 0.17})"},
      // keras.src.applications.convnext's class: the base keys, its initial value and width.
      {L::LayerScale(0.5, 4, {.name = "ls"}),
       {4},
       1,
       R"({"name": "ls", $base, "init_values": 0.5, "projection_dim": 4})"},
      {L::Flatten({.name = "flat"}), {4, 2}, 1, R"({"name": "flat", $base, "data_format": "channels_last"})"},
      {L::Reshape({4, -1}, {.name = "rs"}), {4, 2}, 1, R"({"name": "rs", $base, "target_shape": [4, -1]})"},
      {L::ZeroPadding2D({{1, 2}, {3, 4}}, {.name = "zp"}),
       {4, 4, 3},
       1,
       R"({"name": "zp", $base, "padding": [[1, 2], [3, 4]], "data_format": "channels_last"})"},
      {L::Cropping2D(1, {.name = "crop"}),
       {4, 4, 3},
       1,
       R"({"name": "crop", $base, "cropping": [[1, 1], [1, 1]], "data_format": "channels_last"})"},
      {L::UpSampling2D({2, 3}, {.name = "up"}),
       {4, 4, 3},
       1,
       R"({"name": "up", $base, "size": [2, 3], "data_format": "channels_last", "interpolation": "nearest"})"},
      {L::Dropout(0.25f, {.seed = 7, .name = "drop"}),
       {4},
       1,
       R"({"name": "drop", $base, "rate": 0.25, "seed": 7, "noise_shape": null})"},
      {L::Dropout(0.5f, {.noise_shape = {None, 1, 4}, .name = "drop_ns"}),
       {3, 4},
       1,
       R"({"name": "drop_ns", $base, "rate": 0.5, "seed": null, "noise_shape": [null, 1, 4]})"},
      {L::Identity({.name = "id"}), {3}, 1, R"({"name": "id", $base})"},
      {L::Masking({.mask_value = 2.0f, .name = "mask"}),
       {5, 3},
       1,
       R"({"name": "mask", $base, "mask_value": 2.0})"},
      {L::UnitNormalization({.name = "un"}), {3}, 1, R"({"name": "un", $base, "axis": -1})"},
      {L::GaussianNoise(0.1f, {.seed = 3, .name = "gn"}),
       {3},
       1,
       R"({"name": "gn", $base, "stddev": 0.1, "seed": 3})"},
      {L::GaussianDropout(0.3f, {.name = "gd"}),
       {3},
       1,
       R"({"name": "gd", $base, "rate": 0.3, "seed": null})"},
      {L::AlphaDropout(0.2f, {.name = "ad"}),
       {3},
       1,
       R"({"name": "ad", $base, "rate": 0.2, "seed": null, "noise_shape": null})"},
      // SpatialDropout1D, as SpatialDropout2D, writes neither `trainable` nor a DTypePolicy.
      {L::SpatialDropout1D(0.5f, {.name = "sd1"}),
       {4, 3},
       1,
       R"({"name": "sd1", "rate": 0.5, "seed": null, "dtype": "float32"})"},
      {L::ActivityRegularization({.l1 = 0.01f, .name = "ar"}),
       {3},
       1,
       R"({"name": "ar", $base, "l1": 0.01, "l2": 0.0})"},
      {L::ELU({.alpha = 0.5f, .name = "elu"}), {3}, 1, R"({"name": "elu", $base, "alpha": 0.5})"},
      // Keras 3 has no ThresholdedReLU: Keras 2's key beside the base keys strata writes for every layer.
      {L::ThresholdedReLU({.theta = 0.5f, .name = "thr"}), {3}, 1, R"({"name": "thr", $base, "theta": 0.5})"},
      {L::Permute({2, 1}, {.name = "perm"}), {4, 3}, 1, R"({"name": "perm", $base, "dims": [2, 1]})"},
      {L::RepeatVector(3, {.name = "rep"}), {4}, 1, R"({"name": "rep", $base, "n": 3})"},
      {L::Rescaling(0.5, {.name = "rescale"}),
       {3},
       1,
       R"({"name": "rescale", $base, "scale": 0.5, "offset": 0.0})"},
      {L::Rescaling({0.5f, 2.0f}, {.offset = {1.0f, -1.0f}, .name = "rescale_c"}),
       {2},
       1,
       R"({"name": "rescale_c", $base, "scale": [0.5, 2.0], "offset": [1.0, -1.0]})"},
      {L::Normalization({.mean = std::vector<float>{1.0f, 2.0f},
                         .variance = std::vector<float>{3.0f, 4.0f},
                         .invert = true,
                         .name = "norm"}),
       {2},
       1,
       R"({"name": "norm", $base, "axis": [-1], "invert": true, "mean": [1.0, 2.0], "variance": [3.0, 4.0]})"},
      {L::Normalization({.axis = strata::Axes{}, .name = "norm_all"}),
       {4, 2},
       1,
       R"({"name": "norm_all", $base, "axis": [], "invert": false, "mean": null, "variance": null})"},
      {L::Embedding(10, 4, {.name = "emb"}),
       {6},
       1,
       R"({"name": "emb", $base, "input_dim": 10, "output_dim": 4, "embeddings_initializer": {"module":
           "keras.initializers", "class_name": "RandomUniform", "config": {"seed": null, "minval": -0.05,
           "maxval": 0.05}, "registered_name": null}, "embeddings_regularizer": null,
           "activity_regularizer": null, "embeddings_constraint": null, "mask_zero": false,
           "quantization_config": null})"},
      {L::SimpleRNN(4, {.activation = "relu", .return_sequences = true, .name = "rnn"}),
       {5, 3},
       1,
       R"({"name": "rnn", $base, "return_sequences": true, "return_state": false, "go_backwards": false,
           "stateful": false, "unroll": false, "zero_output_for_mask": false, "units": 4, "activation": "relu",
           "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
           "config": {"seed": null}, "registered_name": null}, "recurrent_initializer": {"module":
           "keras.initializers", "class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0},
           "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros",
           "config": {}, "registered_name": null}, "kernel_regularizer": null, "recurrent_regularizer": null,
           "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
           "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0})"},
      {L::GRU(3, {.go_backwards = true, .reset_after = false, .name = "gru"}),
       {5, 2},
       1,
       R"({"name": "gru", $base, "return_sequences": false, "return_state": false, "go_backwards": true,
           "stateful": false, "unroll": false, "zero_output_for_mask": false, "units": 3, "activation": "tanh",
           "recurrent_activation": "sigmoid", "use_bias": true, "kernel_initializer": {"module":
           "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name":
           null}, "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal", "config":
           {"seed": null, "gain": 1.0}, "registered_name": null}, "bias_initializer": {"module":
           "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
           "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null,
           "activity_regularizer": null, "kernel_constraint": null, "recurrent_constraint": null,
           "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0, "reset_after": false, "seed":
           null})"},
      {L::LSTM(3, {.unit_forget_bias = false, .return_state = true, .name = "lstm"}),
       {5, 2},
       1,
       R"({"name": "lstm", $base, "return_sequences": false, "return_state": true, "go_backwards": false,
           "stateful": false, "unroll": false, "zero_output_for_mask": false, "units": 3, "activation": "tanh",
           "recurrent_activation": "sigmoid", "use_bias": true, "kernel_initializer": {"module":
           "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name":
           null}, "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal", "config":
           {"seed": null, "gain": 1.0}, "registered_name": null}, "bias_initializer": {"module":
           "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
           "unit_forget_bias": false, "kernel_regularizer": null, "recurrent_regularizer": null,
           "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
           "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0,
           "seed": null})"},
      {L::MultiHeadAttention(2, 4, {.name = "mha"}),
       {5, 6},
       2,
       R"({"name": "mha", $base, "num_heads": 2, "key_dim": 4, "value_dim": 4, "dropout": 0.0, "use_bias": true,
           "use_gate": false, "output_shape": null, "attention_axes": null, "sliding_window": null,
           "kernel_initializer": $glorot, "bias_initializer": $zeros, "kernel_regularizer": null,
           "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
           "bias_constraint": null, "seed": null})"},
      {L::Attention({.use_scale = true, .score_mode = "concat", .name = "att"}),
       {5, 6},
       2,
       R"({"name": "att", $base, "use_scale": true, "score_mode": "concat", "dropout": 0.0, "seed": null})"},
      {L::AdditiveAttention({.use_scale = false, .name = "add_att"}),
       {5, 6},
       2,
       R"({"name": "add_att", $base, "use_scale": false, "dropout": 0.0, "seed": null})"},
      {L::Dot({1, 1}, {.normalize = true, .name = "dot"}),
       {4, 2},
       2,
       R"({"name": "dot", $base, "axes": [1, 1], "normalize": true})"},
      {L::EinsumDense("abc,cde->abde", {None, 2, 3}, {.activation = "relu", .bias_axes = "de", .name = "ed"}),
       {4, 2},
       1,
       R"({"name": "ed", $base, "output_shape": [null, 2, 3], "equation": "abc,cde->abde", "activation": "relu",
           "bias_axes": "de", "kernel_initializer": $glorot, "bias_initializer": $zeros,
           "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
           "kernel_constraint": null, "bias_constraint": null, "quantization_config": null})"},
      {L::CategoryEncoding(5, {.output_mode = "count", .name = "enc"}),
       {4},
       1,
       R"({"name": "enc", $base, "num_tokens": 5, "output_mode": "count", "sparse": false})"},
      {L::TimeDistributed(L::Dense(2, {.name = "step"}), {.name = "td"}),
       {4, 3},
       1,
       R"({"name": "td", $base, "layer": {"module": "keras.layers", "class_name": "Dense", "config": {"name":
           "step", $base, "units": 2, "activation": "linear", "use_bias": true, "kernel_initializer": $glorot,
           "bias_initializer": $zeros, "kernel_regularizer": null, "bias_regularizer": null,
           "kernel_constraint": null, "bias_constraint": null, "quantization_config": null},
           "registered_name": null}})"},
      // Keras 3 also writes the backward copy as "backward_layer", and a "build_config" in both serialized
      // layers once built; strata writes neither (Keras makes the backward copy from "layer" when absent).
      {L::Bidirectional(L::SimpleRNN(2, {.name = "inner"}), {.merge_mode = "sum", .name = "bi"}),
       {4, 3},
       1,
       R"({"name": "bi", $base, "layer": {"module": "keras.layers", "class_name": "SimpleRNN", "config":
           {"name": "forward_inner", $base, "return_sequences": false, "return_state": false, "go_backwards":
           false, "stateful": false, "unroll": false, "zero_output_for_mask": false, "units": 2, "activation":
           "tanh", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name":
           "GlorotUniform", "config": {"seed": null}, "registered_name": null}, "recurrent_initializer":
           {"module": "keras.initializers", "class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0},
           "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros",
           "config": {}, "registered_name": null}, "kernel_regularizer": null, "recurrent_regularizer": null,
           "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
           "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0},
           "registered_name": null}, "merge_mode": "sum"})"},
      {L::PReLU({.alpha_initializer = "ones", .shared_axes = {1}, .name = "prelu"}),
       {4, 3},
       1,
       R"({"name": "prelu", $base, "alpha_initializer": {"module": "keras.initializers", "class_name": "Ones",
           "config": {}, "registered_name": null}, "alpha_regularizer": null, "alpha_constraint": null,
           "shared_axes": [1]})"},
      {L::Resizing(4, 5, {.interpolation = "nearest", .crop_to_aspect_ratio = true, .name = "resize"}),
       {8, 8, 3},
       1,
       R"({"name": "resize", $base, "data_format": "channels_last", "height": 4, "width": 5,
           "interpolation": "nearest", "crop_to_aspect_ratio": true, "pad_to_aspect_ratio": false,
           "fill_mode": "constant", "fill_value": 0.0, "antialias": false})"},
      {L::CenterCrop(4, 5, {.name = "crop"}),
       {8, 8, 3},
       1,
       R"({"name": "crop", $base, "data_format": "channels_last", "height": 4, "width": 5})"},
      {L::GroupNormalization({.groups = 2, .epsilon = 1e-5f, .center = false, .name = "gn"}),
       {4, 4},
       1,
       R"({"name": "gn", $base, "groups": 2, "axis": -1, "epsilon": 1e-05, "center": false, "scale": true,
           "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
           "registered_name": null}, "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones",
           "config": {}, "registered_name": null}, "beta_regularizer": null, "gamma_regularizer": null,
           "beta_constraint": null, "gamma_constraint": null})"},
      // SpatialDropout2D's get_config writes neither `trainable` nor a DTypePolicy.
      {L::SpatialDropout2D(0.5f, {.name = "sdrop"}),
       {4, 4, 3},
       1,
       R"({"name": "sdrop", "rate": 0.5, "seed": null, "dtype": "float32", "data_format": "channels_last"})"},
      {L::InputLayer({None, 4}, {.name = "in"}),
       {},
       0,
       R"({"batch_shape": [null, null, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "in",
           "optional": false})"},
  };
}

json config_of(const strata::Layer& layer) {
  return json::parse(layer.get_config());
}

// Calls `layer` as the example says, so that it builds its weights.
void call(const Example& e, const strata::Layer& layer) {
  if (e.inputs == 0) return;
  std::vector<strata::SymbolicTensor> inputs;
  for (int i = 0; i < e.inputs; ++i) inputs.push_back(strata::Input(e.input));
  struct Caller : strata::Layer {
    explicit Caller(const strata::Layer& l) : strata::Layer(l.impl()) {}
    using strata::Layer::call;
  };
  Caller(layer).call(inputs);
}

std::vector<std::string> dims_of(const strata::Layer& layer) {
  std::vector<std::string> out;
  for (const strata::Tensor& t : layer.get_weights())
    out.push_back(fmt::format("{}", fmt::join(t.dims(), ",")));
  return out;
}

}  // namespace

TEST_CASE("every built-in layer's get_config equals what Keras 3 writes, key for key") {
  for (const Example& e : examples()) {
    INFO(e.layer.class_name() << " " << e.layer.get_config());
    CHECK(config_of(e.layer) == json::parse(expand(e.keras)));
  }
}

TEST_CASE("every registered built-in class has an example above") {
  std::set<std::string> covered;
  for (const Example& e : examples()) covered.insert(e.layer.class_name());
  for (const std::string& name : strata::registered_layer_classes()) {
    INFO(name);
    CHECK(covered.count(name) == 1);
  }
  CHECK(covered.size() == strata::registered_layer_classes().size());
}

TEST_CASE("from_config(get_config()) gives the same layer") {
  for (const Example& e : examples()) {
    const std::string text = e.layer.get_config();
    INFO(e.layer.class_name() << " " << text);
    const strata::Layer copy = strata::layer_from_config(e.layer.class_name(), text);
    CHECK(copy.class_name() == e.layer.class_name());
    CHECK(copy.name() == e.layer.name());
    CHECK(config_of(copy) == config_of(e.layer));
    call(e, e.layer);
    call(e, copy);
    CHECK(dims_of(copy) == dims_of(e.layer));
  }
}

TEST_CASE("the schema prints the C++ that makes a layer, defaults left out") {
  const auto examples_now = examples();
  std::map<std::string, std::string> cpp;
  for (const Example& e : examples_now) cpp[e.layer.name()] = e.layer.impl()->cpp_constructor();
  CHECK(cpp["c"] ==
        R"(Conv2D(8, {3, 5}, {.strides = 2, .padding = "same", .activation = "relu", .use_bias = false, )"
        R"(.kernel_initializer = "he_normal", .name = "c"}))");
  CHECK(cpp["r"] == R"(ReLU({.max_value = 6.0f, .name = "r"}))");
  CHECK(cpp["bn"] ==
        R"(BatchNormalization({.momentum = 0.9f, .epsilon = 1.001e-05f, .center = false, .name = "bn"}))");
  CHECK(cpp["zp"] == R"(ZeroPadding2D({{1, 2}, {3, 4}}, {.name = "zp"}))");
  CHECK(cpp["rs"] == R"(Reshape({4, -1}, {.name = "rs"}))");
  CHECK(cpp["add"] == R"(Add({.name = "add"}))");
  CHECK(cpp["drop"] == R"(Dropout(0.25f, {.seed = 7, .name = "drop"}))");
}

namespace {

// Keras 2 spelled some keys and values differently; each pair below is Keras 2's and Keras 3's form.
json keras3_initializer(const json& keras2) {
  const std::string cls = keras2["class_name"];
  if (cls != "VarianceScaling") return cls;
  const json& c = keras2["config"];
  if (c["scale"] == 1.0 && c["mode"] == "fan_avg" && c["distribution"] == "uniform") return "GlorotUniform";
  return "unmapped " + c.dump();
}

// Keras 2 wrote float32 arguments as the double they convert to (0.20000000298023224); Keras 3 and strata
// write the float a user typed (0.2). Numbers compare as the float32 strata computes with.
bool same_value(const json& a, const json& b) {
  if (a.is_number() && b.is_number() && (a.is_number_float() || b.is_number_float())) {
    return static_cast<float>(a.get<double>()) == static_cast<float>(b.get<double>());
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same_value(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

std::vector<json> keras2_configs() {
  std::ifstream in(STRATA_DATA_DIR "/keras2_layer_configs.json");
  REQUIRE(in.good());
  return json::parse(in).get<std::vector<json>>();
}

}  // namespace

TEST_CASE("configs Keras 2 wrote load, and write back every key with the same value") {
  // Keys Keras 3 writes that Keras 2 did not, by class (the examples above hold the whole Keras 3 key sets).
  std::map<std::string, std::set<std::string>> keras3_keys;
  for (const Example& e : examples()) {
    const json keras = json::parse(expand(e.keras));
    for (const auto& [key, value] : keras.items()) keras3_keys[e.layer.class_name()].insert(key);
  }
  const std::map<std::string, std::string> renamed = {{"alpha", "negative_slope"},
                                                      {"batch_input_shape", "batch_shape"}};
  int checked = 0;
  for (const json& entry : keras2_configs()) {
    const std::string cls = entry["class_name"];
    const json& theirs = entry["config"];
    INFO(entry["file"].get<std::string>()
         << " (Keras " << entry["keras_version"].get<std::string>() << ") " << cls << " " << theirs.dump());
    const strata::Layer layer = strata::layer_from_config(cls, theirs.dump());
    const json ours = config_of(layer);
    for (const auto& [key, value] : theirs.items()) {
      const bool input_layer_shape = cls == "InputLayer" && key == "batch_input_shape";
      const std::string our_key =
          renamed.count(key) && (key != "batch_input_shape" || input_layer_shape) ? renamed.at(key) : key;
      INFO("key " << key);
      REQUIRE(ours.contains(our_key));
      if (key.ends_with("_initializer")) {
        CHECK(ours[our_key]["class_name"] == keras3_initializer(value));
      } else if (cls == "BatchNormalization" && key == "axis" && value.is_array()) {
        CHECK(ours[our_key] == value[0]);
      } else {
        CHECK(same_value(ours[our_key], value));
      }
    }
    for (const auto& [key, value] : ours.items()) {
      INFO("our key " << key);
      const bool theirs_too = theirs.contains(key) || (key == "negative_slope" && theirs.contains("alpha")) ||
                              (key == "batch_shape" && theirs.contains("batch_input_shape"));
      CHECK((theirs_too || keras3_keys[cls].count(key) == 1));
    }
    ++checked;
  }
  CHECK(checked == 144);
}

TEST_CASE("initializers strata does not have, and seeded ones, are kept as they came") {
  // An initializer decides only the weights a layer starts with; a loaded model's come from its file.
  const json random_normal = json::parse(R"({"module": "keras.initializers", "class_name": "RandomNormal",
      "config": {"mean": 0.0, "stddev": 0.02, "seed": null}, "registered_name": null})");
  const json seeded = json::parse(R"({"module": "keras.initializers", "class_name": "GlorotUniform",
      "config": {"seed": 7}, "registered_name": null})");
  const json odd_types =
      json::parse(R"({"class_name": "VarianceScaling", "config": {"mode": 5, "scale": "x"}})");
  json config = {
      {"name", "d"}, {"units", 2}, {"kernel_initializer", random_normal}, {"bias_initializer", seeded}};
  const strata::Layer layer = strata::layer_from_config("Dense", config.dump());
  const json ours = config_of(layer);
  CHECK(ours["kernel_initializer"] == random_normal);
  CHECK(ours["bias_initializer"] == seeded);
  config["kernel_initializer"] = odd_types;
  CHECK(config_of(strata::layer_from_config("Dense", config.dump()))["kernel_initializer"] == odd_types);
  // The layer still builds, from its default initializers.
  const Example dense{layer, {3}, 1, ""};
  call(dense, layer);
  CHECK(layer.count_params() == 8);
}

TEST_CASE("a channels_first Conv1D config is refused naming the layer, the key and the value") {
  CHECK_THROWS_MATCHES(
      strata::layer_from_config("Conv1D", R"({"name": "c", "filters": 4, "kernel_size": [2],
                                             "data_format": "channels_first"})"),
      strata::ValueError,
      MessageMatches(
          "[c (Conv1D)] config key 'data_format': expected \"channels_last\"*received \"channels_first\""));
}

TEST_CASE("the keys tf.keras 2 added to SeparableConv2D and SpatialDropout2D are accepted") {
  const strata::Layer sep = strata::layer_from_config("SeparableConv2D", R"({"name": "s", "filters": 4,
      "kernel_size": [3, 3], "groups": 1, "kernel_initializer": {"class_name": "GlorotUniform", "config": {}},
      "kernel_regularizer": null, "kernel_constraint": null})");
  CHECK(config_of(sep)["groups"] == 1);
  CHECK_THROWS_MATCHES(
      strata::layer_from_config("SeparableConv2D",
                                R"({"name": "s", "filters": 4, "kernel_size": 3, "groups": 2})"),
      strata::ValueError, MessageMatches("[s (SeparableConv2D)] config key 'groups': expected 1 *"));
  const strata::Layer drop = strata::layer_from_config("SpatialDropout2D", R"({"name": "sd", "rate": 0.5,
      "trainable": true, "noise_shape": null})");
  CHECK(config_of(drop)["noise_shape"].is_null());
}

TEST_CASE("generated C++ escapes control characters unambiguously, and floats ignore the C locale") {
  // Layer names refuse control characters; other strings reach the generator as they are.
  CHECK(strata::detail::string_cpp(std::string("a") + '\x01' + "b\"\\") == R"("a\001b\"\\")");
  // A host application may set a locale that writes "0,25"; the config's numbers must not follow it.
  const char* previous = std::setlocale(LC_NUMERIC, nullptr);
  const std::string saved = previous != nullptr ? previous : "C";
  int tried = 0;
  for (const char* locale : {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "fr_FR"}) {
    if (std::setlocale(LC_NUMERIC, locale) == nullptr) continue;
    INFO(locale);
    CHECK(config_of(L::Dropout(0.25f))["rate"] == 0.25);
    ++tried;
  }
  if (tried == 0) WARN("no decimal-comma locale is installed here (Debian package locales-all has them)");
  std::setlocale(LC_NUMERIC, saved.c_str());
}

TEST_CASE("a loaded config keeps what strata does not use and writes it back") {
  const json config = json::parse(R"({"name": "d", "trainable": false, "dtype": "mixed_float16", "units": 3,
      "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.0001}},
      "batch_input_shape": [null, 5]})");
  const strata::Layer layer = strata::layer_from_config("Dense", config.dump());
  const json ours = config_of(layer);
  CHECK(ours["trainable"] == false);
  CHECK_FALSE(layer.trainable());
  CHECK(ours["dtype"] == "mixed_float16");
  CHECK(ours["kernel_regularizer"] == config["kernel_regularizer"]);
  CHECK(ours["batch_input_shape"] == config["batch_input_shape"]);
  CHECK(ours["units"] == 3);
}

TEST_CASE("configs strata cannot honour are errors naming the layer, the key and the value") {
  using strata::layer_from_config;
  using strata::ValueError;
  CHECK_THROWS_MATCHES(
      layer_from_config("Conv2D", R"({"name": "c", "filters": 4, "kernel_size": 3,
                                                       "data_format": "channels_first"})"),
      ValueError,
      MessageMatches("[c (Conv2D)] config key 'data_format': expected \"channels_last\" (strata "
                     "cannot compute another value), received \"channels_first\""));
  CHECK_THROWS_MATCHES(
      layer_from_config("Conv2D", R"({"name": "c", "kernel_size": 3})"), ValueError,
      MessageMatches("[c (Conv2D)] config key 'filters': expected int, received \"<missing>\""));
  CHECK_THROWS_MATCHES(
      layer_from_config("Conv2D", R"({"name": "c", "filters": "4", "kernel_size": 3})"), ValueError,
      MessageMatches("[c (Conv2D)] config key 'filters': expected an integer, received \"4\""));
  CHECK_THROWS_MATCHES(
      layer_from_config("Conv2D", R"({"name": "c", "filters": 4, "kernel_size": [3, 3, 3]})"), ValueError,
      MessageMatches("[c (Conv2D)] config key 'kernel_size': expected an integer or a list of two "
                     "integers, received [3,3,3]"));
  CHECK_THROWS_MATCHES(
      layer_from_config("Conv2D", R"({"name": "c", "filters": 4, "kernel_size": 3, "bogus": 1})"), ValueError,
      MessageMatches("[c (Conv2D)] config key 'bogus' is not an argument of Conv2D; it "
                     "has name, trainable, dtype, filters, kernel_size, *"));
  CHECK_THROWS_MATCHES(
      layer_from_config("Dense", R"({"name": "d", "units": 4, "lora_rank": 8})"), ValueError,
      MessageMatches("[d (Dense)] config key 'lora_rank': expected null (strata cannot compute "
                     "another value), received 8"));
  CHECK_THROWS_MATCHES(layer_from_config("Dense", R"({"name": "d", "units": 4, "dtype": {"module": "keras",
      "class_name": "QuantizedDTypePolicy", "config": {"name": "int8_from_float32", "source_name": "float32"}}})"),
                       ValueError,
                       MessageMatches("[d (Dense)] config key 'dtype': expected a float dtype policy *"));
  CHECK_THROWS_MATCHES(
      layer_from_config("Dense", R"({"name": "d", "units": 4, "dtype": "int8"})"), ValueError,
      MessageMatches("[d (Dense)] config key 'dtype': expected a float dtype policy *, received "
                     "\"int8\""));
  // Hostile configs: nesting that would overflow a recursive walk, sizes whose product overflows int64.
  const std::string deep = R"({"name": "d", "units": 4, "kernel_regularizer": )" + std::string(100000, '[') +
                           std::string(100000, ']') + "}";
  CHECK_THROWS_MATCHES(layer_from_config("Dense", deep), ValueError,
                       MessageMatches("[d (Dense)] The config nests more than 64 levels deep*"));
  CHECK_THROWS_MATCHES(
      layer_from_config("Reshape", R"({"name": "r", "target_shape": [4294967296, 4294967296, -1]})"),
      ValueError,
      MessageMatches("[r (Reshape)] Expected a target of at most 2^40 values per sample, received "
                     "(4294967296, 4294967296, -1)"));
  CHECK_THROWS_MATCHES(
      layer_from_config("Dense", R"({"name": "d", "units": 4, "activation": {"class_name": "function"}})"),
      ValueError,
      MessageMatches("[d (Dense)] config key 'activation': expected an activation name, received *"));
  // The layer's own checks run on the arguments read.
  CHECK_THROWS_MATCHES(layer_from_config("Dense", R"({"name": "d", "units": 0})"), ValueError,
                       MessageMatches("[d (Dense)] Expected a positive units, received 0"));
  CHECK_THROWS_MATCHES(layer_from_config("Dense", R"({"name": "d", "units": 4, "activation": "nope"})"),
                       ValueError, MessageMatches("[d (Dense)] Unknown activation 'nope'*"));
  CHECK_THROWS_MATCHES(
      layer_from_config("Conv3D", "{}"), ValueError,
      MessageMatches("Unknown layer class 'Conv3D'; strata has Activation, ActivityRegularization, Add, *"));
  CHECK_THROWS_MATCHES(layer_from_config("Dense", "[1]"), ValueError,
                       MessageMatches("[? (Dense)] Expected the config to be a JSON object, received [1]"));
  CHECK_THROWS_MATCHES(layer_from_config("Dense", "{"), ValueError,
                       MessageMatches("[Dense] The config is not valid JSON: *"));
  CHECK_THROWS_MATCHES(layer_from_config("Dense", R"({"name": 3, "units": 4})"), ValueError,
                       MessageMatches("[? (Dense)] config key 'name': expected a string, received 3"));
  CHECK_THROWS_MATCHES(
      layer_from_config("Dense", R"({"name": "d", "units": 4, "trainable": "yes"})"), ValueError,
      MessageMatches("[d (Dense)] config key 'trainable': expected true or false, received \"yes\""));
  CHECK_THROWS_MATCHES(
      layer_from_config("Dense", R"({"name": "d", "units": 4294967297})"), ValueError,
      MessageMatches("[d (Dense)] config key 'units': expected an integer, received 4294967297"));
  CHECK_THROWS_MATCHES(
      layer_from_config("InputLayer", R"({"name": "i", "batch_shape": [null, 0]})"), ValueError,
      MessageMatches("[i (InputLayer)] Expected positive dimensions or None, received (0,)"));
  CHECK_THROWS_MATCHES(
      layer_from_config("InputLayer", R"({"name": "i", "batch_shape": [null, 3], "ragged": true})"),
      ValueError, MessageMatches("[i (InputLayer)] config key 'ragged': expected false *"));
}

namespace {

class Scale : public strata::CustomLayerDefinition {
 public:
  explicit Scale(float factor) : factor_(factor) {}
  std::string class_name() const override { return "Scale"; }
  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override {
    return inputs[0];
  }
  void call(const std::vector<const strata::Tensor*>& inputs, const std::vector<const strata::Tensor*>&,
            strata::Tensor& output) const override {
    for (int64_t i = 0; i < output.size(); ++i) output.data()[i] = inputs[0]->data()[i] * factor_;
  }
  std::string get_config() const override { return json{{"factor", factor_}}.dump(); }

 private:
  float factor_;
};

}  // namespace

TEST_CASE("custom layers register in the same map and round-trip through their config") {
  strata::register_custom_layer("Scale", [](const std::string& text) {
    return std::make_shared<Scale>(json::parse(text).at("factor").get<float>());
  });
  const strata::CustomLayer layer(std::make_shared<Scale>(2.5f), {.name = "scale"});
  const json config = config_of(layer);
  CHECK(config["factor"] == 2.5);
  CHECK(config["name"] == "scale");
  const strata::Layer copy = strata::layer_from_config("Scale", layer.get_config());
  CHECK(copy.class_name() == "Scale");
  CHECK(config_of(copy) == config);
  const auto classes = strata::registered_layer_classes();
  CHECK(std::find(classes.begin(), classes.end(), "Scale") != classes.end());

  CHECK_THROWS_MATCHES(strata::register_custom_layer("Dense", [](const std::string&) { return nullptr; }),
                       strata::ValueError,
                       MessageMatches("A layer class named 'Dense' is already registered"));
  CHECK_THROWS_MATCHES(
      strata::register_custom_layer("Other", nullptr), strata::ValueError,
      MessageMatches("[register_custom_layer] Expected a factory for 'Other', received none"));
  strata::register_custom_layer("Wrong", [](const std::string&) { return std::make_shared<Scale>(1.0f); });
  CHECK_THROWS_MATCHES(
      strata::layer_from_config("Wrong", R"({"name": "w"})"), strata::ValueError,
      MessageMatches("[w (Wrong)] The registered factory made a definition of class 'Scale'"));
}
