// AVX-512F path: 12x32 micro-kernel (24 zmm accumulators, 2 B vectors, 1 broadcast). Only chosen
// when cpu.cc reports avx512 (CPUID + OS-enabled ZMM state); compiled everywhere on x86.
// Hot code: -O3 regardless of the build's flags (a binding.gyp slip once built the addon at -O0).
#pragma GCC optimize("O3")
#include <cstdint>
#include <cstring>

#include <algorithm>
#include <type_traits>
#include <utility>

#include "gemm/kernel.h"
#include "nhwc/nhwc.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
// GCC 12's _mm512_max_ps/_mm512_min_ps pass _mm512_undefined_ps() as the unused merge source,
// which -Wmaybe-uninitialized reports as a use of an uninitialised value.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {

struct VecAvx512 {
  using reg = __m512;
  static constexpr int width = 16;
  static inline __attribute__((always_inline)) reg zero() { return _mm512_setzero_ps(); }
  static inline __attribute__((always_inline)) reg load(const float* p) { return _mm512_load_ps(p); }
  static inline __attribute__((always_inline)) reg loadu(const float* p) { return _mm512_loadu_ps(p); }
  static inline __attribute__((always_inline)) void storeu(float* p, reg v) { _mm512_storeu_ps(p, v); }
  // The first n lanes (0 < n < width): the rest read as zero, and are not written.
  static inline __attribute__((always_inline)) reg loadn(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p);
  }
  static inline __attribute__((always_inline)) void storen(float* p, reg v, int n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
  }
  static inline __attribute__((always_inline)) reg bcast(const float* p) { return _mm512_set1_ps(*p); }
  static inline __attribute__((always_inline)) reg set1(float x) { return _mm512_set1_ps(x); }
  static inline __attribute__((always_inline)) reg fmadd(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static inline __attribute__((always_inline)) reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static inline __attribute__((always_inline)) reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static inline __attribute__((always_inline)) reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  static inline __attribute__((always_inline)) reg max(reg a, reg b) { return _mm512_max_ps(a, b); }
  static inline __attribute__((always_inline)) reg min(reg a, reg b) { return _mm512_min_ps(a, b); }
};

}  // namespace

#include "gemm/microkernel.h"
#include "nhwc/nhwc_tile.h"
#include "nhwc/winograd_transforms.h"

namespace imcls {
namespace gemm_detail {

static void kernel_12x32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha,
                         float beta, int64_t mr, int64_t nr) {
  micro_kernel<VecAvx512, 12, 2>(kc, ap, bp, c, ldc, alpha, beta, mr, nr);
}

static void kernel_12x32_epi(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float beta,
                             const TileEpilogue& e) {
  micro_kernel<VecAvx512, 12, 2, true>(kc, ap, bp, c, ldc, 1.f, beta, 12, 32, &e);
}

// Skylake-SP/Ice Lake class caches (32-48 KB L1d, 1-2 MB L2): 256 x 32 B panel = 32 KB, A block
// 240 x 256 = 240 KB.
static const KernelSet kAvx512{"avx512", 12, 32, 240, 256, 4064, kernel_12x32, pack_a<12>, pack_b<32>,
                                 kernel_12x32_epi};

const KernelSet* avx512_kernels() { return &kAvx512; }

}  // namespace gemm_detail

namespace nhwc_detail {

// 6 pixels x 4 vectors (64 channels): 24 accumulators and 4 weight vectors of the 32 zmm
// registers, the pixel values broadcast from memory.
static KernelSet make_avx512() {
  KernelSet k{"avx512", 16, 6, 4, {}, &nhwc_depthwise_row<VecAvx512>, {}, {}};
  fill_tile_table<VecAvx512, 4>(k, std::make_integer_sequence<int, 6 * 4>{});
  fill_winograd_table<VecAvx512>(k);
  return k;
}
static const KernelSet kNhwcAvx512 = make_avx512();

const KernelSet* avx512_kernels() { return &kNhwcAvx512; }

}  // namespace nhwc_detail
}  // namespace imcls

#pragma GCC pop_options

#else

namespace imcls {
namespace gemm_detail {
const KernelSet* avx512_kernels() { return nullptr; }
}  // namespace gemm_detail
namespace nhwc_detail {
const KernelSet* avx512_kernels() { return nullptr; }
}  // namespace nhwc_detail
}  // namespace imcls

#endif
