// AVX2 + FMA path: 6x16 micro-kernel (12 ymm accumulators, 2 B vectors, 1 broadcast), the
// BLIS-style shape for Zen/Haswell: two FMA pipes stay busy while loads hide behind them.
// Hot code: -O3 regardless of the build's flags (a binding.gyp slip once built the addon at -O0).
#pragma GCC optimize("O3")
#include <cstdint>
#include <cstring>

#include "gemm/kernel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace {

struct VecAvx2 {
  using reg = __m256;
  static constexpr int width = 8;
  static inline __attribute__((always_inline)) reg zero() { return _mm256_setzero_ps(); }
  static inline __attribute__((always_inline)) reg load(const float* p) { return _mm256_load_ps(p); }
  static inline __attribute__((always_inline)) reg loadu(const float* p) { return _mm256_loadu_ps(p); }
  static inline __attribute__((always_inline)) void storeu(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static inline __attribute__((always_inline)) reg bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static inline __attribute__((always_inline)) reg set1(float x) { return _mm256_set1_ps(x); }
  static inline __attribute__((always_inline)) reg fmadd(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static inline __attribute__((always_inline)) reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
};

}  // namespace

#include "gemm/microkernel.h"

namespace imcls {
namespace gemm_detail {

static void kernel_6x16(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha, float beta,
                        int64_t mr, int64_t nr) {
  micro_kernel<VecAvx2, 6, 2>(kc, ap, bp, c, ldc, alpha, beta, mr, nr);
}

// pack_a<6> for op(A) = A (rows contiguous in k): the generic loop moves one float at a time;
// here 8 k-steps of the 6 rows are loaded as 6 vectors, transposed 8x8 (two zero rows) and
// stored as eight 6-float groups.
static void pack_a_6(int64_t mc, int64_t kc, const float* a, int64_t rs, int64_t cs, float* out) {
  if (cs != 1) {
    pack_a<6>(mc, kc, a, rs, cs, out);
    return;
  }
  const int64_t full = mc / 6;
  const __m256i keep6 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  for (int64_t r = 0; r < full; ++r) {
    const float* s = a + r * 6 * rs;
    float* o = out + r * 6 * kc;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      const __m256 r0 = _mm256_loadu_ps(s + p), r1 = _mm256_loadu_ps(s + rs + p);
      const __m256 r2 = _mm256_loadu_ps(s + 2 * rs + p), r3 = _mm256_loadu_ps(s + 3 * rs + p);
      const __m256 r4 = _mm256_loadu_ps(s + 4 * rs + p), r5 = _mm256_loadu_ps(s + 5 * rs + p);
      const __m256 z = _mm256_setzero_ps();
      const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      const __m256 t6 = _mm256_unpacklo_ps(z, z), t7 = t6;
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
      const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
      const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
      // column q (k-step p + q) = rows 0..3 from u*, rows 4..5 from the matching u(4+*) half.
      const __m256 c0 = _mm256_permute2f128_ps(u0, u4, 0x20), c4 = _mm256_permute2f128_ps(u0, u4, 0x31);
      const __m256 c1 = _mm256_permute2f128_ps(u1, u5, 0x20), c5 = _mm256_permute2f128_ps(u1, u5, 0x31);
      const __m256 c2 = _mm256_permute2f128_ps(u2, u6, 0x20), c6 = _mm256_permute2f128_ps(u2, u6, 0x31);
      const __m256 c3 = _mm256_permute2f128_ps(u3, u7, 0x20), c7 = _mm256_permute2f128_ps(u3, u7, 0x31);
      float* d = o + p * 6;
      // Overlapping stores in increasing order: each writes 8 floats, the next overwrites the 2 extra.
      _mm256_storeu_ps(d + 0, c0);
      _mm256_storeu_ps(d + 6, c1);
      _mm256_storeu_ps(d + 12, c2);
      _mm256_storeu_ps(d + 18, c3);
      _mm256_storeu_ps(d + 24, c4);
      _mm256_storeu_ps(d + 30, c5);
      _mm256_storeu_ps(d + 36, c6);
      _mm256_maskstore_ps(d + 42, keep6, c7);
    }
    for (; p < kc; ++p) {
      for (int i = 0; i < 6; ++i) o[p * 6 + i] = s[i * rs + p];
    }
  }
  if (full * 6 < mc) pack_a<6>(mc - full * 6, kc, a + full * 6 * rs, rs, cs, out + full * 6 * kc);
}

// Blocks for Zen 3 (32 KB L1d, 512 KB L2 per core): the 288 x 16 B panel (18 KB) plus one A
// micro-panel (7 KB) stay in L1, the 144 x 288 A block (162 KB) in L2, a 288 x 4080 B block
// (4.5 MB) in the shared L3. KC 288 measured a few % above 256 at 2048^3 (fewer passes over C)
// and divides the 3x3-convolution depths Cin * 9 for Cin a multiple of 32.
static const KernelSet kAvx2{"avx2", 6, 16, 144, 288, 4080, kernel_6x16, pack_a_6, pack_b<16>};

const KernelSet* avx2_kernels() { return &kAvx2; }

}  // namespace gemm_detail
}  // namespace imcls

#pragma GCC pop_options

#else

namespace imcls {
namespace gemm_detail {
const KernelSet* avx2_kernels() { return nullptr; }
}  // namespace gemm_detail
}  // namespace imcls

#endif
