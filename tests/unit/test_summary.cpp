// Golden-text tests: strata's summary must equal Keras 3's byte for byte. The golden files were rendered
// by Keras's print_summary logic with rich (see docs/semantics.md for how they were made).
#include "test_util.hpp"

using namespace strata_test;

TEST_CASE("summary of the seed blocks equals Keras's text", "[summary]") {
  strata::clear_session();
  strata::Model block1 = seed_block_1();
  CHECK(block1.summary_string() == read_golden("golden_seed1.txt"));
  CHECK(block1.count_params() == 21504);
  strata::Model block2 = seed_block_2();
  CHECK(block2.summary_string() == read_golden("golden_seed2.txt"));
}

TEST_CASE("a plain chain prints without the Connected to column", "[summary]") {
  strata::clear_session();
  auto in = strata::Input({28, 28, 1});
  auto x = L::Conv2D(8, 3)(in);
  x = L::MaxPooling2D(2)(x);
  strata::Model chain(in, x, "chain");
  CHECK(chain.summary_string() == read_golden("golden_chain.txt"));
}
