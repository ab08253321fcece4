#include "kernels/reduce_simd.h"

#include <immintrin.h>

#include "cpu.h"

namespace imcls {

namespace {

__attribute__((target("avx2,fma"))) inline double hsum(__m256 v) {
  __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
  __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
  __m256d s = _mm256_add_pd(lo, hi);
  alignas(32) double t[4];
  _mm256_store_pd(t, s);
  return (t[0] + t[1]) + (t[2] + t[3]);
}

// Blocks of 4096 floats are summed in float lanes, then folded into double.
constexpr int64_t kBlock = 4096;

__attribute__((target("avx2,fma"))) double sum_avx2(const float* x, int64_t n) {
  double total = 0.0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = b + kBlock < n ? b + kBlock : n;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = b;
    for (; i + 16 <= e; i += 16) {
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
    }
    double t = hsum(_mm256_add_ps(a0, a1));
    for (; i < e; ++i) t += x[i];
    total += t;
  }
  return total;
}

__attribute__((target("avx2,fma"))) double sq_dev_avx2(const float* x, int64_t n, float m) {
  double total = 0.0;
  const __m256 mv = _mm256_set1_ps(m);
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = b + kBlock < n ? b + kBlock : n;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = b;
    for (; i + 16 <= e; i += 16) {
      __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), mv);
      __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), mv);
      a0 = _mm256_fmadd_ps(d0, d0, a0);
      a1 = _mm256_fmadd_ps(d1, d1, a1);
    }
    double t = hsum(_mm256_add_ps(a0, a1));
    for (; i < e; ++i) {
      const double d = static_cast<double>(x[i]) - m;
      t += d * d;
    }
    total += t;
  }
  return total;
}

__attribute__((target("avx2,fma"))) void dy_dyx_avx2(const float* dy, const float* x, int64_t n, float m, double& sdy, double& sdyx) {
  const __m256 mv = _mm256_set1_ps(m);
  double s0 = 0.0, s1 = 0.0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = b + kBlock < n ? b + kBlock : n;
    __m256 a = _mm256_setzero_ps(), c = _mm256_setzero_ps();
    int64_t i = b;
    for (; i + 8 <= e; i += 8) {
      const __m256 d = _mm256_loadu_ps(dy + i);
      a = _mm256_add_ps(a, d);
      c = _mm256_fmadd_ps(d, _mm256_sub_ps(_mm256_loadu_ps(x + i), mv), c);
    }
    double t0 = hsum(a), t1 = hsum(c);
    for (; i < e; ++i) {
      t0 += dy[i];
      t1 += static_cast<double>(dy[i]) * (static_cast<double>(x[i]) - m);
    }
    s0 += t0;
    s1 += t1;
  }
  sdy = s0;
  sdyx = s1;
}

bool avx2() {
  static const bool on = selected_isa() != Isa::baseline;
  return on;
}

}  // namespace

double plane_sum(const float* x, int64_t n) {
  if (avx2()) return sum_avx2(x, n);
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  return s;
}

double plane_sq_dev(const float* x, int64_t n, float m) {
  if (avx2()) return sq_dev_avx2(x, n, m);
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - m;
    s += d * d;
  }
  return s;
}

void plane_dy_dyx(const float* dy, const float* x, int64_t n, float m, double& sdy, double& sdyx) {
  if (avx2()) return dy_dyx_avx2(dy, x, n, m, sdy, sdyx);
  double a = 0.0, b = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    a += dy[i];
    b += static_cast<double>(dy[i]) * (static_cast<double>(x[i]) - m);
  }
  sdy = a;
  sdyx = b;
}

}  // namespace imcls
