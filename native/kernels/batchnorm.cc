// Training batch norm (two-pass, double accumulation per channel), its backward, and the folded
// inference affine with fused relu/relu6. Parallel over channels for the statistics; the
// elementwise passes are parallel over (n, c) planes.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "args.h"
#include "kernels/batchnorm_stats.h"
#include "kernels/reduce_simd.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

static void need(const Napi::CallbackInfo& info, size_t i, int64_t n) {
  if (static_cast<int64_t>(f32len(info, i)) < n) throw Napi::RangeError::New(info.Env(), "batch norm: argument " + std::to_string(i) + " is too small");
}

// y = x * s + t over one plane, with optional clamp.
static inline void affine_plane(const float* x, float* y, int64_t n, float s, float t, int act) {
  if (act == 0) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * s + t;
  } else if (act == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = std::max(x[i] * s + t, 0.f);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i] * s + t, 0.f), 6.f);
  }
}

// batchNormTrainForward(n, c, hw, x, gamma, beta, eps, y, saveMean, saveInvStd, batchVar)
static Napi::Value BatchNormTrainForward(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 0), c = int_arg(info, 1), hw = int_arg(info, 2);
  need(info, 3, n * c * hw);
  need(info, 4, c);
  need(info, 5, c);
  const double eps = num_arg(info, 6);
  need(info, 7, n * c * hw);
  need(info, 8, c);
  need(info, 9, c);
  need(info, 10, c);
  const float *x = f32(info, 3), *gamma = f32(info, 4), *beta = f32(info, 5);
  float *y = f32(info, 7), *smean = f32(info, 8), *sinv = f32(info, 9), *bvar = f32(info, 10);
  parallel_for(c, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      const FoldedAffine aff = channel_batch_stats(x, n, c, hw, ch, eps, gamma[ch], beta[ch], smean, sinv, bvar);
      const float sc = aff.scale, sh = aff.shift;
      for (int64_t i = 0; i < n; ++i) affine_plane(x + (i * c + ch) * hw, y + (i * c + ch) * hw, hw, sc, sh, 0);
    }
  });
  return info.Env().Undefined();
}

// batchNormBackward(n, c, hw, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta)
static Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 0), c = int_arg(info, 1), hw = int_arg(info, 2);
  need(info, 3, n * c * hw);
  need(info, 4, n * c * hw);
  need(info, 5, c);
  need(info, 6, c);
  need(info, 7, c);
  need(info, 8, n * c * hw);
  need(info, 9, c);
  need(info, 10, c);
  const float *x = f32(info, 3), *dy = f32(info, 4), *gamma = f32(info, 5), *smean = f32(info, 6), *sinv = f32(info, 7);
  float *dx = f32(info, 8), *dgamma = f32(info, 9), *dbeta = f32(info, 10);
  const double count = static_cast<double>(n * hw);
  parallel_for(c, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      const float mean = smean[ch];
      const double inv = sinv[ch];
      double sdy = 0.0, sdyx = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        double a, bb;
        plane_dy_dyx(dy + (i * c + ch) * hw, x + (i * c + ch) * hw, hw, mean, a, bb);
        sdy += a;
        sdyx += bb;
      }
      dbeta[ch] = static_cast<float>(sdy);
      dgamma[ch] = static_cast<float>(sdyx * inv);
      if (count <= 0) continue;
      // dx = k * (dy - mean(dy) - (x - mean) * mean(dy * xhat) * inv)
      const double k = gamma[ch] * inv;
      const float kf = static_cast<float>(k);
      const float mdy = static_cast<float>(sdy / count);
      const float mdyx = static_cast<float>(sdyx * inv * inv / count);
      for (int64_t i = 0; i < n; ++i) {
        const float* xp = x + (i * c + ch) * hw;
        const float* dyp = dy + (i * c + ch) * hw;
        float* dxp = dx + (i * c + ch) * hw;
        for (int64_t j = 0; j < hw; ++j) dxp[j] = kf * (dyp[j] - mdy - (xp[j] - mean) * mdyx);
      }
    }
  });
  return info.Env().Undefined();
}

// channelAffine(n, c, hw, x, scale, shift, act, y)
static Napi::Value ChannelAffine(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 0), c = int_arg(info, 1), hw = int_arg(info, 2);
  need(info, 3, n * c * hw);
  need(info, 4, c);
  need(info, 5, c);
  const std::string act = info[6].ToString().Utf8Value();
  need(info, 7, n * c * hw);
  const int a = act == "relu" ? 1 : act == "relu6" ? 2 : 0;
  const float *x = f32(info, 3), *scale = f32(info, 4), *shift = f32(info, 5);
  float* y = f32(info, 7);
  parallel_for(n * c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hw)), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const int64_t ch = p % c;
      affine_plane(x + p * hw, y + p * hw, hw, scale[ch], shift[ch], a);
    }
  });
  return info.Env().Undefined();
}

IMCLS_EXPORT("batchNormTrainForward", BatchNormTrainForward);
IMCLS_EXPORT("batchNormBackward", BatchNormBackward);
IMCLS_EXPORT("channelAffine", ChannelAffine);

}  // namespace imcls
