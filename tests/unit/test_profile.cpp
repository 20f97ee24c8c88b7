// CompiledModel::profile: one entry per primitive, mapped to Keras layers, shares summing to one.
#include "test_util.hpp"

#include "message_matcher.hpp"

using namespace strata_test;

TEST_CASE("profile maps every primitive to its Keras layers", "[profile]") {
  strata::clear_session();
  strata::Model block = seed_block_1();
  const strata::CompiledModel compiled = block.compile({.num_threads = 1, .winograd = false});
  const auto x = strata::Tensor::random_uniform({2, 32, 32, 3}, 1);
  const strata::ProfileReport report = compiled.profile({x}, 3);
  REQUIRE(report.entries.size() == 3);
  CHECK(report.entries[2].primitive == "conv + sum");
  CHECK(report.entries[2].layers == "conv2d_2, add");
  double share = 0.0;
  for (const auto& e : report.entries) {
    CHECK(e.milliseconds > 0.0);
    CHECK(e.gflops > 0.0);  // all three are convolutions
    share += e.share;
  }
  CHECK(share == Approx(1.0));
  const std::string table = report.to_string();
  INFO(table);
  CHECK(table.find("conv2d_1") != std::string::npos);
  CHECK(table.find("forward pass") != std::string::npos);
  // With Winograd, the layout conversions count as the time of the convolution they serve: into the blocked
  // layout for conv2d_1, back out of it after the shortcut (which reads and adds to blocked values).
  if (!onednn_runs_avx512()) return;  // no Winograd kernel on this CPU: the default plan is the one above
  const strata::ProfileReport winograd = block.compile({.num_threads = 1}).profile({x}, 3);
  INFO(winograd.to_string());
  REQUIRE(winograd.entries.size() == 5);
  const std::pair<int, const char*> converts[] = {{1, "conv2d_1"}, {4, "conv2d_2, add"}};
  for (const auto& [i, layers] : converts) {
    CHECK(winograd.entries[i].primitive == "convert");
    CHECK(winograd.entries[i].layers == layers);
    CHECK(winograd.entries[i].gflops == 0.0);
  }
  CHECK(winograd.entries[2].implementation.find("wino") != std::string::npos);
  CHECK(winograd.entries[3].primitive == "conv + sum");
}

TEST_CASE("profile works on the reference backend and checks its arguments", "[profile][errors]") {
  strata::Model block = seed_block_2("profiled");
  const auto x = strata::Tensor::random_uniform({1, 32, 32, 3}, 1);
  // The reference runs the unfused program: conv, relu, conv, relu, pool, conv, add.
  CHECK(block.compile({.backend = "reference"}).profile({x}, 1).entries.size() == 7);
  REQUIRE_THROWS_MATCHES(block.compile().profile({x}, 0), strata::ValueError,
                         MessageThat(Catch::Contains("repetitions >= 1")));
  CHECK_THROWS_AS(block.compile().profile({strata::Tensor::zeros({1, 31, 32, 3})}, 1), strata::ShapeError);
}

namespace {

// Reads indices, as a custom Embedding would: every input value must be 0, 1, 2 or 3, or it throws.
class IndexCheck : public strata::CustomLayerDefinition {
 public:
  std::string class_name() const override { return "IndexCheck"; }
  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override {
    return inputs[0];
  }
  void call(const std::vector<const strata::Tensor*>& in, const std::vector<const strata::Tensor*>&,
            strata::Tensor& out) const override {
    for (int64_t i = 0; i < out.size(); ++i) {
      const float v = in[0]->data()[i];
      if (v != 0.0f && v != 1.0f && v != 2.0f && v != 3.0f) {
        throw strata::ValueError("[IndexCheck] index out of range: " + std::to_string(v));
      }
      out.data()[i] = 0.5f * v;
    }
  }
};

}  // namespace

// Issue 13, item 5: every repetition is a real forward pass. The inputs' buffers are reused after they are
// read, and later repetitions fed the custom kernel whatever the dense layers had written there.
TEST_CASE("profile runs custom layers on their real inputs in every repetition", "[profile][custom]") {
  auto in = strata::Input({16});
  auto x = strata::CustomLayer(std::make_shared<IndexCheck>())(in);
  for (int i = 0; i < 3; ++i) x = L::Dense(16)(x);
  strata::Model model(in, x);
  std::vector<float> indices(2 * 16);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<float>(i % 4);
  const strata::Tensor batch({2, 16}, indices);
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    const strata::CompiledModel compiled = model.compile({.backend = backend});
    CHECK_NOTHROW(compiled.profile({batch}, 3));
    CHECK(compiled.predict(batch).dims() == std::vector<int64_t>{2, 16});
  }
}
