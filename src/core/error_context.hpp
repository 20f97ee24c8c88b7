#pragma once
// Errors that say where they happened: a file, a layer of a config, a call. The library's error types carry
// only a message, so adding context means throwing the same type again with a longer message.

#include <string>
#include <utility>

#include "strata/error.hpp"

namespace strata::detail {

/// Returns `f()`; a ValueError, ShapeError or GraphError it throws is thrown again, of the same type, its
/// message after `context` ("[load_model \"m.h5\"] "). Other errors pass as they are (a FileError names its
/// file already).
template <class F>
decltype(auto) with_error_context(const std::string& context, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const ShapeError& e) {
    throw ShapeError(context + e.what());
  } catch (const GraphError& e) {
    throw GraphError(context + e.what());
  } catch (const ValueError& e) {
    throw ValueError(context + e.what());
  }
}

}  // namespace strata::detail
