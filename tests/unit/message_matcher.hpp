#pragma once
// Catch2 2.x matches an exception only with an exception matcher; Message() compares the whole text.
// MessageThat(Contains("a") && Contains("b")) applies any string matcher to what().

#include <catch2/catch.hpp>

#include <exception>
#include <string>
#include <utility>

namespace strata_test {

template <typename StringMatcher>
class MessageMatcher : public Catch::MatcherBase<std::exception> {
 public:
  explicit MessageMatcher(StringMatcher matcher) : matcher_(std::move(matcher)) {}
  bool match(const std::exception& error) const override { return matcher_.match(error.what()); }
  std::string describe() const override { return "has a message that " + matcher_.toString(); }

 private:
  StringMatcher matcher_;
};

/// Use as the matcher of REQUIRE_THROWS_MATCHES: `MessageThat(Contains("...") && StartsWith("..."))`.
template <typename StringMatcher>
MessageMatcher<StringMatcher> MessageThat(StringMatcher matcher) {
  return MessageMatcher<StringMatcher>(std::move(matcher));
}

}  // namespace strata_test
