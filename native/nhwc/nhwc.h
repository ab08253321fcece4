// Channels-last (NHWC) inference kernels: the layout ONNX Runtime's CPU convolutions run in.
//
// A convolution over NHWC is a GEMM whose rows are output pixels and whose columns are output
// channels: Y[pixel, co] = sum over (ky, kx, ci) of X[pixel's tap, ci] * W[(ky, kx, ci), co].
// The register tile is R pixels x (NV vectors of output channels). Its broadcast operand is
// read straight from the (zero-bordered) input, since each tap of a pixel is a contiguous run
// of channels, and its vector operand is the weights, packed once per model: there is no im2col
// and no per-call packing, tiles may span output rows and images (no tile is wasted on the
// width of a 7x7 or 14x14 map), the whole depth stays in the accumulators, and the
// bias/residual/activation epilogue runs on the registers before the only store.
// Depthwise convolutions and pools vectorise over the channels of each pixel.
#pragma once

#include <cstdint>

#include "conv/conv_geometry.h"
#include "gemm/gemm.h"

namespace imcls {
namespace nhwc_detail {

// One register tile: R output pixels x NV * width output channels.
struct TileArgs {
  const float* const* px;  // R pixel bases in the bordered input (tap (0,0), channel 0)
  // The depth range, as nseg contiguous runs of (taps x channels): run s is seg_len[s] floats
  // at pixel base + seg_off[s], and uses the next seg_len[s] rows of b.
  const int64_t* seg_off;
  const int64_t* seg_len;
  int64_t nseg;
  const float* b;          // the packed weight panel at the range's first row: rows of NV * width floats
  bool accumulate;         // add to the partial sums already in y (a later depth range)
  bool finish;             // last depth range: apply the epilogue (else store the raw sums)
  float* y;                // pixel 0, first channel of the panel; pixel rows ldc apart
  int64_t ldc;
  const float* bias;       // the panel's first bias, or null
  const float* residual;   // laid out like y, or null
  int act;                 // EpilogueAct
  float alpha;
  int valid;               // output channels of the panel that exist (< NV * width in the last panel)
};
using TileKernel = void (*)(const TileArgs&);

// Output rows [oy0, oy1) of one image of a depthwise convolution (channel multiplier 1), channels
// [c0, c1) (c0 a multiple of the vector width; c1 may end inside a vector, the layer's last).
struct DepthwiseArgs {
  const float* x;    // the image, [h][w][c] (no border: taps outside are skipped)
  int64_t h, w, c;   // c: the channels of a pixel of x, y, and a tap of the weights
  int64_t c0, c1;
  int64_t kh, kw, sh, sw, pt, pl, dh, dw;
  int64_t oy, ow;    // the row (set by the kernel) and the output width
  const float* w_packed;  // [kh * kw][c]
  const float* bias; // [c] or null
  float* y;          // the output from row oy0 on: ow pixels x c a row
  int act;
  float alpha;
};
using DepthwiseKernel = void (*)(const DepthwiseArgs&, int64_t oy0, int64_t oy1);

// The arguments of depthwise conv g over all its channels (x and y are set per image).
inline DepthwiseArgs depthwise_args(const ConvGeom& g, const float* packed, const float* bias, EpilogueAct act,
                                    float alpha) {
  DepthwiseArgs a{};
  a.h = g.h; a.w = g.w; a.c = g.c; a.c0 = 0; a.c1 = g.c;
  a.kh = g.kh; a.kw = g.kw; a.sh = g.sh; a.sw = g.sw; a.pt = g.pt; a.pl = g.pl; a.dh = g.dh; a.dw = g.dw;
  a.ow = g.ow;
  a.w_packed = packed;
  a.bias = bias;
  a.act = static_cast<int>(act);
  a.alpha = alpha;
  return a;
}

// Winograd F(m x m, 3 x 3) (nhwc_winograd.cc), one tile at a time, every channel.
// Input: the tile's alpha x alpha window (alpha = m + 2), V[xi] = (B^T d B)[xi] per channel.
struct WinogradInArgs {
  const float* const* src;  // alpha * alpha pixels (channel 0), row-major; a zero row where outside
  int64_t c;
  float* v;                 // the tile's row in plane 0 of V
  int64_t v_stride;         // floats between planes
};
// Output: the m x m pixels A^T M A per channel, + bias, + residual, then the activation.
struct WinogradOutArgs {
  const float* m;           // the tile's row in plane 0 of M
  int64_t m_stride;         // floats between planes
  int64_t k;
  const float* bias;        // [k] or null
  float* const* dst;        // m * m output pixels (channel 0), row-major; null where outside the output
  const float* const* res;  // the same pixels of the residual, or null for none
  int act;
  float alpha;
};
using WinogradInKernel = void (*)(const WinogradInArgs&);
using WinogradOutKernel = void (*)(const WinogradOutArgs&);

constexpr int kMaxR = 6, kMaxNV = 4;

struct KernelSet {
  const char* name;
  int width;  // floats per vector
  int mr;     // pixels per full tile
  int nv;     // vectors per full panel
  TileKernel tile[kMaxR][kMaxNV];  // [r - 1][nv - 1]
  DepthwiseKernel depthwise;
  WinogradInKernel winograd_in[2];    // [0] F(2x2, 3x3), [1] F(4x4, 3x3)
  WinogradOutKernel winograd_out[2];
};

inline int64_t panel_width(const KernelSet& k) { return static_cast<int64_t>(k.nv) * k.width; }

// Floats of panel q's rows for `channels` output channels (the last panel is only as wide as
// its channels, in whole vectors).
inline int64_t panel_row(const KernelSet& k, int64_t channels, int64_t q) {
  const int64_t pw = panel_width(k), left = channels - q * pw;
  return left >= pw ? pw : (left + k.width - 1) / k.width * k.width;
}

const KernelSet& active_kernels();
const KernelSet* avx512_kernels();
const KernelSet* avx2_kernels();
const KernelSet* baseline_kernels();

}  // namespace nhwc_detail

// Dense convolutions (groups 1): weights OIHW -> output-channel panels of depth rows.
int64_t nhwc_conv_packed_size(const ConvGeom& g);
void nhwc_conv_pack(const ConvGeom& g, const float* w, float* packed);
// y_in_cache: y is a scratch its caller keeps in cache (a fused kernel's band), so its lines are
// not fetched ahead of the stores.
void nhwc_conv_forward(const ConvGeom& g, const float* x, const float* packed, const float* bias, EpilogueAct act,
                       float alpha, const float* residual, float* y, bool y_in_cache = false);

// Winograd F(m x m, 3 x 3) for 3x3 stride-1 dense convolutions whose transformed weights stay
// cache-sized: m (4 or 2), or 0 for the direct kernels. Depends only on the channels and the
// kernel geometry (packed weights are reused at every batch and image size). IMCLS_WINOGRAD=0
// turns it off for the process.
int nhwc_winograd_tile(const ConvGeom& g);
int64_t nhwc_winograd_packed_size(const ConvGeom& g);
void nhwc_winograd_pack(const ConvGeom& g, const float* w, float* packed);
void nhwc_winograd_forward(const ConvGeom& g, const float* x, const float* packed, const float* bias,
                           EpilogueAct act, float alpha, const float* residual, float* y);

// Depthwise convolutions (groups == c == k): weights [c][1][kh][kw] -> [kh * kw][c].
void nhwc_depthwise_pack(const ConvGeom& g, const float* w, float* packed);
void nhwc_depthwise_forward(const ConvGeom& g, const float* x, const float* packed, const float* bias,
                            EpilogueAct act, float alpha, float* y);

// MobileNetV2's inverted residual unit (nhwc_inverted_residual.cc): expand 1x1 -> depthwise ->
// project 1x1 (+ residual) in one pass of bands of output rows, the expanded rows kept in cache
// (or, on few rows a thread, each thread's share of the expanded channels through all three).
// The geometries must chain (nhwc_inverted_residual_geometry); the weights are packed as the
// three convs' own; y must not overlap x or the residual.
bool nhwc_inverted_residual_geometry(const ConvGeom& expand, const ConvGeom& dw, const ConvGeom& project);
// Whether `threads` threads split the unit's expanded channels rather than its output rows (dw:
// the depthwise conv's geometry).
bool nhwc_inverted_residual_splits_channels(const ConvGeom& dw, int64_t threads);
void nhwc_inverted_residual_forward(const ConvGeom& expand, const ConvGeom& dw, const ConvGeom& project, const float* x,
                                    const float* packed_e, const float* bias_e, EpilogueAct act_e, const float* packed_d,
                                    const float* bias_d, EpilogueAct act_d, const float* packed_p, const float* bias_p,
                                    EpilogueAct act_p, const float* residual, float* y);

}  // namespace imcls
