// MultiHeadAttention: Keras 3's layer computed in tfjs-core ops from Keras's source (the tfjs harness; the
// tfjs-layers node bundle has no MultiHeadAttention) on self- and cross-attention, masks from a tensor and
// causal, the attention scores, and keras-io's Transformer block; against the reference executor, in ONNX
// Runtime, with Keras's weight layout and errors.
#include <nlohmann/json.hpp>

#include "graph/functional.hpp"
#include "io/hdf5_file.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "onnx_runtime_util.hpp"
#include "strata/ops.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
namespace ops = strata::ops;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using strata::Tensor;

namespace {

struct Case {
  std::string what;
  std::function<strata::Model()> build;
  std::vector<std::vector<int64_t>> inputs;
};

// keras-io's TransformerBlock (text classification with a Transformer), without its dropout layers.
strata::SymbolicTensor transformer_block(const strata::SymbolicTensor& x, int embed_dim, int heads,
                                         int ff_dim) {
  auto att = L::MultiHeadAttention(heads, embed_dim)(x, x);
  auto out1 = L::LayerNormalization({.epsilon = 1e-6f})(x + att);
  auto ffn = L::Dense(embed_dim)(L::Dense(ff_dim, {.activation = "relu"})(out1));
  return L::LayerNormalization({.epsilon = 1e-6f})(out1 + ffn);
}

std::vector<Case> attention_cases() {
  std::vector<Case> cases;
  cases.push_back({"self-attention, 2 heads",
                   [] {
                     auto x = strata::Input({5, 6});
                     return strata::Model(x, L::MultiHeadAttention(2, 4)(x, x));
                   },
                   {{2, 5, 6}}});
  cases.push_back({"cross-attention with a key, value_dim, output_shape and a mask from a tensor",
                   [] {
                     auto q = strata::Input({4, 6}), v = strata::Input({7, 5}), k = strata::Input({7, 3});
                     auto m = strata::Input({4, 7});
                     auto mask = ops::greater(m, 0.0);  // about half the pairs
                     return strata::Model({q, v, k, m},
                                          L::MultiHeadAttention(3, 2, {.value_dim = 4, .output_shape = 8})(
                                              q, v, {.key = k, .attention_mask = mask}));
                   },
                   {{2, 4, 6}, {2, 7, 5}, {2, 7, 3}, {2, 4, 7}}});
  cases.push_back({"causal self-attention returning its scores, without biases",
                   [] {
                     auto x = strata::Input({6, 4});
                     auto outs = L::MultiHeadAttention(2, 3, {.use_bias = false})
                                     .call_with_scores(x, x, {.use_causal_mask = true});
                     return strata::Model(x, outs);
                   },
                   {{2, 6, 4}}});
  cases.push_back({"keras-io's Transformer block",
                   [] {
                     auto x = strata::Input({10, 8});
                     return strata::Model(x, transformer_block(x, 8, 2, 16));
                   },
                   {{2, 10, 8}}});
  return cases;
}

}  // namespace

TEST_CASE("MultiHeadAttention equals Keras 3's computation (in tfjs-core) and the reference",
          "[attention][tfjs]") {
  strata::clear_session();
  const std::vector<Case> cases = attention_cases();
  check_cases_against_tfjs(cases, 500, 1e-5, [](float v) { return -v; });
}

TEST_CASE("MultiHeadAttention: shapes, Keras's weights and where Keras 3 files keep them", "[attention]") {
  strata::clear_session();
  auto q = strata::Input({4, 6}), v = strata::Input({7, 5});
  const L::MultiHeadAttention mha(3, 2, {.value_dim = 4, .output_shape = 8});
  auto outs = mha.call_with_scores(q, v);
  REQUIRE(outs.size() == 2);
  CHECK(outs[0].shape().to_string() == "(None, 4, 8)");
  CHECK(outs[1].shape().to_string() == "(None, 3, 4, 7)");
  std::vector<std::string> dims;
  for (const Tensor& w : mha.get_weights()) dims.push_back(strata::to_shape(w.dims()).to_string());
  CHECK(dims == std::vector<std::string>{"(6, 3, 2)", "(3, 2)", "(5, 3, 2)", "(3, 2)", "(5, 3, 4)", "(3, 4)",
                                         "(3, 4, 8)", "(8,)"});
  // Keras's count: the four projections' kernels and biases.
  CHECK(mha.count_params() == 36 + 6 + 30 + 6 + 60 + 12 + 96 + 8);
  strata::Model model({q, v}, outs);
  randomize_weights_keeping_scale(model, 4);
  const std::vector<Tensor> inputs{random_input({2, 4, 6}, 1), random_input({2, 7, 5}, 2)};
  const fs::path file = work_dir() / "attention.weights.h5";
  model.save_weights(file.string());
  const auto root = strata::detail::h5::File::open(file.string()).root();
  CHECK(root.open_dataset("layers/multi_head_attention/query_dense/vars/0").dims() ==
        std::vector<int64_t>{6, 3, 2});
  CHECK(root.open_dataset("layers/multi_head_attention/output_dense/vars/1").dims() ==
        std::vector<int64_t>{8});
  const std::vector<Tensor> before = model.predict(inputs);
  randomize_weights_keeping_scale(model, 40);
  model.load_weights(file.string());
  CHECK(model.predict(inputs) == before);
  // The scores are probabilities over the keys.
  const Tensor& scores = before[1];
  for (int64_t row = 0; row < scores.size() / 7; ++row) {
    double sum = 0.0;
    for (int64_t j = 0; j < 7; ++j) sum += scores.data()[row * 7 + j];
    CHECK(std::abs(sum - 1.0) < 1e-5);
  }
  // The node lists value (and key, mask) as Keras's call does: keyword tensors.
  const auto config = dynamic_cast<const strata::detail::FunctionalImpl&>(*model.impl()).config();
  const auto& node = config["layers"][2]["inbound_nodes"][0];
  REQUIRE(node.size() == 1);
  CHECK(node[0][3]["value"][0] == "input_layer_1");
  CHECK(node[0][3]["return_attention_scores"] == true);
}

TEST_CASE("MultiHeadAttention with masks exports to ONNX and runs in ONNX Runtime", "[attention][onnx]") {
  strata::clear_session();
  auto x = strata::Input({6, 8}), m = strata::Input({6, 6});
  auto y =
      L::MultiHeadAttention(2, 4)(x, x, {.attention_mask = ops::greater(m, 0.0), .use_causal_mask = true});
  strata::Model model({x, m}, y);
  randomize_weights_keeping_scale(model, 9);
  const std::vector<Tensor> inputs{random_input({2, 6, 8}, 3), random_input({2, 6, 6}, 4)};
  CHECK(onednn_vs_reference(model, inputs) <= float32_tolerance(64));
  const onnx::ModelProto proto = export_and_match(model, inputs, "attention", 1e-5);
  CHECK(op_counts(proto).at("Where") == 1);
  CHECK(op_counts(proto).at("Softmax") == 1);
}

TEST_CASE("MultiHeadAttention: errors name the layer, what was expected and what was received",
          "[attention]") {
  strata::clear_session();
  CHECK_THROWS_MATCHES(L::MultiHeadAttention(0, 4, {.name = "a"}), strata::ValueError,
                       MessageThat(Equals("[a (MultiHeadAttention)] Expected positive num_heads and key_dim, "
                                          "received num_heads=0, key_dim=4")));
  CHECK_THROWS_MATCHES(
      L::MultiHeadAttention(2, 4, {.dropout = 1.0f, .name = "d"}), strata::ValueError,
      MessageThat(Equals("[d (MultiHeadAttention)] Expected dropout in [0, 1), received 1")));
  const L::MultiHeadAttention mha(2, 4, {.name = "m"});
  CHECK_THROWS_MATCHES(
      mha(strata::Input({6}), strata::Input({5, 3})), strata::ShapeError,
      MessageThat(StartsWith("[m (MultiHeadAttention)] Expected a query of rank 3 (batch, steps, "
                             "features) with known features, received shape (None, 6)")));
  auto q = strata::Input({4, 6}), v = strata::Input({7, 5});
  CHECK_THROWS_MATCHES(
      mha(q, v, {.key = strata::Input({6, 5})}), strata::ShapeError,
      MessageThat(StartsWith("[m (MultiHeadAttention)] Expected a key as long as the value")));
  CHECK_THROWS_MATCHES(
      mha(q, v, {.attention_mask = strata::Input({4, 6})}), strata::ShapeError,
      MessageThat(Equals("[m (MultiHeadAttention)] Expected an attention_mask of shape (batch, 4, "
                         "7), received shape (None, 4, 6)")));
  mha(q, v);
  CHECK_THROWS_MATCHES(
      mha(q, v, {.use_causal_mask = true}), strata::ValueError,
      MessageThat(StartsWith("[m (MultiHeadAttention)] Expected the same key, attention_mask")));
  CHECK_THROWS_MATCHES(
      mha(strata::Input({4, 3}), v), strata::ShapeError,
      MessageThat(StartsWith("[m (MultiHeadAttention)] Expected query, value and key features 6, "
                             "5, 5 as in the first call")));
  // Unknown lengths are compared when the plan's inputs are known.
  strata::clear_session();
  auto qn = strata::Input({strata::None, 6}), vn = strata::Input({strata::None, 5}),
       kn = strata::Input({strata::None, 3});
  strata::Model unknown({qn, vn, kn}, L::MultiHeadAttention(2, 2, {.name = "u"})(qn, vn, {.key = kn}));
  CHECK_THROWS_MATCHES(
      unknown.predict({random_input({1, 4, 6}, 1), random_input({1, 7, 5}, 2), random_input({1, 6, 3}, 3)}),
      strata::ShapeError,
      MessageThat(Equals("[u (MultiHeadAttention)] Expected a key as long as the value (7 steps), "
                         "received 6 steps")));
  auto ids = strata::Input({4, 6}, {.dtype = "int32"});
  CHECK_THROWS_MATCHES(L::MultiHeadAttention(2, 2, {.name = "i"})(ids, ids), strata::ValueError,
                       MessageThat(StartsWith("[i (MultiHeadAttention)]")));
}
