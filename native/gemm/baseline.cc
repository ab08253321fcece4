// Portable path: plain C++ over GCC/Clang vector extensions (4 floats), which lower to SSE2 on
// x86-64 and to NEON etc. elsewhere. 6x8 tile: 12 accumulators fit the 16 xmm registers.
// Hot code: -O3 regardless of the build's flags (a binding.gyp slip once built the addon at -O0).
#pragma GCC optimize("O3")
#include <cstdint>
#include <cstring>

#include <algorithm>
#include <type_traits>
#include <utility>

#include "gemm/kernel.h"
#include "nhwc/nhwc.h"

namespace {

struct VecPortable {
  typedef float reg __attribute__((vector_size(16)));
  static constexpr int width = 4;
  static inline __attribute__((always_inline)) reg zero() { return reg{0.f, 0.f, 0.f, 0.f}; }
  static inline __attribute__((always_inline)) reg load(const float* p) {
    reg r;
    std::memcpy(&r, p, sizeof r);
    return r;
  }
  static inline __attribute__((always_inline)) reg loadu(const float* p) { return load(p); }
  static inline __attribute__((always_inline)) void storeu(float* p, reg v) { std::memcpy(p, &v, sizeof v); }
  // The first n lanes (0 < n < width): the rest read as zero, and are not written.
  static inline __attribute__((always_inline)) reg loadn(const float* p, int n) {
    reg r = zero();
    std::memcpy(&r, p, sizeof(float) * static_cast<size_t>(n));
    return r;
  }
  static inline __attribute__((always_inline)) void storen(float* p, reg v, int n) {
    std::memcpy(p, &v, sizeof(float) * static_cast<size_t>(n));
  }
  static inline __attribute__((always_inline)) reg set1(float x) { return reg{x, x, x, x}; }
  static inline __attribute__((always_inline)) reg bcast(const float* p) { return set1(*p); }
  // Separate multiply and add: SSE2 has no FMA, and this keeps results identical to the scalar math.
  static inline __attribute__((always_inline)) reg fmadd(reg a, reg b, reg c) { return a * b + c; }
  static inline __attribute__((always_inline)) reg mul(reg a, reg b) { return a * b; }
  static inline __attribute__((always_inline)) reg add(reg a, reg b) { return a + b; }
  static inline __attribute__((always_inline)) reg sub(reg a, reg b) { return a - b; }
  // x86 semantics (a > b ? a : b), which the epilogues' NaN handling relies on.
  static inline __attribute__((always_inline)) reg max(reg a, reg b) { return a > b ? a : b; }
  static inline __attribute__((always_inline)) reg min(reg a, reg b) { return a < b ? a : b; }
};

}  // namespace

#include "gemm/microkernel.h"
#include "nhwc/nhwc_tile.h"
#include "nhwc/winograd_transforms.h"

namespace imcls {
namespace gemm_detail {

static void kernel_6x8(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha, float beta,
                       int64_t mr, int64_t nr) {
  micro_kernel<VecPortable, 6, 2>(kc, ap, bp, c, ldc, alpha, beta, mr, nr);
}

static const KernelSet kBaseline{"baseline", 6, 8, 120, 256, 4080, kernel_6x8, pack_a<6>, pack_b<8>};

const KernelSet* baseline_kernels() { return &kBaseline; }

}  // namespace gemm_detail

namespace nhwc_detail {

// 6 pixels x 2 vectors (8 channels): 12 accumulators in the 16 xmm registers.
static KernelSet make_baseline() {
  KernelSet k{"baseline", 4, 6, 2, {}, &nhwc_depthwise_rows<VecPortable>, {}, {}};
  fill_tile_table<VecPortable, 2>(k, std::make_integer_sequence<int, 6 * 2>{});
  fill_winograd_table<VecPortable>(k);
  return k;
}
static const KernelSet kNhwcBaseline = make_baseline();

const KernelSet* baseline_kernels() { return &kNhwcBaseline; }

}  // namespace nhwc_detail
}  // namespace imcls
