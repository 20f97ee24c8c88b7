// Keras's activations as ONNX nodes, for the exporter: most are one operator, relu with Keras's
// max_value, negative slope and threshold a few.

#include "export/onnx_activations.hpp"

#include <fmt/format.h>

#include <cmath>

#include "strata/error.hpp"

namespace strata::detail {
namespace {

// Keras's relu(x, negative_slope, max_value, threshold).
void relu(OnnxGraph& g, const Activation& a, const std::string& x, const std::string& out,
          const std::string& name) {
  const bool bounded = std::isfinite(a.max_value);
  if (a.threshold == 0.0f) {
    if (a.alpha == 0.0f) {
      if (bounded) {
        g.node("Clip", {x, g.scalar(0.0f), g.scalar(a.max_value)}, {out}, name);
      } else {
        g.node("Relu", {x}, {out}, name);
      }
      return;
    }
    // With a slope, negative inputs give alpha * x, positive ones min(x, max_value).
    const std::string leaky = bounded ? g.unique(out + "/leaky") : out;
    OnnxGraph::attr(g.node("LeakyRelu", {x}, {leaky}, bounded ? name + "/leaky" : name), "alpha", a.alpha);
    if (bounded) g.node("Min", {leaky, g.scalar(a.max_value)}, {out}, name);
    return;
  }
  // A threshold: where(x > t, min(x, max), 0) - alpha * relu(t - x).
  const std::string t = g.scalar(a.threshold);
  const std::string above = g.unique(out + "/above"), kept = g.unique(out + "/kept");
  g.node("Greater", {x, t}, {above}, name + "/above");
  const bool sloped = a.alpha != 0.0f;
  const std::string positive = (bounded || sloped) ? g.unique(out + "/positive") : out;
  g.node("Where", {above, x, g.scalar(0.0f)}, {positive}, name + "/where");
  std::string result = positive;
  if (bounded) {
    const std::string clipped = sloped ? g.unique(out + "/clipped") : out;
    g.node("Min", {positive, g.scalar(a.max_value)}, {clipped}, name + "/min");
    result = clipped;
  }
  if (sloped) {
    const std::string below = g.unique(out + "/below"), negative = g.unique(out + "/negative");
    g.node("Sub", {t, x}, {below}, name + "/below");
    g.node("Relu", {below}, {kept}, name + "/relu");
    g.node("Mul", {kept, g.scalar(a.alpha)}, {negative}, name + "/alpha");
    g.node("Sub", {result, negative}, {out}, name);
  }
}

}  // namespace

// Emits `a(x)` into tensor `out`; the nodes are named after `name`.
void emit_onnx_activation(OnnxGraph& g, const Activation& a, const std::string& x, const std::string& out,
                          const std::string& name) {
  auto unary = [&](const std::string& type) -> onnx::NodeProto& { return g.node(type, {x}, {out}, name); };
  switch (a.kind) {
    case ActivationKind::kLinear:
      unary("Identity");
      return;
    case ActivationKind::kRelu:
      return relu(g, a, x, out, name);
    case ActivationKind::kRelu6:
      g.node("Clip", {x, g.scalar(0.0f), g.scalar(6.0f)}, {out}, name);
      return;
    case ActivationKind::kSigmoid:
      unary("Sigmoid");
      return;
    case ActivationKind::kHardSigmoid: {
      // Keras 3: relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1).
      onnx::NodeProto& n = unary("HardSigmoid");
      OnnxGraph::attr(n, "alpha", 1.0f / 6.0f);
      OnnxGraph::attr(n, "beta", 0.5f);
      return;
    }
    case ActivationKind::kHardSigmoidKeras2:
      // ONNX's own defaults: clip(0.2 x + 0.5, 0, 1).
      unary("HardSigmoid");
      return;
    case ActivationKind::kTanh:
      unary("Tanh");
      return;
    case ActivationKind::kElu:
      OnnxGraph::attr(unary("Elu"), "alpha", a.alpha);
      return;
    case ActivationKind::kSelu: {
      onnx::NodeProto& n = unary("Selu");
      OnnxGraph::attr(n, "alpha", 1.6732632423543772f);
      OnnxGraph::attr(n, "gamma", 1.0507009873554805f);
      return;
    }
    case ActivationKind::kGelu: {
      // Keras's exact gelu, 0.5 x (1 + erf(x / sqrt 2)); the Gelu operator needs opset 20, and ONNX
      // Runtime fuses this pattern into its own Gelu kernel.
      const std::string scaled = g.unique(out + "/div"), erf = g.unique(out + "/erf"),
                        one = g.unique(out + "/add"), half = g.unique(out + "/mul");
      g.node("Div", {x, g.scalar(static_cast<float>(std::sqrt(2.0)))}, {scaled}, name + "/div");
      g.node("Erf", {scaled}, {erf}, name + "/erf");
      g.node("Add", {erf, g.scalar(1.0f)}, {one}, name + "/add");
      g.node("Mul", {x, one}, {half}, name + "/mul");
      g.node("Mul", {half, g.scalar(0.5f)}, {out}, name);
      return;
    }
    case ActivationKind::kSwish: {
      const std::string sigmoid = g.unique(out + "/sigmoid");
      g.node("Sigmoid", {x}, {sigmoid}, name + "/sigmoid");
      g.node("Mul", {x, sigmoid}, {out}, name);
      return;
    }
    case ActivationKind::kSoftplus:
      unary("Softplus");
      return;
    case ActivationKind::kLeakyRelu:
      OnnxGraph::attr(unary("LeakyRelu"), "alpha", a.alpha);
      return;
    case ActivationKind::kHardSwish: {
      // HardSwish needs opset 14; x * HardSigmoid(x) with Keras's 1/6 and 0.5 is the same function.
      const std::string gate = g.unique(out + "/gate");
      onnx::NodeProto& n = g.node("HardSigmoid", {x}, {gate}, name + "/gate");
      OnnxGraph::attr(n, "alpha", 1.0f / 6.0f);
      OnnxGraph::attr(n, "beta", 0.5f);
      g.node("Mul", {x, gate}, {out}, name);
      return;
    }
    case ActivationKind::kMish: {
      // Mish needs opset 18.
      const std::string softplus = g.unique(out + "/softplus"), tanh = g.unique(out + "/tanh");
      g.node("Softplus", {x}, {softplus}, name + "/softplus");
      g.node("Tanh", {softplus}, {tanh}, name + "/tanh");
      g.node("Mul", {x, tanh}, {out}, name);
      return;
    }
    case ActivationKind::kExp:
      unary("Exp");
      return;
    case ActivationKind::kErf:
      unary("Erf");
      return;
    case ActivationKind::kRpow:
      g.node("Pow", {g.scalar(a.alpha), x}, {out}, name);
      return;
    case ActivationKind::kAffine: {
      if (a.beta == 0.0f) {
        g.node("Mul", {x, g.scalar(a.alpha)}, {out}, name);
      } else if (a.alpha == 1.0f) {
        g.node("Add", {x, g.scalar(a.beta)}, {out}, name);
      } else {
        const std::string scaled = g.unique(out + "/mul");
        g.node("Mul", {x, g.scalar(a.alpha)}, {scaled}, name + "/mul");
        g.node("Add", {scaled, g.scalar(a.beta)}, {out}, name);
      }
      return;
    }
    case ActivationKind::kPower: {
      if (a.alpha == 1.0f) {
        g.node("Pow", {x, g.scalar(a.beta)}, {out}, name);
      } else {
        const std::string power = g.unique(out + "/pow");
        g.node("Pow", {x, g.scalar(a.beta)}, {power}, name + "/pow");
        g.node("Mul", {power, g.scalar(a.alpha)}, {out}, name);
      }
      return;
    }
    case ActivationKind::kAbs:
      unary("Abs");
      return;
    case ActivationKind::kSquare:
      g.node("Mul", {x, x}, {out}, name);
      return;
    case ActivationKind::kSqrt:
      unary("Sqrt");
      return;
    case ActivationKind::kLog:
      unary("Log");
      return;
    case ActivationKind::kClip: {
      // Max then Min rather than Clip: either bound may be infinite, and NaN stays NaN as in numpy.
      const bool low = std::isfinite(a.alpha) || a.alpha > 0.0f,
                 high = std::isfinite(a.beta) || a.beta < 0.0f;
      if (!low && !high) {
        unary("Identity");
      } else if (!high) {
        g.node("Max", {x, g.scalar(a.alpha)}, {out}, name);
      } else if (!low) {
        g.node("Min", {x, g.scalar(a.beta)}, {out}, name);
      } else {
        const std::string floor = g.unique(out + "/max");
        g.node("Max", {x, g.scalar(a.alpha)}, {floor}, name + "/max");
        g.node("Min", {floor, g.scalar(a.beta)}, {out}, name);
      }
      return;
    }
    case ActivationKind::kGeluTanh: {
      // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
      const std::string cube = g.unique(out + "/cube"), inner = g.unique(out + "/inner"),
                        sum = g.unique(out + "/sum"), scaled = g.unique(out + "/scaled"),
                        tanh = g.unique(out + "/tanh"), one = g.unique(out + "/one"),
                        half = g.unique(out + "/half");
      g.node("Pow", {x, g.scalar(3.0f)}, {cube}, name + "/cube");
      g.node("Mul", {cube, g.scalar(0.044715f)}, {inner}, name + "/inner");
      g.node("Add", {x, inner}, {sum}, name + "/sum");
      g.node("Mul", {sum, g.scalar(0.7978845608028654f)}, {scaled}, name + "/scaled");
      g.node("Tanh", {scaled}, {tanh}, name + "/tanh");
      g.node("Add", {tanh, g.scalar(1.0f)}, {one}, name + "/one");
      g.node("Mul", {x, one}, {half}, name + "/half");
      g.node("Mul", {half, g.scalar(0.5f)}, {out}, name);
      return;
    }
    case ActivationKind::kSoftmax:
    case ActivationKind::kLogSoftmax:
      break;
  }
  throw InternalError("ONNX export: softmax reached the element-wise activation mapping");
}

}  // namespace strata::detail
