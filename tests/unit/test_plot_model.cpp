// plot_model / model_to_dot: Keras's plot_model as Graphviz DOT, PNG and SVG.
#include "test_util.hpp"

#include <cstdio>
#include <filesystem>

#include "message_matcher.hpp"

using namespace strata_test;

TEST_CASE("model_to_dot draws every call and every edge", "[plot]") {
  strata::clear_session();
  strata::Model block = seed_block_1();
  const std::string dot = strata::model_to_dot(block, {.show_shapes = true});
  INFO(dot);
  for (const char* label : {"input_layer (InputLayer)", "conv2d (Conv2D)", "conv2d_1 (Conv2D)", "conv2d_2 (Conv2D)",
                            "add (Add)", "Output shape: (None, 30, 30, 64)"}) {
    CHECK(dot.find(label) != std::string::npos);
  }
  size_t edges = 0;
  for (size_t at = dot.find("->"); at != std::string::npos; at = dot.find("->", at + 2)) ++edges;
  CHECK(edges == 5);  // input->conv2d, conv2d->conv2d_1, conv2d->conv2d_2, conv2d_1->add, conv2d_2->add
  const std::string names_off = strata::model_to_dot(block, {.show_layer_names = false, .rankdir = "LR"});
  CHECK(names_off.find("conv2d_1") == std::string::npos);
  CHECK(names_off.find("rankdir=LR") != std::string::npos);
}

TEST_CASE("plot_model writes DOT, PNG and SVG files", "[plot]") {
  strata::Model block = seed_block_2("plotted");
  const auto dir = std::filesystem::temp_directory_path() / "strata_plot_test";
  std::filesystem::create_directories(dir);
  strata::plot_model(block, (dir / "m.dot").string());
  CHECK(std::filesystem::file_size(dir / "m.dot") > 100);
  strata::plot_model(block, (dir / "m.png").string(), {.show_shapes = true});
  std::FILE* f = std::fopen((dir / "m.png").string().c_str(), "rb");
  REQUIRE(f != nullptr);
  unsigned char magic[4] = {};
  CHECK(std::fread(magic, 1, 4, f) == 4);
  std::fclose(f);
  CHECK((magic[1] == 'P' && magic[2] == 'N' && magic[3] == 'G'));
  strata::plot_model(block, (dir / "m.svg").string());
  CHECK(std::filesystem::file_size(dir / "m.svg") > 100);
  std::filesystem::remove_all(dir);
}

TEST_CASE("plot_model errors", "[plot][errors]") {
  strata::Model block = seed_block_1("bad_plot");
  REQUIRE_THROWS_MATCHES(strata::plot_model(block, "/tmp/x.jpg"), strata::ValueError,
                         MessageThat(Catch::Contains("Unknown file type 'jpg'")));
  REQUIRE_THROWS_MATCHES(strata::model_to_dot(block, {.rankdir = "XY"}), strata::ValueError,
                         MessageThat(Catch::Contains("Unknown rankdir 'XY'")));
  CHECK_THROWS_AS(strata::plot_model(block, "/nonexistent_dir/x.dot"), strata::FileError);
}

TEST_CASE("expand_nested draws a nested model as a cluster", "[plot]") {
  strata::Model inner = seed_block_1("inner_plot");
  auto in = strata::Input({32, 32, 3});
  strata::Model outer(in, L::GlobalAveragePooling2D()(inner(in)), "outer_plot");
  const std::string flat = strata::model_to_dot(outer);
  CHECK(flat.find("inner_plot (Functional)") != std::string::npos);
  const std::string expanded = strata::model_to_dot(outer, {.expand_nested = true});
  INFO(expanded);
  CHECK(expanded.find("subgraph cluster_") != std::string::npos);
  CHECK(expanded.find("conv2d_1") != std::string::npos);
}
