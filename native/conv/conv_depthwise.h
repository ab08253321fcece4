// Direct depthwise convolution (groups == C, K = C * multiplier): one input plane feeds each
// output plane, so a GEMM would have M = multiplier; direct loops over planes are far faster.
#pragma once
#include "conv/conv_geometry.h"
#include "gemm/gemm.h"

namespace imcls {

// y = act(conv(x, w) + bias[k]) per ep (row_bias indexes the k output channels; may be null).
void depthwise_forward(const ConvGeom& g, const float* x, const float* w, const GemmEpilogue& ep, float* y);
void depthwise_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx);
void depthwise_backward_weight(const ConvGeom& g, const float* x, const float* dy, float* dw);

}  // namespace imcls
