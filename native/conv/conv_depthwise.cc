// Depthwise convolution kernels: parallel over planes, AVX2 or baseline per selected_isa().
#include "conv/conv_depthwise.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu.h"
#include "threadpool.h"

namespace imcls {

static inline void dw_valid_range(int64_t ow, int64_t w, int64_t s, int64_t off, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = (w - 1 - off) < 0 ? 0 : (w - 1 - off) / s + 1;
  lo = std::min(lo, ow);
  hi = std::max(lo, std::min(hi, ow));
}

namespace dw_avx2 {
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "conv/conv_depthwise_planes.inc"
#pragma GCC pop_options
}  // namespace dw_avx2

namespace dw_base {
#include "conv/conv_depthwise_planes.inc"
}  // namespace dw_base

static bool use_avx2() { return selected_isa() != Isa::baseline; }

void depthwise_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t mult = g.k / g.c, khw = g.kh * g.kw;
  const bool avx2 = use_avx2();
  parallel_for(g.n * g.k, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t n = t / g.k, k = t % g.k, c = k / mult;
      const float* xp = x + (n * g.c + c) * g.hw();
      float* yp = y + t * g.ohw();
      const float bv = bias ? bias[k] : 0.f;
      if (avx2) dw_avx2::fwd_plane(g, xp, w + k * khw, bv, yp);
      else dw_base::fwd_plane(g, xp, w + k * khw, bv, yp);
    }
  });
}

void depthwise_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  const int64_t mult = g.k / g.c, khw = g.kh * g.kw;
  const bool avx2 = use_avx2();
  parallel_for(g.n * g.c, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t n = t / g.c, c = t % g.c;
      float* dxp = dx + t * g.hw();
      std::memset(dxp, 0, sizeof(float) * g.hw());
      for (int64_t j = 0; j < mult; ++j) {
        const int64_t k = c * mult + j;
        const float* dyp = dy + (n * g.k + k) * g.ohw();
        if (avx2) dw_avx2::bwd_data_plane(g, dyp, w + k * khw, dxp);
        else dw_base::bwd_data_plane(g, dyp, w + k * khw, dxp);
      }
    }
  });
}

void depthwise_backward_weight(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  const int64_t mult = g.k / g.c, khw = g.kh * g.kw;
  const bool avx2 = use_avx2();
  parallel_for(g.k, 1, [&](int64_t b, int64_t e) {
    std::vector<double> acc(static_cast<size_t>(khw));
    for (int64_t k = b; k < e; ++k) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const int64_t c = k / mult;
      for (int64_t n = 0; n < g.n; ++n) {
        const float* xp = x + (n * g.c + c) * g.hw();
        const float* dyp = dy + (n * g.k + k) * g.ohw();
        if (avx2) dw_avx2::bwd_weight_plane(g, xp, dyp, acc.data());
        else dw_base::bwd_weight_plane(g, xp, dyp, acc.data());
      }
      for (int64_t i = 0; i < khw; ++i) dw[k * khw + i] = static_cast<float>(acc[i]);
    }
  });
}

}  // namespace imcls
