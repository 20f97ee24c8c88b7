// Golden-text tests: strata's summary must equal Keras 3's byte for byte. The golden files were rendered
// by Keras's print_summary logic with rich (see docs/semantics.md for how they were made).
#include <stdlib.h>
#include <unistd.h>

#include <fcntl.h>

#include <optional>

#include "test_util.hpp"

using namespace strata_test;

namespace {

// Sets COLUMNS (or unsets it, for nullopt) for one test and restores it: Keras, and strata, cap the table at
// the terminal width minus 4.
class ScopedColumns {
 public:
  explicit ScopedColumns(std::optional<std::string> value) {
    if (const char* old = std::getenv("COLUMNS")) old_ = old;
    if (value) {
      setenv("COLUMNS", value->c_str(), 1);
    } else {
      unsetenv("COLUMNS");
    }
  }
  ~ScopedColumns() {
    if (old_) {
      setenv("COLUMNS", old_->c_str(), 1);
    } else {
      unsetenv("COLUMNS");
    }
  }
  ScopedColumns(const ScopedColumns&) = delete;
  ScopedColumns& operator=(const ScopedColumns&) = delete;

 private:
  std::optional<std::string> old_;
};

// Runs `f` with standard output on /dev/null (not a terminal), as in a pipe or a CI log.
template <typename F>
auto with_stdout_not_a_terminal(F f) {
  std::fflush(stdout);
  const int saved = dup(STDOUT_FILENO);
  const int null = open("/dev/null", O_WRONLY);
  dup2(null, STDOUT_FILENO);
  close(null);
  auto result = f();
  std::fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  return result;
}

std::string width_of_first_line_after_title(const std::string& summary) {
  const size_t start = summary.find('\n') + 1;
  const std::string line = summary.substr(start, summary.find('\n', start) - start);
  // Box-drawing characters are 3 bytes in UTF-8 and one column each.
  return std::to_string(line.size() / 3);
}

}  // namespace

// These goldens are what Keras prints on a terminal of 112 columns or more.
TEST_CASE("summary of the seed blocks equals Keras's text", "[summary]") {
  const ScopedColumns wide("120");
  strata::clear_session();
  strata::Model block1 = seed_block_1();
  CHECK(block1.summary_string() == read_golden("golden_seed1.txt"));
  CHECK(block1.count_params() == 21504);
  strata::Model block2 = seed_block_2();
  CHECK(block2.summary_string() == read_golden("golden_seed2.txt"));
}

TEST_CASE("a plain chain prints without the Connected to column", "[summary]") {
  const ScopedColumns wide("120");
  strata::clear_session();
  auto in = strata::Input({28, 28, 1});
  auto x = L::Conv2D(8, 3)(in);
  x = L::MaxPooling2D(2)(x);
  strata::Model chain(in, x, "chain");
  CHECK(chain.summary_string() == read_golden("golden_chain.txt"));
}

// Issue 13, item 7: Keras sizes the table as min(88, or 108 with `Connected to`, terminal columns - 4), with
// Python's shutil.get_terminal_size rules: COLUMNS, then the terminal on standard output, else 80.
TEST_CASE("the summary is as wide as Keras prints it: 76 columns outside a terminal", "[summary][width]") {
  strata::clear_session();
  strata::Sequential mnist({L::InputLayer({28, 28, 1}), L::Conv2D(32, 3, {.activation = "relu"}),
                            L::MaxPooling2D(2), L::Conv2D(64, 3, {.activation = "relu"}), L::MaxPooling2D(2),
                            L::Flatten(), L::Dropout(0.5f), L::Dense(10, {.activation = "softmax"})});
  // A published Keras 3 summary of the same model, printed outside a terminal (tests/golden/README.md).
  const std::string published = read_golden("published_mnist_convnet.txt");
  {
    const ScopedColumns none(std::nullopt);
    CHECK(with_stdout_not_a_terminal([&] { return mnist.summary_string(); }) == published);
  }
  {
    const ScopedColumns eighty("80");
    CHECK(mnist.summary_string() == published);
  }
  strata::clear_session();
  strata::Model block = seed_block_1();
  const ScopedColumns none(std::nullopt);
  // The same seed block as golden_seed1.txt, rendered for 80 columns: cells wrap.
  CHECK(with_stdout_not_a_terminal([&] { return block.summary_string(); }) ==
        read_golden("golden_seed1_76.txt"));
  {
    const ScopedColumns columns("100");  // min(88, 96) and min(108, 96)
    CHECK(width_of_first_line_after_title(mnist.summary_string()) == "88");
    CHECK(width_of_first_line_after_title(block.summary_string()) == "96");
  }
  {
    const ScopedColumns columns("not a number");  // ignored, as Python ignores it: the terminal, else 80
    CHECK(with_stdout_not_a_terminal([&] { return mnist.summary_string(); }) == published);
  }
  // An explicit line_length wins over the terminal.
  CHECK(width_of_first_line_after_title(block.summary_string({.line_length = 108})) == "108");
}
