// EinsumDense: against Keras's equation run by tfjs-core's einsum kernel (the tfjs harness; tfjs-layers has
// no EinsumDense), on the equations Keras's own layers use and on each of Keras's three forms, with the bias
// fused and broadcast; the reference executor, ONNX Runtime, Keras's weight shapes and config, and errors.
#include <nlohmann/json.hpp>

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "onnx_runtime_util.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using strata::None;
using strata::Tensor;

namespace {

struct Case {
  std::string what;
  std::function<strata::Model()> build;
  std::vector<std::vector<int64_t>> inputs;
};

Case einsum_case(std::string what, std::string equation, std::vector<strata::Dim> output_shape,
                 L::EinsumDenseOptions options, std::vector<int64_t> input) {
  std::vector<strata::Dim> dims(input.begin() + 1, input.end());
  return {std::move(what),
          [=] {
            auto x = strata::Input(dims);
            return strata::Model(x, L::EinsumDense(equation, output_shape, options)(x));
          },
          {input}};
}

std::vector<Case> einsum_cases() {
  return {
      einsum_case("MultiHeadAttention's projection abc,cde->abde with a bias over de", "abc,cde->abde",
                  {None, 3, 4}, {.bias_axes = "de"}, {2, 5, 6}),
      einsum_case("MultiHeadAttention's output abcd,cde->abe", "abcd,cde->abe", {None, 7}, {.bias_axes = "e"},
                  {2, 5, 3, 4}),
      einsum_case("a Dense as ...b,bc->...c on rank 4, relu", "...b,bc->...c", {8},
                  {.activation = "relu", .bias_axes = "c"}, {2, 3, 4, 5}),
      einsum_case("ab,bc->ac without a bias, tanh", "ab,bc->ac", {6}, {.activation = "tanh"}, {3, 5}),
      einsum_case("abc,cd->adb: the output reordered, a bias over a kept axis", "abc,cd->adb", {3, None},
                  {.bias_axes = "b"}, {2, 5, 6}),
      einsum_case("ab...,bc->ac...: the axes ... stands for on the right, a bias over c", "ab...,bc->ac...",
                  {6}, {.bias_axes = "c"}, {2, 4, 5}),
  };
}

}  // namespace

TEST_CASE("EinsumDense equals Keras's equation in tfjs-core's einsum and the reference", "[einsum][tfjs]") {
  strata::clear_session();
  check_cases_against_tfjs(einsum_cases(), 730, 1e-5, [](float v) { return -v; });
}

TEST_CASE("EinsumDense: Keras's kernel and bias shapes, config and files", "[einsum][saving]") {
  strata::clear_session();
  auto x = strata::Input({5, 6});
  const L::EinsumDense proj("abc,cde->abde", {None, 3, 4}, {.bias_axes = "de", .name = "proj"});
  const L::EinsumDense right("ab...,bc->ac...", 2, {.bias_axes = "c", .name = "right"});
  auto y = proj(x);
  CHECK(y.shape().to_string() == "(None, 5, 3, 4)");
  auto z = right(x);
  CHECK(z.shape().to_string() == "(None, 2, 6)");
  std::vector<std::vector<int64_t>> dims;
  for (const Tensor& w : proj.get_weights()) dims.push_back(w.dims());
  CHECK(dims == std::vector<std::vector<int64_t>>{{6, 3, 4}, {3, 4}});
  CHECK(right.get_weights()[0].dims() == std::vector<int64_t>{5, 2});
  CHECK(right.get_weights()[1].dims() == std::vector<int64_t>{2, 1});  // Keras appends a 1 per elided axis
  const nlohmann::json config = nlohmann::json::parse(proj.get_config());
  CHECK(config["equation"] == "abc,cde->abde");
  CHECK(config["output_shape"] == nlohmann::json::parse("[null, 3, 4]"));
  CHECK(config["bias_axes"] == "de");
  CHECK(nlohmann::json::parse(L::EinsumDense("ab,bc->ac", 4).get_config())["bias_axes"].is_null());
  // A size output_shape gives stays where the input's is unknown, and the bias takes it.
  auto seq = strata::Input({None, 5});
  CHECK(L::EinsumDense("abc,cd->abd", {4, 8}, {.bias_axes = "bd"})(seq).shape().to_string() ==
        "(None, 4, 8)");
  // Keras writes an int output_shape as the tuple; an int reads too.
  const strata::Layer read = strata::layer_from_config(
      "EinsumDense", R"({"name": "e", "equation": "ab,bc->ac", "output_shape": 4, "bias_axes": null})");
  CHECK(nlohmann::json::parse(read.get_config())["output_shape"] == nlohmann::json::parse("[4]"));

  strata::Model model(x, {y, z});
  randomize_weights_keeping_scale(model, 3);
  const std::vector<Tensor> inputs{random_input({2, 5, 6}, 4)};
  const fs::path file = work_dir() / "einsum_dense.keras";
  model.save(file.string());
  const strata::Model loaded = strata::load_model(file.string());
  CHECK(loaded.predict(inputs) == model.predict(inputs));
  CHECK(loaded.summary_string() == model.summary_string());
}

TEST_CASE("EinsumDense exports to ONNX and runs in ONNX Runtime", "[einsum][onnx]") {
  strata::clear_session();
  auto x = strata::Input({5, 6});
  auto y = L::EinsumDense("abc,cde->abde", {None, 3, 4}, {.bias_axes = "de"})(x);
  auto z = L::EinsumDense("abc,cd->adb", {3, None}, {.bias_axes = "b"})(x);
  strata::Model model(x, {y, z});
  randomize_weights_keeping_scale(model, 5);
  const std::vector<Tensor> inputs{random_input({2, 5, 6}, 6)};
  CHECK(onednn_vs_reference(model, inputs) <= float32_tolerance(8));
  export_and_match(model, inputs, "einsum_dense", 1e-5);
}

TEST_CASE("EinsumDense: errors name the layer, what was expected and what was received", "[einsum][errors]") {
  strata::clear_session();
  CHECK_THROWS_MATCHES(
      L::EinsumDense("ab->b", 4, {.name = "e"}), strata::ValueError,
      MessageThat(Equals("[e (EinsumDense)] Invalid einsum equation 'ab->b'. Equations must be "
                         "in the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")));
  CHECK_THROWS_MATCHES(
      L::EinsumDense("aab,bc->ac", 4, {.name = "e"}), strata::ValueError,
      MessageThat(StartsWith("[e (EinsumDense)] The einsum equation 'aab,bc->ac' repeats the "
                             "letter 'a'")));
  CHECK_THROWS_MATCHES(
      L::EinsumDense("ab,bc->ac", 4, {.bias_axes = "d", .name = "e"}), strata::ValueError,
      MessageThat(Equals("[e (EinsumDense)] Bias dimension 'd' was requested, but is not part of "
                         "the output spec 'ac'")));
  auto x = strata::Input({5, 6});
  CHECK_THROWS_MATCHES(
      L::EinsumDense("ab,bc->ac", 4, {.name = "r"})(x), strata::ShapeError,
      MessageThat(Equals("[r (EinsumDense)] The equation 'ab,bc->ac' takes an input of rank 2, "
                         "received shape (None, 5, 6)")));
  CHECK_THROWS_MATCHES(
      L::EinsumDense("abc,cd->abd", {4}, {.name = "o"})(x), strata::ShapeError,
      MessageThat(StartsWith("[o (EinsumDense)] Expected an output_shape of 2 dimensions for the "
                             "output 'abd'")));
  CHECK_THROWS_MATCHES(
      L::EinsumDense("abc,bcd->abd", {5, 4}, {.name = "b"})(x), strata::ValueError,
      MessageThat(StartsWith("[b (EinsumDense)] strata's EinsumDense does not take the equation "
                             "'abc,bcd->abd': the axis 'b' is in the input, the kernel and the "
                             "output")));
  CHECK_THROWS_MATCHES(
      L::EinsumDense("abc,cd->abd", {7, 4}, {.name = "m"})(x), strata::ShapeError,
      MessageThat(Equals("[m (EinsumDense)] Input shape and output shape do not match at shared "
                         "dimension 'b'. Input shape is 5, and output shape is 7")));
  auto seq = strata::Input({None, 6});
  CHECK_THROWS_MATCHES(L::EinsumDense("abc,cd->abd", {None, None}, {.name = "k"})(seq), strata::ShapeError,
                       MessageThat(StartsWith("[k (EinsumDense)] The kernel axis 'd' has no known size")));
}
