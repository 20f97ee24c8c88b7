// Keras 3's image resizing layers, Resizing and CenterCrop: a crop (Keras's centred window of the target's
// aspect ratio, or the centred target itself) and a resampling step with TensorFlow's half-pixel rule, which
// Keras 3's ops.image.resize follows on every backend.

#include "strata/layers/resizing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct ResizingArgs {
  int height = 1;
  int width = 1;
  ResizingOptions options;
};

struct CenterCropArgs {
  int height = 1;
  int width = 1;
  CenterCropOptions options;
};

const detail::LayerSchema<ResizingArgs>& resizing_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<ResizingArgs>("Resizing")
                    .fixed("data_format", "channels_last")
                    .positional("height", STRATA_ARG(height))
                    .positional("width", STRATA_ARG(width))
                    .option("interpolation", STRATA_ARG(options.interpolation))
                    .option("crop_to_aspect_ratio", STRATA_ARG(options.crop_to_aspect_ratio))
                    .option("pad_to_aspect_ratio", STRATA_ARG(options.pad_to_aspect_ratio))
                    .option("fill_mode", STRATA_ARG(options.fill_mode))
                    .option("fill_value", STRATA_ARG(options.fill_value))
                    .option("antialias", STRATA_ARG(options.antialias)));
  return schema;
}

const detail::LayerSchema<CenterCropArgs>& center_crop_schema() {
  static const auto schema = std::move(detail::LayerSchema<CenterCropArgs>("CenterCrop")
                                           .fixed("data_format", "channels_last")
                                           .positional("height", STRATA_ARG(height))
                                           .positional("width", STRATA_ARG(width)));
  return schema;
}

// A centred window of the image: its first row and column and its size.
struct Window2D {
  int64_t top = 0, left = 0, height = 0, width = 0;
};

// Keras's smart_resize and crop_to_aspect_ratio window: the largest centred window of the target's aspect
// ratio, computed in Python floats and truncated as Keras does.
Window2D aspect_window(int64_t height, int64_t width, int target_h, int target_w) {
  auto truncate = [](double v) { return static_cast<int64_t>(v); };
  Window2D w;
  w.height =
      std::max<int64_t>(std::min(height, truncate(static_cast<double>(width * target_h) / target_w)), 1);
  w.width =
      std::max<int64_t>(std::min(width, truncate(static_cast<double>(height * target_w) / target_h)), 1);
  w.top = truncate(static_cast<double>(height - w.height) / 2);
  w.left = truncate(static_cast<double>(width - w.width) / 2);
  return w;
}

// Keras's pad_to_aspect_ratio (its TensorFlow backend's arithmetic, in float32): the rows and the columns
// of fill added on each side so that the image takes the target's aspect ratio; one of them is zero.
std::pair<int64_t, int64_t> aspect_padding(int64_t height, int64_t width, int target_h, int target_w) {
  auto truncate = [](float v) { return static_cast<int64_t>(v); };
  const int64_t padded_h =
      std::max(height, truncate(static_cast<float>(width * target_h) / static_cast<float>(target_w)));
  const int64_t padded_w =
      std::max(width, truncate(static_cast<float>(height * target_w) / static_cast<float>(target_h)));
  return {truncate(static_cast<float>(padded_h - height) / 2.0f),
          truncate(static_cast<float>(padded_w - width) / 2.0f)};
}

// Appends a crop of `input` (N, H, W, C) to `w` (nothing when it is the whole image), then a resize to
// (target_h, target_w) (nothing when the window already has that size).
ir::ValueId emit_crop_and_resize(ir::Graph& graph, ir::ValueId input, const Window2D& w, int target_h,
                                 int target_w, ir::ResizeOp::Kind kind, const std::string& layer) {
  std::vector<int64_t> dims = graph.values[input].dims;
  ir::ValueId x = input;
  if (w.height != dims[1] || w.width != dims[2]) {
    ir::SpatialPadding crop;
    crop.before = {static_cast<int>(w.top), static_cast<int>(w.left)};
    crop.after = {static_cast<int>(dims[1] - w.top - w.height), static_cast<int>(dims[2] - w.left - w.width)};
    dims[1] = w.height;
    dims[2] = w.width;
    const ir::ValueId cropped = graph.add_value(dims, layer + ".crop");
    graph.ops.push_back(ir::Op{ir::CropOp{crop}, {x}, {cropped}, {}, {layer}});
    x = cropped;
  }
  if (dims[1] == target_h && dims[2] == target_w) return x;
  dims[1] = target_h;
  dims[2] = target_w;
  const ir::ValueId out = graph.add_value(dims, layer);
  graph.ops.push_back(ir::Op{ir::ResizeOp{kind}, {x}, {out}, {}, {layer}});
  return out;
}

template <class Args>
void check_size(const std::string& where, const Args& a) {
  if (a.height <= 0 || a.width <= 0) {
    throw ValueError(
        fmt::format("{} Expected a positive height and width, received ({}, {})", where, a.height, a.width));
  }
}

void check_images(const detail::LayerImpl& layer, const Shape& in) {
  if (in.rank() != 4) {
    throw ShapeError(
        fmt::format("{} Expected images of rank 4 (batch, height, width, channels), received shape {}",
                    layer.prefix(), in.to_string()));
  }
}

class ResizingImpl : public detail::ConfiguredLayer<ResizingArgs> {
 public:
  explicit ResizingImpl(ResizingArgs args) : ConfiguredLayer(resizing_schema(), std::move(args)) {
    check_size(prefix(), args_);
    const ResizingOptions& o = args_.options;
    if (o.interpolation != "bilinear" && o.interpolation != "nearest") {
      throw ValueError(
          fmt::format("{} Unsupported interpolation '{}'. Expected one of: bilinear, nearest (Keras's "
                      "bicubic, area, lanczos3 and lanczos5 are not implemented)",
                      prefix(), o.interpolation));
    }
    if (o.crop_to_aspect_ratio && o.pad_to_aspect_ratio) {
      throw ValueError(
          fmt::format("{} Only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be true", prefix()));
    }
    if (o.fill_mode != "constant") {
      throw ValueError(
          fmt::format("{} Invalid fill_mode '{}'. Only 'constant' is supported", prefix(), o.fill_mode));
    }
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    check_images(*this, in);
    if (args_.options.antialias && args_.options.interpolation == "bilinear") {
      // Antialiasing only changes a shrinking axis; strata cannot tell for an unknown size.
      const bool unknown = !in[1] || !in[2];
      int64_t rows = 0, columns = 0;  // what pad_to_aspect_ratio adds on each side first
      if (!unknown && args_.options.pad_to_aspect_ratio) {
        std::tie(rows, columns) = aspect_padding(*in[1], *in[2], args_.height, args_.width);
      }
      if (unknown || *in[1] + 2 * rows > args_.height || *in[2] + 2 * columns > args_.width) {
        throw ValueError(
            fmt::format("{} antialias=true is not implemented for shrinking images (received shape {} "
                        "for a target of ({}, {}); it changes nothing where images grow)",
                        prefix(), in.to_string(), args_.height, args_.width));
      }
    }
    return {Shape{in[0], args_.height, args_.width, in[3]}};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    ir::ValueId x = inputs[0];
    if (args_.options.pad_to_aspect_ratio) {
      // The same number of rows (or columns) of fill_value on both sides, as Keras concatenates them.
      const auto [rows, columns] = aspect_padding(dims[1], dims[2], args_.height, args_.width);
      if (rows > 0 || columns > 0) {
        ir::PadOp pad;
        pad.padding.before = {static_cast<int>(rows), static_cast<int>(columns)};
        pad.padding.after = pad.padding.before;
        pad.value = args_.options.fill_value;
        dims[1] += 2 * rows;
        dims[2] += 2 * columns;
        const ir::ValueId padded = graph.add_value(dims, name() + ".pad");
        graph.ops.push_back(ir::Op{pad, {x}, {padded}, {}, {name()}});
        x = padded;
      }
    }
    Window2D w{0, 0, dims[1], dims[2]};
    if (args_.options.crop_to_aspect_ratio) w = aspect_window(dims[1], dims[2], args_.height, args_.width);
    const auto kind =
        args_.options.interpolation == "nearest" ? ir::ResizeOp::Kind::kNearest : ir::ResizeOp::Kind::kLinear;
    return {emit_crop_and_resize(graph, x, w, args_.height, args_.width, kind, name())};
  }
};

class CenterCropImpl : public detail::ConfiguredLayer<CenterCropArgs> {
 public:
  explicit CenterCropImpl(CenterCropArgs args) : ConfiguredLayer(center_crop_schema(), std::move(args)) {
    check_size(prefix(), args_);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    check_images(*this, in);
    if (!in[1] || !in[2]) {
      throw ShapeError(
          fmt::format("{} Expected images of known height and width (the crop, or the resize Keras "
                      "does for smaller images, depends on them), received shape {}",
                      prefix(), in.to_string()));
    }
    return {Shape{in[0], args_.height, args_.width, in[3]}};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t>& dims = graph.values[inputs[0]].dims;
    const int64_t dh = dims[1] - args_.height, dw = dims[2] - args_.width;
    // Keras crops when the image is at least the target on both axes (the extra row or column of an odd
    // margin at the bottom or right), else smart-resizes: the aspect window, resized bilinearly.
    const Window2D w = dh >= 0 && dw >= 0 ? Window2D{dh / 2, dw / 2, args_.height, args_.width}
                                          : aspect_window(dims[1], dims[2], args_.height, args_.width);
    return {emit_crop_and_resize(graph, inputs[0], w, args_.height, args_.width, ir::ResizeOp::Kind::kLinear,
                                 name())};
  }
};

}  // namespace

Resizing::Resizing(int height, int width, ResizingOptions options) {
  impl_ = std::make_shared<ResizingImpl>(ResizingArgs{height, width, std::move(options)});
}
SymbolicTensor Resizing::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

CenterCrop::CenterCrop(int height, int width, CenterCropOptions options) {
  impl_ = std::make_shared<CenterCropImpl>(CenterCropArgs{height, width, std::move(options)});
}
SymbolicTensor CenterCrop::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_resizing_layers() {
  register_layer(layers::resizing_schema(),
                 [](layers::ResizingArgs a) { return std::make_shared<layers::ResizingImpl>(std::move(a)); });
  register_layer(layers::center_crop_schema(), [](layers::CenterCropArgs a) {
    return std::make_shared<layers::CenterCropImpl>(std::move(a));
  });
}
}  // namespace strata::detail
