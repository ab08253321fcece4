// PLACEHOLDER: a plain triple loop until the blocked, packed, ISA-dispatched GEMM lands.
#include "gemm/gemm.h"

#include "args.h"
#include "registry.h"

namespace imcls {

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.f;
      for (int64_t p = 0; p < k; ++p) {
        float av = trans_a ? a[p * lda + i] : a[i * lda + p];
        float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      c[i * ldc + j] = alpha * acc + (beta == 0.f ? 0.f : beta * c[i * ldc + j]);
    }
  }
}

// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
static Napi::Value Gemm(const Napi::CallbackInfo& info) {
  sgemm(bool_arg(info, 0), bool_arg(info, 1), int_arg(info, 2), int_arg(info, 3), int_arg(info, 4),
        static_cast<float>(num_arg(info, 5)), f32(info, 6), int_arg(info, 7), f32(info, 8), int_arg(info, 9),
        static_cast<float>(num_arg(info, 10)), f32(info, 11), int_arg(info, 12));
  return info.Env().Undefined();
}
IMCLS_EXPORT("gemm", Gemm);

}  // namespace imcls
