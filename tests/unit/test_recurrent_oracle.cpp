// SimpleRNN, GRU and LSTM against implementations outside strata: tfjs-layers' own recurrent layers (and
// Keras 3's reset_after GRU cell written in tfjs-core ops, run in tfjs's RNN loop), in both directions, with
// return_sequences, return_state and initial states, on both backends; and outputs Keras itself computed
// with its own weight file (a Keras 2.1.3 SimpleRNN).
#include <filesystem>
#include <functional>

#include "hdf5_util.hpp"
#include "numerics_util.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
using strata::Tensor;

namespace {

struct Case {
  std::string what;
  std::function<strata::Model()> build;
  std::vector<std::vector<int64_t>> inputs;
};

std::vector<Case> recurrent_cases() {
  std::vector<Case> cases;
  cases.push_back({"SimpleRNN, last output, then Dense",
                   [] {
                     auto x = strata::Input({7, 5});
                     return strata::Model(x, L::Dense(3)(L::SimpleRNN(6)(x)));
                   },
                   {{3, 7, 5}}});
  cases.push_back(
      {"SimpleRNN relu, sequences, go_backwards",
       [] {
         auto x = strata::Input({6, 4});
         return strata::Model(
             x, L::SimpleRNN(5, {.activation = "relu", .return_sequences = true, .go_backwards = true})(x));
       },
       {{2, 6, 4}}});
  cases.push_back({"stacked LSTMs: sequences, then go_backwards",
                   [] {
                     auto x = strata::Input({9, 4});
                     auto h = L::LSTM(8, {.return_sequences = true})(x);
                     return strata::Model(x, L::LSTM(5, {.go_backwards = true})(h));
                   },
                   {{3, 9, 4}}});
  cases.push_back(
      {"LSTM from initial states, returning its states",
       [] {
         auto x = strata::Input({5, 3}), h0 = strata::Input({4}), c0 = strata::Input({4});
         auto outs = L::LSTM(4, {.return_sequences = true, .return_state = true}).call_all(x, {h0, c0});
         return strata::Model({x, h0, c0}, outs);
       },
       {{2, 5, 3}, {2, 4}, {2, 4}}});
  cases.push_back({"LSTM with relu (a plain C++ cell on oneDNN)",
                   [] {
                     auto x = strata::Input({6, 3});
                     return strata::Model(x, L::LSTM(4, {.activation = "relu", .return_sequences = true})(x));
                   },
                   {{2, 6, 3}}});
  cases.push_back(
      {"GRU reset_after=False, sequences, go_backwards",
       [] {
         auto x = strata::Input({8, 5});
         return strata::Model(
             x, L::GRU(6, {.return_sequences = true, .go_backwards = true, .reset_after = false})(x));
       },
       {{3, 8, 5}}});
  cases.push_back({"GRU (Keras 3's reset_after), states in and out",
                   [] {
                     auto x = strata::Input({7, 4}), h0 = strata::Input({6});
                     auto outs = L::GRU(6, {.return_state = true}).call_all(x, {h0});
                     return strata::Model({x, h0}, outs);
                   },
                   {{2, 7, 4}, {2, 6}}});
  cases.push_back({"GRU reset_after, go_backwards, sequences, without bias",
                   [] {
                     auto x = strata::Input({6, 3});
                     return strata::Model(
                         x,
                         L::GRU(5, {.use_bias = false, .return_sequences = true, .go_backwards = true})(x));
                   },
                   {{2, 6, 3}}});
  for (const std::string mode : {"concat", "sum", "mul", "ave"}) {
    cases.push_back({"Bidirectional LSTM, sequences, merge " + mode,
                     [mode] {
                       auto x = strata::Input({6, 4});
                       return strata::Model(x, L::Bidirectional(L::LSTM(5, {.return_sequences = true}),
                                                                {.merge_mode = mode})(x));
                     },
                     {{2, 6, 4}}});
  }
  cases.push_back({"Bidirectional GRU (reset_after), last outputs concatenated, then Dense",
                   [] {
                     auto x = strata::Input({7, 3});
                     return strata::Model(x, L::Dense(2)(L::Bidirectional(L::GRU(4))(x)));
                   },
                   {{3, 7, 3}}});
  cases.push_back({"Bidirectional SimpleRNN, merge None, states in and out",
                   [] {
                     auto x = strata::Input({5, 3}), f = strata::Input({4}), b = strata::Input({4});
                     auto outs =
                         L::Bidirectional(L::SimpleRNN(4, {.return_sequences = true, .return_state = true}),
                                          {.merge_mode = ""})
                             .call_all(x, {f, b});
                     return strata::Model({x, f, b}, outs);
                   },
                   {{2, 5, 3}, {2, 4}, {2, 4}}});
  cases.push_back({"TimeDistributed Dense after an LSTM's sequence",
                   [] {
                     auto x = strata::Input({6, 4});
                     auto h = L::LSTM(5, {.return_sequences = true})(x);
                     return strata::Model(x, L::TimeDistributed(L::Dense(3, {.activation = "tanh"}))(h));
                   },
                   {{2, 6, 4}}});
  cases.push_back({"TimeDistributed Conv2D and pooling over frames, then a GRU",
                   [] {
                     auto x = strata::Input({4, 8, 8, 3});
                     auto f =
                         L::TimeDistributed(L::Conv2D(4, 3, {.padding = "same", .activation = "relu"}))(x);
                     f = L::TimeDistributed(L::GlobalAveragePooling2D())(f);
                     return strata::Model(x, L::GRU(3)(f));
                   },
                   {{2, 4, 8, 8, 3}}});
  // Batch 1 runs strata's own AVX-512 cell where the CPU has it (oneDNN's primitive above): widths that are
  // not whole vectors (17 units, 51 gate columns), more than eight vectors of gates (40 LSTM units: 160).
  cases.push_back(
      {"batch 1: LSTM of 40 units, sequences and states, from initial states",
       [] {
         auto x = strata::Input({6, 5}), h0 = strata::Input({40}), c0 = strata::Input({40});
         auto outs = L::LSTM(40, {.return_sequences = true, .return_state = true}).call_all(x, {h0, c0});
         return strata::Model({x, h0, c0}, outs);
       },
       {{1, 6, 5}, {1, 40}, {1, 40}}});
  cases.push_back(
      {"batch 1: GRU of 17 units, reset_after=False, sequences, go_backwards",
       [] {
         auto x = strata::Input({7, 4});
         return strata::Model(
             x, L::GRU(17, {.return_sequences = true, .go_backwards = true, .reset_after = false})(x));
       },
       {{1, 7, 4}}});
  cases.push_back({"batch 1: GRU of 17 units (reset_after), states in and out",
                   [] {
                     auto x = strata::Input({7, 4}), h0 = strata::Input({17});
                     auto outs = L::GRU(17, {.return_state = true}).call_all(x, {h0});
                     return strata::Model({x, h0}, outs);
                   },
                   {{1, 7, 4}, {1, 17}}});
  cases.push_back(
      {"batch 1: SimpleRNN relu and sigmoid, sequences, go_backwards",
       [] {
         auto x = strata::Input({6, 4});
         auto h = L::SimpleRNN(5, {.activation = "relu", .return_sequences = true, .go_backwards = true})(x);
         return strata::Model(x, L::SimpleRNN(3, {.activation = "sigmoid", .return_sequences = true})(h));
       },
       {{1, 6, 4}}});
  cases.push_back({"batch 1: Bidirectional LSTM and GRU, both directions at once",
                   [] {
                     auto x = strata::Input({6, 4});
                     auto h = L::Bidirectional(L::LSTM(5, {.return_sequences = true}))(x);
                     return strata::Model(x, L::Bidirectional(L::GRU(4), {.merge_mode = "sum"})(h));
                   },
                   {{1, 6, 4}}});
  return cases;
}

}  // namespace

TEST_CASE("recurrent layers equal tfjs-layers' (and Keras 3's reset_after GRU cell)", "[recurrent][tfjs]") {
  strata::clear_session();
  const std::vector<Case> cases = recurrent_cases();
  // tfjs and strata each round every step; the error may grow a little along the sequence.
  check_cases_against_tfjs(cases, 300, 1e-5, [](float v) { return v + 0.25f; });
}

TEST_CASE("SimpleRNN matches the outputs Keras computed with its own weight file", "[recurrent][keras]") {
  // Keras 2.1.3 (tests/data/keras_rnn/README.md): SimpleRNN(50) over 1 step of 1 feature, then Dense(1).
  const std::filesystem::path dir = std::filesystem::path(STRATA_DATA_DIR) / "keras_rnn";
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    strata::clear_session();
    auto x = strata::Input({1, 1});
    strata::Model model(x, L::Dense(1, {.name = "dense_1"})(L::SimpleRNN(50, {.name = "simple_rnn_1"})(x)));
    model.load_weights((dir / "simple_rnn_tf_keras_2_weights.h5").string());
    const std::string io = (dir / "simple_rnn_tf_keras_2_inputs_and_outputs.h5").string();
    const Tensor input = read_dataset(io, "inputs/simple_rnn_1_input");
    // `outputs` holds the training targets; `predictions` what Keras computed.
    const Tensor expected = read_dataset(io, "predictions/dense_1");
    const auto compiled = model.compile({.backend = backend});
    CHECK(max_relative_error(compiled.predict(input), expected) <= 1e-5);
    Tensor moved = input;
    for (int64_t i = 0; i < moved.size(); ++i) moved.data()[i] += 0.5f;
    CHECK(max_relative_error(compiled.predict(moved), expected) > 1e-2);
  }
}
