// The seed blocks and multi-input, multi-output, shared-layer and any-size models on the oneDNN backend,
// fused and unfused, equal the reference executor; batch slicing gives the whole-batch answer.
#include <string>

#include "numerics_util.hpp"

using namespace strata_test;

namespace {

// Accumulation along the deepest path of both seed blocks: the 3x3x3 convolution, then the 3x3x32 one,
// then the residual add (the max pooling of block 2 adds no rounding).
constexpr int64_t kSeedTerms = 3 * 3 * 3 + 3 * 3 * 32 + 1;

// The samples of `t` at `indices`, in that order.
strata::Tensor samples(const strata::Tensor& t, const std::vector<int64_t>& indices) {
  const int64_t per_sample = t.size() / t.dims()[0];
  std::vector<float> values;
  for (int64_t i : indices) values.insert(values.end(), t.data() + i * per_sample, t.data() + (i + 1) * per_sample);
  std::vector<int64_t> dims = t.dims();
  dims[0] = static_cast<int64_t>(indices.size());
  return strata::Tensor(dims, values);
}

}  // namespace

TEST_CASE("the seed blocks at batch 1, 3 and 64", "[seed][numerics]") {
  strata::Model block1 = seed_block_1();
  strata::Model block2 = seed_block_2();
  randomize_weights_keeping_scale(block1, 101);
  randomize_weights_keeping_scale(block2, 201);
  for (const strata::Model* block : {&block1, &block2}) {
    for (int64_t batch : {1, 3}) {
      INFO(block->name() << ", batch " << batch);
      check_against_reference(*block, {random_input({batch, 32, 32, 3}, 300 + static_cast<uint64_t>(batch))},
                              float32_tolerance(kSeedTerms));
    }
    // Batch 64: the reference's naive loops would take seconds over the whole batch, and it computes every
    // sample on its own, so it runs on a few samples picked from the start, middle and end, and the oneDNN
    // batch-64 plans must agree on those. (Slices against whole batches are the last test's business.)
    INFO(block->name() << ", batch 64");
    const strata::Tensor x = random_input({64, 32, 32, 3}, 364);
    const std::vector<int64_t> picked{0, 33, 63};
    const strata::Tensor reference = block->compile({.backend = "reference"}).predict(samples(x, picked));
    for (bool fuse : {true, false}) {
      INFO("fuse " << fuse);
      const strata::CompiledModel compiled = block->compile({.fuse = fuse});
      const strata::Tensor got = compiled.predict(x);
      CHECK(max_relative_error(samples(got, picked), reference) <= float32_tolerance(kSeedTerms));
    }
  }
}

TEST_CASE("the seed blocks with their own initial weights", "[seed][numerics]") {
  // Keras's glorot_uniform kernels and zero biases, as a user gets them.
  for (const strata::Model& block : {seed_block_1(), seed_block_2()}) {
    INFO(block.name());
    check_against_reference(block, {random_input({2, 32, 32, 3}, 401)}, float32_tolerance(kSeedTerms));
  }
}

TEST_CASE("models with several inputs and outputs", "[seed][numerics]") {
  // Two images of different sizes and channels, joined after a strided convolution; three outputs, one of
  // them an intermediate result that later layers also read.
  auto big = strata::Input({16, 16, 3}, "big");
  auto small = strata::Input({8, 8, 5}, "small");
  auto a = L::Conv2D(8, 3, {.strides = 2, .padding = "same", .activation = "relu"})(big);
  auto b = L::Conv2D(8, 1, {.activation = "tanh"})(small);
  auto joined = L::add({a, b});
  auto head1 = L::Conv2D(4, 3, {.activation = "sigmoid"})(joined);
  auto head2 = L::MaxPooling2D(2)(L::Conv2D(6, 3, {.padding = "same"})(joined));
  strata::Model model({big, small}, {head1, joined, head2});
  randomize_weights_keeping_scale(model, 501);
  for (int64_t batch : {1, 3}) {
    INFO("batch " << batch);
    const std::vector<strata::Tensor> inputs{random_input({batch, 16, 16, 3}, 502), random_input({batch, 8, 8, 5}, 503)};
    const auto out = model.compile().predict(inputs);
    REQUIRE(out.size() == 3);
    CHECK(out[0].dims() == std::vector<int64_t>{batch, 6, 6, 4});
    CHECK(out[1].dims() == std::vector<int64_t>{batch, 8, 8, 8});
    CHECK(out[2].dims() == std::vector<int64_t>{batch, 4, 4, 6});
    check_against_reference(model, inputs, float32_tolerance(3 * 3 * 3 + 1 + 3 * 3 * 8));
  }

  // The same inputs in the other order make a different model; the answers follow the inputs.
  strata::Model swapped({small, big}, {head2, head1});
  const std::vector<strata::Tensor> xs{random_input({2, 16, 16, 3}, 504), random_input({2, 8, 8, 5}, 505)};
  const auto forward = model.compile().predict(xs);
  const auto backward = swapped.compile().predict({xs[1], xs[0]});
  CHECK(backward[0] == forward[2]);
  CHECK(backward[1] == forward[0]);

  // An input the outputs do not need is still taken (and ignored); it must not disturb the others, though
  // it is copied into the arena after them. (The convolution's output is smaller than the inputs, so the
  // memory planner places the inputs first.)
  auto unused = strata::Input({16, 16, 3}, "unused");
  auto x = strata::Input({16, 16, 3}, "used");
  auto y = L::Conv2D(1, 3, {.padding = "same"})(x);
  strata::Model partial({x, unused}, y);
  randomize_weights_keeping_scale(partial, 506);
  const std::vector<strata::Tensor> pair{random_input({2, 16, 16, 3}, 507), random_input({2, 16, 16, 3}, 508)};
  check_against_reference(partial, pair, float32_tolerance(3 * 3 * 3));
  const strata::Model alone(x, y);
  CHECK(max_relative_error(partial.compile().predict(pair)[0], alone.compile({.backend = "reference"}).predict(pair[0])) <=
        float32_tolerance(3 * 3 * 3));
}

TEST_CASE("a shared layer called twice", "[seed][numerics]") {
  // One Conv2D on both inputs (Siamese), and one applied twice in a row: each call uses the same weights.
  auto left = strata::Input({10, 10, 4});
  auto right = strata::Input({10, 10, 4});
  L::Conv2D shared(4, 3, {.padding = "same", .activation = "relu"});
  auto l = shared(left);
  auto r = shared(right);
  auto twice = shared(shared(left));
  strata::Model model({left, right}, {L::add({l, r}), twice});
  randomize_weights_keeping_scale(model, 601);
  CHECK(model.layers().size() == 4);  // two inputs, the shared convolution, the add
  const std::vector<strata::Tensor> inputs{random_input({3, 10, 10, 4}, 602), random_input({3, 10, 10, 4}, 603)};
  check_against_reference(model, inputs, float32_tolerance(2 * 3 * 3 * 4));

  // A new model of the same calls gives the same numbers: the weights live in the layer.
  const auto both = model.compile({.backend = "reference"}).predict(inputs);
  const auto again = strata::Model(left, shared(shared(left))).compile({.backend = "reference"}).predict(inputs[0]);
  CHECK(again == both[1]);
  // set_weights through the shared handle changes every call.
  std::vector<strata::Tensor> w = shared.get_weights();
  for (strata::Tensor& t : w) t = strata::Tensor::zeros(t.dims());
  shared.set_weights(w);
  for (const strata::Tensor& t : model.compile().predict(inputs)) {
    CHECK(t == strata::Tensor::zeros(t.dims()));
  }
}

TEST_CASE("an Input with None spatial dimensions runs at two image sizes", "[seed][numerics]") {
  auto inputs = strata::Input({strata::None, strata::None, 3});
  auto x = L::Conv2D(8, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(8, 3, {.padding = "same", .activation = "relu"})(x);
  x = L::MaxPooling2D(2, {.padding = "same"})(x);
  residual = L::Conv2D(8, 1, {.strides = 2})(residual);
  strata::Model model(inputs, L::add({x, residual}));
  CHECK(model.outputs()[0].shape().to_string() == "(None, None, None, 8)");
  randomize_weights_keeping_scale(model, 701);
  const strata::CompiledModel compiled = model.compile();
  struct Size {
    int64_t h, w, out_h, out_w;
  };
  for (const Size& s : {Size{16, 16, 7, 7}, Size{11, 14, 5, 6}, Size{16, 16, 7, 7}}) {
    INFO("image " << s.h << "x" << s.w);
    const strata::Tensor image = random_input({2, s.h, s.w, 3}, 702 + static_cast<uint64_t>(s.h));
    const strata::Tensor got = compiled.predict(image);
    CHECK(got.dims() == std::vector<int64_t>{2, s.out_h, s.out_w, 8});
    CHECK(got == model.predict(image));
    check_against_reference(model, {image}, float32_tolerance(3 * 3 * 3 + 3 * 3 * 8 + 1));
  }
  // The plan report needs concrete sizes.
  CHECK_THROWS_AS(compiled.plan_string(1), strata::ValueError);
  CHECK(compiled.plan_string({{1, 11, 14, 3}}).find("(1, 11, 14, 3)") != std::string::npos);
}

TEST_CASE("predict in slices equals the whole batch", "[seed][numerics]") {
  strata::Model block = seed_block_2();
  randomize_weights_keeping_scale(block, 801);
  const strata::Tensor x = random_input({13, 32, 32, 3}, 802);
  // With direct convolutions oneDNN computes each sample the same way whatever the batch: bitwise the same.
  const strata::CompiledModel compiled = block.compile({.winograd = false});
  const strata::Tensor whole = compiled.predict(x);
  CHECK(whole.dims() == std::vector<int64_t>{13, 15, 15, 64});
  CHECK(compiled.predict(x, {.batch_size = 5}) == whole);
  CHECK(compiled.predict(x, {.batch_size = 1}) == whole);
  CHECK(compiled.predict(x, {.batch_size = 13}) == whole);
  CHECK(compiled.predict(x, {.batch_size = 100}) == whole);
  // Winograd's kernels tile differently for different batch sizes (oneDNN picks its 2x3 or 4x3 variant by
  // shape), so slices agree with the whole batch up to float32 rounding.
  const strata::CompiledModel fast = block.compile();
  const strata::Tensor fast_whole = fast.predict(x);
  CHECK(max_relative_error(fast_whole, whole) < float32_tolerance(3 * 3 * 32 + 3 * 3 * 3));
  for (int64_t slice : {1, 5, 13}) {
    CHECK(max_relative_error(fast.predict(x, {.batch_size = slice}), fast_whole) <
          float32_tolerance(3 * 3 * 32 + 3 * 3 * 3));
  }
  // The reference backend slices the same way (on a smaller model: its loops are slow).
  auto small = strata::Input({7, 7, 3});
  strata::Model little(small, L::Conv2D(4, 3, {.padding = "same", .activation = "relu"})(small));
  const strata::CompiledModel reference = little.compile({.backend = "reference"});
  const strata::Tensor y = random_input({13, 7, 7, 3}, 805);
  CHECK(reference.predict(y, {.batch_size = 5}) == reference.predict(y));
  // Model::predict takes the option too, and several inputs and outputs are sliced together.
  CHECK(block.predict(x, {.batch_size = 5}) == block.predict(x));
  auto a = strata::Input({6, 6, 2});
  auto b = strata::Input({6, 6, 2});
  auto c = L::Conv2D(3, 3)(a);
  strata::Model two({a, b}, {c, L::add({a, b})});
  const std::vector<strata::Tensor> xs{random_input({13, 6, 6, 2}, 803), random_input({13, 6, 6, 2}, 804)};
  CHECK(two.predict(xs, {.batch_size = 5}) == two.predict(xs));
}
