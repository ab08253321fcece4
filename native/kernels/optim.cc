// Fused optimizer steps (Paddle's update rules, PADDLE_REFERENCE §3; L2 added to the gradient),
// one pass over memory per parameter. Per-element math is done in double like the reference so
// the two backends agree to float rounding.
#include <cmath>
#include <string>

#include "args.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

static int64_t same_len(const Napi::CallbackInfo& info, std::initializer_list<size_t> args) {
  const int64_t n = static_cast<int64_t>(f32len(info, *args.begin()));
  for (size_t i : args) {
    f32(info, i);
    if (static_cast<int64_t>(f32len(info, i)) != n) throw Napi::RangeError::New(info.Env(), "optimizer: buffer lengths differ");
  }
  return n;
}

constexpr int64_t kGrain = 1 << 15;

// sgdMomentum(p, g, v, lr, momentum, l2, nesterov)
static Napi::Value SgdMomentum(const Napi::CallbackInfo& info) {
  const int64_t n = same_len(info, {0, 1, 2});
  float *p = f32(info, 0), *v = f32(info, 2);
  const float* g = f32(info, 1);
  const double lr = num_arg(info, 3), mu = num_arg(info, 4), l2 = num_arg(info, 5);
  const bool nesterov = bool_arg(info, 6);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const double gi = g[i] + l2 * p[i];
      const double vi = mu * v[i] + gi;
      v[i] = static_cast<float>(vi);
      p[i] = static_cast<float>(p[i] - lr * (nesterov ? gi + mu * vi : vi));
    }
  });
  return info.Env().Undefined();
}

// adam(p, g, m, v, lr, beta1, beta2, eps, step, l2, decoupledWeightDecay)
static Napi::Value Adam(const Napi::CallbackInfo& info) {
  const int64_t n = same_len(info, {0, 1, 2, 3});
  float *p = f32(info, 0), *m = f32(info, 2), *v = f32(info, 3);
  const float* g = f32(info, 1);
  const double lr = num_arg(info, 4), b1 = num_arg(info, 5), b2 = num_arg(info, 6), eps = num_arg(info, 7);
  const double step = num_arg(info, 8), l2 = num_arg(info, 9), wd = num_arg(info, 10);
  const double bc1 = 1.0 - std::pow(b1, step), bc2 = 1.0 - std::pow(b2, step);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const double pi = p[i];
      const double gi = g[i] + l2 * pi;
      const double mi = b1 * m[i] + (1.0 - b1) * gi;
      const double vi = b2 * v[i] + (1.0 - b2) * gi * gi;
      m[i] = static_cast<float>(mi);
      v[i] = static_cast<float>(vi);
      p[i] = static_cast<float>(pi - lr * wd * pi - (lr * (mi / bc1)) / (std::sqrt(vi / bc2) + eps));
    }
  });
  return info.Env().Undefined();
}

// rmsprop(p, g, ms, mom, lr, rho, eps, momentum, l2)
static Napi::Value Rmsprop(const Napi::CallbackInfo& info) {
  const int64_t n = same_len(info, {0, 1, 2, 3});
  float *p = f32(info, 0), *ms = f32(info, 2), *mom = f32(info, 3);
  const float* g = f32(info, 1);
  const double lr = num_arg(info, 4), rho = num_arg(info, 5), eps = num_arg(info, 6), mu = num_arg(info, 7), l2 = num_arg(info, 8);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const double gi = g[i] + l2 * p[i];
      const double msi = rho * ms[i] + (1.0 - rho) * gi * gi;
      ms[i] = static_cast<float>(msi);
      const double mi = mu * mom[i] + lr * gi / std::sqrt(msi + eps);
      mom[i] = static_cast<float>(mi);
      p[i] = static_cast<float>(p[i] - mi);
    }
  });
  return info.Env().Undefined();
}

IMCLS_EXPORT("sgdMomentum", SgdMomentum);
IMCLS_EXPORT("adam", Adam);
IMCLS_EXPORT("rmsprop", Rmsprop);

}  // namespace imcls
