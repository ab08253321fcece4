// Convolution forward, backward-data and backward-weight over NCHW / OIHW.
//
// Everything but depthwise lowers to GEMM. Forward (and stride-1 backward-data, which is a
// forward convolution of dy) is an implicit GEMM (implicit_gemm.cc): weights packed once per
// call (sgemm_pack_a, over the pool), B panels gathered straight from the image, output tiles
// stored straight into y with the bias/activation epilogue. The other passes cut the output
// columns (images x output pixels) into tiles, one per pool task: im2col of the tile into a
// per-thread buffer, then a single-threaded GEMM. 1x1 stride-1 unpadded convolutions use the
// image itself as the column matrix. Backward-weight on small maps (ow <= 16) is an implicit
// GEMM as well, with both operands gathered straight from dy and x.
// Backward-data owns whole images per task (col2im of neighbouring row tiles overlaps);
// backward-weight gives each worker its own partial dW, summed at the end. Depthwise
// convolutions use direct kernels (conv_depthwise.cc).
#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

#include "args.h"
#include "conv/conv_depthwise.h"
#include "conv/conv_geometry.h"
#include "conv/implicit_gemm.h"
#include "conv/weight_partials.h"
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

// The geometry as an object with Conv2dGeometry's fields, or (the hot inference calls, where
// eighteen named property reads were half the cost of a small layer's call) as an Int32Array of
// the same fields in this order: n c h w k kh kw strideH strideW padTop padBottom padLeft
// padRight dilationH dilationW groups oh ow.
constexpr size_t kGeomInts = 18;

ConvGeom read_conv_geom(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "conv geometry must be an object");
  ConvGeom g{};
  int64_t* fields[kGeomInts] = {&g.n, &g.c, &g.h, &g.w, &g.k, &g.kh, &g.kw, &g.sh, &g.sw,
                                &g.pt, &g.pb, &g.pl, &g.pr, &g.dh, &g.dw, &g.groups, &g.oh, &g.ow};
  if (info[i].IsTypedArray()) {
    const Napi::TypedArray t = info[i].As<Napi::TypedArray>();
    if (t.TypedArrayType() != napi_int32_array || t.ElementLength() != kGeomInts)
      throw Napi::TypeError::New(info.Env(), "conv geometry as a typed array must be an Int32Array of 18 fields");
    const int32_t* v = t.As<Napi::Int32Array>().Data();
    for (size_t f = 0; f < kGeomInts; ++f) *fields[f] = v[f];
  } else {
    static const char* const names[kGeomInts] = {"n", "c", "h", "w", "k", "kh", "kw", "strideH", "strideW",
                                                 "padTop", "padBottom", "padLeft", "padRight", "dilationH",
                                                 "dilationW", "groups", "oh", "ow"};
    Napi::Object o = info[i].As<Napi::Object>();
    for (size_t f = 0; f < kGeomInts; ++f) *fields[f] = geom_field(o, names[f]);
  }
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

// Growable per-thread scratch (pool threads are persistent), so a training step allocates nothing.
static float* scratch(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) {
    v.clear();
    v.shrink_to_fit();
    v.resize(static_cast<size_t>(n));
  }
  return v.data();
}
static thread_local std::vector<float> t_col, t_tmp, t_packed;

// ---- tiling -----------------------------------------------------------------------------
//
// The output columns (images x output pixels) are cut into tiles; one pool task handles one
// tile: im2col of just that tile into a per-thread buffer that stays in cache, then a
// single-threaded GEMM against the weights packed once per call. Large feature maps are cut
// into runs of output rows inside one image; small ones (late layers) into runs of whole images
// so each GEMM still gets a few hundred columns.

struct Tiling {
  bool within_image;      // tiles are output-row ranges of one image
  int64_t rows_per_tile;  // when within_image
  int64_t tiles_per_image;
  int64_t images_per_tile;  // when !within_image
  int64_t ntiles;
};

static Tiling make_tiling(const ConvGeom& g) {
  const int64_t threads = ThreadPool::instance().size();
  const int64_t ohw = std::max<int64_t>(1, g.ohw());
  // About 4 MB of column matrix per tile: written and read back while still in L2/L3.
  const int64_t target = std::min<int64_t>(4096, std::max<int64_t>(256, (int64_t{1} << 20) / std::max<int64_t>(1, g.kk())));
  Tiling t{};
  if (ohw >= target || g.n == 1) {
    t.within_image = true;
    t.rows_per_tile = std::max<int64_t>(1, std::min(g.oh, target / std::max<int64_t>(1, g.ow)));
    t.tiles_per_image = (g.oh + t.rows_per_tile - 1) / t.rows_per_tile;
    t.images_per_tile = 1;
    t.ntiles = g.n * t.tiles_per_image;
  } else {
    int64_t ntiles = std::max<int64_t>((g.n * ohw + target - 1) / target, std::min(g.n, threads));
    if (ntiles < g.n && ntiles % threads != 0) ntiles = std::min(g.n, (ntiles + threads - 1) / threads * threads);
    t.within_image = false;
    t.images_per_tile = (g.n + ntiles - 1) / ntiles;
    t.ntiles = (g.n + t.images_per_tile - 1) / t.images_per_tile;
    t.rows_per_tile = g.oh;
    t.tiles_per_image = 1;
  }
  return t;
}

struct Tile {
  int64_t img0, nimg, oy0, oy1;
  int64_t cols_per_image(const ConvGeom& g) const { return (oy1 - oy0) * g.ow; }
  int64_t cols(const ConvGeom& g) const { return nimg * cols_per_image(g); }
};

static Tile tile_at(const ConvGeom& g, const Tiling& t, int64_t i) {
  if (t.within_image) {
    const int64_t img = i / t.tiles_per_image, r = i % t.tiles_per_image;
    return {img, 1, r * t.rows_per_tile, std::min(g.oh, (r + 1) * t.rows_per_tile)};
  }
  const int64_t img0 = i * t.images_per_tile;
  return {img0, std::min(t.images_per_tile, g.n - img0), 0, g.oh};
}

// Runs fn(i) for i in [0, n): over the pool when there is enough work for every thread, else
// inline (then the GEMMs inside are free to use the pool themselves).
static void run_tasks(int64_t n, const std::function<void(int64_t)>& fn) {
  ThreadPool& pool = ThreadPool::instance();
  if (n >= pool.size() && pool.size() > 1) {
    pool.run(static_cast<int>(n), [&](int i) { fn(i); });
  } else {
    for (int64_t i = 0; i < n; ++i) fn(i);
  }
}

static bool gemm_threaded() { return !ThreadPool::inside_task(); }

// ---- im2col / col2im --------------------------------------------------------------------

// Output columns [lo, hi) whose input column ox*s + off lies inside [0, w).
static inline void valid_range(int64_t ow, int64_t w, int64_t s, int64_t off, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = (w - 1 - off) < 0 ? 0 : (w - 1 - off) / s + 1;
  lo = std::min(lo, ow);
  hi = std::max(lo, std::min(hi, ow));
}

// Output rows [oy0, oy1) of row (ky, kx) of one input plane's column matrix: dst[(oy-oy0)*ow + ox].
static void im2col_rows(const ConvGeom& g, const float* plane, int64_t ky, int64_t kx, int64_t oy0, int64_t oy1, float* dst) {
  const int64_t off = kx * g.dw - g.pl;
  int64_t lo, hi;
  valid_range(g.ow, g.w, g.sw, off, lo, hi);
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    float* d = dst + (oy - oy0) * g.ow;
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

// Column matrix of a tile for group channels [c0, c0+cg): col[kk, tile cols], images side by side.
static void im2col_tile(const ConvGeom& g, const float* x, const Tile& t, int64_t c0, float* col) {
  const int64_t kk = g.kk(), cpi = t.cols_per_image(g), ld = t.cols(g), khw = g.kh * g.kw;
  for (int64_t row = 0; row < kk; ++row) {
    const int64_t ci = row / khw, ky = (row / g.kw) % g.kh, kx = row % g.kw;
    for (int64_t i = 0; i < t.nimg; ++i) {
      const float* plane = x + ((t.img0 + i) * g.c + c0 + ci) * g.hw();
      im2col_rows(g, plane, ky, kx, t.oy0, t.oy1, col + row * ld + i * cpi);
    }
  }
}

// Adjoint of im2col_tile: accumulates the tile's column entries into dx (caller zeroes dx).
static void col2im_tile(const ConvGeom& g, const float* col, const Tile& t, int64_t c0, float* dx) {
  const int64_t kk = g.kk(), cpi = t.cols_per_image(g), ld = t.cols(g), khw = g.kh * g.kw;
  for (int64_t row = 0; row < kk; ++row) {
    const int64_t ci = row / khw, ky = (row / g.kw) % g.kh, kx = row % g.kw;
    const int64_t off = kx * g.dw - g.pl;
    int64_t lo, hi;
    valid_range(g.ow, g.w, g.sw, off, lo, hi);
    for (int64_t i = 0; i < t.nimg; ++i) {
      float* plane = dx + ((t.img0 + i) * g.c + c0 + ci) * g.hw();
      const float* src = col + row * ld + i * cpi;
      for (int64_t oy = t.oy0; oy < t.oy1; ++oy) {
        const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
        if (iy < 0 || iy >= g.h) continue;
        float* __restrict d = plane + iy * g.w + off;
        const float* __restrict s = src + (oy - t.oy0) * g.ow;
        if (g.sw == 1) {
          for (int64_t ox = lo; ox < hi; ++ox) d[ox] += s[ox];
        } else {
          for (int64_t ox = lo; ox < hi; ++ox) d[ox * g.sw] += s[ox];
        }
      }
    }
  }
}

// Rows [r0, r0+rows) x tile columns of a [*, ohw]-per-image tensor gathered into dst[rows, tile cols].
static void gather_tile(const ConvGeom& g, const float* src, int64_t per_img_rows, const Tile& t, int64_t r0, int64_t rows,
                        int64_t len, float* dst) {
  const int64_t cpi = t.cols_per_image(g), ld = t.nimg * cpi, col0 = t.oy0 * g.ow;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < t.nimg; ++i)
      std::memcpy(dst + r * ld + i * cpi, src + ((t.img0 + i) * per_img_rows + r0 + r) * len + col0, sizeof(float) * cpi);
}

// Inverse of gather_tile, adding bias[r0 + r] when given.
static void scatter_tile(const ConvGeom& g, const float* src, int64_t per_img_rows, const Tile& t, int64_t r0, int64_t rows,
                         int64_t len, float* dst, const float* bias) {
  const int64_t cpi = t.cols_per_image(g), ld = t.nimg * cpi, col0 = t.oy0 * g.ow;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < t.nimg; ++i) {
      const float* s = src + r * ld + i * cpi;
      float* d = dst + ((t.img0 + i) * per_img_rows + r0 + r) * len + col0;
      if (bias) {
        const float bv = bias[r0 + r];
        for (int64_t j = 0; j < cpi; ++j) d[j] = s[j] + bv;
      } else {
        std::memcpy(d, s, sizeof(float) * cpi);
      }
    }
  }
}

// Floats of the packed weights of every group (the GEMM's A operand, op(W) or op(W)^T).
static int64_t packed_weights_stride(const ConvGeom& g, bool transpose) {
  const int64_t m = transpose ? g.kk() : g.kg(), k = transpose ? g.kg() : g.kk();
  return static_cast<int64_t>(sgemm_packed_a_size(m, k));
}

// Packs the weights of every group into packed (groups * stride floats). Split over the pool by
// groups and by MR-aligned row ranges inside a group: late ResNet layers carry 2-9 MB of weights
// in one group, which one core packing alone would make a visible share of the layer's time.
static void pack_weights_into(const ConvGeom& g, const float* w, bool transpose, float* packed) {
  const int64_t kg = g.kg(), kk = g.kk();
  const int64_t m = transpose ? kk : kg, k = transpose ? kg : kk;
  const int64_t stride = packed_weights_stride(g, transpose);
  const int64_t mr = sgemm_mr();
  const int64_t panels = (m + mr - 1) / mr;
  // Chunks of rows worth about 64 K floats each, so small weights stay on one thread.
  const int64_t rows_per_chunk = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, k * mr)) * mr;
  const int64_t chunks = (panels * mr + rows_per_chunk - 1) / rows_per_chunk;
  parallel_for(g.groups * chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t gi = t / chunks, r0 = (t % chunks) * rows_per_chunk;
      sgemm_pack_a_rows(transpose, m, k, w + gi * kg * kk, kk, packed + gi * stride, r0, r0 + rows_per_chunk);
    }
  });
}

// Weights of every group packed once per call into per-thread scratch.
static const float* pack_weights(const ConvGeom& g, const float* w, bool transpose, int64_t& stride) {
  stride = packed_weights_stride(g, transpose);
  float* packed = scratch(t_packed, stride * g.groups);
  pack_weights_into(g, w, transpose, packed);
  return packed;
}

// ---- kernels ----------------------------------------------------------------------------

// Forward over weights already packed by pack_weights_into (pstride floats per group); the
// epilogue (bias, activation) runs on each output tile inside the GEMM while it is in L1.
static void conv_forward_packed(const ConvGeom& g, const float* x, const float* packed, int64_t pstride, const float* bias,
                                EpilogueAct act, float alpha, float* y) {
  implicit_gemm_forward(g, x, packed, pstride, GemmEpilogue{bias, act, alpha}, y);
}

void conv_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  if (g.n == 0 || g.ohw() == 0) return;
  if (g.depthwise()) return depthwise_forward(g, x, w, GemmEpilogue{bias, EpilogueAct::none, 0.f}, y);
  int64_t pstride;
  const float* packed = pack_weights(g, w, false, pstride);
  conv_forward_packed(g, x, packed, pstride, bias, EpilogueAct::none, 0.f, y);
}

// ---- pre-packed weights (inference) -------------------------------------------------------
//
// An inference engine packs each layer's weights once (conv2dPackWeights) and runs
// conv2dForwardPacked per batch. The layout depends only on k, c, kh, kw, groups (not on n or
// the image size) and on this process's GEMM path: it must never be stored. Depthwise layers
// keep their plain OIHW weights (their direct kernels read them as they are).

int64_t conv_packed_weights_size(const ConvGeom& g) {
  return g.depthwise() ? g.k * g.kk() : g.groups * packed_weights_stride(g, false);
}

void conv_pack_weights(const ConvGeom& g, const float* w, float* packed) {
  if (g.depthwise()) {
    std::memcpy(packed, w, sizeof(float) * g.k * g.kk());
    return;
  }
  pack_weights_into(g, w, false, packed);
}

void conv_forward_prepacked(const ConvGeom& g, const float* x, const float* packed, const float* bias, EpilogueAct act,
                            float alpha, const float* residual, float* y) {
  if (g.n == 0 || g.ohw() == 0) return;
  if (g.depthwise()) {
    if (residual == nullptr) return depthwise_forward(g, x, packed, GemmEpilogue{bias, act, alpha}, y);
    // (no zoo model adds a shortcut right after a depthwise conv: a plain pass afterwards)
    depthwise_forward(g, x, packed, GemmEpilogue{bias, EpilogueAct::none, 0.f}, y);
    const GemmEpilogue ep{nullptr, act, alpha, residual, y};
    parallel_for(g.n * g.k, 16, [&](int64_t b, int64_t e) { apply_epilogue(ep, e - b, g.ohw(), y + b * g.ohw(), g.ohw()); });
    return;
  }
  implicit_gemm_forward(g, x, packed, packed_weights_stride(g, false), GemmEpilogue{bias, act, alpha, residual, y}, y);
}

void conv_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  if (g.n == 0) return;
  if (g.ohw() == 0) {
    std::memset(dx, 0, sizeof(float) * g.n * g.c * g.hw());
    return;
  }
  if (g.depthwise()) return depthwise_backward_data(g, dy, w, dx);
  if (!g.pointwise() && g.sh == 1 && g.sw == 1) {
    // Stride 1: dx is the forward convolution of dy with the flipped, transposed kernel and the
    // complementary padding. Its GEMM has depth K*kh*kw instead of K, and there is no col2im.
    const int64_t ph = (g.kh - 1) * g.dh, pw_ = (g.kw - 1) * g.dw;
    if (g.pt <= ph && g.pb <= ph && g.pl <= pw_ && g.pr <= pw_) {
      ConvGeom f = g;
      f.c = g.k; f.h = g.oh; f.w = g.ow; f.k = g.c; f.oh = g.h; f.ow = g.w;
      f.pt = ph - g.pt; f.pb = ph - g.pb; f.pl = pw_ - g.pl; f.pr = pw_ - g.pr;
      const int64_t cg = g.cg(), kg = g.kg(), khw = g.kh * g.kw;
      static thread_local std::vector<float> t_flip;
      float* wf = scratch(t_flip, g.k * g.kk());
      // wf[gi][ci][ko][ky'][kx'] = w[gi][ko][ci][kh-1-ky'][kw-1-kx']
      parallel_for(g.c, 16, [&](int64_t b, int64_t e) {
        for (int64_t cabs = b; cabs < e; ++cabs) {
          const int64_t gi = cabs / cg, ci = cabs % cg;
          for (int64_t ko = 0; ko < kg; ++ko) {
            const float* src = w + ((gi * kg + ko) * cg + ci) * khw;
            float* dst = wf + ((gi * cg + ci) * kg + ko) * khw;
            for (int64_t i = 0; i < khw; ++i) dst[i] = src[khw - 1 - i];
          }
        }
      });
      return conv_forward(f, dy, wf, nullptr, dx);
    }
  }
  const int64_t cg = g.cg(), kg = g.kg(), kk = g.kk(), ohw = g.ohw();
  const Tiling tl = make_tiling(g);
  int64_t pstride;
  const float* packed = pack_weights(g, w, true, pstride);
  const bool pw = g.pointwise();
  // Row tiles of one image overlap in dx (a 3x3 window reaches into the neighbouring rows), so
  // a task owns whole images: one tile of whole images, or every row tile of one image.
  const int64_t ntasks = tl.within_image ? g.n : tl.ntiles;
  run_tasks(ntasks, [&](int64_t task) {
    const bool threaded = gemm_threaded();
    const int64_t t_begin = tl.within_image ? task * tl.tiles_per_image : task;
    const int64_t t_end = tl.within_image ? t_begin + tl.tiles_per_image : task + 1;
    if (!pw) {
      const Tile whole = tile_at(g, tl, t_begin);
      std::memset(dx + whole.img0 * g.c * g.hw(), 0, sizeof(float) * whole.nimg * g.c * g.hw());
    }
    for (int64_t ti = t_begin; ti < t_end; ++ti) {
      const Tile t = tile_at(g, tl, ti);
      const int64_t cols = t.cols(g), col0 = t.oy0 * g.ow;
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const float* dmat;
        int64_t ldd;
        if (t.nimg == 1) {
          dmat = dy + (t.img0 * g.k + gi * kg) * ohw + col0;
          ldd = ohw;
        } else {
          float* tmp = scratch(t_tmp, kg * cols);
          gather_tile(g, dy, g.k, t, gi * kg, kg, ohw, tmp);
          dmat = tmp;
          ldd = cols;
        }
        const float* pa = packed + gi * pstride;
        if (pw && t.nimg == 1) {
          sgemm_packed_a(kk, cols, kg, 1.f, pa, false, dmat, ldd, 0.f, dx + (t.img0 * g.c + gi * cg) * g.hw() + col0, g.hw(), threaded);
          continue;
        }
        float* col = scratch(t_col, kk * cols);
        sgemm_packed_a(kk, cols, kg, 1.f, pa, false, dmat, ldd, 0.f, col, cols, threaded);
        if (pw) scatter_tile(g, col, g.c, t, gi * cg, cg, g.hw(), dx, nullptr);
        else col2im_tile(g, col, t, gi * cg, dx);
      }
    }
  });
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

static std::vector<float> g_partials;  // per-thread partial weight gradients (calling thread only)

void conv_backward_weight(const ConvGeom& g, const float* x, const float* dy, float* dw, float* db) {
  const int64_t cg = g.cg(), kg = g.kg(), kk = g.kk(), ohw = g.ohw(), wsize = g.k * kk;
  if (db) bias_grad(g, dy, db);
  if (g.depthwise()) return depthwise_backward_weight(g, x, dy, dw);
  if (g.n == 0 || ohw == 0) {
    std::memset(dw, 0, sizeof(float) * wsize);
    return;
  }
  if (implicit_gemm_backward_weight_suits(g)) return implicit_gemm_backward_weight(g, x, dy, dw);
  const Tiling tl = make_tiling(g);
  ThreadPool& pool = ThreadPool::instance();
  // Each worker sums its share of the tiles into its own copy of dW (thread 0 writes dw itself);
  // the copies are added at the end. With one worker (or one tile) dw is accumulated directly.
  const int64_t workers = std::min<int64_t>(pool.size(), tl.ntiles);
  float* partials = workers > 1 ? scratch(g_partials, (workers - 1) * wsize) : nullptr;
  std::vector<char> touched(static_cast<size_t>(workers), 0);
  auto work = [&](int64_t wk) {
    const bool threaded = gemm_threaded();
    float* acc = wk == 0 ? dw : partials + (wk - 1) * wsize;
    for (int64_t ti = wk; ti < tl.ntiles; ti += workers) {
      const Tile t = tile_at(g, tl, ti);
      const int64_t cols = t.cols(g), col0 = t.oy0 * g.ow;
      const float beta = touched[wk] ? 1.f : 0.f;
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const float* dmat;
        int64_t ldd;
        if (t.nimg == 1) {
          dmat = dy + (t.img0 * g.k + gi * kg) * ohw + col0;
          ldd = ohw;
        } else {
          float* tmp = scratch(t_tmp, kg * cols);
          gather_tile(g, dy, g.k, t, gi * kg, kg, ohw, tmp);
          dmat = tmp;
          ldd = cols;
        }
        const float* bmat;
        int64_t ldb;
        if (g.pointwise() && t.nimg == 1) {
          bmat = x + (t.img0 * g.c + gi * cg) * g.hw() + col0;
          ldb = g.hw();
        } else {
          float* col = scratch(t_col, kk * cols);
          im2col_tile(g, x, t, gi * cg, col);
          bmat = col;
          ldb = cols;
        }
        if (threaded) sgemm(false, true, kg, kk, cols, 1.f, dmat, ldd, bmat, ldb, beta, acc + gi * kg * kk, kk);
        else sgemm_single_thread(false, true, kg, kk, cols, 1.f, dmat, ldd, bmat, ldb, beta, acc + gi * kg * kk, kk);
      }
      touched[wk] = 1;
    }
    if (!touched[wk]) std::memset(acc, 0, sizeof(float) * wsize);
  };
  if (workers > 1) {
    pool.run(static_cast<int>(workers), [&](int wk) { work(wk); });
    add_weight_partials(dw, partials, workers, wsize);
  } else {
    work(0);
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

// conv2dPackedWeightsSize(g) -> floats of the buffer conv2dPackWeights fills.
static Napi::Value Conv2dPackedWeightsSize(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  return Napi::Number::New(info.Env(), static_cast<double>(conv_packed_weights_size(g)));
}

// conv2dPackWeights(g, w, packed)
static Napi::Value Conv2dPackWeights(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  require_len(info, 1, g.k * g.kk(), "w");
  require_len(info, 2, conv_packed_weights_size(g), "packed");
  conv_pack_weights(g, f32(info, 1), f32(info, 2));
  return info.Env().Undefined();
}

// conv2dForwardPacked(g, x, packed, bias|null, y, act, alpha, residual|null): act 0 none, 1 relu,
// 2 relu6, 3 leaky_relu(alpha), applied with the bias and the residual (shaped like y, added
// before the activation) to each output tile while it is in cache.
static Napi::Value Conv2dForwardPacked(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  require_len(info, 1, g.n * g.c * g.hw(), "x");
  require_len(info, 2, conv_packed_weights_size(g), "packed");
  float* bias = f32_or_null(info, 3);
  if (bias) require_len(info, 3, g.k, "bias");
  require_len(info, 4, g.n * g.k * g.ohw(), "y");
  const int64_t act = int_arg(info, 5);
  if (act < 0 || act > 3) throw Napi::RangeError::New(info.Env(), "conv2dForwardPacked: act must be 0 (none), 1 (relu), 2 (relu6) or 3 (leaky_relu)");
  const float alpha = info.Length() > 6 && info[6].IsNumber() ? static_cast<float>(num_arg(info, 6)) : 0.f;
  const float* residual = info.Length() > 7 ? f32_or_null(info, 7) : nullptr;
  if (residual) require_len(info, 7, g.n * g.k * g.ohw(), "residual");
  conv_forward_prepacked(g, f32(info, 1), f32(info, 2), bias, static_cast<EpilogueAct>(act), alpha, residual, f32(info, 4));
  return info.Env().Undefined();
}

IMCLS_EXPORT("conv2dForward", Conv2dForward);
IMCLS_EXPORT("conv2dPackedWeightsSize", Conv2dPackedWeightsSize);
IMCLS_EXPORT("conv2dPackWeights", Conv2dPackWeights);
IMCLS_EXPORT("conv2dForwardPacked", Conv2dForwardPacked);
IMCLS_EXPORT("conv2dBackwardData", Conv2dBackwardData);
IMCLS_EXPORT("conv2dBackwardWeight", Conv2dBackwardWeight);

}  // namespace imcls
