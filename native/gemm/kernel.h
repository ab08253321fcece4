// Internal to native/gemm: what one instruction-set path provides to the blocked SGEMM driver.
// Each ISA file (baseline.cc, avx2.cc, avx512.cc) compiles its micro-kernel and packing routines
// with its own target options and hands them over through this table; gemm.cc picks one at load.
#pragma once

#include <cstdint>

namespace imcls {
namespace gemm_detail {

// C[0:mr, 0:nr] = alpha * (Ap * Bp) + beta * C over kc steps, where Ap is an MR-row micro-panel
// (kc columns of MR floats) and Bp an NR-column micro-panel (kc rows of NR floats), both packed
// and zero-padded. mr <= MR and nr <= NR clip the store (edge tiles). beta == 0 never reads C,
// so NaN/garbage in an uninitialised output does not leak through.
using MicroKernel = void (*)(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha,
                             float beta, int64_t mr, int64_t nr);

// What a fused store does to a full MR x NR tile before it leaves the registers (the GEMM
// epilogue's bias, residual and rectifier, in apply_epilogue's order, so fusing changes no bit):
// bias holds the tile's MR row biases (or null), residual the tile's first element (row stride
// ldc, or null); act is EpilogueAct::none, relu or relu6 (leaky_relu stays unfused).
struct TileEpilogue {
  const float* bias;
  const float* residual;
  int act;
};
using MicroKernelEpi = void (*)(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float beta,
                                const TileEpilogue& e);

// Packs op(X)[0:rows, 0:kc] where element (i, p) lives at x[i * rs + p * cs] into MR-row panels
// (A side) or NR-column panels (B side: element (p, j) at x[p * rs + j * cs]); the last panel is
// zero-padded to full width.
using PackA = void (*)(int64_t mc, int64_t kc, const float* a, int64_t rs, int64_t cs, float* out);
using PackB = void (*)(int64_t kc, int64_t nc, const float* b, int64_t rs, int64_t cs, float* out);

struct KernelSet {
  const char* name;
  int mr, nr;          // register tile
  int mc, kc, nc;      // cache blocks: A block mc x kc lives in L2, B panel kc x nr in L1, B block kc x nc in L3
  MicroKernel kernel;
  PackA pack_a;
  PackB pack_b;
  MicroKernelEpi kernel_epi = nullptr;  // full tiles with a fused epilogue, where the path has one
};

// The kernel set this process uses (ISA dispatch and IMCLS_GEMM_* overrides applied), and the
// depth of the KC blocks it cuts a k-long product into (pre-packed A follows this blocking).
// For drivers outside gemm.cc that pack their own operands (the implicit-GEMM convolution).
const KernelSet& active_kernels();
int64_t kc_block(const KernelSet& K, int64_t k);

// nullptr when the path is not compiled for this target architecture.
const KernelSet* baseline_kernels();
const KernelSet* avx2_kernels();
const KernelSet* avx512_kernels();

}  // namespace gemm_detail
}  // namespace imcls
