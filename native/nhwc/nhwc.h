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

// One output row of a depthwise convolution (channel multiplier 1), every channel.
struct DepthwiseArgs {
  const float* x;    // the image, [h][w][c] (no border: taps outside are skipped)
  int64_t h, w, c;
  int64_t kh, kw, sh, sw, pt, pl, dh, dw;
  int64_t oy, ow;    // the row and its width
  const float* w_packed;  // [kh * kw][c]
  const float* bias; // [c] or null
  float* y;          // the output row: ow pixels x c
  int act;
  float alpha;
};
using DepthwiseKernel = void (*)(const DepthwiseArgs&);

constexpr int kMaxR = 6, kMaxNV = 4;

struct KernelSet {
  const char* name;
  int width;  // floats per vector
  int mr;     // pixels per full tile
  int nv;     // vectors per full panel
  TileKernel tile[kMaxR][kMaxNV];  // [r - 1][nv - 1]
  DepthwiseKernel depthwise;
};

const KernelSet& active_kernels();
const KernelSet* avx512_kernels();
const KernelSet* avx2_kernels();
const KernelSet* baseline_kernels();

}  // namespace nhwc_detail

// Dense convolutions (groups 1): weights OIHW -> output-channel panels of depth rows.
int64_t nhwc_conv_packed_size(const ConvGeom& g);
void nhwc_conv_pack(const ConvGeom& g, const float* w, float* packed);
void nhwc_conv_forward(const ConvGeom& g, const float* x, const float* packed, const float* bias, EpilogueAct act,
                       float alpha, const float* residual, float* y);

// Depthwise convolutions (groups == c == k): weights [c][1][kh][kw] -> [kh * kw][c].
void nhwc_depthwise_pack(const ConvGeom& g, const float* w, float* packed);
void nhwc_depthwise_forward(const ConvGeom& g, const float* x, const float* packed, const float* bias,
                            EpilogueAct act, float alpha, float* y);

}  // namespace imcls
