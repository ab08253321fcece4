// MobileNetV2's inverted residual unit in one call: expand 1x1 -> depthwise -> project 1x1
// (+ shortcut), channels-last, inference.
//
// Layer by layer, the expanded tensor (six times the unit's input channels) goes to memory and
// comes back: 4.8 MB at 112x112x96, written by the expand conv and read by the depthwise one,
// which then ran 1.7-2.5x slower than on the same data still in cache. Here each thread takes
// a contiguous share of the output rows, in bands: it expands only the input rows the band's
// depthwise windows need into a scratch that stays in L2 (the rows the next band shares are
// moved to the front, not computed again), runs the depthwise rows into a second scratch, and
// projects those into the output. The steps are the layer-by-layer kernels (nhwc_conv_forward,
// the depthwise rows kernel) called on sub-images: nested in a pool task, each runs on its
// calling thread. (Two threads taking bands from both ends until they met, to even out a slow
// core, made the whole MobileNetV2 5% slower: the static split stays.) Maps of a few rows a
// thread split the expanded channels instead (channel_split_unit).
#pragma GCC optimize("O3")
#include <algorithm>
#include <atomic>
#include <cstring>

#include "aligned_buffer.h"
#include "args.h"
#include "nhwc/nhwc.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

namespace {

// Expanded input rows a band may hold: with the depthwise output band and the project weights,
// inside a 1 MB L2 (MobileNetV2 batch 1: 96 KB bands 2.49 ms, 128 KB 2.46, 256 KB 2.36-2.38,
// 512 KB 2.39).
constexpr int64_t kExpandedBandBytes = 256 * 1024;

// the expanded and depthwise rows of a band (or of a thread's channels), and the channel split's
// partial projections
thread_local AlignedBuffer tl_expanded, tl_depthwise, tl_partials;

// g with n = 1 and rows x cols pixels in and out (a 1x1 stride-1 conv over a run of rows).
ConvGeom pointwise_rows(const ConvGeom& g, int64_t rows, int64_t cols) {
  ConvGeom s = g;
  s.n = 1;
  s.h = s.oh = rows;
  s.w = s.ow = cols;
  return s;
}

// Output-channel panels [q0, q1) of a 1x1 conv (packed as nhwc_conv_pack packs it, `depth`
// input channels) over pixels [0, np), from depth row k0 on for len rows: pixel p's inputs are
// x[p * ldx + k0 ..], its outputs y[p * ldy + panel's first channel ..]. The epilogue (bias,
// residual laid out like y, activation) applies to these rows' sums alone.
void pointwise_panels(const nhwc_detail::KernelSet& K, int64_t np, const float* x, int64_t ldx, const float* packed,
                      int64_t depth, int64_t k, int64_t q0, int64_t q1, int64_t k0, int64_t len, const float* bias,
                      const float* residual, EpilogueAct act, float* y, int64_t ldy) {
  const int64_t pw = nhwc_detail::panel_width(K), mr = K.mr, seg_off = 0;
  const float* px[nhwc_detail::kMaxR];
  nhwc_detail::TileArgs a{};
  a.px = px;
  a.seg_off = &seg_off;
  a.seg_len = &len;
  a.nseg = 1;
  a.finish = true;
  a.ldc = ldy;
  a.act = static_cast<int>(act);
  for (int64_t p = 0; p < np; p += mr) {
    const int64_t rows = std::min(mr, np - p);
    for (int64_t i = 0; i < rows; ++i) px[i] = x + (p + i) * ldx + k0;
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t nv = nhwc_detail::panel_row(K, k, q) / K.width;
      a.b = packed + q * depth * pw + k0 * nv * K.width;
      a.y = y + p * ldy + q * pw;
      a.bias = bias != nullptr ? bias + q * pw : nullptr;
      a.residual = residual != nullptr ? residual + p * ldy + q * pw : nullptr;
      a.valid = static_cast<int>(std::min(pw, k - q * pw));
      K.tile[rows - 1][nv - 1](a);
    }
  }
}

// The unit with the expanded channels split over the threads instead of the rows, for maps of
// few rows a thread (7x7 at batch 1: 7 rows over 2 threads is 4 and 3, and each thread's rows
// need one more expanded row than they output). Thread b expands its panels of the expanded
// channels at every pixel, runs the depthwise conv on them and projects them: a partial sum
// of every output, over its channels. Thread 0's partial (with the bias and the shortcut) goes
// to y, the others' to scratch, and the last thread to finish adds them up and applies the
// activation, so no thread waits for another. Each thread's expanded and depthwise channels
// go to its own copy of the maps: in one shared map, the cache lines where one thread's
// channels of a pixel meet the other's went back and forth between the cores (the hardware
// prefetchers fetch neighbouring lines), and the depthwise step of a 7x7x960 unit took 30-36
// us a thread instead of 11 (the whole unit 0.138 -> 0.105 ms).
void channel_split_unit(const ConvGeom& ge, const ConvGeom& gd, const ConvGeom& gp, int64_t threads, const float* x,
                        const float* packed_e, const float* bias_e, EpilogueAct act_e, const float* packed_d,
                        const float* bias_d, EpilogueAct act_d, const float* packed_p, const float* bias_p,
                        EpilogueAct act_p, const float* residual, float* y) {
  const nhwc_detail::KernelSet& K = nhwc_detail::active_kernels();
  const int64_t pw = nhwc_detail::panel_width(K), m = gd.c, k = gp.k, panels = ceil_div(m, pw);
  const int64_t B = std::min(threads, panels), in_px = ge.n * ge.h * ge.w, out_px = gp.n * gp.oh * gp.ow;
  float* const E0 = tl_expanded.get(B * in_px * m);
  float* const D0 = tl_depthwise.get(B * out_px * m);
  float* P = tl_partials.get((B - 1) * out_px * k);
  std::atomic<int64_t> finished{0};
  // Thread b's first panel, rounded up: the caller (b = 0) takes the larger share of an odd
  // split, since it starts first (a worker's start is a cache-line handoff away) and finishing
  // last it runs the reduction itself. Rounded down, the caller waited on the worker for 15-40
  // us in each of MobileNetV2's 7x7 units (9 panels 4/5, 15 panels 7/8; batch 1, 2 threads).
  auto first_panel = [&](int64_t b) { return (panels * b + B - 1) / B; };
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t q0 = first_panel(b), q1 = first_panel(b + 1), c0 = q0 * pw, c1 = std::min(m, q1 * pw);
      float* E = E0 + b * in_px * m;  // channels [c0, c1) of thread b's copy
      float* D = D0 + b * out_px * m;
      pointwise_panels(K, in_px, x, ge.c, packed_e, ge.c, m, q0, q1, 0, ge.c, bias_e, nullptr, act_e, E, m);
      nhwc_detail::DepthwiseArgs a = nhwc_detail::depthwise_args(gd, packed_d, bias_d, act_d, 0.f);
      a.c0 = c0;
      a.c1 = c1;
      for (int64_t img = 0; img < gd.n; ++img) {
        a.x = E + img * gd.h * gd.w * m;
        a.y = D + img * gd.oh * gd.ow * m;
        K.depthwise(a, 0, gd.oh);
      }
      const bool first = b == 0;
      pointwise_panels(K, out_px, D, m, packed_p, m, k, 0, ceil_div(k, pw), c0, c1 - c0, first ? bias_p : nullptr,
                       first ? residual : nullptr, B == 1 ? act_p : EpilogueAct::none, first ? y : P + (b - 1) * out_px * k, k);
      if (finished.fetch_add(1, std::memory_order_acq_rel) != B - 1) continue;
      if (B == 1) continue;  // y is finished (the activation in its epilogue)
      const int64_t total = out_px * k;
      for (int64_t i = 0; i < total; ++i) {
        float v = y[i];
        for (int64_t o = 1; o < B; ++o) v += P[(o - 1) * total + i];
        if (act_p != EpilogueAct::none) v = v < 0.f ? 0.f : v;
        if (act_p == EpilogueAct::relu6) v = 6.f < v ? 6.f : v;
        y[i] = v;
      }
    }
  });
}

}  // namespace

// Fewer than 4 output rows a thread: a thread's rows there also expand the rows its depthwise
// windows share with the next thread's (7 rows over 2 threads go 4 and 3, and expand 5 and 4 of
// 7). MobileNetV2 at batch 1, 2 threads, in the forward, channels / rows: 7x7x960 units 0.157 /
// 0.18 ms (the three calls they were), 14 -> 7 stride 2 0.168 / 0.185. Not on more rows: at
// 14x14x384, 7 rows a thread, channels are 6% faster alone, but in the forward 25% slower
// after a unit split by rows: each thread reads the whole input then, half of it from the
// other core's cache.
bool nhwc_inverted_residual_splits_channels(const ConvGeom& gd, int64_t threads) {
  return threads > 1 && gd.n * gd.oh < 4 * threads;
}

bool nhwc_inverted_residual_geometry(const ConvGeom& expand, const ConvGeom& dw, const ConvGeom& project) {
  return expand.pointwise() && expand.groups == 1 && dw.depthwise() && dw.k == dw.c && dw.kh * dw.kw <= 64 &&
         project.pointwise() && project.groups == 1 && expand.n == dw.n && expand.h == dw.h && expand.w == dw.w &&
         expand.k == dw.c && project.n == dw.n && project.c == dw.k && project.h == dw.oh && project.w == dw.ow;
}

void nhwc_inverted_residual_forward(const ConvGeom& ge, const ConvGeom& gd, const ConvGeom& gp, const float* x,
                                    const float* packed_e, const float* bias_e, EpilogueAct act_e, const float* packed_d,
                                    const float* bias_d, EpilogueAct act_d, const float* packed_p, const float* bias_p,
                                    EpilogueAct act_p, const float* residual, float* y) {
  const nhwc_detail::KernelSet& K = nhwc_detail::active_kernels();
  const int64_t h = gd.h, w = gd.w, m = gd.c, oh = gd.oh, ow = gd.ow, k = gp.k;
  if (gd.n * oh * ow == 0) return;
  const int64_t threads = parallel_threads();
  if (nhwc_inverted_residual_splits_channels(gd, threads))
    return channel_split_unit(ge, gd, gp, threads, x, packed_e, bias_e, act_e, packed_d, bias_d, act_d, packed_p, bias_p,
                              act_p, residual, y);
  const int64_t in_row = w * m, out_row = ow * m;
  // input rows [first, end) that output rows [r0, r1) of the depthwise read (clipped to the image)
  auto first_row = [&](int64_t r0) { return std::max<int64_t>(0, r0 * gd.sh - gd.pt); };
  auto end_row = [&](int64_t r1) { return std::min<int64_t>(h, (r1 - 1) * gd.sh - gd.pt + (gd.kh - 1) * gd.dh + 1); };
  const int64_t window = (gd.kh - 1) * gd.dh + 1;
  const int64_t band = std::max<int64_t>(
      1, (kExpandedBandBytes / static_cast<int64_t>(sizeof(float) * in_row) - window) / gd.sh + 1);
  parallel_for(gd.n * oh, 1, [&](int64_t r0, int64_t r1) {
    float* E = tl_expanded.get((std::min(band, r1 - r0) - 1) * gd.sh * in_row + window * in_row);
    float* D = tl_depthwise.get(std::min(band, r1 - r0) * out_row);
    // h and pt per band below: the band's expanded rows are the image the kernel sees
    nhwc_detail::DepthwiseArgs a = nhwc_detail::depthwise_args(gd, packed_d, bias_d, act_d, 0.f);
    int64_t img = -1, e0 = 0, e1 = 0;  // E holds expanded rows [e0, e1) of image img
    for (int64_t r = r0; r < r1;) {
      const int64_t im = r / oh, oy0 = r % oh, oy1 = std::min(oh, oy0 + std::min(band, r1 - r));
      const int64_t a0 = first_row(oy0), a1 = end_row(oy1);
      int64_t have = 0;  // rows [a0, a0 + have) already expanded, moved to the front of E
      if (im == img && a0 >= e0 && a0 < e1) {
        have = e1 - a0;
        std::memmove(E, E + (a0 - e0) * in_row, sizeof(float) * have * in_row);
      }
      if (a1 > a0 + have) {
        const ConvGeom s = pointwise_rows(ge, a1 - a0 - have, w);
        nhwc_conv_forward(s, x + ((im * h) + a0 + have) * w * ge.c, packed_e, bias_e, act_e, 0.f, nullptr, E + have * in_row,
                          true);
      }
      img = im, e0 = a0, e1 = a1;
      // E as an image of rows [a0, a1): outside them, the padding's zeros (every row of the
      // image the band's windows touch is inside)
      a.x = E;
      a.h = a1 - a0;
      a.pt = gd.pt + a0;
      a.y = D;
      K.depthwise(a, oy0, oy1);
      const int64_t o = (im * oh + oy0) * ow * k;
      nhwc_conv_forward(pointwise_rows(gp, oy1 - oy0, ow), D, packed_p, bias_p, act_p, 0.f,
                        residual != nullptr ? residual + o : nullptr, y + o);
      r += oy1 - oy0;
    }
  });
}

namespace {

EpilogueAct act_of(const Napi::CallbackInfo& info, size_t i) {
  const int64_t act = int_arg(info, i);
  if (act < 0 || act > 2) throw Napi::RangeError::New(info.Env(), "invertedResidualNhwc: act must be 0 (none), 1 (relu) or 2 (relu6)");
  return static_cast<EpilogueAct>(act);
}

}  // namespace

// invertedResidualNhwc(gExpand, gDepthwise, gProject, x NHWC, packedExpand, biasExpand|null,
//   actExpand, packedDepthwise, biasDepthwise|null, actDepthwise, packedProject, biasProject|null,
//   actProject, residual NHWC|null, y NHWC): the three convs' packed weights as convNhwcPack
//   made them; y must not overlap x or the residual.
static Napi::Value InvertedResidualNhwc(const Napi::CallbackInfo& info) {
  const ConvGeom ge = read_conv_geom(info, 0), gd = read_conv_geom(info, 1), gp = read_conv_geom(info, 2);
  if (!nhwc_inverted_residual_geometry(ge, gd, gp))
    throw Napi::RangeError::New(info.Env(), "invertedResidualNhwc: expects 1x1 expand -> depthwise -> 1x1 project convs whose shapes chain");
  require_len(info, 3, ge.n * ge.c * ge.hw(), "x");
  require_len(info, 4, nhwc_conv_packed_size(ge), "packedExpand");
  const float* bias_e = f32_or_null(info, 5);
  if (bias_e) require_len(info, 5, ge.k, "biasExpand");
  require_len(info, 7, gd.kh * gd.kw * gd.c, "packedDepthwise");
  const float* bias_d = f32_or_null(info, 8);
  if (bias_d) require_len(info, 8, gd.k, "biasDepthwise");
  require_len(info, 10, nhwc_conv_packed_size(gp), "packedProject");
  const float* bias_p = f32_or_null(info, 11);
  if (bias_p) require_len(info, 11, gp.k, "biasProject");
  const float* residual = f32_or_null(info, 13);
  if (residual) require_len(info, 13, gp.n * gp.k * gp.ohw(), "residual");
  require_len(info, 14, gp.n * gp.k * gp.ohw(), "y");
  nhwc_inverted_residual_forward(ge, gd, gp, f32(info, 3), f32(info, 4), bias_e, act_of(info, 6), f32(info, 7), bias_d,
                                 act_of(info, 9), f32(info, 10), bias_p, act_of(info, 12), residual, f32(info, 14));
  return info.Env().Undefined();
}

// invertedResidualNhwcSplit(gExpand, gDepthwise, gProject) -> how the pool's threads share the
// unit: "rows" (bands of output rows) or "channels" (tests check their cases reach the path
// they are written for).
static Napi::Value InvertedResidualNhwcSplit(const Napi::CallbackInfo& info) {
  const ConvGeom ge = read_conv_geom(info, 0), gd = read_conv_geom(info, 1), gp = read_conv_geom(info, 2);
  if (!nhwc_inverted_residual_geometry(ge, gd, gp))
    throw Napi::RangeError::New(info.Env(), "invertedResidualNhwcSplit: expects 1x1 expand -> depthwise -> 1x1 project convs whose shapes chain");
  const bool channels = nhwc_inverted_residual_splits_channels(gd, ThreadPool::instance().size());
  return Napi::String::New(info.Env(), channels ? "channels" : "rows");
}

IMCLS_EXPORT("invertedResidualNhwc", InvertedResidualNhwc);
IMCLS_EXPORT("invertedResidualNhwcSplit", InvertedResidualNhwcSplit);

}  // namespace imcls
