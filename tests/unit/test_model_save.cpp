// Model::save and Model::to_json: Keras 3's .keras archives and JSON, read back by load_model and
// model_from_json to the same summary, the same weights and the same predictions, bit for bit; the archive's
// layout as Keras writes it.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "graph/functional.hpp"
#include "io/hdf5_file.hpp"
#include "io/zip_archive.hpp"
#include "layers/op_layer.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "saving_fixtures.hpp"
#include "strata/applications.hpp"
#include "strata/saving.hpp"

using namespace strata_test;
using Catch::Matchers::Contains;
namespace L = strata::layers;
namespace apps = strata::applications;

namespace {

std::string scratch(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("strata_save_" + name)).string();
}

// save -> load_model and to_json -> model_from_json (+ the weights) give the same model.
void round_trip(const strata::Model& model, const std::vector<strata::Tensor>& inputs,
                const std::string& name) {
  INFO(name);
  const std::string path = scratch(name + ".keras");
  model.save(path);
  expect_equal_models(model, strata::load_model(path), inputs);
  strata::Model from_json = strata::model_from_json(model.to_json());
  from_json.set_weights(model.get_weights());
  expect_equal_models(model, from_json, inputs);
  std::filesystem::remove(path);
}

}  // namespace

TEST_CASE("save and load_model round-trip the seed blocks, ResNet50 and MobileNetV2", "[save][load_model]") {
  const strata::Model seed1 = seed_block_1(), seed2 = seed_block_2();
  randomize_weights(seed1, 1);
  randomize_weights(seed2, 2);
  round_trip(seed1, {random_input({2, 32, 32, 3}, 3)}, "seed1");
  round_trip(seed2, {random_input({2, 32, 32, 3}, 4)}, "seed2");
  const strata::Model resnet = apps::ResNet50({.input_shape = {64, 64, 3}});
  randomize_weights_keeping_scale(resnet, 5);
  round_trip(resnet, {random_input({1, 64, 64, 3}, 6)}, "resnet50");
  const strata::Model mobilenet = apps::MobileNetV2({.input_shape = {64, 64, 3}});
  randomize_weights_keeping_scale(mobilenet, 7);
  round_trip(mobilenet, {random_input({1, 64, 64, 3}, 8)}, "mobilenet_v2");
}

TEST_CASE("save and load_model round-trip nested models, shared layers, recurrent and attention layers",
          "[save][load_model]") {
  const strata::Model model = everything_model();
  randomize_weights(model, 9);
  round_trip(model, everything_inputs(), "everything");
}

TEST_CASE("save and load_model round-trip the Keras 2 files that load", "[save][load_model][keras]") {
  int round_trips = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(STRATA_DATA_DIR) + "/keras_models")) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".h5") || file.ends_with("_inputs_and_outputs.h5")) continue;
    std::optional<strata::Model> model;
    try {
      model = strata::load_model(entry.path().string());
    } catch (const strata::Error&) {
      continue;  // the refusals test_load_model.cpp checks
    }
    INFO(file);
    std::vector<strata::Tensor> inputs;
    uint64_t seed = 20;
    for (const strata::SymbolicTensor& x : model->inputs()) {
      std::vector<int64_t> dims{2};
      for (int axis = 1; axis < x.shape().rank(); ++axis) dims.push_back(x.shape()[axis].value_or(12));
      inputs.push_back(random_input(dims, seed++));
    }
    round_trip(*model, inputs, file);
    // What Keras 2 wrote and strata keeps (regularizers, a dtype string) goes through the archive too.
    const std::string path = scratch("keras2_config.keras");
    model->save(path);
    CHECK(strata::load_model(path).to_json() == model->to_json());
    std::filesystem::remove(path);
    ++round_trips;
  }
  CHECK(round_trips == 21);
}

TEST_CASE("save and load_model round-trip keras.ops calls", "[save][load_model][ops]") {
  const strata::Model model = ops_model();
  randomize_weights(model, 31);
  std::vector<int32_t> id_values{0, 1, 2, 3, 3, 1, 0, 5};
  round_trip(model, {random_input({2, 4, 6}, 32), strata::Tensor::from_int32({2, 4}, std::move(id_values))},
             "with_ops");

  const std::string path = scratch("ops_layout.keras");
  model.save(path);
  const strata::detail::ZipReader archive(path, "[test]");
  // The config holds -Infinity, as Python's json writes it, which nlohmann reads through strata's markers.
  const nlohmann::json config =
      nlohmann::json::parse(strata::detail::with_nonfinite_markers(archive.read("config.json", 1 << 24)));
  std::set<std::string> modules;
  for (const nlohmann::json& e : config["config"]["layers"]) modules.insert(e["module"].get<std::string>());
  CHECK(modules == std::set<std::string>{"keras.layers", "keras.src.ops.core", "keras.src.ops.nn",
                                         "keras.src.ops.numpy"});
  // Keras saves model.layers, which holds no Operation: the weights file has groups for the layers only, the
  // Add merge layer at Keras's path "add" although ops named add came before it.
  const std::string weights = scratch("ops_layout.weights.h5");
  archive.extract("model.weights.h5", weights, 1 << 26);
  const std::vector<std::string> groups =
      strata::detail::h5::File::open(weights).root().open_group("layers").children();
  CHECK(groups == std::vector<std::string>{"add", "dense", "dense_1", "input_layer", "input_layer_1"});
  std::filesystem::remove(weights);
  std::filesystem::remove(path);
}

TEST_CASE("save and load_model keep a layer that a nested model and the outer model share",
          "[save][load_model]") {
  auto a = strata::Input({4}, "a");
  const L::Dense both(4, {.activation = "tanh", .name = "both"});
  const strata::Model inner(a, both(a), "inner");
  auto b = strata::Input({4}, "b");
  const strata::Model outer(b, both(inner(b)), "outer");
  randomize_weights(outer, 41);
  round_trip(outer, {random_input({2, 4}, 42)}, "shared_between_models");
  // Both entries carry one shared_object_id, and the loaded model holds one layer.
  const nlohmann::json config = nlohmann::json::parse(outer.to_json());
  const nlohmann::json& outer_entry = config["config"]["layers"].back();
  const nlohmann::json& inner_entry = config["config"]["layers"][1]["config"]["layers"].back();
  REQUIRE(outer_entry["name"] == "both");
  REQUIRE(inner_entry["name"] == "both");
  CHECK(outer_entry["shared_object_id"] == inner_entry["shared_object_id"]);
  const std::string path = scratch("shared_between_models.keras");
  outer.save(path);
  const strata::Model loaded = strata::load_model(path);
  CHECK(loaded.count_params() == outer.count_params());
  CHECK(
      loaded.get_layer("both").impl() ==
      dynamic_cast<const strata::detail::FunctionalImpl&>(*loaded.get_layer("inner").impl()).layers().back());
  std::filesystem::remove(path);
}

TEST_CASE("save writes a .keras archive in Keras 3's layout", "[save]") {
  const strata::Model model = seed_block_1();
  const std::string path = scratch("layout.keras");
  model.save(path);
  const strata::detail::ZipReader archive(path, "[test]");
  CHECK(archive.names() == std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"});
  const nlohmann::json metadata = nlohmann::json::parse(archive.read("metadata.json", 1 << 20));
  CHECK(metadata.at("keras_version").get<std::string>().starts_with("3."));
  const nlohmann::json config = nlohmann::json::parse(archive.read("config.json", 1 << 24));
  CHECK(config.at("module") == "keras.src.models.functional");
  CHECK(config.at("class_name") == "Functional");
  CHECK(config.at("registered_name") == "Functional");
  const nlohmann::json& layers = config.at("config").at("layers");
  REQUIRE(layers.size() == 5);
  CHECK(layers[1].at("module") == "keras.layers");
  CHECK(layers[1].at("class_name") == "Conv2D");
  CHECK(layers[1].at("build_config").at("input_shape") == nlohmann::json::array({nullptr, 32, 32, 3}));
  const nlohmann::json& node = layers[1].at("inbound_nodes").at(0);
  CHECK(node.at("args").at(0).at("class_name") == "__keras_tensor__");
  CHECK(node.at("args").at(0).at("config").at("keras_history") ==
        nlohmann::json::array({model.layers().front().name(), 0, 0}));
  // Keras's build_config: the input shape, or build's arguments by name for MultiHeadAttention and for a
  // recurrent layer given states.
  {
    auto q = strata::Input({4, 6}, "q");
    auto h = strata::Input({3}, "h");
    L::MultiHeadAttention mha(2, 3, {.name = "mha"});
    auto att = mha(q, q);
    const strata::Model m({q, h}, L::GRU(3, {.name = "gru"})(att, {h}), "built");
    const nlohmann::json entries = nlohmann::json::parse(m.to_json()).at("config").at("layers");
    for (const nlohmann::json& e : entries) {
      if (e.at("name") == "mha") {
        CHECK(e.at("build_config") ==
              nlohmann::json{
                  {"shapes_dict", {{"query_shape", {nullptr, 4, 6}}, {"value_shape", {nullptr, 4, 6}}}}});
      }
      if (e.at("name") == "gru") {
        CHECK(e.at("build_config") == nlohmann::json{{"shapes_dict",
                                                      {{"sequences_shape", {nullptr, 4, 6}},
                                                       {"initial_state_shape", {{nullptr, 3}}}}}});
      }
    }
  }
  // The Add layer is called on a list: Keras's args are one list of tensors.
  CHECK(layers.back().at("class_name") == "Add");
  CHECK(layers.back().at("inbound_nodes").at(0).at("args").at(0).size() == 2);
  std::filesystem::remove(path);
}

TEST_CASE("save and to_json name what they cannot write", "[save][errors]") {
  auto x = strata::Input({3}, "x");
  const strata::Model plain(x, L::Dense(2)(x), "plain");
  const std::string dir = std::filesystem::temp_directory_path() / "strata_save_no_such_dir" / "m.keras";
  CHECK_THROWS_AS(plain.save(dir), strata::FileError);
  CHECK_THROWS_MATCHES(plain.save(scratch("m.zip")), strata::ValueError,
                       MessageThat(Contains("Expected a path ending in .keras")));
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / "strata_save_folder.keras";
  std::filesystem::create_directories(folder);
  CHECK_THROWS_MATCHES(plain.save(folder.string()), strata::FileError,
                       MessageThat(Contains("It is a directory")));
  std::filesystem::remove(folder);
}
