// Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C,
// op(A) is M x K, op(B) is K x N. Every convolution and linear layer ends up here.
//
// Implementation (gemm.cc + one file per ISA): Goto/BLIS blocking (jc: NC columns of B, pc: KC
// depth, ic: MC rows of A), A and B packed into aligned thread-local buffers (reused across
// calls), register-tiled micro-kernels (AVX-512 12x32, AVX2+FMA 6x16, portable 6x8), chosen once
// from imcls::selected_isa() (IMCLS_ISA=baseline|avx2 forces a lower path).
//
// Conventions shared by every entry point:
//  - lda/ldb/ldc are row strides of the matrices as stored (A is M x K, or K x M when trans_a).
//  - beta == 0 never reads C (C may be uninitialised); alpha == 0 or k == 0 only scales C.
//  - Results do not depend on the thread count: every C element is summed by one thread in the
//    same k order (KC blocks, then sequential within a block).
//  - Tuning: IMCLS_GEMM_MC/KC/NC override the cache blocks of the selected path (gemmInfo() in JS
//    reports them); `imcls bench gemm` measures GFLOP/s against the micro-kernel peak and torch.mm.
//  - JS exports: gemm (sgemm), gemmInfo, gemmKernelPeak(ms), gemmPackedASize/gemmPackA/gemmPackedA.
#pragma once

#include <cstddef>
#include <cstdint>

namespace imcls {

// Uses the process thread pool when the problem is large enough to pay for it (m*n*k >= 2^20
// multiply-adds; the output is split into a grid of tile-aligned blocks, one per thread); called from inside a ThreadPool task it runs on the calling thread only.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Same contract, never touches the thread pool: for callers that already parallelise an outer
// loop (e.g. a convolution running one image per thread). Safe to call concurrently from
// several threads (packing buffers are thread-local).
void sgemm_single_thread(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                         int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Pre-packed A: when the same op(A) (M x K) multiplies many B matrices — convolution weights
// [Cout, Cin*kh*kw] times each image's im2col matrix — pack it once and skip A packing per call.
//   std::vector<float> wp(sgemm_packed_a_size(m, k));   // floats; any alignment is fine
//   sgemm_pack_a(false, m, k, w, k, wp.data());
//   for each image: sgemm_packed_a(m, n, k, 1.f, wp.data(), false, col, n, 0.f, out, n, true);
// The packed layout belongs to the selected ISA path of this process and must not be stored.
// `threaded` = false behaves like sgemm_single_thread (use inside an outer parallel loop).
size_t sgemm_packed_a_size(int64_t m, int64_t k);
void sgemm_pack_a(bool trans_a, int64_t m, int64_t k, const float* a, int64_t lda, float* packed);
struct GemmEpilogue;
void sgemm_packed_a(int64_t m, int64_t n, int64_t k, float alpha, const float* packed_a, bool trans_b,
                    const float* b, int64_t ldb, float beta, float* c, int64_t ldc, bool threaded,
                    const GemmEpilogue* epilogue = nullptr);
// Packs only rows [r0, r1) of op(A) (r0 a multiple of sgemm_mr()) into their place in the layout
// sgemm_pack_a writes, so several threads can pack one large weight matrix together.
void sgemm_pack_a_rows(bool trans_a, int64_t m, int64_t k, const float* a, int64_t lda, float* packed, int64_t r0,
                       int64_t r1);
// Rows of the register tile of the selected path (the packing granule of A).
int64_t sgemm_mr();

// Activations an epilogue can apply (numbering shared with the JS exports).
enum class EpilogueAct : int { none = 0, relu = 1, relu6 = 2, leaky_relu = 3 };

// Work done on each C tile right after its last k block, while the tile is still in L1:
// C(i, j) = act(C(i, j) + row_bias[i]) (row_bias may be null; alpha is the leaky_relu slope).
// With an epilogue, beta must be 0 (C is a fresh output).
struct GemmEpilogue {
  const float* row_bias;
  EpilogueAct act;
  float alpha;
  // Optional residual added before the activation (a ResNet block's shortcut): laid out like the
  // output, so C element at pointer c reads residual[c - out_base].
  const float* residual = nullptr;
  const float* out_base = nullptr;
};

// Applies the epilogue to rows x cols of c (row i uses row_bias[i]), for code outside the GEMM.
void apply_epilogue(const GemmEpilogue& ep, int64_t rows, int64_t cols, float* c, int64_t ldc);

// Name of the micro-kernel path in use ("avx512", "avx2", "baseline").
const char* sgemm_kernel_name();

}  // namespace imcls
