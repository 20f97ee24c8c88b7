// Resizing, CenterCrop and UpSampling2D's bilinear mode: values by hand from TensorFlow's half-pixel rule
// (Keras 3's ops.image.resize), the reference executor for every kind of size change, the configs and the
// errors. tfjs-core's half-pixel kernels check them in test_tfjs_layers, ONNX Runtime in test_onnx_export.
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "test_util.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Contains;

TEST_CASE("bilinear resizing by hand: half-pixel centres, edges clamped", "[resizing][numerics]") {
  // [[0, 1], [2, 3]] to 4x4: source rows and columns at -0.25, 0.25, 0.75, 1.25 (clamped).
  const std::vector<float> want = {0.0f, 0.25f, 0.75f, 1.0f, 0.5f, 0.75f, 1.25f, 1.5f,
                                   1.5f, 1.75f, 2.25f, 2.5f, 2.0f, 2.25f, 2.75f, 3.0f};
  const strata::Tensor x({1, 2, 2, 1}, {0.0f, 1.0f, 2.0f, 3.0f});
  CHECK(single({2, 2, 1}, [](auto t) { return L::Resizing(4, 4)(t); }).predict(x).values() == want);
  CHECK(single({2, 2, 1}, [](auto t) { return L::UpSampling2D(2, {.interpolation = "bilinear"})(t); })
            .predict(x)
            .values() == want);
  // Nearest, 3 columns to 2: floor((o + 0.5) * 1.5) takes columns 0 and 2.
  const strata::Tensor row({1, 1, 3, 1}, {5.0f, 6.0f, 7.0f});
  CHECK(single({1, 3, 1}, [](auto t) { return L::Resizing(1, 2, {.interpolation = "nearest"})(t); })
            .predict(row)
            .values() == std::vector<float>{5.0f, 7.0f});
  // pad_to_aspect_ratio, 2x4 to 4x4: Keras pads to trunc(4 * 4 / 4) = 4 rows, one row of fill_value above
  // and below, and the padded image needs no resize.
  const strata::Tensor wide({1, 2, 4, 1}, {1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(
      single({2, 4, 1},
             [](auto t) { return L::Resizing(4, 4, {.pad_to_aspect_ratio = true, .fill_value = -1.0f})(t); })
          .predict(wide)
          .values() == std::vector<float>{-1, -1, -1, -1, 1, 2, 3, 4, 5, 6, 7, 8, -1, -1, -1, -1});
  // CenterCrop 3x3 to 2x2: the odd margin's extra row and column are at the bottom and right.
  const strata::Tensor grid({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(single({3, 3, 1}, [](auto t) { return L::CenterCrop(2, 2)(t); }).predict(grid).values() ==
        std::vector<float>{1, 2, 4, 5});
}

TEST_CASE("every resize equals the reference executor", "[resizing][numerics]") {
  const strata::Tensor x = random_input({2, 6, 9, 3}, 4);
  const std::vector<std::function<strata::SymbolicTensor(strata::SymbolicTensor)>> layers = {
      [](auto t) { return L::Resizing(11, 4)(t); },
      [](auto t) { return L::Resizing(3, 17, {.interpolation = "nearest"})(t); },
      [](auto t) { return L::Resizing(5, 5, {.crop_to_aspect_ratio = true})(t); },
      [](auto t) { return L::Resizing(5, 5, {.pad_to_aspect_ratio = true, .fill_value = 2.0f})(t); },
      [](auto t) { return L::Resizing(12, 4, {.pad_to_aspect_ratio = true})(L::Conv2D(3, 1)(t)); },
      [](auto t) {
        return L::Resizing(12, 18, {.antialias = true})(t);
      },  // growing: antialias changes nothing
      [](auto t) { return L::CenterCrop(5, 4)(t); },
      [](auto t) { return L::CenterCrop(8, 8)(t); },
      [](auto t) {
        return L::UpSampling2D({3, 2}, {.interpolation = "bilinear"})(t);
      },
  };
  for (size_t i = 0; i < layers.size(); ++i) {
    INFO("layer " << i);
    const strata::Model m = single({6, 9, 3}, layers[i]);
    CHECK(onednn_vs_reference(m, {x}) <= float32_tolerance(4));
  }
  // Resizing to the input's own size is the identity.
  const strata::Model same = single({6, 9, 3}, [](auto t) { return L::Resizing(6, 9)(t); });
  CHECK(same.predict(x) == x);
}

TEST_CASE("resizing layers' configs and errors", "[resizing][errors]") {
  const std::string config = L::Resizing(4, 5, {.crop_to_aspect_ratio = true, .name = "r"}).get_config();
  CHECK(config.find(R"("height":4)") != std::string::npos);
  CHECK(config.find(R"("width":5)") != std::string::npos);
  CHECK(config.find(R"("data_format":"channels_last")") != std::string::npos);
  REQUIRE_THROWS_MATCHES(L::Resizing(4, 5, {.interpolation = "bicubic", .name = "r1"}), strata::ValueError,
                         MessageThat(Contains("[r1 (Resizing)]") && Contains("'bicubic'")));
  REQUIRE_THROWS_MATCHES(L::Resizing(4, 5, {.crop_to_aspect_ratio = true, .pad_to_aspect_ratio = true}),
                         strata::ValueError, MessageThat(Contains("Only one of pad_to_aspect_ratio")));
  REQUIRE_THROWS_MATCHES(L::Resizing(0, 5), strata::ValueError, MessageThat(Contains("received (0, 5)")));
  REQUIRE_THROWS_MATCHES(L::CenterCrop(3, -1), strata::ValueError, MessageThat(Contains("received (3, -1)")));
  REQUIRE_THROWS_MATCHES(L::UpSampling2D(2, {.interpolation = "lanczos3"}), strata::ValueError,
                         MessageThat(Contains("nearest, bilinear")));
  REQUIRE_THROWS_MATCHES(L::Resizing(4, 4, {.antialias = true})(strata::Input({8, 8, 3})), strata::ValueError,
                         MessageThat(Contains("antialias") && Contains("shrinking")));
  REQUIRE_THROWS_MATCHES(L::Resizing(4, 4)(strata::Input({8, 3})), strata::ShapeError,
                         MessageThat(Contains("rank 4")));
  REQUIRE_THROWS_MATCHES(L::CenterCrop(4, 4)(strata::Input({strata::None, 8, 3})), strata::ShapeError,
                         MessageThat(Contains("known height and width")));
  // Resizing takes images of any size: the output's is the target.
  CHECK(L::Resizing(4, 5)(strata::Input({strata::None, strata::None, 3})).shape().to_string() ==
        "(None, 4, 5, 3)");
}
