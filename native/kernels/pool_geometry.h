// Pooling geometry shared by the NCHW (kernels/pool.cc) and NHWC (nhwc/nhwc_pool.cc) pools, read
// from the JS Pool2dGeometry object, and Paddle's window rules: max ignores padding, average
// divides by the valid cells (exclusive) or by kh*kw.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>

namespace imcls {

struct PoolGeom {
  int64_t n, c, h, w, kh, kw, sh, sw, pt, pb, pl, pr, oh, ow;
  bool exclusive;
  int64_t planes() const { return n * c; }
};

// Reads and validates a Pool2dGeometry (throws a TypeError/RangeError naming the problem).
PoolGeom read_pool_geom(const Napi::CallbackInfo& info, size_t i);

// Throws a RangeError unless argument i (a Float32Array, or an Int32Array when is_int) holds n elements.
void require_pool_len(const Napi::CallbackInfo& info, size_t i, int64_t n, bool is_int = false);

// Window of output cell (oy, ox): clipped row/col ranges and the inclusive-average count.
struct Window {
  int64_t y0, y1, x0, x1, full;
};
inline Window window(const PoolGeom& g, int64_t oy, int64_t ox) {
  const int64_t ys = oy * g.sh - g.pt, ye = ys + g.kh;
  const int64_t xs = ox * g.sw - g.pl, xe = xs + g.kw;
  return {std::max<int64_t>(ys, 0), std::min(ye, g.h), std::max<int64_t>(xs, 0), std::min(xe, g.w), g.kh * g.kw};
}
inline int64_t count(const PoolGeom& g, const Window& wd) {
  return g.exclusive ? (wd.y1 - wd.y0) * (wd.x1 - wd.x0) : wd.full;
}

}  // namespace imcls
