// strata::Shape and strata::Size2: Keras's tuple text, equality, axis access and its errors.
#include <sstream>

#include "message_matcher.hpp"
#include "test_util.hpp"

using Catch::Matchers::Contains;
using strata::Dim;
using strata::None;
using strata::Shape;
using strata::Size2;
using strata_test::MessageThat;

TEST_CASE("Shape prints as Keras's tuple", "[shape]") {
  CHECK(Shape{None, 30, 30, 32}.to_string() == "(None, 30, 30, 32)");
  CHECK(Shape{None, 10}.to_string() == "(None, 10)");
  // Python writes a one-element tuple with a trailing comma.
  CHECK(Shape{None}.to_string() == "(None,)");
  CHECK(Shape{7}.to_string() == "(7,)");
  CHECK(Shape{}.to_string() == "()");
  CHECK(Shape{None, None, None, 3}.to_string() == "(None, None, None, 3)");
  CHECK(Shape{8, 32, 32, 3}.to_string() == "(8, 32, 32, 3)");

  std::ostringstream os;
  os << Shape{None, 15, 15, 64};
  CHECK(os.str() == "(None, 15, 15, 64)");
}

TEST_CASE("Shape equality compares rank and every dimension, unknowns included", "[shape]") {
  CHECK(Shape{None, 30, 30, 32} == Shape{None, 30, 30, 32});
  CHECK(Shape{None, 30, 30, 32} == Shape(std::vector<Dim>{None, 30, 30, 32}));
  CHECK_FALSE(Shape{None, 30, 30, 32} == Shape{None, 30, 30, 64});
  CHECK_FALSE(Shape{None, 30} == Shape{1, 30});
  CHECK_FALSE(Shape{None, 30} == Shape{None, 30, 1});
  CHECK_FALSE(Shape{0} == Shape{None});
  CHECK(Shape{} == Shape{});
}

TEST_CASE("Shape rank, operator[] with negative axes, and the other accessors", "[shape]") {
  const Shape s{None, 30, 20, 64};
  CHECK(s.rank() == 4);
  CHECK(s[0] == None);
  CHECK(s[1] == Dim(30));
  CHECK(s[2] == Dim(20));
  CHECK(s[3] == Dim(64));
  CHECK(s[-1] == Dim(64));
  CHECK(s[-2] == Dim(20));
  CHECK(s[-3] == Dim(30));
  CHECK(s[-4] == None);

  CHECK_FALSE(s.is_fully_defined());
  CHECK(Shape{2, 3}.is_fully_defined());
  CHECK(Shape{}.is_fully_defined());
  CHECK(s.without_batch() == Shape{30, 20, 64});
  CHECK(Shape{}.without_batch() == Shape{});
  CHECK(strata::to_shape({8, 32, 32, 3}) == Shape{8, 32, 32, 3});
  CHECK(Shape{}.rank() == 0);
}

TEST_CASE("Shape operator[] out of range is a ValueError naming the axis and rank", "[shape][error]") {
  const Shape s{None, 30, 20, 64};
  REQUIRE_THROWS_MATCHES(s[4], strata::ValueError, MessageThat(Contains("axis 4") && Contains("rank 4")));
  REQUIRE_THROWS_MATCHES(s[-5], strata::ValueError, MessageThat(Contains("axis -5") && Contains("rank 4")));
  REQUIRE_THROWS_MATCHES(Shape{}[0], strata::ValueError, MessageThat(Contains("rank 0")));
  // Every strata exception is a strata::Error and a std::runtime_error.
  REQUIRE_THROWS_AS(s[100], strata::Error);
  REQUIRE_THROWS_AS(s[100], std::runtime_error);
}

namespace {
Size2 pass_through(Size2 size) {
  return size;
}
}  // namespace

TEST_CASE("Size2 converts from an int and from {h, w}", "[shape][size2]") {
  const Size2 three = pass_through(3);
  CHECK(three.h() == 3);
  CHECK(three.w() == 3);
  CHECK(three.given());
  CHECK(three.to_string() == "(3, 3)");

  const Size2 asym = pass_through({3, 5});
  CHECK(asym.h() == 3);
  CHECK(asym.w() == 5);
  CHECK(asym.given());
  CHECK(asym.to_string() == "(3, 5)");

  const Size2 none;
  CHECK_FALSE(none.given());
  CHECK(none.to_string() == "None");
  const Size2 braced = {};
  CHECK_FALSE(braced.given());

  CHECK(Size2(3) == Size2(3, 3));
  CHECK_FALSE(Size2(3, 5) == Size2(5, 3));
  CHECK(Size2() == Size2());
  // "Not given" differs from any given size, zero included.
  CHECK_FALSE(Size2() == Size2(0));
}

TEST_CASE("Input puts the unknown batch in front", "[shape][input]") {
  strata::clear_session();
  CHECK(strata::Input({32, 32, 3}).shape() == Shape{None, 32, 32, 3});
  CHECK(strata::Input({None, None, 3}).shape() == Shape{None, None, None, 3});
  CHECK(strata::Input({10}).shape().to_string() == "(None, 10)");
  CHECK(strata::Input({32, 32, 3}).shape().to_string() == "(None, 32, 32, 3)");
}

TEST_CASE("Input refuses an empty or non-positive shape", "[shape][input][error]") {
  REQUIRE_THROWS_MATCHES(strata::Input({}), strata::ValueError, MessageThat(Contains("[Input]")));
  REQUIRE_THROWS_MATCHES(strata::Input({32, 0, 3}), strata::ValueError,
                         MessageThat(Contains("[Input]") && Contains("(32, 0, 3)")));
  REQUIRE_THROWS_MATCHES(strata::Input({-1}), strata::ValueError, MessageThat(Contains("(-1,)")));
}

TEST_CASE("Tensor shape is fully known, batch included", "[shape][tensor]") {
  const strata::Tensor t = strata::Tensor::zeros({2, 4, 4, 3});
  CHECK(t.shape() == Shape{2, 4, 4, 3});
  CHECK(t.shape().to_string() == "(2, 4, 4, 3)");
  CHECK(t.size() == 2 * 4 * 4 * 3);
}
