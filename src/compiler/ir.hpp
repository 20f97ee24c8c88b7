#pragma once
// The compiler's intermediate representation: a list of ops in run order over values with concrete
// dimensions. Layers lower into it; passes rewrite it; backends execute it.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/activation.hpp"
#include "strata/custom_layer.hpp"
#include "strata/tensor.hpp"

namespace strata::ir {

using ValueId = int;

/// Element types of values. Float model inputs and outputs are float32; with precision "bfloat16" the
/// values between them may be bfloat16. Integer (int32, int64) and bool values (one byte, 0 or 1) flow
/// through ElementwiseOp, views and custom ops.
enum class DataType { kFloat32, kBFloat16, kInt32, kInt64, kBool };

/// Bytes per element of `type`.
int64_t element_size(DataType type);

/// The IR type of a tensor's element type, and back (kBFloat16 has no Tensor type: InternalError).
DataType data_type_of(DType dtype);
DType tensor_dtype_of(DataType type);

/// True for the floating types, which the precision pass may convert between.
inline bool is_float(DataType type) {
  return type == DataType::kFloat32 || type == DataType::kBFloat16;
}

/// How a value's elements are laid out in memory. Model inputs and outputs are always plain.
enum class Layout {
  kPlain,      ///< dense row-major in Keras's dimension order (NHWC for images)
  kBlocked16,  ///< images only: (N, C/16, H, W, 16), channels in blocks of 16, the count padded up to a
               ///< multiple of 16 (oneDNN's nChw16c): what Winograd convolutions and convolutions with a
               ///< fused depthwise post-op read and write, and the direct convolutions after them
};

/// Channels in a block of the kBlocked16 layout.
constexpr int64_t kChannelBlock = 16;

/// A tensor flowing between ops. Dimensions are concrete and in Keras's logical order: (N, H, W, C) for
/// images (stored NHWC), (N, C) for vectors.
struct Value {
  std::vector<int64_t> dims;
  std::string name;
  DataType dtype = DataType::kFloat32;
  Layout layout = Layout::kPlain;
  /// When set, this value lives in the buffer of `in_place_of`: a residual add fused as a sum post-op
  /// overwrites the other branch, and a reshape views its input. The memory planner gives both one buffer.
  ValueId in_place_of = -1;
  /// Byte offset in the activation arena, set by the plan_memory pass (-1 before).
  int64_t offset = -1;
};

/// Elements added before and after each spatial axis, in Keras's axis order (steps; height, width; depth,
/// height, width): TensorFlow's split of "same" padding, all before for "causal", or ZeroPadding's margins.
struct SpatialPadding {
  std::vector<int> before, after;
  /// No padding on `rank` axes.
  static SpatialPadding none(int rank);
  int rank() const { return static_cast<int>(before.size()); }
  /// True when nothing is added on any side.
  bool is_zero() const;
  /// Adds `other`'s padding (of the same rank) side by side: zeros padded twice.
  SpatialPadding& operator+=(const SpatialPadding& other);
  friend bool operator==(const SpatialPadding&, const SpatialPadding&) = default;
};

/// The sliding window of a convolution or pooling, per spatial axis (1 to kMaxSpatialRank axes) in Keras's
/// order; the values it reads and writes have one batch axis before these and one channel axis after.
struct Window {
  std::vector<int> size;       ///< taps per axis: a convolution's kernel dims, a pooling's pool_size
  std::vector<int> strides;    ///< steps between windows
  std::vector<int> dilations;  ///< Keras's step between taps (1: adjacent); pooling always 1
  SpatialPadding padding;
  /// `size` with stride 1, dilation 1 and no padding.
  static Window dense(std::vector<int> size);
  int rank() const { return static_cast<int>(size.size()); }
  friend bool operator==(const Window&, const Window&) = default;
};

/// The most spatial axes a window has (Keras's Conv3D and pooling 3D).
constexpr int kMaxSpatialRank = 3;

/// The dims (N, s1..sk, C) of a value with k = 1..3 spatial axes as (N, D, H, W, C), unit axes in front, so
/// that one loop nest serves sequences, images and volumes.
std::array<int64_t, 5> as_volume(const std::vector<int64_t>& dims);
/// Per-axis values of k = 1..3 spatial axes as three, `fill` in front.
std::array<int, 3> as_volume(const std::vector<int>& per_axis, int fill);

/// A convolution over 1 to 3 spatial axes. Kernel in Keras's layout (the window's axes, in / groups, out):
/// (kh, kw, in / groups, out) for images; bias (out) or null. `window.size` is the kernel's spatial dims. The
/// kernel computed with is `kernel` times `kernel_scale` along the output channels (see effective_kernel).
struct ConvOp {
  Window window;
  int groups = 1;
  std::shared_ptr<const Tensor> kernel;
  std::shared_ptr<const Tensor> bias;
  /// Per output channel (out), or null for none: a folded batch norm's scale. Kept apart from the kernel
  /// so that a plan holds the layer's own kernel and a few floats, not a scaled copy of every kernel.
  std::shared_ptr<const Tensor> kernel_scale;
  /// kWinograd (set by the choose_layouts pass) needs kBlocked16 input and output values.
  enum class Algorithm { kDirect, kWinograd };
  Algorithm algorithm = Algorithm::kDirect;
};

/// A transposed convolution (Keras's Conv1DTranspose, Conv2DTranspose) over 1 to 3 spatial axes: the
/// gradient of the convolution from the output back to the input. `window` is that forward convolution's:
/// its strides, dilations and padding (`after` may be negative when Keras's output_padding or a kernel
/// shorter than the stride leaves output cells that no window reaches; they get the bias alone). Kernel in
/// Keras's layout (the window's axes, out, in), bias (out) or null.
struct TransposedConvOp {
  Window window;
  std::shared_ptr<const Tensor> kernel;
  std::shared_ptr<const Tensor> bias;
};

/// Max or average pooling over 1 to 3 spatial axes; average pooling excludes padded cells from the divisor.
struct PoolOp {
  enum class Kind { kMax, kAverage };
  Kind kind = Kind::kMax;
  Window window;
};

/// An element-wise activation as a separate op (before fusion moves it into a post-op).
struct ActivationOp {
  detail::Activation activation;
};

/// An element-wise binary op over two inputs with Keras's size-1 broadcasting.
struct BinaryOp {
  /// kPower has no oneDNN binary: it runs in plain C++ on the plan's threads.
  enum class Kind { kAdd, kSubtract, kMultiply, kDivide, kMaximum, kMinimum, kPower };
  Kind kind = Kind::kAdd;
};

/// One element of a binary op, as Keras computes it: maximum and minimum propagate NaN (std::max and
/// std::min return an operand by comparison). The reference kernel and the backends' plain C++ steps use it.
float apply_binary(BinaryOp::Kind kind, float x, float y);

/// Keras's op name for a binary kind ("add", "multiply", ...), for IR dumps and plan reports.
const char* binary_name(BinaryOp::Kind kind);

/// Element-wise ops on values of any type (float32, int32, int64, bool), in plain C++ on the plan's threads:
/// Keras's casts, comparisons, logical ops, `where`, and arithmetic on integers. The inputs broadcast as
/// BinaryOp's. Lowering casts first so that the operands share one type: the output's for arithmetic and
/// where's branches (its condition is bool), the compared type for comparisons (bool output), bool for
/// logical ops. kCast converts its input to the output's type as TensorFlow's cast does.
struct ElementwiseOp {
  enum class Kind {
    kCast,
    kAdd,
    kSubtract,
    kMultiply,
    kMaximum,
    kMinimum,
    kNegative,
    kAbsolute,
    kSquare,
    kEqual,
    kNotEqual,
    kLess,
    kLessEqual,
    kGreater,
    kGreaterEqual,
    kLogicalAnd,
    kLogicalOr,
    kLogicalNot,
    kWhere,
  };
  /// A number standing for an operand (which then has no input): its position among the operands and its
  /// value, converted to that operand's type.
  struct Number {
    int at = 0;
    double value = 0.0;
    /// An integer or bool number, exactly in `integer` (`value` may round it beyond 2^53).
    bool integral = false;
    int64_t integer = 0;
  };
  Kind kind = Kind::kCast;
  /// In increasing position.
  std::vector<Number> numbers;
};

/// Rows of `table` (rows, width) picked by the input's integer ids (int32 or int64), as Keras's Embedding
/// (`ops.take` along axis 0: a negative id counts from the end). The output is the ids' dims with `width`
/// appended, float32. An id outside [-rows, rows) makes the step throw ValueError starting with `where`.
struct GatherOp {
  std::shared_ptr<const Tensor> table;
  std::string where;
  /// The ids are a cast of the layer's float or bool input (Keras casts those to int32): the message says so,
  /// since a NaN or a huge float arrives as -2147483648.
  bool ids_cast = false;
};

/// Keras's CategoryEncoding on integer values (int32 or int64) in [0, depth): kOneHot appends an axis of
/// `depth` with a 1 at each value; kMultiHot and kCount turn each row (N, n) into (N, depth), a 1 (or the
/// number of times) at each value the row holds. A value outside [0, depth) makes the step throw ValueError
/// starting with `where`.
struct OneHotOp {
  enum class Mode { kOneHot, kMultiHot, kCount };
  Mode mode = Mode::kOneHot;
  int64_t depth = 0;
  std::string where;
  /// The values are a cast of the layer's float or bool input, for the message.
  bool ids_cast = false;
};

/// The type a number operand at position `at` of `op` takes: bool for a condition or a logical operand,
/// the output's type for where's branches, and the tensors' shared type `operands` for the rest.
DataType elementwise_number_type(const ElementwiseOp& op, int at, DataType operands, DataType output);

/// The op's name in plans and profiles ("cast", "greater", "where", ...).
std::string elementwise_name(ElementwiseOp::Kind kind);

/// Softmax (or log-softmax) over one axis: Keras's axis, 1..rank-1 (the batch never), or -1 for the last.
struct SoftmaxOp {
  int axis = -1;
  bool log = false;
  /// The axis counted from the front for a value of `rank` axes.
  int axis_for(size_t rank) const { return axis < 0 ? static_cast<int>(rank) + axis : axis; }
};

/// Keras's PReLU: `x` where x >= 0, else `alpha * x`. `alpha` has the input's dims without the batch, 1 on
/// the axes it is shared along (Keras's shared_axes), and broadcasts over them.
struct PReluOp {
  std::shared_ptr<const Tensor> alpha;
};

/// A dense layer over the last axis: the input is viewed as (rows, in). Kernel (in, out), bias (out) or null;
/// `kernel_scale` (out) or null as in ConvOp.
struct DenseOp {
  std::shared_ptr<const Tensor> kernel;
  std::shared_ptr<const Tensor> bias;
  std::shared_ptr<const Tensor> kernel_scale;
};

/// The kernel an op computes with: `kernel` itself when `scale` is null, otherwise a new tensor with every
/// element multiplied by the scale of its output channel (the last axis), rounded once to float32.
std::shared_ptr<const Tensor> effective_kernel(const std::shared_ptr<const Tensor>& kernel,
                                               const std::shared_ptr<const Tensor>& scale);
/// Writes effective_kernel's values for a non-null `scale` into `out` (kernel.size() floats), bit for bit.
void scale_kernel_into(const Tensor& kernel, const Tensor& scale, float* out);

/// Batch normalization at inference over the last axis, with Keras's variables. Any of gamma and beta may be
/// null (scale or center off).
struct BatchNormOp {
  std::shared_ptr<const Tensor> gamma, beta, mean, variance;
  float epsilon = 1e-3f;
};

/// A batched matrix product (keras.ops.matmul) of two inputs of one rank (3 or more): the last two axes
/// are the matrices, (M, K) by (K, N); the axes before them broadcast as numpy's (a size 1 stretches).
struct MatMulOp {};

/// Layer normalization over the last axis (Keras's LayerNormalization after its axes are flattened into
/// one): `(x - mean) / sqrt(variance + epsilon) * gamma + beta` per row. gamma and beta (the last axis's
/// size) may be null (scale or center off).
struct LayerNormOp {
  std::shared_ptr<const Tensor> gamma, beta;
  float epsilon = 1e-3f;
};

/// A recurrent layer over a whole sequence (Keras's SimpleRNN, GRU and LSTM): input 0 is the sequence
/// (N, T, F), then the initial states when given (h, and c for an LSTM; (N, units) each), zeros otherwise,
/// then the mask when `masked`.
/// Outputs: the sequence of outputs (N, T, units), the last output h (N, units), and for an LSTM the last
/// carry c (N, units). Weights in Keras's layouts, gates in Keras's order (LSTM i, f, c, o; GRU z, r, h):
/// kernel (F, gates * units), recurrent_kernel (units, gates * units), bias (gates * units), a GRU with
/// reset_after (2, 3 * units): the input bias, then the recurrent bias, or null (use_bias off).
struct RecurrentOp {
  enum class Cell { kSimple, kGru, kLstm };
  Cell cell = Cell::kLstm;
  /// The candidate's and output's activation (SimpleRNN's only one), and the gates' (GRU and LSTM).
  detail::Activation activation{detail::ActivationKind::kTanh};
  detail::Activation recurrent_activation{detail::ActivationKind::kSigmoid};
  std::shared_ptr<const Tensor> kernel, recurrent_kernel, bias;
  /// GRU: the reset gate multiplies the recurrent projection after the matrix product (Keras 3's default,
  /// cuDNN's and oneDNN's linear-before-reset form) instead of the state before it.
  bool reset_after = true;
  /// The sequence is read from its last step to its first.
  bool backwards = false;
  /// With `backwards`, whether output step t of the sequence is the one computed from input step t (a
  /// Bidirectional layer's backward half, oneDNN's and ONNX's order) rather than the t-th step computed
  /// (Keras's go_backwards, which returns the outputs in the order it computed them).
  bool aligned = false;
  /// When set, the op is both halves of a Bidirectional layer: this one reads forwards, `backward` (its own
  /// weights, `backwards` and `aligned`) reads the same sequence backwards. Inputs: the sequence, this
  /// half's initial states, then backward's; outputs: this half's (sequence, h[, c]), then backward's. A
  /// backend may run the halves at once.
  std::shared_ptr<const RecurrentOp> backward;
  /// Keras's mask: the op's last input is a bool (N, T), false at the steps to skip. A skipped step keeps the
  /// states and outputs the previous step's output (zeros before the first kept step), or zeros when
  /// `zero_output_for_mask` (a Bidirectional's halves returning sequences). Both halves share the mask.
  bool masked = false;
  bool zero_output_for_mask = false;
  /// Gates of the cell: 1, 3 or 4.
  int gates() const { return cell == Cell::kSimple ? 1 : cell == Cell::kGru ? 3 : 4; }
  /// States of the cell: 2 for an LSTM (h, c), else 1.
  int states() const { return cell == Cell::kLstm ? 2 : 1; }
};

/// Padding of the spatial axes (all axes between the batch and the channels) with `value`: zero for the
/// ZeroPadding layers, Resizing's `fill_value` for its pad_to_aspect_ratio. Only zero padding folds into
/// convolutions and poolings.
struct PadOp {
  SpatialPadding padding;
  float value = 0.0f;
};

/// Cropping of the spatial axes: `cropping` elements removed before and after each.
struct CropOp {
  SpatialPadding cropping;
};

/// Nearest-neighbour upsampling of the spatial axes by whole factors, one per axis.
struct UpsampleOp {
  std::vector<int> factors;
};

/// Interpolated resizing of the spatial axes to the output's sizes, as TensorFlow's `tf.image.resize` (v2)
/// without antialiasing, which Keras 3's resize layers call: half-pixel centres, the source coordinate of
/// output cell o being (o + 0.5) * in / out - 0.5, clamped to the edge. Linear blends the two nearest cells
/// per axis; nearest takes floor((o + 0.5) * in / out).
struct ResizeOp {
  enum class Kind { kNearest, kLinear };
  Kind kind = Kind::kLinear;
};

/// A new shape for the same row-major data; the output shares the input's buffer, so it costs nothing.
struct ReshapeOp {};

/// Joins the inputs along `axis` (Keras's axis, 1..rank-1).
struct ConcatOp {
  int axis = 1;
};

/// A reduction (keras.ops.sum, mean, max, min) over `axes`, Keras's axes in increasing order, never the
/// batch. The output keeps them with size 1 (keepdims); a reshape after it drops them.
struct ReduceOp {
  enum class Kind { kSum, kMean, kMax, kMin };
  Kind kind = Kind::kSum;
  std::vector<int> axes;
};

/// The axes reordered (keras.ops.transpose, Keras's Permute): output axis i is input axis `perm[i]`, the
/// batch staying first (perm[0] == 0).
struct TransposeOp {
  std::vector<int> perm;
};

/// A conversion of the input to the output's data type (float32 <-> bfloat16) and layout, inserted by the
/// choose_precision pass at the model's boundary and around ops that only run in float32, and by the
/// choose_layouts pass around ops that read or write another layout.
struct ConvertOp {};

/// A value known when the plan is built (a causal attention mask for the plan's sequence lengths): the
/// output, of `value`'s dims and type (float32, int32, int64 or bool), is `value` itself. No inputs.
struct ConstantOp {
  std::shared_ptr<const Tensor> value;
};

/// A user-defined layer's kernel, run as plain C++ on dense row-major tensors.
struct CustomOp {
  std::shared_ptr<const MultiOutputLayerDefinition> definition;
  std::vector<std::shared_ptr<const Tensor>> weights;
};

#ifdef STRATA_DISPATCH_PROBE
/// Only in the build-failure tests (tests/CMakeLists.txt, `dispatch.*`): an op kind nothing handles, which
/// every exhaustive visit of OpAttrs must refuse to compile.
struct ProbeOp {};
#define STRATA_PROBE_OP_KIND , ProbeOp
#else
#define STRATA_PROBE_OP_KIND
#endif

/// Every op kind. The backends and the compiler visit it exhaustively (one handler per kind, no catch-all),
/// so a kind added here without a handler fails to build where one is missing.
using OpAttrs = std::variant<ConvOp, TransposedConvOp, PoolOp, ActivationOp, BinaryOp, ElementwiseOp,
                             GatherOp, OneHotOp, SoftmaxOp, PReluOp, DenseOp, BatchNormOp, LayerNormOp,
                             MatMulOp, RecurrentOp, PadOp, CropOp, UpsampleOp, ResizeOp, ReshapeOp, ConcatOp,
                             ReduceOp, TransposeOp, CustomOp, ConstantOp, ConvertOp STRATA_PROBE_OP_KIND>;

/// A step fused into an op, applied to its result in order.
struct PostOp {
  enum class Kind {
    kActivation,  ///< dst = activation(dst)
    kSum,         ///< dst = dst + operand, where dst's buffer already holds `operand` (in place)
    kDepthwise,   ///< dst = depthwise(dst): a 3x3 depthwise convolution of the op's result, which then exists
                  ///< only inside the fused step; the post-ops after it apply to its output, the op's output
    kBinary,      ///< dst = binary(dst, operand), the operand one value or one per channel (broadcast)
  };
  Kind kind = Kind::kActivation;
  detail::Activation activation;
  /// kSum: the value whose buffer dst accumulates into; kBinary: the second operand.
  ValueId operand = -1;
  /// kDepthwise: the depthwise convolution (groups = channels, kernel (3, 3, 1, channels)).
  std::shared_ptr<const ConvOp> depthwise;
  /// kBinary: which binary op (never kPower).
  BinaryOp::Kind binary = BinaryOp::Kind::kAdd;
};

struct Op {
  OpAttrs attrs;
  std::vector<ValueId> inputs;
  /// The values the op writes: one for most kinds, several for a kind that computes several at once (a
  /// custom layer returning a list; a recurrent layer's sequence and states). Post-ops apply to the first.
  std::vector<ValueId> outputs;
  std::vector<PostOp> post_ops;
  /// The Keras layers this op computes, for plan reports and profiles.
  std::vector<std::string> layers;

  /// The first output: the only one of every kind but CustomOp.
  ValueId output() const { return outputs.front(); }
};

/// The whole program for one concrete input shape.
struct Graph {
  std::vector<Value> values;
  std::vector<Op> ops;
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  /// Bytes of the activation arena, set by the plan_memory pass.
  int64_t arena_bytes = 0;

  ValueId add_value(std::vector<int64_t> dims, std::string name);
  /// Bytes of value `v`, including a blocked layout's padding channels.
  int64_t bytes(ValueId v) const;
  /// The ops (by index) that read each value, as inputs or as post-op operands.
  std::vector<std::vector<int>> readers() const;
  /// The op index producing each value, or -1 for graph inputs.
  std::vector<int> producers() const;
  bool is_output(ValueId v) const;
  /// The value owning the buffer `v` lives in (follows in_place_of to its end).
  ValueId buffer_root(ValueId v) const;
  /// A readable listing, one op per line, for dumps and failing tests.
  std::string to_string() const;
};

/// One direction of a RecurrentOp: its attributes, the sequence, its initial states (none, or h[, c]) and its
/// outputs (sequence, h[, c]).
struct RecurrentHalf {
  const RecurrentOp* attrs = nullptr;
  ValueId sequence = -1;
  /// The mask (RecurrentOp::masked), or -1.
  ValueId mask = -1;
  std::vector<ValueId> initial, outputs;
};

/// The directions `op` (holding a RecurrentOp) computes: one, or a Bidirectional's forward and backward.
std::vector<RecurrentHalf> recurrent_halves(const Op& op);

/// The depthwise convolution fused into `op` as a post-op, or null.
const ConvOp* fused_depthwise(const Op& op);

/// What fuse_depthwise folds: a 1x1 convolution that keeps the image's size (stride 1, no padding, no
/// groups, nothing but activations fused so far) ...
bool is_pointwise(const Op& op);
/// ... and a 3x3 depthwise convolution with one output channel per input channel reading its result.
bool is_depthwise_3x3(const Graph& graph, const Op& op);

/// `pointwise` with `depthwise` (a convolution reading only its result) fused in: a depthwise post-op, then
/// the depthwise convolution's own post-ops; the depthwise output and both ops' layers.
Op with_depthwise_post_op(const Op& pointwise, const Op& depthwise);

/// Every weight tensor `op` computes with (a fused depthwise convolution's included), none null.
std::vector<std::shared_ptr<const Tensor>> op_weights(const Op& op);

/// Floating-point operations of one run of `op` (2 per multiply-accumulate of convolutions and dense ops;
/// 0 for the rest, whose cost is memory traffic).
double op_flops(const Graph& graph, const Op& op);

/// The short name of an op's kind ("conv2d", "pool2d", ...).
std::string op_kind_name(const Op& op);
/// The post-op chain of an op as text: "conv + sum + relu".
std::string post_op_chain(const Graph& graph, const Op& op);

}  // namespace strata::ir
