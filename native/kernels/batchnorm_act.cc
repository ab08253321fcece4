// Training batch norm with a rectifier fused in (none / relu / relu6 / leaky_relu), and its
// backward. Unfused, a conv → BN → ReLU block streams its feature map through memory five times
// forward (two statistics passes, normalise, relu read + write) and eight times backward (relu
// mask, two BN passes), and keeps the BN output alive only so relu backward can read its sign.
// Fused, the forward writes act(bn(x)) straight away, and the backward reads the activation's
// mask from that output: for these activations x > 0 ⇔ act(x) > 0 (and x < 6 ⇔ relu6(x) < 6),
// so nothing but the block's output, which the next layer keeps anyway, is needed.
// Semantics: src/backend/reference/batchnorm_act.ts.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include "args.h"
#include "cpu.h"
#include "kernels/batchnorm_stats.h"
#include "kernels/rectifier.h"
#include "kernels/reduce_simd.h"
#include "registry.h"
#include "threadpool.h"

// No contraction of a*b + c into FMAs in this file: the fused kernels must round exactly as the
// unfused ones (plain multiply, then add), so switching a model to them changes no bit of training.
#pragma GCC optimize("fp-contract=off")

namespace imcls {

namespace {

enum Act { kNone = kRectNone, kRelu = kRectRelu, kRelu6 = kRectRelu6, kLeaky = kRectLeaky };

int act_arg(const Napi::CallbackInfo& info, size_t i) {
  const std::string s = info[i].ToString().Utf8Value();
  if (s == "none") return kNone;
  if (s == "relu") return kRelu;
  if (s == "relu6") return kRelu6;
  if (s == "leaky_relu") return kLeaky;
  throw Napi::TypeError::New(info.Env(), "unknown rectifier '" + s + "' (none, relu, relu6, leaky_relu)");
}

void need(const Napi::CallbackInfo& info, size_t i, int64_t n) {
  if (static_cast<int64_t>(f32len(info, i)) < n) throw Napi::RangeError::New(info.Env(), "fused batch norm: argument " + std::to_string(i) + " is too small");
}

bool use_avx2() {
  static const bool on = selected_isa() != Isa::baseline;
  return on;
}

// Calls f with the activation as a compile-time constant, so every SIMD loop is specialised.
template <typename F>
void dispatch(int act, F f) {
  switch (act) {
    case kRelu: return f(std::integral_constant<int, kRelu>());
    case kRelu6: return f(std::integral_constant<int, kRelu6>());
    case kLeaky: return f(std::integral_constant<int, kLeaky>());
    default: return f(std::integral_constant<int, kNone>());
  }
}

inline float act_scalar(float v, int act, float alpha) {
  switch (act) {
    case kRelu: return v > 0.f ? v : 0.f;
    case kRelu6: return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
    case kLeaky: return v > 0.f ? v : alpha * v;
    default: return v;
  }
}

// dy through the activation, its derivative read from the output y.
inline float grad_scalar(float dy, float y, int act, float alpha) {
  switch (act) {
    case kRelu: return y > 0.f ? dy : 0.f;
    case kRelu6: return y > 0.f && y < 6.f ? dy : 0.f;
    case kLeaky: return y > 0.f ? dy : dy * alpha;
    default: return dy;
  }
}

template <int act>
__attribute__((target("avx2,fma"), always_inline)) inline __m256 act_avx2(__m256 v, __m256 alpha) {
  const __m256 zero = _mm256_setzero_ps();
  switch (act) {
    case kRelu: return _mm256_max_ps(v, zero);
    case kRelu6: return _mm256_min_ps(_mm256_max_ps(v, zero), _mm256_set1_ps(6.f));
    case kLeaky: return _mm256_blendv_ps(_mm256_mul_ps(v, alpha), v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    default: return v;
  }
}

template <int act>
__attribute__((target("avx2,fma"), always_inline)) inline __m256 grad_avx2(__m256 dy, __m256 y, __m256 alpha) {
  const __m256 zero = _mm256_setzero_ps();
  switch (act) {
    case kRelu: return _mm256_and_ps(dy, _mm256_cmp_ps(y, zero, _CMP_GT_OQ));
    case kRelu6:
      return _mm256_and_ps(dy, _mm256_and_ps(_mm256_cmp_ps(y, zero, _CMP_GT_OQ), _mm256_cmp_ps(y, _mm256_set1_ps(6.f), _CMP_LT_OQ)));
    case kLeaky: return _mm256_blendv_ps(_mm256_mul_ps(dy, alpha), dy, _mm256_cmp_ps(y, zero, _CMP_GT_OQ));
    default: return dy;
  }
}

template <int act>
__attribute__((target("avx2,fma"))) void affine_act_avx2(const float* x, float* y, int64_t n, float s, float t, float alpha) {
  // multiply then add (no FMA): the same rounding as batchnorm.cc's plain loop
  const __m256 sv = _mm256_set1_ps(s), tv = _mm256_set1_ps(t), av = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, act_avx2<act>(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), sv), tv), av));
  for (; i < n; ++i) y[i] = act_scalar(x[i] * s + t, act, alpha);
}

void affine_act(const float* x, float* y, int64_t n, float s, float t, int act, float alpha) {
  if (use_avx2()) return dispatch(act, [&](auto a) { affine_act_avx2<decltype(a)::value>(x, y, n, s, t, alpha); });
  for (int64_t i = 0; i < n; ++i) y[i] = act_scalar(x[i] * s + t, act, alpha);
}

// Sums of g and g * (x - m) with g = dy through the activation: float lanes per block of 4096,
// folded into double (as reduce_simd.cc).
constexpr int64_t kBlock = 4096;

__attribute__((target("avx2,fma"))) inline double hsum(__m256 v) {
  __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  alignas(32) double t[4];
  _mm256_store_pd(t, s);
  return (t[0] + t[1]) + (t[2] + t[3]);
}

template <int act>
__attribute__((target("avx2,fma"))) void grad_sums_avx2(const float* dy, const float* y, const float* x, int64_t n, float m, float alpha, double& sg, double& sgx) {
  const __m256 mv = _mm256_set1_ps(m), av = _mm256_set1_ps(alpha);
  double s0 = 0.0, s1 = 0.0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(b + kBlock, n);
    __m256 a = _mm256_setzero_ps(), c = _mm256_setzero_ps();
    int64_t i = b;
    for (; i + 8 <= e; i += 8) {
      const __m256 g = grad_avx2<act>(_mm256_loadu_ps(dy + i), act == kNone ? _mm256_setzero_ps() : _mm256_loadu_ps(y + i), av);
      a = _mm256_add_ps(a, g);
      c = _mm256_fmadd_ps(g, _mm256_sub_ps(_mm256_loadu_ps(x + i), mv), c);
    }
    double t0 = hsum(a), t1 = hsum(c);
    for (; i < e; ++i) {
      const double g = grad_scalar(dy[i], y[i], act, alpha);
      t0 += g;
      t1 += g * (static_cast<double>(x[i]) - m);
    }
    s0 += t0;
    s1 += t1;
  }
  sg = s0;
  sgx = s1;
}

void grad_sums(const float* dy, const float* y, const float* x, int64_t n, float m, int act, float alpha, double& sg, double& sgx) {
  if (use_avx2()) return dispatch(act, [&](auto a) { grad_sums_avx2<decltype(a)::value>(dy, y, x, n, m, alpha, sg, sgx); });
  double a = 0.0, b = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double g = grad_scalar(dy[i], y[i], act, alpha);
    a += g;
    b += g * (static_cast<double>(x[i]) - m);
  }
  sg = a;
  sgx = b;
}

// dx = k * (g - mg - (x - mean) * mgx)
template <int act>
__attribute__((target("avx2,fma"))) void input_grad_avx2(const float* dy, const float* y, const float* x, float* dx, int64_t n, float mean, float k, float mg, float mgx, float alpha) {
  const __m256 kv = _mm256_set1_ps(k), mgv = _mm256_set1_ps(mg), mgxv = _mm256_set1_ps(mgx), mv = _mm256_set1_ps(mean), av = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = grad_avx2<act>(_mm256_loadu_ps(dy + i), act == kNone ? _mm256_setzero_ps() : _mm256_loadu_ps(y + i), av);
    const __m256 xc = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv), mgxv);
    _mm256_storeu_ps(dx + i, _mm256_mul_ps(kv, _mm256_sub_ps(_mm256_sub_ps(g, mgv), xc)));
  }
  for (; i < n; ++i) dx[i] = k * (grad_scalar(dy[i], y[i], act, alpha) - mg - (x[i] - mean) * mgx);
}

void input_grad(const float* dy, const float* y, const float* x, float* dx, int64_t n, float mean, float k, float mg, float mgx, int act, float alpha) {
  if (use_avx2()) return dispatch(act, [&](auto a) { input_grad_avx2<decltype(a)::value>(dy, y, x, dx, n, mean, k, mg, mgx, alpha); });
  for (int64_t i = 0; i < n; ++i) dx[i] = k * (grad_scalar(dy[i], y[i], act, alpha) - mg - (x[i] - mean) * mgx);
}

template <int act>
__attribute__((target("avx2,fma"))) void add_act_avx2(const float* a, const float* b, float* out, int64_t n, float alpha) {
  const __m256 av = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, act_avx2<act>(_mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)), av));
  for (; i < n; ++i) out[i] = act_scalar(a[i] + b[i], act, alpha);
}

template <int act>
__attribute__((target("avx2,fma"))) void rectifier_grad_avx2(const float* at, const float* dy, float* dx, int64_t n, float alpha) {
  const __m256 av = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dx + i, grad_avx2<act>(_mm256_loadu_ps(dy + i), _mm256_loadu_ps(at + i), av));
  for (; i < n; ++i) dx[i] = grad_scalar(dy[i], at[i], act, alpha);
}

}  // namespace

void rectifier_grad(int act, const float* at, const float* dy, float* dx, int64_t n, float alpha) {
  if (use_avx2()) return dispatch(act, [&](auto a) { rectifier_grad_avx2<decltype(a)::value>(at, dy, dx, n, alpha); });
  for (int64_t i = 0; i < n; ++i) dx[i] = grad_scalar(dy[i], at[i], act, alpha);
}

// batchNormActTrainForward(n, c, hw, x, gamma, beta, eps, act, alpha, y, saveMean, saveInvStd, batchVar)
static Napi::Value BatchNormActTrainForward(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 0), c = int_arg(info, 1), hw = int_arg(info, 2);
  need(info, 3, n * c * hw);
  need(info, 4, c);
  need(info, 5, c);
  const double eps = num_arg(info, 6);
  const int act = act_arg(info, 7);
  const float alpha = static_cast<float>(num_arg(info, 8));
  need(info, 9, n * c * hw);
  need(info, 10, c);
  need(info, 11, c);
  need(info, 12, c);
  const float *x = f32(info, 3), *gamma = f32(info, 4), *beta = f32(info, 5);
  float *y = f32(info, 9), *smean = f32(info, 10), *sinv = f32(info, 11), *bvar = f32(info, 12);
  parallel_for(c, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      const FoldedAffine aff = channel_batch_stats(x, n, c, hw, ch, eps, gamma[ch], beta[ch], smean, sinv, bvar);
      const float sc = aff.scale, sh = aff.shift;
      // One dispatch per channel, not per plane: small maps (7×7) have thousands of planes.
      if (use_avx2()) {
        dispatch(act, [&](auto a) {
          for (int64_t i = 0; i < n; ++i) affine_act_avx2<decltype(a)::value>(x + (i * c + ch) * hw, y + (i * c + ch) * hw, hw, sc, sh, alpha);
        });
      } else {
        for (int64_t i = 0; i < n; ++i) affine_act(x + (i * c + ch) * hw, y + (i * c + ch) * hw, hw, sc, sh, act, alpha);
      }
    }
  });
  return info.Env().Undefined();
}

// batchNormActBackward(n, c, hw, x, y, dy, gamma, saveMean, saveInvStd, act, alpha, dx, dgamma, dbeta)
static Napi::Value BatchNormActBackward(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 0), c = int_arg(info, 1), hw = int_arg(info, 2);
  const int64_t total = n * c * hw;
  need(info, 3, total);
  need(info, 4, total);
  need(info, 5, total);
  need(info, 6, c);
  need(info, 7, c);
  need(info, 8, c);
  const int act = act_arg(info, 9);
  const float alpha = static_cast<float>(num_arg(info, 10));
  need(info, 11, total);
  need(info, 12, c);
  need(info, 13, c);
  const float *x = f32(info, 3), *y = f32(info, 4), *dy = f32(info, 5), *gamma = f32(info, 6), *smean = f32(info, 7), *sinv = f32(info, 8);
  float *dx = f32(info, 11), *dgamma = f32(info, 12), *dbeta = f32(info, 13);
  const double count = static_cast<double>(n * hw);
  parallel_for(c, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      const float mean = smean[ch];
      const double inv = sinv[ch];
      double sg = 0.0, sgx = 0.0;
      const auto sums = [&](auto sum_plane) {
        for (int64_t i = 0; i < n; ++i) {
          double a, bb;
          const int64_t o = (i * c + ch) * hw;
          sum_plane(dy + o, y + o, x + o, a, bb);
          sg += a;
          sgx += bb;
        }
      };
      if (use_avx2()) {
        dispatch(act, [&](auto a) {
          sums([&](const float* d, const float* yy, const float* xx, double& s0, double& s1) { grad_sums_avx2<decltype(a)::value>(d, yy, xx, hw, mean, alpha, s0, s1); });
        });
      } else {
        sums([&](const float* d, const float* yy, const float* xx, double& s0, double& s1) { grad_sums(d, yy, xx, hw, mean, act, alpha, s0, s1); });
      }
      dbeta[ch] = static_cast<float>(sg);
      dgamma[ch] = static_cast<float>(sgx * inv);
      if (count <= 0) continue;
      const float k = static_cast<float>(gamma[ch] * inv);
      const float mg = static_cast<float>(sg / count);
      const float mgx = static_cast<float>(sgx * inv * inv / count);
      if (use_avx2()) {
        dispatch(act, [&](auto a) {
          for (int64_t i = 0; i < n; ++i) {
            const int64_t o = (i * c + ch) * hw;
            input_grad_avx2<decltype(a)::value>(dy + o, y + o, x + o, dx + o, hw, mean, k, mg, mgx, alpha);
          }
        });
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t o = (i * c + ch) * hw;
          input_grad(dy + o, y + o, x + o, dx + o, hw, mean, k, mg, mgx, act, alpha);
        }
      }
    }
  });
  return info.Env().Undefined();
}

// addAct(a, b, act, alpha, out): out = act(a + b), equal lengths (a residual join).
static Napi::Value AddAct(const Napi::CallbackInfo& info) {
  const int64_t n = static_cast<int64_t>(f32len(info, 4));
  if (static_cast<int64_t>(f32len(info, 0)) != n || static_cast<int64_t>(f32len(info, 1)) != n) {
    throw Napi::RangeError::New(info.Env(), "addAct: a, b and out must have equal lengths");
  }
  const int act = act_arg(info, 2);
  const float alpha = static_cast<float>(num_arg(info, 3));
  const float *a = f32(info, 0), *b = f32(info, 1);
  float* out = f32(info, 4);
  const bool avx2 = use_avx2();
  parallel_for(n, 1 << 15, [&](int64_t s, int64_t e) {
    if (avx2) return dispatch(act, [&](auto k) { add_act_avx2<decltype(k)::value>(a + s, b + s, out + s, e - s, alpha); });
    for (int64_t i = s; i < e; ++i) out[i] = act_scalar(a[i] + b[i], act, alpha);
  });
  return info.Env().Undefined();
}

IMCLS_EXPORT("batchNormActTrainForward", BatchNormActTrainForward);
IMCLS_EXPORT("batchNormActBackward", BatchNormActBackward);
IMCLS_EXPORT("addAct", AddAct);

}  // namespace imcls
