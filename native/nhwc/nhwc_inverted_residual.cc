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
// core, made the whole MobileNetV2 5% slower: the static split stays.)
#pragma GCC optimize("O3")
#include <algorithm>
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

thread_local AlignedBuffer tl_expanded, tl_depthwise;

// g with n = 1 and rows x cols pixels in and out (a 1x1 stride-1 conv over a run of rows).
ConvGeom pointwise_rows(const ConvGeom& g, int64_t rows, int64_t cols) {
  ConvGeom s = g;
  s.n = 1;
  s.h = s.oh = rows;
  s.w = s.ow = cols;
  return s;
}

}  // namespace

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
    nhwc_detail::DepthwiseArgs a{};
    a.w = w; a.c = m;
    a.kh = gd.kh; a.kw = gd.kw; a.sh = gd.sh; a.sw = gd.sw; a.pl = gd.pl; a.dh = gd.dh; a.dw = gd.dw;
    a.ow = ow;
    a.w_packed = packed_d;
    a.bias = bias_d;
    a.act = static_cast<int>(act_d);
    a.alpha = 0.f;
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
        nhwc_conv_forward(s, x + ((im * h) + a0 + have) * w * ge.c, packed_e, bias_e, act_e, 0.f, nullptr, E + have * in_row);
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

IMCLS_EXPORT("invertedResidualNhwc", InvertedResidualNhwc);

}  // namespace imcls
