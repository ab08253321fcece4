// Blocked, packed, ISA-dispatched SGEMM driver (see gemm.h). The micro-kernels and packing
// routines live in baseline.cc / avx2.cc / avx512.cc; this file owns loop blocking, packing
// buffers, thread partitioning and the JS exports.
// Hot code: -O3 regardless of the build's flags (a binding.gyp slip once built the addon at -O0).
#pragma GCC optimize("O3")
#include "gemm/gemm.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "args.h"
#include "cpu.h"
#include "gemm/kernel.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

using gemm_detail::KernelSet;

namespace {

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

int64_t env_int(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != 0 ? std::atoll(v) : 0;
}

// The kernel set for this process, picked once. IMCLS_GEMM_MC/KC/NC override the cache blocks
// (for tuning on a new machine; rounded to whole register tiles).
const KernelSet& kernels() {
  static const KernelSet chosen = [] {
    const KernelSet* k = nullptr;
    const Isa isa = selected_isa();
    if (isa == Isa::avx512) k = gemm_detail::avx512_kernels();
    if (k == nullptr && (isa == Isa::avx512 || isa == Isa::avx2)) k = gemm_detail::avx2_kernels();
    if (k == nullptr) k = gemm_detail::baseline_kernels();
    KernelSet c = *k;
    if (int64_t v = env_int("IMCLS_GEMM_MC"); v > 0) c.mc = static_cast<int>(round_up(v, c.mr));
    if (int64_t v = env_int("IMCLS_GEMM_KC"); v > 0) c.kc = static_cast<int>(v);
    if (int64_t v = env_int("IMCLS_GEMM_NC"); v > 0) c.nc = static_cast<int>(round_up(v, c.nr));
    // Whole register tiles only: the B buffer holds KC x NC and pack_b pads the last panel to NR
    // columns, so an NC that is not a multiple of NR would write past the buffer.
    c.mc = c.mc / c.mr * c.mr;
    c.nc = c.nc / c.nr * c.nr;
    return c;
  }();
  return chosen;
}

// Packing buffers of this thread (see aligned_buffer.h).
thread_local AlignedBuffer tl_pack_a, tl_pack_b;

// C = beta * C (the whole answer when alpha == 0 or k == 0).
void scale_c(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  if (beta == 1.f) return;
  for (int64_t i = 0; i < m; ++i) {
    float* r = c + i * ldc;
    if (beta == 0.f) {
      std::fill(r, r + n, 0.f);
    } else {
      for (int64_t j = 0; j < n; ++j) r[j] *= beta;
    }
  }
}

// Depth of the KC blocks for a given k: the K.kc budget spread evenly (k = 2048 with kc 288 runs
// 8 x 256 rather than 7 x 288 + 32), so no block is a thin, poorly amortised remainder.
int64_t block_kc(const KernelSet& K, int64_t k) {
  const int64_t nb = (k + K.kc - 1) / K.kc;
  return std::min<int64_t>(K.kc, round_up((k + nb - 1) / nb, 4));
}

// Where op(A) comes from: element (i, p) at a[i * rs + p * cs], or a pre-packed buffer in which
// the rows start at row_offset (a multiple of MR) of a matrix with m_pad (rounded-up) rows.
struct ASource {
  const float* a;
  int64_t rs, cs;
  const float* packed;
  int64_t m_pad, row_offset;
};

}  // namespace

namespace gemm_detail {
const KernelSet& active_kernels() { return kernels(); }
int64_t kc_block(const KernelSet& K, int64_t k) { return block_kc(K, k); }
}  // namespace gemm_detail

void apply_epilogue(const GemmEpilogue& ep, int64_t rows, int64_t cols, float* c, int64_t ldc) {
  for (int64_t i = 0; i < rows; ++i) {
    float* __restrict r = c + i * ldc;
    float bv = ep.row_bias != nullptr ? ep.row_bias[i] : 0.f;
    if (ep.residual != nullptr) {
      // (conv + bias) + shortcut: the unfused ops' order, so the fusion changes no bit
      const float* __restrict s = ep.residual + (r - ep.out_base);
      for (int64_t j = 0; j < cols; ++j) r[j] = (r[j] + bv) + s[j];
      bv = 0.f;
    }
    switch (ep.act) {
      case EpilogueAct::none:
        if (ep.row_bias != nullptr && ep.residual == nullptr)
          for (int64_t j = 0; j < cols; ++j) r[j] += bv;
        break;
      case EpilogueAct::relu:
        for (int64_t j = 0; j < cols; ++j) r[j] = std::max(r[j] + bv, 0.f);
        break;
      case EpilogueAct::relu6:
        for (int64_t j = 0; j < cols; ++j) r[j] = std::min(std::max(r[j] + bv, 0.f), 6.f);
        break;
      case EpilogueAct::leaky_relu:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = r[j] + bv;
          r[j] = v > 0.f ? v : ep.alpha * v;
        }
        break;
    }
  }
}

namespace {

// One thread's GEMM over the whole (sub)problem: jc (NC) -> pc (KC, pack B) -> ic (MC, pack A)
// -> jr (NR) -> ir (MR) -> micro-kernel.
// An epilogue (row_bias relative to this subproblem's first row) runs on each MR x NR tile after
// its last KC block.
void gemm_blocked(const KernelSet& K, int64_t m, int64_t n, int64_t k, float alpha, const ASource& A,
                  const float* b, int64_t brs, int64_t bcs, float beta, float* c, int64_t ldc,
                  const GemmEpilogue* ep = nullptr) {
  const int64_t MR = K.mr, NR = K.nr;
  const int64_t KC = block_kc(K, k);
  const int64_t NC = std::min<int64_t>(K.nc, round_up(n, NR));
  const int64_t MC = std::min<int64_t>(K.mc, round_up(m, MR));
  float* bbuf = tl_pack_b.get(KC * NC);
  float* abuf = A.packed != nullptr ? nullptr : tl_pack_a.get(MC * KC);
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      K.pack_b(kc, nc, b + pc * brs + jc * bcs, brs, bcs, bbuf);
      const float beta_eff = pc == 0 ? beta : 1.f;
      const bool last = pc + kc >= k;
      for (int64_t ic = 0; ic < m; ic += MC) {
        const int64_t mc = std::min(MC, m - ic);
        const float* ap;
        if (A.packed != nullptr) {
          ap = A.packed + pc * A.m_pad + (A.row_offset + ic) * kc;
        } else {
          K.pack_a(mc, kc, A.a + ic * A.rs + pc * A.cs, A.rs, A.cs, abuf);
          ap = abuf;
        }
        const int64_t tiles_m = (mc + MR - 1) / MR;
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = std::min(NR, nc - jr);
          const float* bp = bbuf + jr * kc;
          float* cc = c + ic * ldc + jc + jr;
          // The next B micro-panel comes from L3 (the packed B block outgrows L2): pull it
          // towards L2 a slice per micro-kernel call, so its first use does not wait on L3.
          const char* bnext = reinterpret_cast<const char*>(bp + NR * kc);
          const int64_t bnext_lines = jr + NR < nc ? NR * kc * 4 / 64 : 0;
          const int64_t slice = (bnext_lines + tiles_m - 1) / tiles_m;
          for (int64_t ir = 0, t = 0; ir < mc; ir += MR, ++t) {
            const int64_t mr = std::min(MR, mc - ir);
            for (int64_t l = t * slice, le = std::min(bnext_lines, l + slice); l < le; ++l)
              __builtin_prefetch(bnext + l * 64, 0, 2);
            K.kernel(kc, ap + ir * kc, bp, cc + ir * ldc, ldc, alpha, beta_eff, mr, nr);
            if (ep != nullptr && last) {
              GemmEpilogue e = *ep;
              if (e.row_bias != nullptr) e.row_bias += ic + ir;
              apply_epilogue(e, mr, nr, cc + ir * ldc, ldc);
            }
          }
        }
      }
    }
  }
}

// Tiny products (a few hundred multiply-adds) cost less than packing: plain loops.
void gemm_small(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t ars, int64_t acs,
                const float* b, int64_t brs, int64_t bcs, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.f;
      for (int64_t p = 0; p < k; ++p) acc += a[i * ars + p * acs] * b[p * brs + j * bcs];
      float* cp = c + i * ldc + j;
      *cp = beta == 0.f ? alpha * acc : alpha * acc + beta * *cp;
    }
  }
}

// Few rows of C against a row-major B (op(B) = B, unit column stride): a batch-1 or batch-2
// fully connected layer. Packing B would cost as much as the product (every element of B is used
// m times), so stream B once, row by row, into the m accumulating rows of C, which stay in L1/L2.
// Memory bound; the columns are split over the pool.
constexpr int64_t kStreamRows = 4;

template <int kRows>
inline void stream_rows_cols(int64_t k, float alpha, const float* a, int64_t ars, int64_t acs, const float* b,
                             int64_t brs, float* c, int64_t ldc, int64_t j0, int64_t j1) {
  for (int64_t p = 0; p < k; ++p) {
    const float* __restrict bp = b + p * brs;
    for (int i = 0; i < kRows; ++i) {
      const float s = alpha * a[i * ars + p * acs];
      float* __restrict ci = c + i * ldc;
      for (int64_t j = j0; j < j1; ++j) ci[j] += s * bp[j];
    }
  }
}

template <int kRows>
__attribute__((target("avx2,fma"))) void stream_rows_cols_avx2(int64_t k, float alpha, const float* a, int64_t ars,
                                                              int64_t acs, const float* b, int64_t brs, float* c,
                                                              int64_t ldc, int64_t j0, int64_t j1) {
  stream_rows_cols<kRows>(k, alpha, a, ars, acs, b, brs, c, ldc, j0, j1);
}

template <int kRows>
void stream_rows_dispatch(int64_t k, float alpha, const float* a, int64_t ars, int64_t acs, const float* b,
                          int64_t brs, float* c, int64_t ldc, int64_t j0, int64_t j1) {
  if (selected_isa() != Isa::baseline) {
    stream_rows_cols_avx2<kRows>(k, alpha, a, ars, acs, b, brs, c, ldc, j0, j1);
  } else {
    stream_rows_cols<kRows>(k, alpha, a, ars, acs, b, brs, c, ldc, j0, j1);
  }
}

void gemm_stream_b(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t ars, int64_t acs,
                   const float* b, int64_t brs, float beta, float* c, int64_t ldc, bool threaded);

constexpr double kSmallMacs = 2048;           // below: plain loops
constexpr double kParallelMacs = 1 << 20;     // below: one thread (pool wake-up would dominate)

// Splits the m x n output over the pool as a pm x pn grid of register-tile-aligned blocks and
// calls body(i0, i1, j0, j1) once per block. Picks the grid that minimises per-thread work:
// multiply-adds of the largest block plus its packing traffic (each element packed ~ 8 flops).
template <class Body>
void parallel_blocks(const KernelSet& K, int64_t m, int64_t n, int64_t k, bool allow_m_split, const Body& body) {
  ThreadPool& pool = ThreadPool::instance();
  const int nt = pool.size();
  const int64_t tm = (m + K.mr - 1) / K.mr, tn = (n + K.nr - 1) / K.nr;
  int best_pm = 1, best_pn = 1;
  double best_cost = -1;
  if (nt > 1 && !ThreadPool::inside_task() && static_cast<double>(m) * n * k >= kParallelMacs) {
    for (int t = nt; t >= 1; --t) {
      for (int pm = 1; pm <= t; ++pm) {
        if (t % pm != 0) continue;
        const int pn = t / pm;
        if (pm > tm || pn > tn || (!allow_m_split && pm > 1)) continue;
        const double rows = static_cast<double>((tm + pm - 1) / pm * K.mr);
        const double cols = static_cast<double>((tn + pn - 1) / pn * K.nr);
        const double cost = 2 * rows * cols + 8 * (rows + cols);
        if (best_cost < 0 || cost < best_cost) best_cost = cost, best_pm = pm, best_pn = pn;
      }
    }
  }
  const int pm = best_pm, pn = best_pn;
  auto block = [&](int t) {
    const int bi = t / pn, bj = t % pn;
    const int64_t i0 = std::min(m, tm * bi / pm * K.mr), i1 = std::min(m, tm * (bi + 1) / pm * K.mr);
    const int64_t j0 = std::min(n, tn * bj / pn * K.nr), j1 = std::min(n, tn * (bj + 1) / pn * K.nr);
    if (i0 < i1 && j0 < j1) body(i0, i1, j0, j1);
  };
  if (pm * pn == 1) {
    body(int64_t{0}, m, int64_t{0}, n);
  } else {
    pool.run(pm * pn, block);
  }
}

void sgemm_impl(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, bool threaded) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.f) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const int64_t ars = trans_a ? 1 : lda, acs = trans_a ? lda : 1;
  const int64_t brs = trans_b ? 1 : ldb, bcs = trans_b ? ldb : 1;
  if (static_cast<double>(m) * n * k <= kSmallMacs) {
    gemm_small(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc);
    return;
  }
  if (m <= kStreamRows && bcs == 1) {
    gemm_stream_b(m, n, k, alpha, a, ars, acs, b, brs, beta, c, ldc, threaded);
    return;
  }
  const KernelSet& K = kernels();
  auto body = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    const ASource src{a + i0 * ars, ars, acs, nullptr, 0, 0};
    gemm_blocked(K, i1 - i0, j1 - j0, k, alpha, src, b + j0 * bcs, brs, bcs, beta, c + i0 * ldc + j0, ldc);
  };
  if (threaded) {
    parallel_blocks(K, m, n, k, true, body);
  } else {
    body(0, m, 0, n);
  }
}

// C[:, j0:j1) += alpha * A * B[:, j0:j1) for m <= kStreamRows rows.
void stream_rows(int64_t m, int64_t k, float alpha, const float* a, int64_t ars, int64_t acs, const float* b,
                 int64_t brs, float* c, int64_t ldc, int64_t j0, int64_t j1) {
  switch (m) {
    case 1: stream_rows_dispatch<1>(k, alpha, a, ars, acs, b, brs, c, ldc, j0, j1); break;
    case 2: stream_rows_dispatch<2>(k, alpha, a, ars, acs, b, brs, c, ldc, j0, j1); break;
    case 3: stream_rows_dispatch<3>(k, alpha, a, ars, acs, b, brs, c, ldc, j0, j1); break;
    default: stream_rows_dispatch<4>(k, alpha, a, ars, acs, b, brs, c, ldc, j0, j1); break;
  }
}

void gemm_stream_b(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t ars, int64_t acs,
                   const float* b, int64_t brs, float beta, float* c, int64_t ldc, bool threaded) {
  scale_c(m, n, beta, c, ldc);
  ThreadPool& pool = ThreadPool::instance();
  const int nt = pool.size();
  if (!threaded || nt < 2 || ThreadPool::inside_task() || static_cast<double>(m) * n * k < kParallelMacs || k < 2 * nt) {
    stream_rows(m, k, alpha, a, ars, acs, b, brs, c, ldc, 0, n);
    return;
  }
  // Rows of B split over the pool: each thread sums its contiguous block of B into its own copy
  // of C (the first thread into C itself), and the copies are added in after. Splitting the
  // columns instead gave each thread half of every row of B, a stream the prefetchers followed
  // badly: on 2 threads a 1280 x 1000 FC layer with B in memory ran 2.5x slower than on one.
  const int64_t per = (k + nt - 1) / nt;
  thread_local std::vector<float> partials;
  partials.assign(static_cast<size_t>((nt - 1) * m * n), 0.f);
  float* const part = partials.data();  // the caller's buffer (inside a task, `partials` is the worker's)
  pool.run(nt, [&](int t) {
    const int64_t p0 = std::min<int64_t>(k, t * per), p1 = std::min<int64_t>(k, p0 + per);
    if (p0 >= p1) return;
    float* ct = t == 0 ? c : part + (t - 1) * m * n;
    stream_rows(m, p1 - p0, alpha, a + p0 * acs, ars, acs, b + p0 * brs, brs, ct, t == 0 ? ldc : n, 0, n);
  });
  for (int t = 1; t < nt; ++t) {
    const float* pt = part + (t - 1) * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] += pt[i * n + j];
  }
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  sgemm_impl(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true);
}

void sgemm_single_thread(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                         int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  sgemm_impl(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, false);
}

// Pre-packed A layout: for each KC block of k (in order), all rows as consecutive MR-row panels
// (kc x MR each, zero-padded rows at the end), i.e. block pc starts at pc * m_pad.
size_t sgemm_packed_a_size(int64_t m, int64_t k) {
  return static_cast<size_t>(round_up(std::max<int64_t>(m, 1), kernels().mr) * std::max<int64_t>(k, 0));
}

void sgemm_pack_a(bool trans_a, int64_t m, int64_t k, const float* a, int64_t lda, float* packed) {
  if (m <= 0 || k <= 0) return;
  const KernelSet& K = kernels();
  const int64_t ars = trans_a ? 1 : lda, acs = trans_a ? lda : 1;
  const int64_t m_pad = round_up(m, K.mr);
  const int64_t KC = block_kc(K, k);  // must match gemm_blocked's blocking
  for (int64_t pc = 0; pc < k; pc += KC) {
    const int64_t kc = std::min<int64_t>(KC, k - pc);
    K.pack_a(m, kc, a + pc * acs, ars, acs, packed + pc * m_pad);
  }
}

void sgemm_pack_a_rows(bool trans_a, int64_t m, int64_t k, const float* a, int64_t lda, float* packed, int64_t r0,
                       int64_t r1) {
  r1 = std::min(r1, m);
  if (r0 >= r1 || k <= 0) return;
  const KernelSet& K = kernels();
  const int64_t ars = trans_a ? 1 : lda, acs = trans_a ? lda : 1;
  const int64_t m_pad = round_up(m, K.mr);
  const int64_t KC = block_kc(K, k);
  for (int64_t pc = 0; pc < k; pc += KC) {
    const int64_t kc = std::min<int64_t>(KC, k - pc);
    K.pack_a(r1 - r0, kc, a + r0 * ars + pc * acs, ars, acs, packed + pc * m_pad + r0 * kc);
  }
}

int64_t sgemm_mr() { return kernels().mr; }

void sgemm_packed_a(int64_t m, int64_t n, int64_t k, float alpha, const float* packed_a, bool trans_b,
                    const float* b, int64_t ldb, float beta, float* c, int64_t ldc, bool threaded,
                    const GemmEpilogue* epilogue) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.f) {
    scale_c(m, n, beta, c, ldc);
    if (epilogue != nullptr) apply_epilogue(*epilogue, m, n, c, ldc);
    return;
  }
  const KernelSet& K = kernels();
  const int64_t brs = trans_b ? 1 : ldb, bcs = trans_b ? ldb : 1;
  const int64_t m_pad = round_up(m, K.mr);
  auto body = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    const ASource src{nullptr, 0, 0, packed_a, m_pad, i0};
    GemmEpilogue ep{};
    if (epilogue != nullptr) {
      ep = *epilogue;
      if (ep.row_bias != nullptr) ep.row_bias += i0;
    }
    gemm_blocked(K, i1 - i0, j1 - j0, k, alpha, src, b + j0 * bcs, brs, bcs, beta, c + i0 * ldc + j0, ldc,
                 epilogue != nullptr ? &ep : nullptr);
  };
  if (threaded) {
    parallel_blocks(K, m, n, k, true, body);
  } else {
    body(0, m, 0, n);
  }
}

const char* sgemm_kernel_name() { return kernels().name; }

// ---- JS exports ----

// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
static Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const bool ta = bool_arg(info, 0), tb = bool_arg(info, 1);
  const int64_t m = int_arg(info, 2), n = int_arg(info, 3), k = int_arg(info, 4);
  const int64_t lda = int_arg(info, 7), ldb = int_arg(info, 9), ldc = int_arg(info, 12);
  float* a = f32(info, 6);
  float* b = f32(info, 8);
  float* c = f32(info, 11);
  // Bounds: the last element each operand touches must lie inside its array (a wrong stride from
  // JS must be a TypeError, not a read past the buffer).
  auto need = [&](int64_t rows, int64_t cols, int64_t ld, size_t idx, const char* what) {
    if (rows <= 0 || cols <= 0) return;
    if ((rows > 1 && ld < cols) || static_cast<int64_t>(f32len(info, idx)) < (rows - 1) * ld + cols) {
      throw Napi::RangeError::New(info.Env(), std::string("gemm: ") + what + " is too small for its shape/stride");
    }
  };
  if (m > 0 && n > 0) {
    if (k > 0) {
      need(ta ? k : m, ta ? m : k, lda, 6, "A");
      need(tb ? n : k, tb ? k : n, ldb, 8, "B");
    }
    need(m, n, ldc, 11, "C");
  }
  sgemm(ta, tb, m, n, k, static_cast<float>(num_arg(info, 5)), a, lda, b, ldb, static_cast<float>(num_arg(info, 10)),
        c, ldc);
  return info.Env().Undefined();
}
IMCLS_EXPORT("gemm", Gemm);

// The pre-packed-A entry points, for tests and for JS callers that reuse one A (weights):
// gemmPackedASize(m, k) -> floats; gemmPackA(transA, m, k, a, lda, packed);
// gemmPackedA(m, n, k, alpha, packed, transB, b, ldb, beta, c, ldc, threaded).
static Napi::Value GemmPackedASize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(sgemm_packed_a_size(int_arg(info, 0), int_arg(info, 1))));
}
IMCLS_EXPORT("gemmPackedASize", GemmPackedASize);

static Napi::Value GemmPackA(const Napi::CallbackInfo& info) {
  const int64_t m = int_arg(info, 1), k = int_arg(info, 2);
  if (f32len(info, 5) < sgemm_packed_a_size(m, k)) throw Napi::RangeError::New(info.Env(), "gemmPackA: packed buffer too small");
  sgemm_pack_a(bool_arg(info, 0), m, k, f32(info, 3), int_arg(info, 4), f32(info, 5));
  return info.Env().Undefined();
}
IMCLS_EXPORT("gemmPackA", GemmPackA);

static Napi::Value GemmPackedA(const Napi::CallbackInfo& info) {
  sgemm_packed_a(int_arg(info, 0), int_arg(info, 1), int_arg(info, 2), static_cast<float>(num_arg(info, 3)), f32(info, 4),
                 bool_arg(info, 5), f32(info, 6), int_arg(info, 7), static_cast<float>(num_arg(info, 8)), f32(info, 9),
                 int_arg(info, 10), bool_arg(info, 11));
  return info.Env().Undefined();
}
IMCLS_EXPORT("gemmPackedA", GemmPackedA);

// gemmInfo() -> { kernel, mr, nr, mc, kc, nc, threads }
static Napi::Value GemmInfo(const Napi::CallbackInfo& info) {
  const KernelSet& K = kernels();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("kernel", K.name);
  o.Set("mr", K.mr);
  o.Set("nr", K.nr);
  o.Set("mc", K.mc);
  o.Set("kc", K.kc);
  o.Set("nc", K.nc);
  o.Set("threads", ThreadPool::instance().size());
  return o;
}
IMCLS_EXPORT("gemmInfo", GemmInfo);

// gemmKernelPeak(ms) -> GFLOP/s of the selected micro-kernel on one core with its operands in
// L1 (one A and one B micro-panel of depth KC, C tile in L1): the ceiling the blocked GEMM
// approaches, used by `imcls bench gemm` as the machine's per-core peak.
static Napi::Value GemmKernelPeak(const Napi::CallbackInfo& info) {
  const double ms = info.Length() > 0 && info[0].IsNumber() ? num_arg(info, 0) : 200.0;
  const KernelSet& K = kernels();
  const int64_t kc = K.kc;
  float* ap = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(round_up(K.mr * kc * 4, 64))));
  float* bp = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(round_up(K.nr * kc * 4, 64))));
  float* ct = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(round_up(K.mr * K.nr * 4, 64))));
  for (int64_t i = 0; i < K.mr * kc; ++i) ap[i] = 1e-3f * static_cast<float>(i % 7);
  for (int64_t i = 0; i < K.nr * kc; ++i) bp[i] = 1e-3f * static_cast<float>(i % 5);
  using clock = std::chrono::steady_clock;
  const int batch = 1000;
  double best = 0;
  const auto start = clock::now();
  do {
    const auto t0 = clock::now();
    for (int r = 0; r < batch; ++r) K.kernel(kc, ap, bp, ct, K.nr, 1.f, 0.f, K.mr, K.nr);
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    best = std::max(best, 2.0 * K.mr * K.nr * kc * batch / s / 1e9);
  } while (std::chrono::duration<double, std::milli>(clock::now() - start).count() < ms);
  std::free(ap);
  std::free(bp);
  std::free(ct);
  return Napi::Number::New(info.Env(), best);
}
IMCLS_EXPORT("gemmKernelPeak", GemmKernelPeak);

}  // namespace imcls
