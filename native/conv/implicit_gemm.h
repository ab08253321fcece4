// Convolution forward as an implicit GEMM: Y[k, (img, pixel)] = W[k, ci*kh*kw] * im2col(X).
// The GEMM's B panels are packed straight from the image (no column matrix is ever written),
// the micro-kernel writes the output tiles straight into NCHW y, and the bias/activation
// epilogue runs on each tile while it is in L1. Columns run over all images at once, so a
// large batch of tiny feature maps (7x7 ... 1x1) still makes full-width register tiles.
#pragma once

#include <cstdint>

#include "conv/conv_geometry.h"
#include "gemm/gemm.h"

namespace imcls {

// y = epilogue(conv(x, W)) for every group. `packed` holds the weights of each group as the
// pre-packed GEMM A operand (sgemm_pack_a layout, kg x kk), group gi at packed + gi * pstride.
// ep.row_bias, when set, indexes all g.k output channels. Uses the thread pool unless called
// from inside a pool task.
void implicit_gemm_forward(const ConvGeom& g, const float* x, const float* packed, int64_t pstride,
                           const GemmEpilogue& ep, float* y);

// dw[k, c/groups, kh, kw] = sum over images and output pixels of dy x im2col(x)^T, for small
// feature maps (implicit_gemm_backward_weight_suits): both GEMM operands are packed straight from
// dy and a zero-bordered copy of x; the column depth is split over the pool, each thread summing
// into its own copy of dw. Overwrites dw.
bool implicit_gemm_backward_weight_suits(const ConvGeom& g);
void implicit_gemm_backward_weight(const ConvGeom& g, const float* x, const float* dy, float* dw);

}  // namespace imcls
