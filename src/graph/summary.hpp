#pragma once
// Keras 3's `model.summary()` table, as rich renders it.

#include <string>

#include "graph/functional.hpp"
#include "strata/model.hpp"

namespace strata::detail {

/// The summary text, byte for byte what Keras 3 prints for the same model with stdout not capped by a
/// terminal (line length 88, or 108 with the `Connected to` column).
std::string render_summary(const FunctionalImpl& model, const SummaryOptions& options);

/// Multiply-accumulates per sample over every layer of `model` (nested models' layers included).
int64_t multiply_accumulates(const FunctionalImpl& model);

/// Keras's `readable_memory_size`: "84.00 KB".
std::string readable_memory_size(double bytes);

}  // namespace strata::detail
