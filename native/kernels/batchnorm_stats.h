// One channel's training batch statistics, shared by the plain and the fused (bn + activation)
// batch-norm forwards so the two agree bit for bit.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/reduce_simd.h"

namespace imcls {

// The affine that normalises one channel: y = x * scale + shift.
struct FoldedAffine {
  float scale, shift;
};

// Mean and biased variance of channel ch of an [n, c, hw] tensor, in two passes with double
// accumulation; stores mean, 1/sqrt(var + eps) and var at index ch of the three outputs and
// returns gamma/beta folded into one affine.
inline FoldedAffine channel_batch_stats(const float* x, int64_t n, int64_t c, int64_t hw, int64_t ch, double eps,
                                        float gamma, float beta, float* save_mean, float* save_inv_std,
                                        float* batch_var) {
  const double count = static_cast<double>(n * hw);
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += plane_sum(x + (i * c + ch) * hw, hw);
  const double mean = count > 0 ? s / count : 0.0;
  double v = 0.0;
  for (int64_t i = 0; i < n; ++i) v += plane_sq_dev(x + (i * c + ch) * hw, hw, static_cast<float>(mean));
  // The deviations were taken from the float-rounded mean: correct the variance for it.
  const double dm = static_cast<double>(static_cast<float>(mean)) - mean;
  const double var = count > 0 ? std::max(0.0, v / count - dm * dm) : 0.0;
  const double inv = 1.0 / std::sqrt(var + eps);
  save_mean[ch] = static_cast<float>(mean);
  save_inv_std[ch] = static_cast<float>(inv);
  batch_var[ch] = static_cast<float>(var);
  const double scale = gamma * inv;
  return {static_cast<float>(scale), static_cast<float>(beta - mean * scale)};
}

}  // namespace imcls
