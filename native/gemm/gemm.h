// Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C,
// op(A) is M x K, op(B) is K x N. Every convolution and linear layer ends up here.
#pragma once

#include <cstdint>

namespace imcls {

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace imcls
