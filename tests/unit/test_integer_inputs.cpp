// Integer inputs (token ids): Input's dtype, int32 and int64 Tensors, predict on both backends, custom layers
// that read them, configs, and the errors where a float and an integer meet where the other is expected.
#include <nlohmann/json.hpp>

#include "message_matcher.hpp"
#include "test_util.hpp"

using namespace strata_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// An embedding written by hand: a (vocab, dim) table, ids (N, steps) of int32 or int64 in, (N, steps, dim)
// out. An id outside the table is a ValueError naming it.
class TokenLookup : public strata::CustomLayerDefinition {
 public:
  TokenLookup(int64_t vocab, int64_t dim) : vocab_(vocab), dim_(dim) {}
  std::string class_name() const override { return "TokenLookup"; }
  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override {
    if (inputs.size() != 1 || inputs[0].rank() != 2)
      throw strata::ShapeError("Expected one input of ids (N, steps)");
    return strata::Shape{inputs[0][0], inputs[0][1], dim_};
  }
  std::vector<strata::WeightSpec> build(const std::vector<strata::Shape>&) const override {
    return {{"table", strata::Tensor::random_uniform({vocab_, dim_}, 11, -1.0f, 1.0f)}};
  }
  void call(const std::vector<const strata::Tensor*>& in, const std::vector<const strata::Tensor*>& w,
            strata::Tensor& out) const override {
    const strata::Tensor& ids = *in[0];
    for (int64_t i = 0; i < ids.size(); ++i) {
      const int64_t id = ids.dtype() == strata::DType::kInt32 ? ids.int32_data()[i] : ids.int64_data()[i];
      if (id < 0 || id >= vocab_)
        throw strata::ValueError("id " + std::to_string(id) + " is outside the table");
      for (int64_t d = 0; d < dim_; ++d) out.data()[i * dim_ + d] = w[0]->data()[id * dim_ + d];
    }
  }

 private:
  int64_t vocab_, dim_;
};

// The rows of `table` (vocab, dim) that `ids` name, in order.
std::vector<float> rows_of(const strata::Tensor& table, const std::vector<int64_t>& ids) {
  const int64_t dim = table.dims()[1];
  std::vector<float> rows;
  for (int64_t id : ids) rows.insert(rows.end(), table.data() + id * dim, table.data() + (id + 1) * dim);
  return rows;
}

}  // namespace

TEST_CASE("an int32 input feeds a custom lookup on both backends", "[dtype]") {
  strata::clear_session();
  auto ids = strata::Input({3}, {.name = "tokens", .dtype = "int32"});
  CHECK(ids.dtype() == strata::DType::kInt32);
  strata::CustomLayer lookup(std::make_shared<TokenLookup>(5, 4), {.name = "lookup"});
  auto vectors = lookup(ids);
  CHECK(vectors.dtype() == strata::DType::kFloat32);
  strata::Model model(ids, L::Dense(2)(vectors));
  strata::Model lookup_only(ids, vectors);

  const strata::Tensor x = strata::Tensor::from_int32({2, 3}, {0, 4, 2, 1, 1, 3});
  const strata::Tensor table = lookup.get_weights()[0];
  const std::vector<float> want = rows_of(table, {0, 4, 2, 1, 1, 3});
  CHECK(lookup_only.predict(x).values() == want);
  CHECK(lookup_only.compile({.backend = "reference"}).predict(x).values() == want);
  CHECK(onednn_vs_reference(model, {x}) < float32_tolerance(4));
  // A different id moves the output: the ids really are read.
  const strata::Tensor other = strata::Tensor::from_int32({2, 3}, {0, 4, 2, 1, 1, 2});
  CHECK_FALSE(lookup_only.predict(other).values() == want);
  // The plan keeps the ids as integers; the summary is Keras's, which shows no dtype.
  CHECK_THAT(model.summary_string(), Contains("tokens (InputLayer)"));
}

TEST_CASE("int64 ids, in batch slices too, and a nested model taking them", "[dtype]") {
  strata::clear_session();
  auto ids = strata::Input({4}, {.dtype = "int64"});
  strata::CustomLayer lookup(std::make_shared<TokenLookup>(6, 3));
  strata::Model inner(ids, lookup(ids), "inner");
  auto outer_ids = strata::Input({4}, {.name = "outer_ids", .dtype = "int64"});
  strata::Model outer(outer_ids, L::Activation("tanh")(inner(outer_ids)));

  const strata::Tensor x = strata::Tensor::from_int64({3, 4}, {5, 0, 1, 2, 3, 3, 4, 0, 1, 1, 1, 5});
  const strata::Tensor whole = inner.predict(x);
  CHECK(whole.values() == rows_of(lookup.get_weights()[0], {5, 0, 1, 2, 3, 3, 4, 0, 1, 1, 1, 5}));
  CHECK(inner.predict(x, {.batch_size = 2}) == whole);
  CHECK(onednn_vs_reference(outer, {x}) < float32_tolerance(1));

  // The kernel's own error reaches the caller.
  REQUIRE_THROWS_MATCHES(inner.predict(strata::Tensor::from_int64({1, 4}, {0, 1, 6, 2})), strata::ValueError,
                         MessageThat(Contains("id 6 is outside the table")));
  // A float tensor for the nested model's integer input, at build time.
  auto floats = strata::Input({4});
  REQUIRE_THROWS_MATCHES(inner(floats), strata::ValueError,
                         MessageThat(StartsWith("[inner (Functional)] Input 0 (") &&
                                     Contains("expected dtype int64, received float32")));
}

TEST_CASE("integer and float mix-ups are errors naming the layer or input", "[dtype][errors]") {
  strata::clear_session();
  auto ids = strata::Input({3}, {.name = "tokens", .dtype = "int32"});
  // Built-in layers compute in float32 and refuse integers before they build.
  L::Dense dense(4, {.name = "dense"});
  REQUIRE_THROWS_MATCHES(
      dense(ids), strata::ValueError,
      MessageThat(StartsWith("[dense (Dense)] Expected float32 inputs, received int32 for input 0")));
  CHECK(dense.count_params() == 0);
  REQUIRE_THROWS_MATCHES(
      strata::Input({3}, {.dtype = "float16"}), strata::ValueError,
      MessageThat(Contains("Unknown dtype 'float16'. Expected one of: float32, int32, int64")));

  strata::CustomLayer lookup(std::make_shared<TokenLookup>(5, 2));
  strata::Model model(ids, lookup(ids));
  REQUIRE_THROWS_MATCHES(
      model.predict(strata::Tensor::zeros({1, 3})), strata::ValueError,
      MessageThat(StartsWith("[predict] Input 0 ('tokens') expected int32 values, received a "
                             "float32 tensor")));
  REQUIRE_THROWS_MATCHES(model.predict(strata::Tensor::zeros({1, 3}, strata::DType::kInt64)),
                         strata::ValueError,
                         MessageThat(Contains("expected int32 values, received a int64 tensor")));
  REQUIRE_THROWS_MATCHES(lookup.set_weights({strata::Tensor::zeros({5, 2}, strata::DType::kInt32)}),
                         strata::ValueError,
                         MessageThat(Contains("expected float32 values, received int32")));
  // An integer input exports (typed ops have ONNX forms); the custom layer reading it has none.
  REQUIRE_THROWS_MATCHES(strata::export_onnx(model, "never_written.onnx"), strata::ValueError,
                         MessageThat(StartsWith("[token_lookup (TokenLookup)] Cannot export to ONNX")));

  // A tensor's accessors of another type.
  const strata::Tensor t = strata::Tensor::from_int32({2}, {1, 2});
  CHECK(t.nbytes() == 8);
  CHECK_THROWS_MATCHES(t.data(), strata::ValueError,
                       MessageThat(Contains("expected a float32 tensor, this one holds int32")));
  CHECK_THROWS_AS(t.int64_values(), strata::ValueError);
  CHECK_THROWS_AS(strata::Tensor::from_int64({3}, {1, 2}), strata::ValueError);
  CHECK_FALSE(t == strata::Tensor({2}, {1.0f, 2.0f}));
}

TEST_CASE("InputLayer configs carry the dtype", "[dtype][config]") {
  strata::clear_session();
  auto ids = strata::Input({7}, {.name = "ids", .dtype = "int64"});
  const nlohmann::json config = nlohmann::json::parse(ids.layer().get_config());
  CHECK(config["dtype"] == "int64");
  CHECK(config["batch_shape"] == nlohmann::json::array({nullptr, 7}));
  const strata::Layer copy = strata::layer_from_config("InputLayer", config.dump());
  CHECK(nlohmann::json::parse(copy.get_config()) == config);
  nlohmann::json bad = config;
  bad["dtype"] = "float16";
  REQUIRE_THROWS_MATCHES(strata::layer_from_config("InputLayer", bad.dump()), strata::ValueError,
                         MessageThat(StartsWith("[ids (InputLayer)] Unknown dtype 'float16'")));
}
