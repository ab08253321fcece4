// AVX2 + FMA path: 6x16 micro-kernel (12 ymm accumulators, 2 B vectors, 1 broadcast), the
// BLIS-style shape for Zen/Haswell: two FMA pipes stay busy while loads hide behind them.
// binding.gyp strips every -O flag (its cflags! lists remove -O3 too), so the addon builds at -O0;
// this file is hot code and asks for -O3 itself (harmless once the build flags are fixed).
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

// Blocks for Zen 3 (32 KB L1d, 512 KB L2 per core): the 256 x 16 B panel (16 KB) stays in L1,
// the 144 x 256 A block (144 KB) in L2, a 256 x 4080 B block (4 MB) in the shared L3.
static const KernelSet kAvx2{"avx2", 6, 16, 144, 256, 4080, kernel_6x16, pack_a<6>, pack_b<16>};

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
