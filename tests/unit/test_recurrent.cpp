// SimpleRNN, GRU and LSTM: shapes, parameters, errors and configs; the oneDNN primitives against the
// reference executor's plain C++ cells in every direction and with initial states; tfjs-layers' own
// recurrent layers as the independent oracle (test_recurrent_oracle.cpp has the rest).
#include <nlohmann/json.hpp>
#include <thread>

#include "io/hdf5_file.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "onnx_runtime_util.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using strata::Tensor;

namespace {

// One of each cell with `flags` applied.
struct Flags {
  bool sequences = false, backwards = false, state = false;
  std::string activation = "tanh", recurrent_activation = "sigmoid";
  bool reset_after = true, use_bias = true;
};

L::RecurrentLayer make(const std::string& kind, int units, const Flags& f) {
  if (kind == "SimpleRNN") {
    return L::SimpleRNN(units, {.activation = f.activation,
                                .use_bias = f.use_bias,
                                .return_sequences = f.sequences,
                                .go_backwards = f.backwards});
  }
  if (kind == "GRU") {
    return L::GRU(units, {.activation = f.activation,
                          .recurrent_activation = f.recurrent_activation,
                          .use_bias = f.use_bias,
                          .return_sequences = f.sequences,
                          .go_backwards = f.backwards,
                          .reset_after = f.reset_after});
  }
  return L::LSTM(units, {.activation = f.activation,
                         .recurrent_activation = f.recurrent_activation,
                         .use_bias = f.use_bias,
                         .return_sequences = f.sequences,
                         .go_backwards = f.backwards});
}

}  // namespace

TEST_CASE("recurrent layers: oneDNN's cells and strata's own equal the reference cells", "[recurrent]") {
  for (const std::string kind : {"SimpleRNN", "GRU", "LSTM"}) {
    for (int variant = 0; variant < 8; ++variant) {
      Flags f;
      f.sequences = variant & 1;
      f.backwards = variant & 2;
      f.state = variant & 4;
      // Not tied to a direction: both GRU forms run left to right and right to left.
      f.reset_after = variant % 3 != 0;
      f.use_bias = variant != 5;
      INFO(kind << " variant " << variant);
      strata::clear_session();
      auto x = strata::Input({7, 5});
      const int states = kind == "LSTM" ? 2 : 1;
      std::vector<strata::SymbolicTensor> inputs{x}, initial;
      if (f.state) {
        for (int s = 0; s < states; ++s) {
          initial.push_back(strata::Input({6}));
          inputs.push_back(initial.back());
        }
      }
      const L::RecurrentLayer layer = make(kind, 6, f);
      strata::Model model(inputs, layer(x, initial));
      randomize_weights_keeping_scale(model, 10 + variant);
      // On AVX-512, batch 1 runs strata's own cell, batch 3 oneDNN's primitive on one thread and the own
      // cell's rows split over two.
      for (const int64_t batch : {1, 3}) {
        std::vector<Tensor> data{random_input({batch, 7, 5}, 1)};
        for (size_t s = 1; s < inputs.size(); ++s) data.push_back(random_input({batch, 6}, 1 + s));
        const std::vector<Tensor> expected = model.compile({.backend = "reference"}).predict(data);
        for (const int threads : {1, 2}) {
          const std::vector<Tensor> got = model.compile({.num_threads = threads}).predict(data);
          for (size_t o = 0; o < got.size(); ++o)
            CHECK(max_relative_error(got[o], expected[o]) <= float32_tolerance(7 * 11));
        }
      }
    }
  }
}

TEST_CASE("strata's cell: gate widths at every remainder of the product's passes equal the reference",
          "[recurrent]") {
  // The product runs 128 columns a pass for up to three rows and 96 for four, then one narrower pass: widths
  // 120, 124 and 252 leave more than seven vectors, 88 and 90 more than five, 51 a partial vector. A GRU
  // without reset_after has a second product of `units` columns (120 here).
  struct Width {
    std::string kind;
    int units;
    bool reset_after = true;
  };
  const std::vector<Width> widths{{"LSTM", 30},        {"LSTM", 31},     {"LSTM", 63}, {"LSTM", 22},
                                  {"GRU", 40},         {"GRU", 30},      {"GRU", 17},  {"SimpleRNN", 120},
                                  {"GRU", 120, false}, {"SimpleRNN", 90}};
  for (const Width& w : widths) {
    INFO(w.kind << " of " << w.units << " units, reset_after " << w.reset_after);
    strata::clear_session();
    Flags f;
    f.sequences = true;
    f.reset_after = w.reset_after;
    auto x = strata::Input({6, 3});
    strata::Model plain(x, make(w.kind, w.units, f)(x));
    randomize_weights_keeping_scale(plain, 20 + w.units);
    // Masked: steps whose features are all zero are skipped; rows 0 and 3 lose some, the others none.
    auto y = strata::Input({6, 3});
    const L::RecurrentLayer masked_layer = make(w.kind, w.units, f);
    strata::Model masked(y, masked_layer(L::Masking()(y)));
    randomize_weights_keeping_scale(masked, 40 + w.units);
    Tensor rows = random_input({5, 6, 3}, 21);
    for (const auto& [n, t] : {std::pair{0, 1}, {0, 4}, {3, 0}, {3, 5}})
      for (int c = 0; c < 3; ++c) rows.data()[(n * 6 + t) * 3 + c] = 0.0f;
    // Batch 1 on one thread, batch 8 on two (four rows a thread), masked batch 5 on one thread.
    const Tensor one = random_input({1, 6, 3}, 22), eight = random_input({8, 6, 3}, 23);
    for (const auto& [model, input, threads] :
         {std::tuple{&plain, &one, 1}, {&plain, &eight, 2}, {&masked, &rows, 1}}) {
      const Tensor expected = model->compile({.backend = "reference"}).predict(*input);
      CHECK(max_relative_error(model->compile({.num_threads = threads}).predict(*input), expected) <=
            float32_tolerance(6 * 130));
    }
  }
}

TEST_CASE("recurrent layers: which cell runs a layer, by batch, mask and CPU", "[recurrent]") {
  strata::clear_session();
  auto x = strata::Input({9, 5});
  strata::Model model(x, L::LSTM(6, {.return_sequences = true})(x));
  auto ids = strata::Input({9}, {.dtype = "int32"});
  auto e = L::Embedding(10, 5, {.mask_zero = true})(ids);
  strata::Model masked(ids, L::GRU(4)(e));
  const bool avx512 = __builtin_cpu_supports("avx512f");
  auto plan = [](const strata::Model& m, int64_t batch, int threads = 1) {
    return m.compile({.num_threads = threads}).plan_string(batch);
  };
  const std::string own = "strata's AVX-512 cell";
  if (avx512) {
    CHECK_THAT(plan(model, 2), Contains(own));
    CHECK_THAT(plan(model, 32, 2), Contains(own));
    CHECK_THAT(plan(masked, 40), Contains("masked steps (" + own));
  } else {
    CHECK_THAT(plan(model, 1), Contains("lstm"));
    CHECK_THAT(plan(masked, 12), Contains("masked steps (plain C++ cell)"));
  }
  CHECK_THAT(plan(model, 3), !Contains(own));
  CHECK_THAT(plan(model, 33, 2), !Contains(own));
  // An LSTM with relu has no oneDNN cell and no vectorized one: the plain C++ cell at any batch.
  strata::Model relu(x, L::LSTM(6, {.activation = "relu"})(x));
  CHECK_THAT(plan(relu, 1), Contains("plain C++ cell"));
}

TEST_CASE("recurrent layers: shapes, parameter counts and Keras's weight names", "[recurrent]") {
  strata::clear_session();
  auto x = strata::Input({12, 8});
  const L::LSTM lstm(16, {.return_sequences = true});
  const L::GRU gru(6);
  const L::GRU gru_before(6, {.reset_after = false});
  const L::SimpleRNN rnn(5, {.return_state = true});
  auto seq = lstm(x);
  CHECK(seq.shape().to_string() == "(None, 12, 16)");
  CHECK(gru(seq).shape().to_string() == "(None, 6)");
  gru_before(seq);
  const auto outs = rnn.call_all(seq);
  REQUIRE(outs.size() == 2);
  CHECK(outs[1].shape().to_string() == "(None, 5)");
  // Keras's counts: gates * (units * (features + units) + units), and a reset_after GRU's second bias.
  CHECK(lstm.count_params() == 4 * (16 * (8 + 16) + 16));
  CHECK(gru.count_params() == 3 * (6 * (16 + 6) + 2 * 6));
  CHECK(gru_before.count_params() == 3 * (6 * (16 + 6) + 6));
  CHECK(rnn.count_params() == 5 * (16 + 5) + 5);
  const std::vector<Tensor> w = lstm.get_weights();
  REQUIRE(w.size() == 3);
  CHECK(w[0].dims() == std::vector<int64_t>{8, 64});
  CHECK(w[1].dims() == std::vector<int64_t>{16, 64});
  CHECK(w[2].dims() == std::vector<int64_t>{64});
  // unit_forget_bias: ones for the forget gate (units 16..31), the initializer's zeros elsewhere.
  CHECK(w[2].data()[0] == 0.0f);
  CHECK(w[2].data()[16] == 1.0f);
  CHECK(w[2].data()[32] == 0.0f);
  CHECK(gru.get_weights()[2].dims() == std::vector<int64_t>{2, 18});
  // The weights live in the cell, where Keras's files keep them.
  strata::Model model(x, gru(lstm(x)));
  CHECK_THAT(model.summary_string(),
             Contains("lstm (LSTM)") && Contains("(None, 12, 16)") && Contains("1,600") && Contains("432"));
}

TEST_CASE("recurrent layers: return_state without return_sequences returns the last output twice",
          "[recurrent]") {
  strata::clear_session();
  auto x = strata::Input({6, 3});
  const auto outs = L::LSTM(4, {.return_state = true}).call_all(x);
  REQUIRE(outs.size() == 3);
  strata::Model model(x, outs);
  randomize_weights_keeping_scale(model, 3);
  for (const char* backend : {"onednn", "reference"}) {
    const std::vector<Tensor> got =
        model.compile({.backend = backend}).predict(std::vector<Tensor>{random_input({2, 6, 3}, 4)});
    REQUIRE(got.size() == 3);
    CHECK(got[0] == got[1]);  // Keras's output is the last h
    CHECK_FALSE(got[1] == got[2]);
  }
}

TEST_CASE("recurrent layers: errors name the layer, what was expected and what was received", "[recurrent]") {
  strata::clear_session();
  CHECK_THROWS_MATCHES(L::LSTM(0), strata::ValueError,
                       MessageThat(Equals("[lstm (LSTM)] Received an invalid value for argument `units`, "
                                          "expected a positive integer, got 0")));
  CHECK_THROWS_MATCHES(L::GRU(3, {.stateful = true, .name = "g"}), strata::ValueError,
                       MessageThat(StartsWith("[g (GRU)] stateful=True keeps states between batches")));
  CHECK_THROWS_MATCHES(
      L::SimpleRNN(3, {.activation = "softmax", .name = "s"}), strata::ValueError,
      MessageThat(Equals("[s (SimpleRNN)] Expected an element-wise activation, received softmax")));
  CHECK_THROWS_MATCHES(L::LSTM(3, {.dropout = 1.5f, .name = "d"}), strata::ValueError,
                       MessageThat(Equals("[d (LSTM)] Expected dropout in [0, 1], received 1.5")));
  const L::LSTM lstm(4, {.name = "l"});
  CHECK_THROWS_MATCHES(
      lstm(strata::Input({8})), strata::ShapeError,
      MessageThat(Equals(
          "[l (LSTM)] Expected a sequence of rank 3 (batch, steps, features), received shape (None, 8)")));
  auto x = strata::Input({5, 3});
  CHECK_THROWS_MATCHES(
      lstm(x, {strata::Input({4})}), strata::ValueError,
      MessageThat(Equals(
          "[l (LSTM)] Expected a sequence and 2 initial state tensors, received 1 initial state tensors")));
  CHECK_THROWS_MATCHES(
      lstm(x, {strata::Input({4}), strata::Input({5})}), strata::ShapeError,
      MessageThat(
          Equals("[l (LSTM)] Expected initial state 1 of shape (None, 4), received shape (None, 5)")));
  lstm(x);
  CHECK_THROWS_MATCHES(lstm(strata::Input({5, 2})), strata::ShapeError,
                       MessageThat(StartsWith("[l (LSTM)]")));
  const L::GRU with_state(3, {.return_state = true, .name = "gs"});
  CHECK_THROWS_MATCHES(with_state(x), strata::ValueError,
                       MessageThat(StartsWith("[gs (GRU)] The layer has 2 outputs (with return_state: the "
                                              "output and the last states")));
  // The failed call added no node: the layer was never called.
  CHECK_THROWS_AS(with_state.output(), strata::GraphError);
  auto ids = strata::Input({5, 3}, {.dtype = "int32"});
  CHECK_THROWS_MATCHES(L::SimpleRNN(2, {.name = "r"})(ids), strata::ValueError,
                       MessageThat(StartsWith("[r (SimpleRNN)]")));
}

TEST_CASE("recurrent layers export to ONNX's RNN, GRU and LSTM and run in ONNX Runtime",
          "[recurrent][onnx]") {
  strata::clear_session();
  auto x = strata::Input({7, 5});
  auto h0 = strata::Input({6});
  auto a = L::LSTM(6, {.return_sequences = true})(x);
  auto b = L::GRU(6, {.return_sequences = true, .go_backwards = true})(a, {h0});
  auto c = L::GRU(6, {.return_sequences = true, .reset_after = false})(b);
  auto d = L::SimpleRNN(4, {.activation = "relu", .go_backwards = true})(c);
  auto e = L::LSTM(3, {.recurrent_activation = "hard_sigmoid", .return_state = true, .go_backwards = true})
               .call_all(c);
  std::vector<strata::SymbolicTensor> outputs{d};
  outputs.insert(outputs.end(), e.begin(), e.end());
  strata::Model model({x, h0}, outputs);
  randomize_weights_keeping_scale(model, 21);
  const std::vector<Tensor> inputs{random_input({2, 7, 5}, 5), random_input({2, 6}, 6)};
  const onnx::ModelProto proto = export_and_match(model, inputs, "recurrent", 1e-5);
  const std::map<std::string, int> ops = op_counts(proto);
  CHECK(ops.at("LSTM") == 2);
  CHECK(ops.at("GRU") == 2);
  CHECK(ops.at("RNN") == 1);

  strata::clear_session();
  auto y = strata::Input({4, 2});
  strata::Model mish(y, L::SimpleRNN(3, {.activation = "mish", .name = "m"})(y));
  CHECK_THROWS_MATCHES(strata::export_onnx(mish, (work_dir() / "mish.onnx").string()), strata::ValueError,
                       MessageThat(Equals("[m] Cannot export to ONNX: its recurrent cell uses the activation "
                                          "mish, which ONNX's recurrent operators do not have")));
}

TEST_CASE("Bidirectional: shapes, weights where Keras 3 files keep them, and ONNX", "[recurrent][onnx]") {
  strata::clear_session();
  auto x = strata::Input({6, 4});
  const L::Bidirectional bi(L::LSTM(5, {.return_sequences = true}));
  auto y = bi(x);
  CHECK(y.shape().to_string() == "(None, 6, 10)");
  CHECK(bi.name() == "bidirectional");
  CHECK(bi.count_params() == 2 * 4 * (5 * (4 + 5) + 5));
  strata::Model model(x, L::Bidirectional(L::GRU(3), {.merge_mode = "ave"})(y));
  randomize_weights_keeping_scale(model, 8);
  const std::vector<Tensor> inputs{random_input({2, 6, 4}, 9)};
  CHECK(onednn_vs_reference(model, inputs) <= float32_tolerance(6 * 20));

  // Keras 3's layout: layers/bidirectional/forward_layer/cell/vars/0, and a round trip keeps every weight.
  const fs::path file = work_dir() / "bidirectional.weights.h5";
  model.save_weights(file.string());
  const auto root = strata::detail::h5::File::open(file.string()).root();
  CHECK(root.open_dataset("layers/bidirectional/forward_layer/cell/vars/1").dims() ==
        std::vector<int64_t>{5, 20});
  CHECK(root.open_dataset("layers/bidirectional_1/backward_layer/cell/vars/2").dims() ==
        std::vector<int64_t>{2, 9});
  const std::vector<Tensor> before = model.predict(inputs);
  randomize_weights_keeping_scale(model, 99);
  model.load_weights(file.string());
  CHECK(model.predict(inputs) == before);

  const onnx::ModelProto proto = export_and_match(model, inputs, "bidirectional", 1e-5);
  const std::map<std::string, int> ops = op_counts(proto);
  CHECK(ops.at("LSTM") == 2);
  CHECK(ops.at("GRU") == 2);

  // A config's backward_layer must be the copy strata makes (Keras 3 writes it).
  nlohmann::json config = nlohmann::json::parse(bi.get_config());
  nlohmann::json backward = config["layer"];
  backward["config"]["name"] = "backward_lstm";
  backward["config"]["go_backwards"] = true;
  config["backward_layer"] = backward;
  config["name"] = "bi_loaded";
  CHECK(strata::layer_from_config("Bidirectional", config.dump()).class_name() == "Bidirectional");
  config["backward_layer"]["config"]["units"] = 7;
  config["name"] = "bi_other";
  CHECK_THROWS_MATCHES(
      strata::layer_from_config("Bidirectional", config.dump()), strata::ValueError,
      MessageThat(StartsWith("[bi_other (Bidirectional)] Expected backward_layer to be the wrapped "
                             "layer's backward copy")));
  CHECK_THROWS_MATCHES(L::Bidirectional(L::LSTM(2), {.merge_mode = "max", .name = "b"}), strata::ValueError,
                       MessageThat(StartsWith("[b (Bidirectional)] Invalid merge mode. Received: max.")));
  CHECK_THROWS_MATCHES(
      L::Bidirectional(L::LSTM(2, {.go_backwards = true}), {.name = "b2"}), strata::ValueError,
      MessageThat(StartsWith("[b2 (Bidirectional)] The wrapped layer has go_backwards=True")));
}

TEST_CASE("TimeDistributed: shapes, shared weights, Keras 3's weight path, errors", "[recurrent]") {
  strata::clear_session();
  const L::Dense step(4, {.name = "step"});
  const L::TimeDistributed td(step);
  auto x = strata::Input({5, 3});
  auto y = td(x);
  CHECK(y.shape().to_string() == "(None, 5, 4)");
  CHECK(td.name() == "time_distributed");
  CHECK(td.count_params() == 16);
  // Keras wraps the layer itself: the handle given shares the weights.
  CHECK(step.get_weights().size() == 2);
  auto frames = strata::Input({2, 6, 6, 3});
  auto f = L::TimeDistributed(L::Conv2D(5, 3, {.strides = 2}))(frames);
  CHECK(f.shape().to_string() == "(None, 2, 2, 2, 5)");
  strata::Model model({x, frames}, {y, f});
  randomize_weights_keeping_scale(model, 5);
  const std::vector<Tensor> inputs{random_input({3, 5, 3}, 1), random_input({3, 2, 6, 6, 3}, 2)};
  CHECK(onednn_vs_reference(model, inputs) <= float32_tolerance(27));
  const fs::path file = work_dir() / "time_distributed.weights.h5";
  model.save_weights(file.string());
  const auto root = strata::detail::h5::File::open(file.string()).root();
  CHECK(root.open_dataset("layers/time_distributed/layer/vars/0").dims() == std::vector<int64_t>{3, 4});
  CHECK_THAT(model.summary_string(), Contains("time_distributed") && Contains("(TimeDistributed)"));
  // No extra InputLayer or layer appears: the wrapped layer's own call is internal.
  CHECK(model.layers().size() == 4);

  // A model holding a TimeDistributed, called as a layer on other (more known) shapes: the wrapped layer is
  // called for them on demand.
  auto any_frames = strata::Input({strata::None, strata::None, strata::None, 3});
  const strata::Model inner(any_frames, L::TimeDistributed(L::Conv2D(2, 3))(any_frames));
  auto fixed = strata::Input({4, 8, 8, 3});
  const strata::Model outer(fixed, inner(fixed));
  CHECK(outer.outputs().front().shape().to_string() == "(None, 4, 6, 6, 2)");
  CHECK(outer.predict(random_input({2, 4, 8, 8, 3}, 7)).dims() == std::vector<int64_t>{2, 4, 6, 6, 2});
  CHECK_THROWS_MATCHES(
      L::TimeDistributed(L::Dense(2), {.name = "t"})(strata::Input({4})), strata::ShapeError,
      MessageThat(StartsWith("[t (TimeDistributed)] `TimeDistributed` Layer should be passed an "
                             "`input_shape` with at least 3 dimensions, received shape (None, 4)")));
  CHECK_THROWS_MATCHES(L::TimeDistributed(L::Conv2D(2, 3, {.name = "c"}))(strata::Input({4, 5})),
                       strata::ShapeError, MessageThat(StartsWith("[c (Conv2D)]")));
  CHECK_THROWS_MATCHES(L::TimeDistributed(strata::Layer(), {.name = "e"}), strata::ValueError,
                       MessageThat(Equals("[e (TimeDistributed)] Expected a layer to wrap, received none")));
}

TEST_CASE("Bidirectional runs its halves at once on two threads, also under concurrent predicts",
          "[recurrent]") {
  strata::clear_session();
  auto x = strata::Input({9, 5});
  auto y = L::Bidirectional(L::LSTM(6, {.return_sequences = true}))(x);
  strata::Model model(x, L::Bidirectional(L::GRU(4), {.merge_mode = "sum"})(y));
  randomize_weights_keeping_scale(model, 12);
  const Tensor input = random_input({3, 9, 5}, 13);
  const Tensor expected = model.compile({.backend = "reference"}).predict(input);
  const strata::CompiledModel two = model.compile({.num_threads = 2});
  CHECK_THAT(two.plan_string(3), Contains("both directions at once"));
  CHECK_THAT(model.compile({.num_threads = 1}).plan_string(3), !Contains("both directions at once"));
  CHECK(max_relative_error(two.predict(input), expected) <= float32_tolerance(9 * 11));
  // Batch 1: strata's own cells at once, where the CPU has AVX-512.
  const Tensor one_row = random_input({1, 9, 5}, 14);
  CHECK_THAT(two.plan_string(1), Contains("both directions at once"));
  CHECK(max_relative_error(two.predict(one_row), model.compile({.backend = "reference"}).predict(one_row)) <=
        float32_tolerance(9 * 11));
  // Catch's assertions are not thread-safe: the callers only compute their worst error.
  std::vector<std::thread> callers;
  std::vector<double> errors(4, 1.0);
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      double worst = 0.0;
      for (int r = 0; r < 5; ++r) {
        const Tensor got = two.predict(input);
        for (int64_t i = 0; i < got.size(); ++i)
          worst = std::max(worst, std::abs(double(got.data()[i]) - expected.data()[i]) /
                                      (1.0 + std::abs(expected.data()[i])));
      }
      errors[static_cast<size_t>(t)] = worst;
    });
  }
  for (std::thread& c : callers) c.join();
  for (double e : errors) CHECK(e <= float32_tolerance(9 * 11));
}
