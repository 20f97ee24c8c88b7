#pragma once
/// @file parallel.hpp
/// `strata::parallel_for`: multi-threaded loops for custom layers' kernels.

#include <cstdint>
#include <functional>

namespace strata {

/// Runs `body(chunk_begin, chunk_end)` over [begin, end) split into contiguous chunks, one per thread of the
/// team strata's own steps use: inside a custom layer's kernel during `predict`, the plan's threads (its
/// `num_threads`, or what the thread budget grants the call); elsewhere, OpenMP's default. Returns when every
/// chunk is done. The chunks run at once, so `body` must only write what its own range owns. An exception
/// from `body` is rethrown here (the first one), after the other chunks finish. An empty range calls nothing.
void parallel_for(int64_t begin, int64_t end, const std::function<void(int64_t, int64_t)>& body);

}  // namespace strata
