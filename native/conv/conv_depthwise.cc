// Depthwise convolution kernels: parallel over planes, AVX2 or baseline per selected_isa().
#include "conv/conv_depthwise.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "aligned_buffer.h"

#include "cpu.h"
#include "threadpool.h"

namespace imcls {

static inline void dw_valid_range(int64_t ow, int64_t w, int64_t s, int64_t off, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = (w - 1 - off) < 0 ? 0 : (w - 1 - off) / s + 1;
  lo = std::min(lo, ow);
  hi = std::max(lo, std::min(hi, ow));
}

// The forward's stride-phase-split, zero-bordered copy of one input plane (conv_depthwise_forward.inc):
// `phases` (= sw) blocks of `rows` rows of `wq` floats; tap t of an output row starting at padded
// row oy*sh sits tap_offset[t] floats further.
struct DwLayout {
  int64_t phases, rows, wq;
  const int64_t* tap_offset;
  int64_t size() const { return phases * rows * wq; }
};

namespace dw_avx2 {
#pragma GCC push_options
#pragma GCC target("avx2,fma")
typedef float dw_vec __attribute__((vector_size(32)));
#include "conv/conv_depthwise_forward.inc"
#include "conv/conv_depthwise_planes.inc"
#pragma GCC pop_options
}  // namespace dw_avx2

namespace dw_base {
typedef float dw_vec __attribute__((vector_size(16)));
#include "conv/conv_depthwise_forward.inc"
#include "conv/conv_depthwise_planes.inc"
}  // namespace dw_base

static bool use_avx2() { return selected_isa() != Isa::baseline; }

void depthwise_forward(const ConvGeom& g, const float* x, const float* w, const GemmEpilogue& ep, float* y) {
  const int64_t mult = g.k / g.c, khw = g.kh * g.kw;
  const bool avx2 = use_avx2();
  DwLayout L{};
  L.phases = g.sw;
  L.rows = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  // Vector loads of the last (partial) vector of outputs read up to (kw-1)*dw/sw past it (8: the
  // widest vector of either path).
  L.wq = (g.ow + 7) / 8 * 8 + (g.kw - 1) * g.dw / g.sw;
  std::vector<int64_t> tap_offset(static_cast<size_t>(khw));
  for (int64_t ky = 0; ky < g.kh; ++ky) {
    for (int64_t kx = 0; kx < g.kw; ++kx) {
      const int64_t col = kx * g.dw;
      tap_offset[static_cast<size_t>(ky * g.kw + kx)] = ((col % g.sw) * L.rows + ky * g.dh) * L.wq + col / g.sw;
    }
  }
  L.tap_offset = tap_offset.data();
  // Chunks of at least ~16 K outputs, so 7x7 planes do not cost a pool hand-off each.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, g.ohw()));
  parallel_for(g.n * g.k, grain, [&](int64_t b, int64_t e) {
    static thread_local AlignedBuffer t_split;
    float* xs = t_split.get(L.size());
    int64_t split_plane = -1;  // the input plane xs holds (a channel multiplier reuses it)
    for (int64_t t = b; t < e; ++t) {
      const int64_t n = t / g.k, k = t % g.k, plane = n * g.c + k / mult;
      if (plane != split_plane) {
        if (avx2) dw_avx2::dw_split_plane(g, L, x + plane * g.hw(), xs);
        else dw_base::dw_split_plane(g, L, x + plane * g.hw(), xs);
        split_plane = plane;
      }
      const float bv = ep.row_bias != nullptr ? ep.row_bias[k] : 0.f;
      if (avx2) dw_avx2::fwd_plane(g, L, xs, w + k * khw, bv, ep.act, ep.alpha, y + t * g.ohw());
      else dw_base::fwd_plane(g, L, xs, w + k * khw, bv, ep.act, ep.alpha, y + t * g.ohw());
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
