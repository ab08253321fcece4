// AVX2 + FMA path: 6x16 micro-kernel (12 ymm accumulators, 2 B vectors, 1 broadcast), the
// BLIS-style shape for Zen/Haswell: two FMA pipes stay busy while loads hide behind them.
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
#pragma GCC target("avx2,fma")

namespace {

struct VecAvx2 {
  using reg = __m256;
  static constexpr int width = 8;
  static inline __attribute__((always_inline)) reg zero() { return _mm256_setzero_ps(); }
  static inline __attribute__((always_inline)) reg load(const float* p) { return _mm256_load_ps(p); }
  static inline __attribute__((always_inline)) reg loadu(const float* p) { return _mm256_loadu_ps(p); }
  static inline __attribute__((always_inline)) void storeu(float* p, reg v) { _mm256_storeu_ps(p, v); }
  // The first n lanes (0 < n < width): the rest read as zero, and are not written.
  static inline __attribute__((always_inline)) __m256i first(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static inline __attribute__((always_inline)) reg loadn(const float* p, int n) { return _mm256_maskload_ps(p, first(n)); }
  static inline __attribute__((always_inline)) void storen(float* p, reg v, int n) { _mm256_maskstore_ps(p, first(n), v); }
  static inline __attribute__((always_inline)) reg bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static inline __attribute__((always_inline)) reg set1(float x) { return _mm256_set1_ps(x); }
  static inline __attribute__((always_inline)) reg fmadd(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static inline __attribute__((always_inline)) reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static inline __attribute__((always_inline)) reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static inline __attribute__((always_inline)) reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  static inline __attribute__((always_inline)) reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static inline __attribute__((always_inline)) reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
};

}  // namespace

#include "gemm/microkernel.h"
#include "nhwc/nhwc_tile.h"
#include "nhwc/winograd_transforms.h"

namespace imcls {
namespace gemm_detail {

// One k-step of the 6x16 tile in assembler text: B row in ymm0/ymm1, the six A values
// broadcast in pairs (ymm2/ymm3) so each broadcast feeds two FMAs, accumulator (i, j) in
// ymm(4 + 2i + j). `o` is the step's index in the unrolled body (A 24 bytes, B 64 bytes a step).
#define IMCLS_K6X16_STEP(o)                         \
  "vmovaps " #o "*64(%[a_b]), %%ymm0\n\t"           \
  "vmovaps " #o "*64+32(%[a_b]), %%ymm1\n\t"        \
  "vbroadcastss " #o "*24(%[a_a]), %%ymm2\n\t"      \
  "vbroadcastss " #o "*24+4(%[a_a]), %%ymm3\n\t"    \
  "vfmadd231ps %%ymm0, %%ymm2, %%ymm4\n\t"          \
  "vfmadd231ps %%ymm1, %%ymm2, %%ymm5\n\t"          \
  "vfmadd231ps %%ymm0, %%ymm3, %%ymm6\n\t"          \
  "vfmadd231ps %%ymm1, %%ymm3, %%ymm7\n\t"          \
  "vbroadcastss " #o "*24+8(%[a_a]), %%ymm2\n\t"    \
  "vbroadcastss " #o "*24+12(%[a_a]), %%ymm3\n\t"   \
  "vfmadd231ps %%ymm0, %%ymm2, %%ymm8\n\t"          \
  "vfmadd231ps %%ymm1, %%ymm2, %%ymm9\n\t"          \
  "vfmadd231ps %%ymm0, %%ymm3, %%ymm10\n\t"         \
  "vfmadd231ps %%ymm1, %%ymm3, %%ymm11\n\t"         \
  "vbroadcastss " #o "*24+16(%[a_a]), %%ymm2\n\t"   \
  "vbroadcastss " #o "*24+20(%[a_a]), %%ymm3\n\t"   \
  "vfmadd231ps %%ymm0, %%ymm2, %%ymm12\n\t"         \
  "vfmadd231ps %%ymm1, %%ymm2, %%ymm13\n\t"         \
  "vfmadd231ps %%ymm0, %%ymm3, %%ymm14\n\t"         \
  "vfmadd231ps %%ymm1, %%ymm3, %%ymm15\n\t"

// Four k-steps, one pointer bump each; A is prefetched 16 steps ahead (it streams from L2, and
// running off the panel's end fetches the next micro-panel, contiguous in the packed buffer).
#define IMCLS_K6X16_BODY4                                                                   \
  "prefetcht0 384(%[a_a])\n\t" IMCLS_K6X16_STEP(0) IMCLS_K6X16_STEP(1) IMCLS_K6X16_STEP(2) \
      IMCLS_K6X16_STEP(3) "add $96, %[a_a]\n\t"                                             \
                          "add $256, %[a_b]\n\t"

// Row r's two C vectors: scale the accumulators by alpha (ymm0), add beta (ymm1) * C unless
// beta == 0 (then C is never read), store.
#define IMCLS_K6X16_STORE_ROW(base, off, r0, r1)                 \
  "vmulps %%ymm0, %%ymm" #r0 ", %%ymm" #r0 "\n\t"                \
  "vmulps %%ymm0, %%ymm" #r1 ", %%ymm" #r1 "\n\t"                \
  "testl %[a_beta0], %[a_beta0]\n\t"                             \
  "jnz 7f\n\t"                                                   \
  "vfmadd231ps " off "(" base "), %%ymm1, %%ymm" #r0 "\n\t"      \
  "vfmadd231ps " off "+32(" base "), %%ymm1, %%ymm" #r1 "\n\t"   \
  "7:\n\t"                                                       \
  "vmovups %%ymm" #r0 ", " off "(" base ")\n\t"                  \
  "vmovups %%ymm" #r1 ", " off "+32(" base ")\n\t"

// The full 6x16 tile in one assembler block. GCC's schedule of the template kernel renames
// accumulators with vmovaps copies and spills one to the stack inside the k loop; here the 12
// accumulators, 2 B vectors and 2 broadcasts own all 16 ymm registers. The C tile is prefetched
// as in micro_kernel: towards L2 at the start, into L1 32 k-steps before the store. Edge tiles
// (and kc < 4) keep the template kernel.
static void kernel_6x16(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha, float beta,
                        int64_t mr, int64_t nr) {
  if (mr != 6 || nr != 16 || kc < 4) {
    micro_kernel<VecAvx2, 6, 2>(kc, ap, bp, c, ldc, alpha, beta, mr, nr);
    return;
  }
  const int64_t k4 = kc >> 2;
  int64_t late = k4 > 8 ? 8 : k4;    // unrolled iterations after the C prefetch into L1
  int64_t early = k4 - late, tail = kc & 3;
  const int64_t ldc_bytes = ldc * 4;
  float* c3 = c + 3 * ldc;
  const int beta0 = beta == 0.f ? 1 : 0;
  __asm__ volatile(
      "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
      "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
      "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
      "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
      "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
      "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
      "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"
      "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
      "vxorps %%ymm12, %%ymm12, %%ymm12\n\t"
      "vxorps %%ymm13, %%ymm13, %%ymm13\n\t"
      "vxorps %%ymm14, %%ymm14, %%ymm14\n\t"
      "vxorps %%ymm15, %%ymm15, %%ymm15\n\t"
      "prefetcht1 (%[a_c])\n\t"
      "prefetcht1 60(%[a_c])\n\t"
      "prefetcht1 (%[a_c], %[a_ldc])\n\t"
      "prefetcht1 60(%[a_c], %[a_ldc])\n\t"
      "prefetcht1 (%[a_c], %[a_ldc], 2)\n\t"
      "prefetcht1 60(%[a_c], %[a_ldc], 2)\n\t"
      "prefetcht1 (%[a_c3])\n\t"
      "prefetcht1 60(%[a_c3])\n\t"
      "prefetcht1 (%[a_c3], %[a_ldc])\n\t"
      "prefetcht1 60(%[a_c3], %[a_ldc])\n\t"
      "prefetcht1 (%[a_c3], %[a_ldc], 2)\n\t"
      "prefetcht1 60(%[a_c3], %[a_ldc], 2)\n\t"
      "test %[a_early], %[a_early]\n\t"
      "jz 2f\n\t"
      ".p2align 5\n\t"
      "1:\n\t"
      IMCLS_K6X16_BODY4
      "dec %[a_early]\n\t"
      "jnz 1b\n\t"
      "2:\n\t"
      "prefetcht0 (%[a_c])\n\t"
      "prefetcht0 60(%[a_c])\n\t"
      "prefetcht0 (%[a_c], %[a_ldc])\n\t"
      "prefetcht0 60(%[a_c], %[a_ldc])\n\t"
      "prefetcht0 (%[a_c], %[a_ldc], 2)\n\t"
      "prefetcht0 60(%[a_c], %[a_ldc], 2)\n\t"
      "prefetcht0 (%[a_c3])\n\t"
      "prefetcht0 60(%[a_c3])\n\t"
      "prefetcht0 (%[a_c3], %[a_ldc])\n\t"
      "prefetcht0 60(%[a_c3], %[a_ldc])\n\t"
      "prefetcht0 (%[a_c3], %[a_ldc], 2)\n\t"
      "prefetcht0 60(%[a_c3], %[a_ldc], 2)\n\t"
      ".p2align 5\n\t"
      "3:\n\t"
      IMCLS_K6X16_BODY4
      "dec %[a_late]\n\t"
      "jnz 3b\n\t"
      "test %[a_tail], %[a_tail]\n\t"
      "jz 5f\n\t"
      "4:\n\t"
      IMCLS_K6X16_STEP(0)
      "add $24, %[a_a]\n\t"
      "add $64, %[a_b]\n\t"
      "dec %[a_tail]\n\t"
      "jnz 4b\n\t"
      "5:\n\t"
      "vbroadcastss %[a_alpha], %%ymm0\n\t"
      "vbroadcastss %[a_beta], %%ymm1\n\t"
      IMCLS_K6X16_STORE_ROW("%[a_c]", "0", 4, 5)
      IMCLS_K6X16_STORE_ROW("%[a_c], %[a_ldc]", "0", 6, 7)
      IMCLS_K6X16_STORE_ROW("%[a_c], %[a_ldc], 2", "0", 8, 9)
      IMCLS_K6X16_STORE_ROW("%[a_c3]", "0", 10, 11)
      IMCLS_K6X16_STORE_ROW("%[a_c3], %[a_ldc]", "0", 12, 13)
      IMCLS_K6X16_STORE_ROW("%[a_c3], %[a_ldc], 2", "0", 14, 15)
      "vzeroupper\n\t"
      : [a_a] "+r"(ap), [a_b] "+r"(bp), [a_early] "+r"(early), [a_late] "+r"(late), [a_tail] "+r"(tail)
      : [a_c] "r"(c), [a_c3] "r"(c3), [a_ldc] "r"(ldc_bytes), [a_alpha] "m"(alpha), [a_beta] "m"(beta),
        [a_beta0] "r"(beta0)
      : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}
#undef IMCLS_K6X16_STEP
#undef IMCLS_K6X16_BODY4
#undef IMCLS_K6X16_STORE_ROW

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

namespace nhwc_detail {

// 6 pixels x 2 vectors (16 channels): 12 accumulators, 2 weight vectors and a broadcast in the
// 16 ymm registers.
static KernelSet make_avx2() {
  KernelSet k{"avx2", 8, 6, 2, {}, &nhwc_depthwise_rows<VecAvx2>, {}, {}};
  fill_tile_table<VecAvx2, 2>(k, std::make_integer_sequence<int, 6 * 2>{});
  fill_winograd_table<VecAvx2>(k);
  return k;
}
static const KernelSet kNhwcAvx2 = make_avx2();

const KernelSet* avx2_kernels() { return &kNhwcAvx2; }

}  // namespace nhwc_detail
}  // namespace imcls

#pragma GCC pop_options

#else

namespace imcls {
namespace gemm_detail {
const KernelSet* avx2_kernels() { return nullptr; }
}  // namespace gemm_detail
namespace nhwc_detail {
const KernelSet* avx2_kernels() { return nullptr; }
}  // namespace nhwc_detail
}  // namespace imcls

#endif
