// Keras's EinsumDense (keras/src/layers/core/einsum_dense.py): the equation parsed by Keras's three forms,
// its kernel and bias shapes by _analyze_split_string, and the product computed as one inner product: the
// input's axes the product keeps moved first and the summed ones last, the kernel as a (summed, output)
// matrix, and the result's axes moved to the equation's output order.

#include "strata/layers/einsum_dense.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <regex>

#include "core/activation.hpp"
#include "core/derived_cache.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/config_codecs.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct EinsumDenseArgs {
  std::string equation;
  std::vector<Dim> output_shape;
  EinsumDenseOptions options;
};

// Keras's output_shape: an int or a tuple whose entries may be None; written as the tuple.
struct OutputShapeCodec {
  static constexpr const char* type = "int or tuple of int or None";
  static nlohmann::json write(const std::vector<Dim>& v) {
    nlohmann::json out = nlohmann::json::array();
    for (const Dim& d : v) out.push_back(d ? nlohmann::json(*d) : nlohmann::json());
    return out;
  }
  static std::vector<Dim> read(const nlohmann::json& j, const detail::ConfigKey& at) {
    if (j.is_number_integer()) return {Dim(j.get<int64_t>())};
    if (!j.is_array()) detail::bad_config_value(at, type, j);
    return detail::Codec<std::vector<Dim>>::read(j, at);
  }
  static std::string cpp(const std::vector<Dim>& v) { return detail::Codec<std::vector<Dim>>::cpp(v); }
};

// bias_axes: a string of letters, or None (no bias), which C++ spells "".
struct BiasAxesCodec {
  static constexpr const char* type = "str or None";
  static nlohmann::json write(const std::string& v) {
    return v.empty() ? nlohmann::json() : nlohmann::json(v);
  }
  static std::string read(const nlohmann::json& j, const detail::ConfigKey& at) {
    if (j.is_null()) return "";
    if (!j.is_string()) detail::bad_config_value(at, type, j);
    return j.get<std::string>();
  }
  static std::string cpp(const std::string& v) { return detail::string_cpp(v); }
};

const detail::LayerSchema<EinsumDenseArgs>& einsum_dense_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<EinsumDenseArgs>("EinsumDense")
          .required("equation", STRATA_ARG(equation))
          .required<OutputShapeCodec>("output_shape", STRATA_ARG(output_shape))
          .option<detail::ActivationCodec>("activation", STRATA_ARG(options.activation))
          .option<BiasAxesCodec>("bias_axes", STRATA_ARG(options.bias_axes))
          .option<detail::InitializerCodec>("kernel_initializer", STRATA_ARG(options.kernel_initializer))
          .option<detail::InitializerCodec>("bias_initializer", STRATA_ARG(options.bias_initializer))
          .kept("kernel_regularizer")
          .kept("bias_regularizer")
          .kept("activity_regularizer")
          .kept("kernel_constraint")
          .kept("bias_constraint")
          .fixed("quantization_config", nullptr)
          .only_default("lora_rank")
          .only_default("lora_alpha")
          .only_default("gptq_unpacked_column_size"));
  return schema;
}

// The equation with `...` spelled out for one input rank: one letter per axis of the input, the kernel and
// the output (digits stand for the axes `...` covers), and the output's full shape, batch included.
struct Resolved {
  std::string input, kernel, output;
  std::vector<Dim> output_dims;
  std::vector<int64_t> kernel_dims, bias_dims;
  std::vector<size_t> kernel_in_axes, kernel_out_axes;
};

class EinsumDenseImpl : public detail::ConfiguredLayer<EinsumDenseArgs> {
 public:
  explicit EinsumDenseImpl(EinsumDenseArgs args) : ConfiguredLayer(einsum_dense_schema(), std::move(args)) {
    const std::string where = prefix();
    static const std::regex plain("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)");
    static const std::regex left("\\.\\.\\.([a-zA-Z]+),([a-zA-Z]+)->\\.\\.\\.([a-zA-Z]+)");
    static const std::regex right("([a-zA-Z]{2,})\\.\\.\\.,([a-zA-Z]+)->([a-zA-Z]+)\\.\\.\\.");
    std::smatch m;
    const std::string& eq = args_.equation;
    if (std::regex_match(eq, m, plain)) {
      elided_ = Elided::kNone;
    } else if (std::regex_match(eq, m, left)) {
      elided_ = Elided::kLeft;
    } else if (std::regex_match(eq, m, right)) {
      elided_ = Elided::kRight;
    } else {
      throw ValueError(
          fmt::format("{} Invalid einsum equation '{}'. Equations must be in the form [X],[Y]->[Z], "
                      "...[X],[Y]->...[Z], or "
                      "[X]...,[Y]->[Z]....",
                      where, eq));
    }
    spec_ = {m[1].str(), m[2].str(), m[3].str()};
    for (const std::string& s : spec_) {
      for (size_t i = 0; i < s.size(); ++i) {
        if (s.find(s[i], i + 1) != std::string::npos) {
          throw ValueError(
              fmt::format("{} The einsum equation '{}' repeats the letter '{}' in '{}'; strata "
                          "takes each axis once per operand",
                          where, eq, s[i], s));
        }
      }
    }
    for (const char c : args_.options.bias_axes) {
      if (spec_[2].find(c) == std::string::npos) {
        throw ValueError(
            fmt::format("{} Bias dimension '{}' was requested, but is not part of the output spec '{}'",
                        where, c, spec_[2]));
      }
    }
    activation_ = detail::parse_activation(args_.options.activation, where);
    detail::check_initializer(args_.options.kernel_initializer, where);
    detail::check_initializer(args_.options.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Resolved r = resolve(inputs[0]);
    if (built() && r.kernel_dims != variables()[0].dims()) {
      throw ShapeError(
          fmt::format("{} Expected an input that gives the kernel shape {} of the first call, "
                      "received shape {} (kernel {})",
                      prefix(), to_shape(variables()[0].dims()).to_string(), inputs[0].to_string(),
                      to_shape(r.kernel_dims).to_string()));
    }
    return {Shape(r.output_dims)};
  }

  void build(const std::vector<Shape>& inputs) override {
    const Resolved r = resolve(inputs[0]);
    // Keras passes the kernel's input and output axes to a variance-scaling initializer for its fans.
    double fan_in = 1.0, fan_out = 1.0;
    for (size_t a : r.kernel_in_axes) fan_in *= static_cast<double>(r.kernel_dims[a]);
    for (size_t a : r.kernel_out_axes) fan_out *= static_cast<double>(r.kernel_dims[a]);
    add_variable("kernel",
                 detail::initialize(args_.options.kernel_initializer, r.kernel_dims, fan_in, fan_out));
    if (!args_.options.bias_axes.empty()) {
      // Keras's compute_fans on the bias's shape: its length for a vector, (rows, columns) for a matrix, the
      // last two axes times the rest beyond.
      const std::vector<int64_t>& b = r.bias_dims;
      double in = static_cast<double>(b[0]), out = static_cast<double>(b[0]);
      if (b.size() >= 2) {
        const double field =
            static_cast<double>(element_count(b)) / static_cast<double>(b[b.size() - 2] * b.back());
        in = static_cast<double>(b[b.size() - 2]) * field;
        out = static_cast<double>(b.back()) * field;
      }
      add_variable("bias", detail::initialize(args_.options.bias_initializer, b, in, out));
    }
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::string& n = name();
    const std::vector<int64_t> in_dims = graph.values[inputs[0]].dims;
    const Resolved r = resolve(to_shape(in_dims));
    // The input's kept axes (in its order), then the summed ones.
    std::vector<int> perm;
    std::vector<int64_t> kept_dims;
    std::string order;  // the letters of the product's axes
    int64_t k = 1;
    for (size_t i = 0; i < r.input.size(); ++i) {
      if (r.kernel.find(r.input[i]) == std::string::npos) {
        perm.push_back(static_cast<int>(i));
        kept_dims.push_back(in_dims[i]);
        order += r.input[i];
      }
    }
    std::string summed;
    for (size_t i = 0; i < r.input.size(); ++i) {
      if (r.kernel.find(r.input[i]) != std::string::npos) {
        perm.push_back(static_cast<int>(i));
        k *= in_dims[i];
        summed += r.input[i];
      }
    }
    std::string produced;  // the kernel's output axes, in the output's order
    std::vector<int64_t> produced_dims;
    int64_t columns = 1;
    for (const char c : r.output) {
      if (r.input.find(c) != std::string::npos) continue;
      produced += c;
      produced_dims.push_back(r.kernel_dims[r.kernel.find(c)]);
      columns *= produced_dims.back();
    }
    order += produced;
    std::vector<int64_t> rows_dims = kept_dims;
    rows_dims.push_back(k);
    const ir::ValueId x =
        detail::emit_reshape(graph, detail::emit_transpose(graph, inputs[0], perm, n), rows_dims, n);
    std::vector<int64_t> product_dims = kept_dims;
    product_dims.push_back(columns);
    const ir::ValueId product = graph.add_value(product_dims, n);
    std::vector<int> out_perm;
    for (const char c : r.output) out_perm.push_back(static_cast<int>(order.find(c)));
    const bool in_order = std::is_sorted(out_perm.begin(), out_perm.end());
    const std::shared_ptr<const Tensor> folded = in_order ? bias_vector(r, produced) : nullptr;
    graph.ops.push_back(
        ir::Op{ir::DenseOp{matrix(r, summed, produced), folded, nullptr}, {x}, {product}, {}, {n}});
    std::vector<int64_t> split = kept_dims;
    split.insert(split.end(), produced_dims.begin(), produced_dims.end());
    ir::ValueId out =
        detail::emit_transpose(graph, detail::emit_reshape(graph, product, split, n), out_perm, n);
    if (!args_.options.bias_axes.empty() && !folded) {
      // Keras's bias shape lines up with the output's last axes; the rest broadcast.
      const std::vector<int64_t> out_dims = graph.values[out].dims;
      std::vector<int64_t> dims(out_dims.size() - r.bias_dims.size(), 1);
      dims.insert(dims.end(), r.bias_dims.begin(), r.bias_dims.end());
      const ir::ValueId bias = graph.add_value(dims, n);
      graph.ops.push_back(
          ir::Op{ir::ConstantOp{std::make_shared<const Tensor>(dims, variables()[1].tensor()->values())},
                 {},
                 {bias},
                 {},
                 {n}});
      const ir::ValueId sum = graph.add_value(out_dims, n);
      graph.ops.push_back(ir::Op{ir::BinaryOp{ir::BinaryOp::Kind::kAdd}, {out, bias}, {sum}, {}, {n}});
      out = sum;
    }
    return {detail::emit_activation(graph, out, activation_, n)};
  }

  int64_t macs(const detail::Node& node) const override {
    if (variables().empty()) return 0;
    const Resolved r = resolve(node.inputs[0].shape());
    int64_t total = variables()[0].size();
    for (size_t i = 1; i < r.output.size(); ++i) {
      if (r.input.find(r.output[i]) == std::string::npos) continue;
      if (!r.output_dims[i]) return 0;
      total *= *r.output_dims[i];
    }
    return total;
  }

 private:
  enum class Elided { kNone, kLeft, kRight };

  // Keras's _analyze_split_string for an input of shape `in`, with the checks strata's lowering needs.
  Resolved resolve(const Shape& in) const {
    const std::string where = prefix();
    const std::string& eq = args_.equation;
    Resolved r;
    const int extra = in.rank() - static_cast<int>(spec_[0].size());
    if (extra < 0 || (elided_ == Elided::kNone && extra != 0) || extra > 10) {
      throw ShapeError(fmt::format("{} The equation '{}' takes an input of rank {}{}, received shape {}",
                                   where, eq, spec_[0].size(), elided_ == Elided::kNone ? "" : " or more",
                                   in.to_string()));
    }
    std::string dots;
    for (int i = 0; i < extra; ++i) dots += static_cast<char>('0' + i);
    r.input = elided_ == Elided::kLeft ? dots + spec_[0] : spec_[0] + dots;
    r.output = elided_ == Elided::kLeft ? dots + spec_[2] : spec_[2] + dots;
    r.kernel = spec_[1];
    // The full output shape: the batch, the axes `...` covers on the left, the given shape, those on the
    // right.
    r.output_dims = {in[0]};
    if (elided_ == Elided::kLeft)
      for (int i = 1; i < extra; ++i) r.output_dims.push_back(in[i]);
    r.output_dims.insert(r.output_dims.end(), args_.output_shape.begin(), args_.output_shape.end());
    if (elided_ == Elided::kRight)
      for (int i = in.rank() - extra; i < in.rank(); ++i) r.output_dims.push_back(in[i]);
    if (r.output_dims.size() != r.output.size()) {
      throw ShapeError(fmt::format(
          "{} Expected an output_shape of {} dimensions for the output '{}' (the batch{} excluded), received "
          "output_shape={} with input shape {}",
          where, r.output.size() - (r.output_dims.size() - args_.output_shape.size()), spec_[2],
          elided_ == Elided::kNone ? "" : " and the axes '...' stands for",
          OutputShapeCodec::write(args_.output_shape).dump(), in.to_string()));
    }
    if (r.input[0] != r.output[0] || r.kernel.find(r.input[0]) != std::string::npos) {
      throw ValueError(
          fmt::format("{} strata's EinsumDense keeps the batch axis first: the equation '{}' must "
                      "start the input and the output with the same letter, which the kernel lacks",
                      where, eq));
    }
    for (size_t i = 0; i < r.input.size(); ++i) {
      const char c = r.input[i];
      const size_t o = r.output.find(c);
      const bool in_kernel = r.kernel.find(c) != std::string::npos;
      if (o != std::string::npos && in_kernel) {
        throw ValueError(
            fmt::format("{} strata's EinsumDense does not take the equation '{}': the axis '{}' is in "
                        "the input, the kernel and the output (a batched kernel)",
                        where, eq, c));
      }
      if (o == std::string::npos && !in_kernel) {
        throw ValueError(
            fmt::format("{} strata's EinsumDense does not take the equation '{}': the input axis '{}' "
                        "is in neither the kernel nor the output",
                        where, eq, c));
      }
      if (o != std::string::npos) {
        if (r.output_dims[o] && in[i] && *r.output_dims[o] != *in[i]) {
          throw ShapeError(
              fmt::format("{} Input shape and output shape do not match at shared dimension '{}'. "
                          "Input shape is {}, and output shape is {}",
                          where, c, *in[i], *r.output_dims[o]));
        }
        if (in[i]) r.output_dims[o] = in[i];
      }
    }
    for (const char c : r.output) {
      if (r.input.find(c) == std::string::npos && r.kernel.find(c) == std::string::npos) {
        throw ValueError(
            fmt::format("{} Dimension '{}' was specified in the output '{}' but has no corresponding "
                        "dim in the input spec '{}' or weight spec '{}'",
                        where, c, spec_[2], spec_[0], spec_[1]));
      }
    }
    for (size_t i = 0; i < r.kernel.size(); ++i) {
      const char c = r.kernel[i];
      const size_t o = r.output.find(c), at = r.input.find(c);
      Dim size;
      if (o != std::string::npos) {
        size = r.output_dims[o];
        r.kernel_out_axes.push_back(i);
      } else if (at != std::string::npos) {
        size = in[static_cast<int>(at)];
        r.kernel_in_axes.push_back(i);
      } else {
        throw ValueError(
            fmt::format("{} Weight dimension '{}' did not have a match in either the input spec '{}' "
                        "or the output spec '{}'. For this layer, the weight must be fully specified",
                        where, c, spec_[0], spec_[2]));
      }
      if (!size) {
        throw ShapeError(
            fmt::format("{} The kernel axis '{}' has no known size: give it in output_shape or in the "
                        "input's shape, received input shape {} and output_shape={}",
                        where, c, in.to_string(), OutputShapeCodec::write(args_.output_shape).dump()));
      }
      r.kernel_dims.push_back(*size);
    }
    const std::string& axes = args_.options.bias_axes;
    if (!axes.empty()) {
      size_t first = r.output.size();
      for (const char c : axes) first = std::min(first, r.output.find(c));
      for (size_t i = first; i < r.output.size(); ++i) {
        if (axes.find(r.output[i]) == std::string::npos) {
          r.bias_dims.push_back(1);
        } else if (!r.output_dims[i]) {
          throw ShapeError(fmt::format("{} The bias axis '{}' has no known size, received input shape {}",
                                       where, r.output[i], in.to_string()));
        } else {
          r.bias_dims.push_back(*r.output_dims[i]);
        }
      }
    }
    return r;
  }

  // The kernel as the (summed axes, produced axes) matrix the inner product takes, its rows in the order
  // `summed` lists the input's axes and its columns in the order `produced` lists the output's.
  std::shared_ptr<const Tensor> matrix(const Resolved& r, const std::string& summed,
                                       const std::string& produced) const {
    static detail::DerivedCache<const Tensor, std::string> cache;
    const std::shared_ptr<const Tensor>& kernel = variables()[0].tensor();
    return cache.get({kernel}, summed + "|" + produced + "|" + r.kernel, [&] {
      std::vector<size_t> order;
      for (const char c : summed) order.push_back(r.kernel.find(c));
      for (const char c : produced) order.push_back(r.kernel.find(c));
      const std::vector<int64_t>& dims = r.kernel_dims;
      std::vector<int64_t> strides(dims.size(), 1);
      for (size_t d = dims.size() - 1; d-- > 0;) strides[d] = strides[d + 1] * dims[d + 1];
      const int64_t count = element_count(dims);
      std::vector<float> out(static_cast<size_t>(count));
      std::vector<int64_t> index(dims.size(), 0);  // in `order`'s axes
      const float* src = kernel->data();
      for (int64_t i = 0; i < count; ++i) {
        int64_t at = 0;
        for (size_t d = 0; d < order.size(); ++d) at += index[d] * strides[order[d]];
        out[static_cast<size_t>(i)] = src[at];
        for (size_t d = order.size(); d-- > 0;) {
          if (++index[d] < dims[order[d]]) break;
          index[d] = 0;
        }
      }
      int64_t rows = 1;
      for (const char c : summed) rows *= dims[r.kernel.find(c)];
      return std::make_shared<const Tensor>(std::vector<int64_t>{rows, count / rows}, std::move(out));
    });
  }

  // The bias as one value per column of the product, when it lies along the produced axes only (each column
  // takes the entry of its produced axes' indices, 1-sized bias axes broadcasting); null otherwise or without
  // a bias.
  std::shared_ptr<const Tensor> bias_vector(const Resolved& r, const std::string& produced) const {
    if (args_.options.bias_axes.empty()) return nullptr;
    const size_t first = r.output.size() - r.bias_dims.size();
    const std::string tail = r.output.substr(first);
    if (produced.size() < tail.size() || produced.substr(produced.size() - tail.size()) != tail)
      return nullptr;
    static detail::DerivedCache<const Tensor, std::string> cache;
    const std::shared_ptr<const Tensor>& bias = variables()[1].tensor();
    return cache.get({bias}, produced + "|" + r.output, [&] {
      std::vector<int64_t> dims;
      for (const char c : produced) dims.push_back(r.kernel_dims[r.kernel.find(c)]);
      const int64_t count = element_count(dims);
      std::vector<float> out(static_cast<size_t>(count));
      std::vector<int64_t> index(dims.size(), 0);
      const size_t skip = dims.size() - r.bias_dims.size();
      for (int64_t i = 0; i < count; ++i) {
        int64_t at = 0;
        for (size_t d = 0; d < r.bias_dims.size(); ++d)
          at = at * r.bias_dims[d] + (r.bias_dims[d] == 1 ? 0 : index[skip + d]);
        out[static_cast<size_t>(i)] = bias->data()[at];
        for (size_t d = dims.size(); d-- > 0;) {
          if (++index[d] < dims[d]) break;
          index[d] = 0;
        }
      }
      return std::make_shared<const Tensor>(std::vector<int64_t>{count}, std::move(out));
    });
  }

  Elided elided_ = Elided::kNone;
  std::array<std::string, 3> spec_;
  detail::Activation activation_;
};

}  // namespace

EinsumDense::EinsumDense(std::string equation, std::vector<Dim> output_shape, EinsumDenseOptions options) {
  impl_ = std::make_shared<EinsumDenseImpl>(
      EinsumDenseArgs{std::move(equation), std::move(output_shape), std::move(options)});
}

EinsumDense::EinsumDense(std::string equation, int64_t output_shape, EinsumDenseOptions options)
    : EinsumDense(std::move(equation), std::vector<Dim>{Dim(output_shape)}, std::move(options)) {}

SymbolicTensor EinsumDense::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_einsum_dense_layers() {
  register_layer(layers::einsum_dense_schema(), [](layers::EinsumDenseArgs a) {
    return std::make_shared<layers::EinsumDenseImpl>(std::move(a));
  });
}
}  // namespace strata::detail
