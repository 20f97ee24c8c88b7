#include "backend/onednn/descriptors.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "backend/onednn/eltwise_mapping.hpp"
#include "strata/error.hpp"

namespace strata::onednn {

static_assert(kMaxRank == DNNL_MAX_NDIMS);

memory::data_type data_type_of(ir::DataType type) {
  switch (type) {
    case ir::DataType::kBFloat16:
      return memory::data_type::bf16;
    case ir::DataType::kInt32:
      return memory::data_type::s32;
    case ir::DataType::kBool:
      return memory::data_type::u8;  // moved as bytes by reorders and concats
    case ir::DataType::kInt64:
      break;  // oneDNN 2.6 has no 64-bit integers: such values reach only plain C++ steps
    case ir::DataType::kFloat32:
      return memory::data_type::f32;
  }
  throw InternalError("onednn: no oneDNN type for int64 values");
}

memory::desc value_desc(const std::vector<int64_t>& keras_dims, ir::DataType type, ir::Layout layout) {
  const memory::data_type f32 = data_type_of(type);
  const size_t rank = keras_dims.size();
  if (layout == ir::Layout::kBlocked16 && rank != 4) {
    throw InternalError(fmt::format("onednn: a blocked layout for rank {}", rank));
  }
  if (rank < 1 || rank > kMaxRank) throw InternalError(fmt::format("onednn: no layout for rank {}", rank));
  switch (rank) {
    case 4:
      return memory::desc({keras_dims[0], keras_dims[3], keras_dims[1], keras_dims[2]}, f32,
                          layout == ir::Layout::kBlocked16 ? tag::nChw16c : tag::nhwc);
    case 3:
      return memory::desc({keras_dims[0], keras_dims[2], keras_dims[1]}, f32, tag::nwc);
    case 2:
      return memory::desc({keras_dims[0], keras_dims[1]}, f32, tag::ab);
    case 1:
      return memory::desc({keras_dims[0]}, f32, tag::a);
    default:
      break;
  }
  // Rank 5 and up, by strides (oneDNN 2.6 names no channels-last tag past rank 5): oneDNN's logical order
  // puts Keras's last axis second, and the strides keep Keras's row-major memory.
  std::vector<int64_t> keras_strides(rank, 1);
  for (size_t d = rank - 1; d-- > 0;) keras_strides[d] = keras_strides[d + 1] * keras_dims[d + 1];
  memory::dims dims{keras_dims[0], keras_dims[rank - 1]};
  memory::dims strides{keras_strides[0], keras_strides[rank - 1]};
  for (size_t d = 1; d + 1 < rank; ++d) {
    dims.push_back(keras_dims[d]);
    strides.push_back(keras_strides[d]);
  }
  return memory::desc(dims, f32, strides);
}

memory::desc row_major_desc(const ir::Value& value) {
  return row_major_desc(value.dims, value.dtype);
}

memory::desc row_major_desc(const std::vector<int64_t>& dims, ir::DataType type) {
  memory::dims strides(dims.size(), 1);
  for (size_t d = dims.size() - 1; d-- > 0;) strides[d] = strides[d + 1] * dims[d + 1];
  return memory::desc(dims, data_type_of(type), strides);
}

memory::dims window_dims(const std::vector<int>& per_axis, int delta) {
  memory::dims dims;
  for (int v : per_axis) dims.push_back(v + delta);
  return dims;
}

std::vector<int64_t> padded(std::vector<int64_t> dims, size_t rank) {
  dims.insert(dims.begin(), rank - dims.size(), 1);
  return dims;
}

// Rebuilt from the blocking descriptor since 2.6 exports no function for it: dims by decreasing stride,
// blocked ones in capitals, then the inner blocks.
std::string layout_name(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind == dnnl_format_kind_wino) return "winograd";  // weights pre-transformed for Winograd
  if (d.format_kind != dnnl_blocked) return "any";
  const dnnl_blocking_desc_t& blocking = d.format_desc.blocking;
  std::vector<int> order(d.ndims);
  for (int i = 0; i < d.ndims; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return blocking.strides[a] > blocking.strides[b]; });
  std::string text;
  for (int i : order) {
    bool blocked = false;
    for (int k = 0; k < blocking.inner_nblks; ++k) blocked = blocked || blocking.inner_idxs[k] == i;
    text += static_cast<char>((blocked ? 'A' : 'a') + i);
  }
  for (int k = 0; k < blocking.inner_nblks; ++k) {
    text += std::to_string(blocking.inner_blks[k]) + static_cast<char>('a' + blocking.inner_idxs[k]);
  }
  if (text == "acdb") return "nhwc";
  if (text == "abcd") return "nchw";
  if (text == "aBcd16b") return "nChw16c";
  if (text == "ab") return "nc";
  return text;
}

memory::desc value_desc(const ir::Graph& graph, ir::ValueId v) {
  const ir::Value& value = graph.values[v];
  return value_desc(value.dims, value.dtype, value.layout);
}

dnnl::algorithm binary_algorithm(ir::BinaryOp::Kind kind) {
  switch (kind) {
    case ir::BinaryOp::Kind::kAdd:
      return dnnl::algorithm::binary_add;
    case ir::BinaryOp::Kind::kSubtract:
      return dnnl::algorithm::binary_sub;
    case ir::BinaryOp::Kind::kMultiply:
      return dnnl::algorithm::binary_mul;
    case ir::BinaryOp::Kind::kDivide:
      return dnnl::algorithm::binary_div;
    case ir::BinaryOp::Kind::kMaximum:
      return dnnl::algorithm::binary_max;
    case ir::BinaryOp::Kind::kMinimum:
      return dnnl::algorithm::binary_min;
    case ir::BinaryOp::Kind::kPower:
      break;
  }
  throw InternalError("onednn: a binary kind without a oneDNN algorithm (power)");
}

namespace {

memory::desc operand_desc(const ir::Graph& graph, const ir::Op& op, ir::ValueId operand) {
  const size_t rank = graph.values[op.output()].dims.size();
  const ir::Value& v = graph.values[operand];
  return v.dims.size() == rank ? value_desc(graph, operand) : value_desc(padded(v.dims, rank), v.dtype);
}

// Calls `visit(entry index in oneDNN's chain, post-op)` for each post-op, in order: an activation may take
// several oneDNN entries.
template <class Visit>
void walk_chain(const ir::Op& op, const Visit& visit) {
  int index = 0;
  for (const ir::PostOp& p : op.post_ops) {
    visit(index, p);
    index +=
        p.kind == ir::PostOp::Kind::kActivation ? static_cast<int>(eltwise_steps(p.activation).size()) : 1;
  }
}

}  // namespace

dnnl::primitive_attr attributes(const ir::Op& op, ir::DataType type, const ir::Graph* graph) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (!op.post_ops.empty()) {
    dnnl::post_ops chain;
    walk_chain(op, [&](int, const ir::PostOp& p) {
      switch (p.kind) {
        case ir::PostOp::Kind::kSum:
          chain.append_sum(1.0f);
          break;
        case ir::PostOp::Kind::kDepthwise: {
          // oneDNN takes the top/left padding; its output is ceil(in / stride), padded bottom/right as
          // needed (fuse_depthwise only fuses depthwise convolutions whose padding is exactly that).
          const ir::ConvOp& dw = *p.depthwise;
          chain.append_dw(data_type_of(type), dw.bias ? memory::data_type::f32 : memory::data_type::undef,
                          data_type_of(type), 3, dw.window.strides[0], dw.window.padding.before[0], 0, {});
          break;
        }
        case ir::PostOp::Kind::kBinary:
          if (graph == nullptr) throw InternalError("onednn: a binary post-op without its graph");
          chain.append_binary(binary_algorithm(p.binary), operand_desc(*graph, op, p.operand));
          break;
        case ir::PostOp::Kind::kActivation:
          for (const EltwiseStep& e : eltwise_steps(p.activation)) {
            chain.append_eltwise(1.0f, e.algorithm, e.alpha, e.beta);
          }
          break;
      }
    });
    attr.set_post_ops(chain);
  }
  return attr;
}

std::vector<PostOpOperand> post_op_operands(const ir::Graph& graph, const ir::Op& op) {
  std::vector<PostOpOperand> operands;
  walk_chain(op, [&](int index, const ir::PostOp& p) {
    if (p.kind != ir::PostOp::Kind::kBinary) return;
    operands.push_back({DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1, p.operand,
                        operand_desc(graph, op, p.operand)});
  });
  return operands;
}

}  // namespace strata::onednn
