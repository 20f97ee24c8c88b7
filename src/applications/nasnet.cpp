// keras.applications' NASNetMobile and NASNetLarge (keras/src/applications/nasnet.py: NASNet,
// _separable_conv_block, _adjust_block, _normal_a_cell, _reduction_a_cell), layer for layer. Keras leaves the
// relus, the shifted path's padding and cropping and some sums unnamed, so they take their default names in
// the order Keras creates them; this file creates every layer in that order.
#include "strata/applications/nasnet.hpp"

#include <string>
#include <utility>

#include "applications/imagenet_utils.hpp"
#include "strata/error.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

// NASNet's batch norms keep Keras's arguments, so their configs (and a saved model) equal Keras's.
SymbolicTensor batch_norm(const SymbolicTensor& x, const std::string& name) {
  return L::BatchNormalization({.momentum = 0.9997f, .epsilon = 1e-3f, .name = name})(x);
}

SymbolicTensor relu(const SymbolicTensor& x, const std::string& name = "") {
  return L::Activation("relu", {.name = name})(x);
}

SymbolicTensor conv_1x1(const SymbolicTensor& x, int filters, const std::string& name) {
  return L::Conv2D(
      filters, 1, {.padding = "same", .use_bias = false, .kernel_initializer = "he_normal", .name = name})(x);
}

SymbolicTensor average_pool_3x3(const SymbolicTensor& x, int strides, const std::string& padding,
                                const std::string& name) {
  return L::AveragePooling2D(3, {.strides = strides, .padding = padding, .name = name})(x);
}

SymbolicTensor max_pool_3x3_strided(const SymbolicTensor& x, const std::string& name) {
  return L::MaxPooling2D(3, {.strides = 2, .padding = "valid", .name = name})(x);
}

// Keras's _separable_conv_block: twice relu, separable convolution, batch norm; a strided first
// convolution pads as TensorFlow's "same" would (correct_pad) and then runs "valid".
SymbolicTensor separable_conv_block(const SymbolicTensor& input, int filters, int kernel_size, int strides,
                                    const std::string& block_id) {
  SymbolicTensor x = relu(input);
  std::string padding = "same";
  if (strides == 2) {
    x = L::ZeroPadding2D(detail::correct_pad(x, kernel_size),
                         {.name = "separable_conv_1_pad_" + block_id})(x);
    padding = "valid";
  }
  x = L::SeparableConv2D(
      filters, kernel_size,
      {.strides = strides, .padding = padding, .use_bias = false, .name = "separable_conv_1_" + block_id})(x);
  x = batch_norm(x, "separable_conv_1_bn_" + block_id);
  x = relu(x);
  x = L::SeparableConv2D(filters, kernel_size,
                         {.padding = "same", .use_bias = false, .name = "separable_conv_2_" + block_id})(x);
  return batch_norm(x, "separable_conv_2_bn_" + block_id);
}

// Keras's _adjust_block: brings the previous cell's output `p` to the current input's width and `filters`
// channels. Keras compares the widths only, as this does.
SymbolicTensor adjust_block(const SymbolicTensor* previous, const SymbolicTensor& input, int filters,
                            const std::string& block_id) {
  if (previous == nullptr) return input;
  const SymbolicTensor& p = *previous;
  if (p.shape()[2] != input.shape()[2]) {
    // Two strided 1x1 paths, the second shifted by a pixel, each with half the filters.
    const SymbolicTensor activated = relu(p, "adjust_relu_1_" + block_id);
    SymbolicTensor p1 = L::AveragePooling2D(
        1, {.strides = 2, .padding = "valid", .name = "adjust_avg_pool_1_" + block_id})(activated);
    p1 = conv_1x1(p1, filters / 2, "adjust_conv_1_" + block_id);
    SymbolicTensor p2 = L::ZeroPadding2D(Margins2D({0, 1}, {0, 1}))(activated);
    p2 = L::Cropping2D(Margins2D({1, 0}, {1, 0}))(p2);
    p2 = L::AveragePooling2D(1,
                             {.strides = 2, .padding = "valid", .name = "adjust_avg_pool_2_" + block_id})(p2);
    p2 = conv_1x1(p2, filters / 2, "adjust_conv_2_" + block_id);
    const SymbolicTensor joined = L::Concatenate({.axis = -1})({p1, p2});
    return batch_norm(joined, "adjust_bn_" + block_id);
  }
  if (p.shape()[3] != Dim(filters)) {
    const SymbolicTensor projected = conv_1x1(relu(p), filters, "adjust_conv_projection_" + block_id);
    return batch_norm(projected, "adjust_bn_" + block_id);
  }
  return p;
}

// The relu, 1x1 convolution and batch norm that open both kinds of cell.
SymbolicTensor cell_input(const SymbolicTensor& input, int filters, const std::string& kind,
                          const std::string& block_id) {
  const SymbolicTensor h = conv_1x1(relu(input), filters, kind + "_conv_1_" + block_id);
  return batch_norm(h, kind + "_bn_1_" + block_id);
}

struct Cell {
  SymbolicTensor output;
  SymbolicTensor input;  // the `p` of the next cell
};

// Keras's _normal_a_cell (NASNet-A's normal cell, figure 4 of the paper).
Cell normal_a_cell(const SymbolicTensor& input, const SymbolicTensor* previous, int filters,
                   const std::string& block_id) {
  const SymbolicTensor p = adjust_block(previous, input, filters, block_id);
  const SymbolicTensor h = cell_input(input, filters, "normal", block_id);
  const auto name = [&](const std::string& what) { return "normal_" + what + "_" + block_id; };

  const SymbolicTensor x1_1 = separable_conv_block(h, filters, 5, 1, name("left1"));
  const SymbolicTensor x1_2 = separable_conv_block(p, filters, 3, 1, name("right1"));
  const SymbolicTensor x1 = L::add({x1_1, x1_2}, {.name = name("add_1")});

  const SymbolicTensor x2_1 = separable_conv_block(p, filters, 5, 1, name("left2"));
  const SymbolicTensor x2_2 = separable_conv_block(p, filters, 3, 1, name("right2"));
  const SymbolicTensor x2 = L::add({x2_1, x2_2}, {.name = name("add_2")});

  const SymbolicTensor x3 =
      L::add({average_pool_3x3(h, 1, "same", name("left3")), p}, {.name = name("add_3")});

  const SymbolicTensor x4_1 = average_pool_3x3(p, 1, "same", name("left4"));
  const SymbolicTensor x4_2 = average_pool_3x3(p, 1, "same", name("right4"));
  const SymbolicTensor x4 = L::add({x4_1, x4_2}, {.name = name("add_4")});

  const SymbolicTensor x5 =
      L::add({separable_conv_block(h, filters, 3, 1, name("left5")), h}, {.name = name("add_5")});

  return {L::Concatenate({.axis = -1, .name = name("concat")})({p, x1, x2, x3, x4, x5}), input};
}

// Keras's _reduction_a_cell. Keras's own names, irregular as they are (`reduction_add3_`, the fifth
// block's separable convolutions named `reduction_left4_`, one sum unnamed), are kept.
Cell reduction_a_cell(const SymbolicTensor& input, const SymbolicTensor* previous, int filters,
                      const std::string& block_id) {
  const SymbolicTensor p = adjust_block(previous, input, filters, block_id);
  const SymbolicTensor h = cell_input(input, filters, "reduction", block_id);
  const SymbolicTensor h3 =
      L::ZeroPadding2D(detail::correct_pad(h, 3), {.name = "reduction_pad_1_" + block_id})(h);
  const auto name = [&](const std::string& what) { return "reduction_" + what + "_" + block_id; };

  const SymbolicTensor x1_1 = separable_conv_block(h, filters, 5, 2, name("left1"));
  const SymbolicTensor x1_2 = separable_conv_block(p, filters, 7, 2, name("right1"));
  const SymbolicTensor x1 = L::add({x1_1, x1_2}, {.name = name("add_1")});

  const SymbolicTensor x2_1 = max_pool_3x3_strided(h3, name("left2"));
  const SymbolicTensor x2_2 = separable_conv_block(p, filters, 7, 2, name("right2"));
  const SymbolicTensor x2 = L::add({x2_1, x2_2}, {.name = name("add_2")});

  const SymbolicTensor x3_1 = average_pool_3x3(h3, 2, "valid", name("left3"));
  const SymbolicTensor x3_2 = separable_conv_block(p, filters, 5, 2, name("right3"));
  const SymbolicTensor x3 = L::add({x3_1, x3_2}, {.name = name("add3")});

  const SymbolicTensor x4 = L::add({x2, average_pool_3x3(x1, 1, "same", name("left4"))});

  const SymbolicTensor x5_1 = separable_conv_block(x1, filters, 3, 1, name("left4"));
  const SymbolicTensor x5_2 = max_pool_3x3_strided(h3, name("right5"));
  const SymbolicTensor x5 = L::add({x5_1, x5_2}, {.name = name("add4")});

  return {L::Concatenate({.axis = -1, .name = name("concat")})({x2, x3, x4, x5}), input};
}

struct NASNetConfig {
  const char* keras_class;
  const char* default_name;
  int default_size;
  int penultimate_filters;
  int num_blocks;
  int stem_block_filters;
  bool skip_reduction;
};

// Keras's NASNet (filter_multiplier 2, the only value its two models use).
Model nasnet(ApplicationOptions options, const NASNetConfig& config) {
  const std::string where = std::string("[") + config.keras_class + "]";
  std::vector<Dim> input_shape = detail::check_application_options(
      options, config.keras_class, config.default_name, config.default_size, /*min_size=*/32);
  if (!input_shape[0] || !input_shape[1]) {
    throw ValueError(where + " needs a known input height and width: its cells compare the widths of their " +
                     "two inputs to choose how to adjust them (Keras's _adjust_block); got input_shape " +
                     Shape(input_shape).to_string() + "; pass e.g. {" + std::to_string(config.default_size) +
                     ", " + std::to_string(config.default_size) + ", 3}");
  }
  constexpr int filter_multiplier = 2;
  const int filters = config.penultimate_filters / 24;

  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = L::Conv2D(config.stem_block_filters, 3,
                               {.strides = 2,
                                .padding = "valid",
                                .use_bias = false,
                                .kernel_initializer = "he_normal",
                                .name = "stem_conv1"})(img_input);
  x = batch_norm(x, "stem_bn1");

  Cell cell = reduction_a_cell(x, nullptr, filters / (filter_multiplier * filter_multiplier), "stem_1");
  cell = reduction_a_cell(cell.output, &cell.input, filters / filter_multiplier, "stem_2");
  // Three stacks of normal cells, each after a reduction but the first; with skip_reduction the cell after
  // a reduction sees the reduction's previous input as its own.
  int stack_filters = filters;
  for (int stack = 0; stack < 3; ++stack) {
    if (stack > 0) {
      const SymbolicTensor before = cell.input;
      cell = reduction_a_cell(cell.output, &cell.input, stack_filters,
                              "reduce_" + std::to_string(stack * config.num_blocks));
      if (config.skip_reduction) cell.input = before;
    }
    for (int i = 0; i < config.num_blocks; ++i) {
      cell = normal_a_cell(cell.output, &cell.input, stack_filters,
                           std::to_string(stack * config.num_blocks + i + (stack > 0 ? 1 : 0)));
    }
    stack_filters *= filter_multiplier;
  }
  x = relu(cell.output);

  // The top's pooling is unnamed in NASNet, unlike the other families' `avg_pool`.
  x = options.include_top ? detail::classification_top(x, options, "")
                          : detail::feature_pooling(x, options.pooling, "", "");
  return detail::finish_application(img_input, x, options, config.default_name);
}

}  // namespace

Model NASNetMobile(ApplicationOptions options) {
  // Keras's NASNetMobile fixes the input at 224x224 without the top too.
  if (!options.include_top && options.input_shape.empty()) options.input_shape = {224, 224, 3};
  return nasnet(std::move(options), {.keras_class = "NASNetMobile",
                                     .default_name = "nasnet_mobile",
                                     .default_size = 224,
                                     .penultimate_filters = 1056,
                                     .num_blocks = 4,
                                     .stem_block_filters = 32,
                                     .skip_reduction = false});
}

Model NASNetLarge(ApplicationOptions options) {
  return nasnet(std::move(options), {.keras_class = "NASNetLarge",
                                     .default_name = "nasnet_large",
                                     .default_size = 331,
                                     .penultimate_filters = 4032,
                                     .num_blocks = 6,
                                     .stem_block_filters = 96,
                                     .skip_reduction = true});
}

}  // namespace strata::applications
