// AVX-512F path: 12x32 micro-kernel (24 zmm accumulators, 2 B vectors, 1 broadcast). Only chosen
// when cpu.cc reports avx512 (CPUID + OS-enabled ZMM state); compiled everywhere on x86.
// Hot code: -O3 regardless of the build's flags (a binding.gyp slip once built the addon at -O0).
#pragma GCC optimize("O3")
#include <cstddef>
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

namespace {

// The 6 x 4-vector NHWC tile's depth loop in assembler: GCC 12 keeps only 2 of the 4 weight
// vectors in registers beside the 24 accumulators and round-trips the others through the stack
// every step (a store-to-load forwarding chain that halved the tile's throughput). Here the
// weights live in zmm0-3, the broadcasts in zmm4-7, the accumulators in zmm8-31, loaded from
// and stored back to acc around the loop (or, for a tile's first run, cleared in registers).
// A finished whole panel's epilogue runs on the registers too (fin): storing the 24
// accumulators to acc and loading them back cost small-depth layers (MobileNetV2's 16-64
// input channels) a tenth of their time.
static_assert(offsetof(NhwcFinish, y) == 0 && offsetof(NhwcFinish, ldc_bytes) == 8 && offsetof(NhwcFinish, bias) == 16 &&
                  offsetof(NhwcFinish, residual) == 24 && offsetof(NhwcFinish, lo) == 32 && offsetof(NhwcFinish, hi) == 36,
              "the assembler epilogue reads NhwcFinish at these offsets");
template <>
struct NhwcTileSteps<VecAvx512, 6, 4> {
  static constexpr bool kStartsFromZero = true;
  static constexpr bool kFinishes = true;
  static inline __attribute__((always_inline)) void run(const float* const* a, const float*& b, int64_t len,
                                                        __m512 (&acc)[6][4], bool zero, const NhwcFinish* fin = nullptr) {
    if (len <= 0) {
      if (zero)
        for (auto& row : acc)
          for (auto& v : row) v = _mm512_setzero_ps();
      return;
    }
    int64_t p = 0;
    const int64_t from_zero = zero ? 1 : 0;
    // read-write: after the loop the epilogue reuses them for y, ldc, bias and the residual
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
// accumulator (i / 4, i % 4) lives in zmm(8 + i)
#define IMCLS_ACC_REGS(M)                                                                        \
  M(8, 0) M(9, 1) M(10, 2) M(11, 3) M(12, 4) M(13, 5) M(14, 6) M(15, 7) M(16, 8) M(17, 9) M(18, 10) \
  M(19, 11) M(20, 12) M(21, 13) M(22, 14) M(23, 15) M(24, 16) M(25, 17) M(26, 18) M(27, 19)        \
  M(28, 20) M(29, 21) M(30, 22) M(31, 23)
#define IMCLS_ZERO(r, i) "vpxord %%zmm" #r ", %%zmm" #r ", %%zmm" #r "\n\t"
#define IMCLS_LD(r, i) "vmovups " #i "*64(%[acc]), %%zmm" #r "\n\t"
#define IMCLS_ST(r, i) "vmovups %%zmm" #r ", " #i "*64(%[acc])\n\t"
#define IMCLS_ROW(ai, bc, r0, r1, r2, r3)                       \
  "vbroadcastss (%[" #ai "],%[p],4), %%zmm" #bc "\n\t"         \
  "vfmadd231ps %%zmm0, %%zmm" #bc ", %%zmm" #r0 "\n\t"          \
  "vfmadd231ps %%zmm1, %%zmm" #bc ", %%zmm" #r1 "\n\t"          \
  "vfmadd231ps %%zmm2, %%zmm" #bc ", %%zmm" #r2 "\n\t"          \
  "vfmadd231ps %%zmm3, %%zmm" #bc ", %%zmm" #r3 "\n\t"
// epilogue of one accumulator: + bias (zmm0-3), [+ residual], max(lo = zmm4, .), min(hi = zmm5, .)
// (the accumulator as the second source: a NaN passes through, as in nhwc_tile_finish), store
#define IMCLS_FIN(r, j, RES)                                          \
  "vaddps %%zmm" #j ", %%zmm" #r ", %%zmm" #r "\n\t"                  \
  RES(r, j)                                                          \
  "vmaxps %%zmm" #r ", %%zmm4, %%zmm" #r "\n\t"                        \
  "vminps %%zmm" #r ", %%zmm5, %%zmm" #r "\n\t"                        \
  "vmovups %%zmm" #r ", " #j "*64(%[a0])\n\t"
#define IMCLS_RES(r, j) "vaddps " #j "*64(%[a3]), %%zmm" #r ", %%zmm" #r "\n\t"
#define IMCLS_NORES(r, j)
#define IMCLS_FIN_ROW(r0, r1, r2, r3, RES) \
  IMCLS_FIN(r0, 0, RES) IMCLS_FIN(r1, 1, RES) IMCLS_FIN(r2, 2, RES) IMCLS_FIN(r3, 3, RES) \
  "add %[a1], %[a0]\n\t"
#define IMCLS_FIN_ROWS(RES, NEXT)                                                          \
  IMCLS_FIN_ROW(8, 9, 10, 11, RES) NEXT IMCLS_FIN_ROW(12, 13, 14, 15, RES) NEXT             \
  IMCLS_FIN_ROW(16, 17, 18, 19, RES) NEXT IMCLS_FIN_ROW(20, 21, 22, 23, RES) NEXT           \
  IMCLS_FIN_ROW(24, 25, 26, 27, RES) NEXT IMCLS_FIN_ROW(28, 29, 30, 31, RES)
#define IMCLS_RES_NEXT "add %[a1], %[a3]\n\t"
    asm volatile(
        "test %[zero], %[zero]\n\t"
        "jz 2f\n\t"
        IMCLS_ACC_REGS(IMCLS_ZERO)
        "jmp 1f\n\t"
        "2:\n\t"
        IMCLS_ACC_REGS(IMCLS_LD)
        "1:\n\t"
        "vmovups 0(%[b]), %%zmm0\n\t"
        "vmovups 64(%[b]), %%zmm1\n\t"
        "vmovups 128(%[b]), %%zmm2\n\t"
        "vmovups 192(%[b]), %%zmm3\n\t"
        IMCLS_ROW(a0, 4, 8, 9, 10, 11)
        IMCLS_ROW(a1, 5, 12, 13, 14, 15)
        IMCLS_ROW(a2, 6, 16, 17, 18, 19)
        IMCLS_ROW(a3, 7, 20, 21, 22, 23)
        IMCLS_ROW(a4, 4, 24, 25, 26, 27)
        IMCLS_ROW(a5, 5, 28, 29, 30, 31)
        "add $256, %[b]\n\t"
        "inc %[p]\n\t"
        "cmp %[len], %[p]\n\t"
        "jl 1b\n\t"
        "test %[fin], %[fin]\n\t"
        "jnz 3f\n\t"
        IMCLS_ACC_REGS(IMCLS_ST)
        "jmp 5f\n\t"
        "3:\n\t"  // NhwcFinish: y, ldc_bytes, bias, residual, lo, hi
        "mov 0(%[fin]), %[a0]\n\t"
        "mov 8(%[fin]), %[a1]\n\t"
        "mov 16(%[fin]), %[a2]\n\t"
        "mov 24(%[fin]), %[a3]\n\t"
        "vbroadcastss 32(%[fin]), %%zmm4\n\t"
        "vbroadcastss 36(%[fin]), %%zmm5\n\t"
        "vmovups 0(%[a2]), %%zmm0\n\t"
        "vmovups 64(%[a2]), %%zmm1\n\t"
        "vmovups 128(%[a2]), %%zmm2\n\t"
        "vmovups 192(%[a2]), %%zmm3\n\t"
        "test %[a3], %[a3]\n\t"
        "jz 4f\n\t"
        IMCLS_FIN_ROWS(IMCLS_RES, IMCLS_RES_NEXT)
        "jmp 5f\n\t"
        "4:\n\t"
        IMCLS_FIN_ROWS(IMCLS_NORES, "")
        "5:\n\t"
        : [b] "+r"(b), [p] "+r"(p), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3)
        : [acc] "r"(&acc[0][0]), [a4] "r"(a4), [a5] "r"(a5), [len] "r"(len), [zero] "r"(from_zero), [fin] "r"(fin)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",
          "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
#undef IMCLS_RES_NEXT
#undef IMCLS_FIN_ROWS
#undef IMCLS_FIN_ROW
#undef IMCLS_NORES
#undef IMCLS_RES
#undef IMCLS_FIN
#undef IMCLS_ROW
#undef IMCLS_LD
#undef IMCLS_ST
#undef IMCLS_ZERO
#undef IMCLS_ACC_REGS
  }
};

}  // namespace

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
  KernelSet k{"avx512", 16, 6, 4, {}, &nhwc_depthwise_rows<VecAvx512>, {}, {}};
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
