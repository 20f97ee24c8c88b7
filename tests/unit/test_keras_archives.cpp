// load_model on Keras 3 .keras archives (tests/data/keras3_archives/README.md): the outputs NumPy computed,
// and the archive errors (truncated, damaged, unsafe names, missing entries).
#include <filesystem>
#include <fstream>
#include <iterator>

#include "hdf5_util.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "strata/saving.hpp"

using namespace strata_test;
using Catch::Matchers::Contains;
namespace h5 = strata::detail::h5;

namespace {

const std::filesystem::path kDir = std::filesystem::path(STRATA_DATA_DIR) / "keras3_archives";

std::string bytes_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string write_temporary(const std::string& name, const std::string& bytes) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

}  // namespace

TEST_CASE("load_model reads .keras archives and matches NumPy's outputs", "[load_model][keras3]") {
  const h5::File expected_file = h5::File::open((kDir / "expected.h5").string());
  const h5::Group expected = expected_file.root();
  for (const auto& [name, outputs] : {std::pair{"functional_cnn", 2}, {"sequential_lstm", 1}}) {
    INFO(name);
    const strata::Model model = strata::load_model((kDir / (std::string(name) + ".keras")).string());
    const h5::Group group = expected.open_group(name);
    const strata::Tensor x = read_dataset(group, "input");
    for (const char* backend : {"onednn", "reference"}) {
      INFO(backend);
      const std::vector<strata::Tensor> got = model.compile({.backend = backend}).predict(std::vector{x});
      REQUIRE(static_cast<int>(got.size()) == outputs);
      for (int i = 0; i < outputs; ++i) {
        const strata::Tensor want = read_dataset(group, "output_" + std::to_string(i));
        REQUIRE(got[i].dims() == want.dims());
        CHECK(max_relative_error(got[i], want) <= 1e-5);
      }
    }
    // The check can fail: an input moved by 0.5 everywhere moves the last output far beyond the tolerance
    // (the CNN's pooled features hardly see perturbed()'s sparse changes).
    strata::Tensor moved = x;
    for (int64_t i = 0; i < moved.size(); ++i) moved.data()[i] += 0.5f;
    const std::string last = "output_" + std::to_string(outputs - 1);
    CHECK(max_relative_error(model.predict(std::vector{moved}).back(), read_dataset(group, last)) > 1e-2);
  }
  // The weights went through a temporary file, which is gone.
  const auto temporaries = [] {
    int count = 0;
    for (const auto& f : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
      count += f.path().filename().string().starts_with("strata-") ? 1 : 0;
    return count;
  };
  const int before = temporaries();
  const strata::Model cnn = strata::load_model((kDir / "functional_cnn.keras").string());
  CHECK(temporaries() == before);
  CHECK(cnn.name() == "functional_cnn");
  CHECK(cnn.get_layer("head").class_name() == "Sequential");
  // Without weights: the same architecture, the initializers' weights.
  const strata::Model bare =
      strata::load_model((kDir / "functional_cnn.keras").string(), {.load_weights = false});
  CHECK(bare.summary_string() == cnn.summary_string());
  CHECK_FALSE(bare.get_layer("conv").get_weights()[0] == cnn.get_layer("conv").get_weights()[0]);
}

TEST_CASE("load_model names what is wrong with an archive", "[load_model][keras3][errors]") {
  const std::string good = bytes_of(kDir / "functional_cnn.keras");
  const std::string truncated = write_temporary("strata_truncated.keras", good.substr(0, good.size() / 2));
  CHECK_THROWS_MATCHES(
      strata::load_model(truncated), strata::FileError,
      MessageThat(Contains("[load_model \"" + truncated + "\"] Cannot read the zip archive")));
  // A byte of config.json changed (entries are stored, so its text is in the file): the CRC does not match.
  std::string damaged = good;
  const size_t at = damaged.find("\"functional_cnn\"");
  REQUIRE(at != std::string::npos);
  damaged[at + 1] = 'F';
  const std::string damaged_path = write_temporary("strata_damaged.keras", damaged);
  CHECK_THROWS_MATCHES(strata::load_model(damaged_path), strata::FileError,
                       MessageThat(Contains("Cannot read the entry \"config.json\"")));
  CHECK_THROWS_MATCHES(
      strata::load_model((kDir / "escape.keras").string()), strata::FileError,
      MessageThat(Contains("holds an entry named \"../outside.txt\", which could write outside a "
                           "folder")));
  CHECK_THROWS_MATCHES(
      strata::load_model((kDir / "no_config.keras").string()), strata::FileError,
      MessageThat(Contains("The archive has no config.json (it has metadata.json): not a .keras "
                           "file")));
  // libzip refuses two entries of one name itself (strata would too: Keras would read the other one).
  CHECK_THROWS_MATCHES(strata::load_model((kDir / "duplicate.keras").string()), strata::FileError,
                       MessageThat(Contains("Cannot read the zip archive: File already exists")));
  std::filesystem::remove(truncated);
  std::filesystem::remove(damaged_path);
}
