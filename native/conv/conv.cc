// Convolution forward, backward-data and backward-weight over NCHW / OIHW.
//
// Everything but depthwise lowers to GEMM. Images are processed in chunks of nb: the column
// matrix of a chunk is [cg*kh*kw, nb*oh*ow], so late layers with small feature maps (7x7) still
// give the GEMM a wide N instead of 49 columns per call. A chunk of one image with a 1x1
// stride-1 unpadded kernel needs no column matrix at all (the image is one). The GEMM owns the
// parallelism (it is always called from this thread); the memory-bound im2col / col2im /
// gather / scatter passes run under parallel_for. Depthwise convolutions use direct kernels
// (conv_depthwise.cc).
#include <algorithm>
#include <cstring>
#include <vector>

#include "args.h"
#include "conv/conv_depthwise.h"
#include "conv/conv_geometry.h"
#include "gemm/gemm.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

// ---- geometry ---------------------------------------------------------------------------

static int64_t geom_field(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("conv geometry: field '") + name + "' must be a number");
  return v.As<Napi::Number>().Int64Value();
}

ConvGeom read_conv_geom(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "conv geometry must be an object");
  Napi::Object o = info[i].As<Napi::Object>();
  ConvGeom g{};
  g.n = geom_field(o, "n"); g.c = geom_field(o, "c"); g.h = geom_field(o, "h"); g.w = geom_field(o, "w");
  g.k = geom_field(o, "k"); g.kh = geom_field(o, "kh"); g.kw = geom_field(o, "kw");
  g.sh = geom_field(o, "strideH"); g.sw = geom_field(o, "strideW");
  g.pt = geom_field(o, "padTop"); g.pb = geom_field(o, "padBottom"); g.pl = geom_field(o, "padLeft"); g.pr = geom_field(o, "padRight");
  g.dh = geom_field(o, "dilationH"); g.dw = geom_field(o, "dilationW");
  g.groups = geom_field(o, "groups"); g.oh = geom_field(o, "oh"); g.ow = geom_field(o, "ow");
  const bool ok = g.n >= 0 && g.c > 0 && g.h >= 0 && g.w >= 0 && g.k > 0 && g.kh > 0 && g.kw > 0 && g.sh > 0 && g.sw > 0 &&
                  g.pt >= 0 && g.pb >= 0 && g.pl >= 0 && g.pr >= 0 && g.dh > 0 && g.dw > 0 && g.groups > 0 &&
                  g.c % g.groups == 0 && g.k % g.groups == 0 && g.oh >= 0 && g.ow >= 0 &&
                  g.oh == (g.h + g.pt + g.pb - g.dh * (g.kh - 1) - 1) / g.sh + 1 &&
                  g.ow == (g.w + g.pl + g.pr - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  if (!ok) throw Napi::RangeError::New(info.Env(), "conv geometry is inconsistent");
  return g;
}

void require_len(const Napi::CallbackInfo& info, size_t i, int64_t need, const char* what) {
  if (static_cast<int64_t>(f32len(info, i)) < need) {
    throw Napi::RangeError::New(info.Env(), std::string("conv: ") + what + " is too small (" +
                                                std::to_string(f32len(info, i)) + " < " + std::to_string(need) + ")");
  }
}

// ---- scratch ----------------------------------------------------------------------------

// Growable per-thread scratch, kept between calls so a training step allocates nothing.
static float* scratch(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) {
    v.clear();
    v.shrink_to_fit();
    v.resize(static_cast<size_t>(n));
  }
  return v.data();
}
static thread_local std::vector<float> t_col, t_tmp;

// Images per chunk: enough columns for an efficient GEMM, without letting the column matrix grow
// past a few tens of MB.
static int64_t chunk_images(const ConvGeom& g) {
  const int64_t ohw = std::max<int64_t>(1, g.ohw());
  const int64_t want_cols = 3136;
  int64_t nb = std::max<int64_t>(1, (want_cols + ohw - 1) / ohw);
  const int64_t max_floats = int64_t{8} << 20;
  const int64_t rows = std::max(g.kk(), g.kg());
  while (nb > 1 && rows * nb * ohw > max_floats) --nb;
  return std::min(nb, std::max<int64_t>(1, g.n));
}

// ---- im2col / col2im --------------------------------------------------------------------

// Output columns [lo, hi) whose input column ox*s + off lies inside [0, w).
static inline void valid_range(int64_t ow, int64_t w, int64_t s, int64_t off, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = (w - 1 - off) < 0 ? 0 : (w - 1 - off) / s + 1;
  lo = std::min(lo, ow);
  hi = std::max(lo, std::min(hi, ow));
}

// One row (ci, ky, kx) of one image's column matrix: dst[oy*ow + ox].
static void im2col_row(const ConvGeom& g, const float* plane, int64_t ky, int64_t kx, float* dst) {
  const int64_t off = kx * g.dw - g.pl;
  int64_t lo, hi;
  valid_range(g.ow, g.w, g.sw, off, lo, hi);
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    float* d = dst + oy * g.ow;
    const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
    if (iy < 0 || iy >= g.h) {
      std::memset(d, 0, sizeof(float) * g.ow);
      continue;
    }
    const float* src = plane + iy * g.w + off;
    for (int64_t ox = 0; ox < lo; ++ox) d[ox] = 0.f;
    if (g.sw == 1) {
      std::memcpy(d + lo, src + lo, sizeof(float) * (hi - lo));
    } else {
      for (int64_t ox = lo; ox < hi; ++ox) d[ox] = src[ox * g.sw];
    }
    for (int64_t ox = hi; ox < g.ow; ++ox) d[ox] = 0.f;
  }
}

// Column matrix of images [n0, n0+nb), group channels [c0, c0+cg): col[kk, nb*ohw].
static void im2col(const ConvGeom& g, const float* x, int64_t n0, int64_t nb, int64_t c0, float* col) {
  const int64_t kk = g.kk(), ohw = g.ohw(), ld = nb * ohw, khw = g.kh * g.kw;
  parallel_for(kk * nb, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, ohw)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t row = t / nb, img = t % nb;
      const int64_t ci = row / khw, ky = (row / g.kw) % g.kh, kx = row % g.kw;
      const float* plane = x + ((n0 + img) * g.c + c0 + ci) * g.hw();
      im2col_row(g, plane, ky, kx, col + row * ld + img * ohw);
    }
  });
}

// Adjoint of im2col: dx planes of the chunk's group channels are overwritten with the sum of
// their column entries. Each task owns one (image, channel) plane, so there are no races.
static void col2im(const ConvGeom& g, const float* col, int64_t n0, int64_t nb, int64_t c0, float* dx) {
  const int64_t cg = g.cg(), ohw = g.ohw(), ld = nb * ohw, khw = g.kh * g.kw;
  parallel_for(cg * nb, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t ci = t / nb, img = t % nb;
      float* plane = dx + ((n0 + img) * g.c + c0 + ci) * g.hw();
      std::memset(plane, 0, sizeof(float) * g.hw());
      for (int64_t ky = 0; ky < g.kh; ++ky) {
        for (int64_t kx = 0; kx < g.kw; ++kx) {
          const float* src = col + ((ci * khw) + ky * g.kw + kx) * ld + img * ohw;
          const int64_t off = kx * g.dw - g.pl;
          int64_t lo, hi;
          valid_range(g.ow, g.w, g.sw, off, lo, hi);
          for (int64_t oy = 0; oy < g.oh; ++oy) {
            const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            float* d = plane + iy * g.w + off;
            const float* s = src + oy * g.ow;
            if (g.sw == 1) {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox] += s[ox];
            } else {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox * g.sw] += s[ox];
            }
          }
        }
      }
    }
  });
}

// Copies rows of a [rows, nb*len] chunk matrix to/from per-image blocks of a NCHW-like tensor:
// image img, row r lives at base + ((n0+img)*stride_img + r0 + r)*len.
static void gather(const float* src, int64_t stride_img, int64_t n0, int64_t nb, int64_t r0, int64_t rows, int64_t len, float* dst) {
  parallel_for(rows * nb, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, len)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t r = t / nb, img = t % nb;
      std::memcpy(dst + r * nb * len + img * len, src + ((n0 + img) * stride_img + r0 + r) * len, sizeof(float) * len);
    }
  });
}
static void scatter(const float* src, int64_t stride_img, int64_t n0, int64_t nb, int64_t r0, int64_t rows, int64_t len,
                    float* dst, const float* bias) {
  parallel_for(rows * nb, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, len)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t r = t / nb, img = t % nb;
      const float* s = src + r * nb * len + img * len;
      float* d = dst + ((n0 + img) * stride_img + r0 + r) * len;
      if (bias) {
        const float bv = bias[r0 + r];
        for (int64_t i = 0; i < len; ++i) d[i] = s[i] + bv;
      } else {
        std::memcpy(d, s, sizeof(float) * len);
      }
    }
  });
}

// ---- kernels ----------------------------------------------------------------------------

void conv_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  if (g.n == 0 || g.ohw() == 0) return;
  if (g.depthwise()) return depthwise_forward(g, x, w, bias, y);
  const int64_t cg = g.cg(), kg = g.kg(), kk = g.kk(), ohw = g.ohw(), nb_max = chunk_images(g);
  for (int64_t n0 = 0; n0 < g.n; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, g.n - n0), cols = nb * ohw;
    for (int64_t gi = 0; gi < g.groups; ++gi) {
      const float* wg = w + gi * kg * kk;
      const float* bmat;
      if (g.pointwise() && nb == 1) {
        bmat = x + (n0 * g.c + gi * cg) * g.hw();
      } else {
        float* col = scratch(t_col, kk * cols);
        im2col(g, x, n0, nb, gi * cg, col);
        bmat = col;
      }
      if (nb == 1) {
        float* yg = y + (n0 * g.k + gi * kg) * ohw;
        sgemm(false, false, kg, cols, kk, 1.f, wg, kk, bmat, cols, 0.f, yg, ohw);
        if (bias) {
          parallel_for(kg, std::max<int64_t>(1, 8192 / ohw), [&](int64_t b, int64_t e) {
            for (int64_t r = b; r < e; ++r) {
              const float bv = bias[gi * kg + r];
              float* d = yg + r * ohw;
              for (int64_t i = 0; i < ohw; ++i) d[i] += bv;
            }
          });
        }
      } else {
        float* tmp = scratch(t_tmp, kg * cols);
        sgemm(false, false, kg, cols, kk, 1.f, wg, kk, bmat, cols, 0.f, tmp, cols);
        scatter(tmp, g.k, n0, nb, gi * kg, kg, ohw, y, bias);
      }
    }
  }
}

void conv_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  if (g.n == 0) return;
  if (g.ohw() == 0) {
    std::memset(dx, 0, sizeof(float) * g.n * g.c * g.hw());
    return;
  }
  if (g.depthwise()) return depthwise_backward_data(g, dy, w, dx);
  const int64_t cg = g.cg(), kg = g.kg(), kk = g.kk(), ohw = g.ohw(), nb_max = chunk_images(g);
  for (int64_t n0 = 0; n0 < g.n; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, g.n - n0), cols = nb * ohw;
    for (int64_t gi = 0; gi < g.groups; ++gi) {
      const float* wg = w + gi * kg * kk;
      const float* dmat;
      if (nb == 1) {
        dmat = dy + (n0 * g.k + gi * kg) * ohw;
      } else {
        float* tmp = scratch(t_tmp, kg * cols);
        gather(dy, g.k, n0, nb, gi * kg, kg, ohw, tmp);
        dmat = tmp;
      }
      if (g.pointwise() && nb == 1) {
        sgemm(true, false, kk, cols, kg, 1.f, wg, kk, dmat, cols, 0.f, dx + (n0 * g.c + gi * cg) * g.hw(), g.hw());
        continue;
      }
      float* col = scratch(t_col, kk * cols);
      sgemm(true, false, kk, cols, kg, 1.f, wg, kk, dmat, cols, 0.f, col, cols);
      if (g.pointwise()) {
        scatter(col, g.c, n0, nb, gi * cg, cg, ohw, dx, nullptr);
      } else {
        col2im(g, col, n0, nb, gi * cg, dx);
      }
    }
  }
}

static void bias_grad(const ConvGeom& g, const float* dy, float* db) {
  const int64_t ohw = g.ohw();
  parallel_for(g.k, 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      double acc = 0.0;
      for (int64_t n = 0; n < g.n; ++n) {
        const float* d = dy + (n * g.k + k) * ohw;
        float s = 0.f;
        for (int64_t i = 0; i < ohw; ++i) s += d[i];
        acc += s;
      }
      db[k] = static_cast<float>(acc);
    }
  });
}

void conv_backward_weight(const ConvGeom& g, const float* x, const float* dy, float* dw, float* db) {
  const int64_t cg = g.cg(), kg = g.kg(), kk = g.kk(), ohw = g.ohw(), nb_max = chunk_images(g);
  if (db) bias_grad(g, dy, db);
  if (g.depthwise()) return depthwise_backward_weight(g, x, dy, dw);
  if (g.n == 0 || ohw == 0) {
    std::memset(dw, 0, sizeof(float) * g.k * kk);
    return;
  }
  for (int64_t n0 = 0; n0 < g.n; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, g.n - n0), cols = nb * ohw;
    const float beta = n0 == 0 ? 0.f : 1.f;
    for (int64_t gi = 0; gi < g.groups; ++gi) {
      const float* dmat;
      if (nb == 1) {
        dmat = dy + (n0 * g.k + gi * kg) * ohw;
      } else {
        float* tmp = scratch(t_tmp, kg * cols);
        gather(dy, g.k, n0, nb, gi * kg, kg, ohw, tmp);
        dmat = tmp;
      }
      const float* bmat;
      if (g.pointwise() && nb == 1) {
        bmat = x + (n0 * g.c + gi * cg) * g.hw();
      } else {
        float* col = scratch(t_col, kk * cols);
        im2col(g, x, n0, nb, gi * cg, col);
        bmat = col;
      }
      sgemm(false, true, kg, kk, cols, 1.f, dmat, cols, bmat, cols, beta, dw + gi * kg * kk, kk);
    }
  }
}

// ---- JS entry points --------------------------------------------------------------------

// conv2dForward(g, x, w, bias|null, y)
static Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  require_len(info, 1, g.n * g.c * g.hw(), "x");
  require_len(info, 2, g.k * g.kk(), "w");
  float* bias = f32_or_null(info, 3);
  if (bias) require_len(info, 3, g.k, "bias");
  require_len(info, 4, g.n * g.k * g.ohw(), "y");
  conv_forward(g, f32(info, 1), f32(info, 2), bias, f32(info, 4));
  return info.Env().Undefined();
}

// conv2dBackwardData(g, dy, w, dx)
static Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  require_len(info, 1, g.n * g.k * g.ohw(), "dy");
  require_len(info, 2, g.k * g.kk(), "w");
  require_len(info, 3, g.n * g.c * g.hw(), "dx");
  conv_backward_data(g, f32(info, 1), f32(info, 2), f32(info, 3));
  return info.Env().Undefined();
}

// conv2dBackwardWeight(g, x, dy, dw, db|null)
static Napi::Value Conv2dBackwardWeight(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  require_len(info, 1, g.n * g.c * g.hw(), "x");
  require_len(info, 2, g.n * g.k * g.ohw(), "dy");
  require_len(info, 3, g.k * g.kk(), "dw");
  float* db = f32_or_null(info, 4);
  if (db) require_len(info, 4, g.k, "db");
  conv_backward_weight(g, f32(info, 1), f32(info, 2), f32(info, 3), db);
  return info.Env().Undefined();
}

IMCLS_EXPORT("conv2dForward", Conv2dForward);
IMCLS_EXPORT("conv2dBackwardData", Conv2dBackwardData);
IMCLS_EXPORT("conv2dBackwardWeight", Conv2dBackwardWeight);

}  // namespace imcls
