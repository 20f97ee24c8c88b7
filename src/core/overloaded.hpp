#pragma once
// The overload set for std::visit. Visiting ir::OpAttrs with one lambda per op kind and no catch-all makes
// a new kind without a handler a compile error where it is visited.

namespace strata::detail {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
// Aggregate deduction is C++20, but clang 14 (Debian 12's) does not do it yet.
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace strata::detail
