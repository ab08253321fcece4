// Max / average pooling with Paddle's semantics (see src/backend/reference/pool.ts): max ignores
// padding and records the first maximum's in-plane index (-1 for an all-padding window);
// average divides by the valid cells (exclusive) or by kh*kw (Paddle's pool_size, even where a
// ceil-mode window hangs past the padded border).
// Parallel over (n, c) planes; each task owns its output and input-gradient planes.
#include <algorithm>
#include <cstring>
#include <limits>

#include "args.h"
#include "kernels/pool_geometry.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

namespace {

int64_t field(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("pool geometry: field '") + name + "' must be a number");
  return v.As<Napi::Number>().Int64Value();
}

}  // namespace

PoolGeom read_pool_geom(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "pool geometry must be an object");
  Napi::Object o = info[i].As<Napi::Object>();
  PoolGeom g{};
  g.n = field(o, "n"); g.c = field(o, "c"); g.h = field(o, "h"); g.w = field(o, "w");
  g.kh = field(o, "kh"); g.kw = field(o, "kw"); g.sh = field(o, "strideH"); g.sw = field(o, "strideW");
  g.pt = field(o, "padTop"); g.pb = field(o, "padBottom"); g.pl = field(o, "padLeft"); g.pr = field(o, "padRight");
  g.oh = field(o, "oh"); g.ow = field(o, "ow");
  g.exclusive = o.Get("exclusive").ToBoolean().Value();
  if (g.n < 0 || g.c < 0 || g.h < 0 || g.w < 0 || g.kh <= 0 || g.kw <= 0 || g.sh <= 0 || g.sw <= 0 || g.oh < 0 || g.ow < 0)
    throw Napi::RangeError::New(info.Env(), "pool geometry is inconsistent");
  return g;
}

void require_pool_len(const Napi::CallbackInfo& info, size_t i, int64_t n, bool is_int) {
  const size_t len = is_int ? info[i].As<Napi::Int32Array>().ElementLength() : f32len(info, i);
  if (static_cast<int64_t>(len) < n) throw Napi::RangeError::New(info.Env(), "pool: argument " + std::to_string(i) + " is too small");
}

namespace {

int64_t grain(const PoolGeom& g) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, g.h * g.w)); }

}  // namespace

// maxPool2dForward(g, x, y, argmax)
static Napi::Value MaxPoolForward(const Napi::CallbackInfo& info) {
  const PoolGeom g = read_pool_geom(info, 0);
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow;
  require_pool_len(info, 1, g.planes() * hw);
  require_pool_len(info, 2, g.planes() * ohw);
  int32_t* am = i32(info, 3);
  require_pool_len(info, 3, g.planes() * ohw, true);
  const float* x = f32(info, 1);
  float* y = f32(info, 2);
  parallel_for(g.planes(), grain(g), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const float* xp = x + p * hw;
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const Window wd = window(g, oy, ox);
          float best = -std::numeric_limits<float>::infinity();
          int64_t bi = -1;
          for (int64_t iy = wd.y0; iy < wd.y1; ++iy) {
            for (int64_t ix = wd.x0; ix < wd.x1; ++ix) {
              const float v = xp[iy * g.w + ix];
              if (v > best || bi < 0) {
                best = v;
                bi = iy * g.w + ix;
              }
            }
          }
          const int64_t o = p * ohw + oy * g.ow + ox;
          y[o] = bi < 0 ? 0.f : best;
          am[o] = static_cast<int32_t>(bi);
        }
      }
    }
  });
  return info.Env().Undefined();
}

// maxPool2dBackward(g, dy, argmax, dx)
static Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info) {
  const PoolGeom g = read_pool_geom(info, 0);
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow;
  require_pool_len(info, 1, g.planes() * ohw);
  const int32_t* am = i32(info, 2);
  require_pool_len(info, 2, g.planes() * ohw, true);
  require_pool_len(info, 3, g.planes() * hw);
  const float* dy = f32(info, 1);
  float* dx = f32(info, 3);
  parallel_for(g.planes(), grain(g), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      float* dxp = dx + p * hw;
      std::memset(dxp, 0, sizeof(float) * hw);
      for (int64_t i = 0; i < ohw; ++i) {
        const int32_t a = am[p * ohw + i];
        if (a >= 0 && a < hw) dxp[a] += dy[p * ohw + i];
      }
    }
  });
  return info.Env().Undefined();
}

// avgPool2dForward(g, x, y)
static Napi::Value AvgPoolForward(const Napi::CallbackInfo& info) {
  const PoolGeom g = read_pool_geom(info, 0);
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow;
  require_pool_len(info, 1, g.planes() * hw);
  require_pool_len(info, 2, g.planes() * ohw);
  const float* x = f32(info, 1);
  float* y = f32(info, 2);
  parallel_for(g.planes(), grain(g), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const float* xp = x + p * hw;
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const Window wd = window(g, oy, ox);
          double s = 0.0;
          for (int64_t iy = wd.y0; iy < wd.y1; ++iy) {
            float r = 0.f;
            for (int64_t ix = wd.x0; ix < wd.x1; ++ix) r += xp[iy * g.w + ix];
            s += r;
          }
          const int64_t cnt = count(g, wd);
          y[p * ohw + oy * g.ow + ox] = cnt > 0 ? static_cast<float>(s / static_cast<double>(cnt)) : 0.f;
        }
      }
    }
  });
  return info.Env().Undefined();
}

// avgPool2dBackward(g, dy, dx)
static Napi::Value AvgPoolBackward(const Napi::CallbackInfo& info) {
  const PoolGeom g = read_pool_geom(info, 0);
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow;
  require_pool_len(info, 1, g.planes() * ohw);
  require_pool_len(info, 2, g.planes() * hw);
  const float* dy = f32(info, 1);
  float* dx = f32(info, 2);
  parallel_for(g.planes(), grain(g), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      float* dxp = dx + p * hw;
      std::memset(dxp, 0, sizeof(float) * hw);
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const Window wd = window(g, oy, ox);
          const int64_t cnt = count(g, wd);
          if (cnt <= 0) continue;
          const float v = static_cast<float>(static_cast<double>(dy[p * ohw + oy * g.ow + ox]) / static_cast<double>(cnt));
          for (int64_t iy = wd.y0; iy < wd.y1; ++iy)
            for (int64_t ix = wd.x0; ix < wd.x1; ++ix) dxp[iy * g.w + ix] += v;
        }
      }
    }
  });
  return info.Env().Undefined();
}

IMCLS_EXPORT("maxPool2dForward", MaxPoolForward);
IMCLS_EXPORT("maxPool2dBackward", MaxPoolBackward);
IMCLS_EXPORT("avgPool2dForward", AvgPoolForward);
IMCLS_EXPORT("avgPool2dBackward", AvgPoolBackward);

}  // namespace imcls
