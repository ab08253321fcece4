// Max and average pooling over NHWC, with the NCHW kernels' semantics and arithmetic (see
// kernels/pool_geometry.h): every output pixel reduces its window channel-vector by channel-
// vector, in the same (row, column) order, so both layouts give the same bits.
#pragma GCC optimize("O3")
#include <algorithm>
#include <cstring>

#include "args.h"
#include "kernels/pool_geometry.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

namespace {

int64_t rows_grain(const PoolGeom& g) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, g.ow * g.c)); }

}  // namespace

// maxPool2dNhwc(g, x, y): the first maximum of the window (NaN kept once seen, as the NCHW
// kernel's v > best test does), 0 for an all-padding window.
static Napi::Value MaxPoolNhwc(const Napi::CallbackInfo& info) {
  const PoolGeom g = read_pool_geom(info, 0);
  require_pool_len(info, 1, g.planes() * g.h * g.w);
  require_pool_len(info, 2, g.planes() * g.oh * g.ow);
  const float* x = f32(info, 1);
  float* y = f32(info, 2);
  const int64_t c = g.c;
  parallel_for(g.n * g.oh, rows_grain(g), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t img = r / g.oh, oy = r % g.oh;
      const float* xi = x + img * g.h * g.w * c;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        float* __restrict best = y + (r * g.ow + ox) * c;
        const Window wd = window(g, oy, ox);
        if (wd.y0 >= wd.y1 || wd.x0 >= wd.x1) {
          std::memset(best, 0, sizeof(float) * c);
          continue;
        }
        std::memcpy(best, xi + (wd.y0 * g.w + wd.x0) * c, sizeof(float) * c);
        for (int64_t iy = wd.y0; iy < wd.y1; ++iy)
          for (int64_t ix = wd.x0; ix < wd.x1; ++ix) {
            if (iy == wd.y0 && ix == wd.x0) continue;
            const float* __restrict v = xi + (iy * g.w + ix) * c;
            for (int64_t ch = 0; ch < c; ++ch) best[ch] = v[ch] > best[ch] ? v[ch] : best[ch];
          }
      }
    }
  });
  return info.Env().Undefined();
}

// avgPool2dNhwc(g, x, y): each window row summed in float, the rows in double, as the NCHW kernel.
// Work items are (output row, block of channels), so a global pool (one output row) still splits
// over the pool: its input was just written by both threads' share of the conv before it, and one
// thread reading the other core's half took twice as long as the pooling itself.
static Napi::Value AvgPoolNhwc(const Napi::CallbackInfo& info) {
  const PoolGeom g = read_pool_geom(info, 0);
  require_pool_len(info, 1, g.planes() * g.h * g.w);
  require_pool_len(info, 2, g.planes() * g.oh * g.ow);
  const float* x = f32(info, 1);
  float* y = f32(info, 2);
  const int64_t c = g.c;
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (c + kBlock - 1) / kBlock;
  const int64_t item_work = g.ow * std::min(c, kBlock) * g.kh * g.kw;
  parallel_for(g.n * g.oh * blocks, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, item_work)), [&](int64_t i0, int64_t i1) {
    float row[kBlock];
    double sum[kBlock];
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t r = item / blocks, c0 = item % blocks * kBlock, cn = std::min(kBlock, c - c0);
      const int64_t img = r / g.oh, oy = r % g.oh;
      const float* xi = x + img * g.h * g.w * c + c0;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const Window wd = window(g, oy, ox);
        std::fill(sum, sum + cn, 0.0);
        for (int64_t iy = wd.y0; iy < wd.y1; ++iy) {
          std::fill(row, row + cn, 0.f);
          for (int64_t ix = wd.x0; ix < wd.x1; ++ix) {
            const float* __restrict v = xi + (iy * g.w + ix) * c;
            for (int64_t ch = 0; ch < cn; ++ch) row[ch] += v[ch];
          }
          for (int64_t ch = 0; ch < cn; ++ch) sum[ch] += row[ch];
        }
        const int64_t cnt = count(g, wd);
        float* out = y + (r * g.ow + ox) * c + c0;
        for (int64_t ch = 0; ch < cn; ++ch) out[ch] = cnt > 0 ? static_cast<float>(sum[ch] / static_cast<double>(cnt)) : 0.f;
      }
    }
  });
  return info.Env().Undefined();
}

IMCLS_EXPORT("maxPool2dNhwc", MaxPoolNhwc);
IMCLS_EXPORT("avgPool2dNhwc", AvgPoolNhwc);

}  // namespace imcls
