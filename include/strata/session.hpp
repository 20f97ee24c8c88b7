#pragma once
/// @file session.hpp
/// Process-wide state, as in a Keras session: default-name counters and the weight-initializer seed.

#include <cstdint>

namespace strata {

/// Resets the default-name counters, so the next Conv2D is named `conv2d` again, as
/// `keras.backend.clear_session()` does. Existing layers keep their names.
void clear_session();

/// Seeds the generator that kernel initializers draw from, as `keras.utils.set_random_seed`. The default
/// seed is fixed, so a program builds the same weights on every run.
void set_random_seed(uint64_t seed);

}  // namespace strata
