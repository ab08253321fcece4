// Backward-weight splits its reduction over the pool: worker 0 accumulates into dW itself, every
// other worker into its own copy (partials[w - 1]); this adds the copies into dW, in parallel
// over dW's elements and in worker order (so the sum is the same at any pool size).
#pragma once

#include <cstdint>

#include "threadpool.h"

namespace imcls {

inline void add_weight_partials(float* dw, const float* partials, int64_t workers, int64_t wsize) {
  parallel_for(wsize, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t p = 1; p < workers; ++p) {
      const float* src = partials + (p - 1) * wsize;
      for (int64_t i = b; i < e; ++i) dw[i] += src[i];
    }
  });
}

}  // namespace imcls
