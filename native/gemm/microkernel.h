// Register-blocked micro-kernel and packing routines, written once over a small vector-traits
// type V and instantiated by each ISA file under its own `#pragma GCC target`. Everything here has
// internal linkage (anonymous namespace): an AVX2-compiled copy must never be merged by the
// linker with the baseline copy of the same template (that would run AVX2 code on any CPU).
//
// Include only after <cstdint> and <cstring>, and after the ISA file's target pragma.
//
// V provides: reg, width, zero(), load(p) (aligned), loadu(p), storeu(p, r), bcast(p), set1(x),
// fmadd(a, b, c) = a*b + c, mul(a, b); for the fused epilogue (EPI) also add, max, min with the
// x86 operand semantics (max(a, b) = a > b ? a : b).

namespace {

// The fused epilogue on one vector of row i (see imcls::gemm_detail::TileEpilogue): the same
// operations in the same order as apply_epilogue, so a fused tile is bit-identical to an unfused
// one. Vector max/min return their second operand on NaN, hence max(0, v) and min(6, v): NaN
// passes through as in std::max(v, 0.f).
template <class V>
inline __attribute__((always_inline)) typename V::reg tile_epilogue(typename V::reg v, const imcls::gemm_detail::TileEpilogue* e,
                                                                    int i, const float* res) {
  typename V::reg bv = V::set1(e->bias != nullptr ? e->bias[i] : 0.f);
  if (e->residual != nullptr) {
    v = V::add(V::add(v, bv), V::loadu(res));
    bv = V::zero();
  }
  switch (e->act) {
    case 1:
      return V::max(V::zero(), V::add(v, bv));
    case 2:
      return V::min(V::set1(6.f), V::max(V::zero(), V::add(v, bv)));
    default:
      return e->bias != nullptr && e->residual == nullptr ? V::add(v, bv) : v;
  }
}

// C tile = alpha * A_panel * B_panel + beta * C, with MR x (NV * V::width) accumulators in registers.
// With an epilogue (EPI, full tiles only) the stored values go through tile_epilogue first.
template <class V, int MR, int NV, bool EPI = false>
void micro_kernel(int64_t kc, const float* __restrict ap, const float* __restrict bp, float* __restrict c,
                  int64_t ldc, float alpha, float beta, int64_t mr, int64_t nr,
                  const imcls::gemm_detail::TileEpilogue* epi = nullptr) {
  constexpr int W = V::width;
  constexpr int NR = NV * W;
  typename V::reg acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = V::zero();

  // C tile prefetch in two steps: towards L2 now (it may come from L3/DRAM), into L1 only ~32
  // k-steps before the store. With ldc a multiple of 1 KB all MR rows share one L1 set; pulled
  // in at the start they would evict B-panel lines and themselves be evicted by the loop.
  const bool full = mr == MR && nr == NR;
  const float* res = EPI ? epi->residual : nullptr;
  if (full) {
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      __builtin_prefetch(c + i * ldc, 1, 2);
      __builtin_prefetch(c + i * ldc + NR - 1, 1, 2);
      if (EPI && res != nullptr) {
        __builtin_prefetch(res + i * ldc, 0, 2);
        __builtin_prefetch(res + i * ldc + NR - 1, 0, 2);
      }
    }
  }
  const int64_t pf_at = full ? (kc > 32 ? (kc - 32) & ~int64_t{3} : 0) : -1;

  int64_t p = 0;
  for (; p + 4 <= kc; p += 4) {
    if (p == pf_at) {
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i) {
        __builtin_prefetch(c + i * ldc, 1, 3);
        __builtin_prefetch(c + i * ldc + NR - 1, 1, 3);
        if (EPI && res != nullptr) {
          __builtin_prefetch(res + i * ldc, 0, 3);
          __builtin_prefetch(res + i * ldc + NR - 1, 0, 3);
        }
      }
    }
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      typename V::reg b[NV];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) b[j] = V::load(bp + u * NR + j * W);
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i) {
        const typename V::reg a = V::bcast(ap + u * MR + i);
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] = V::fmadd(a, b[j], acc[i][j]);
      }
    }
    ap += 4 * MR;
    bp += 4 * NR;
  }
  for (; p < kc; ++p) {
    typename V::reg b[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) b[j] = V::load(bp + j * W);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const typename V::reg a = V::bcast(ap + i);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = V::fmadd(a, b[j], acc[i][j]);
    }
    ap += MR;
    bp += NR;
  }

  const typename V::reg va = V::set1(alpha);
  if (full) {
    if (beta == 0.f) {
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) {
          typename V::reg v = V::mul(va, acc[i][j]);
          if constexpr (EPI) v = tile_epilogue<V>(v, epi, i, res + i * ldc + j * W);
          V::storeu(c + i * ldc + j * W, v);
        }
    } else {
      const typename V::reg vb = V::set1(beta);
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) {
          float* cp = c + i * ldc + j * W;
          typename V::reg v = V::fmadd(vb, V::loadu(cp), V::mul(va, acc[i][j]));
          if constexpr (EPI) v = tile_epilogue<V>(v, epi, i, res + i * ldc + j * W);
          V::storeu(cp, v);
        }
    }
    return;
  }
  // Edge tile: spill the registers to a scratch tile and copy the valid part.
  alignas(64) float tile[MR * NR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) V::storeu(tile + i * NR + j * W, V::mul(va, acc[i][j]));
  for (int64_t i = 0; i < mr; ++i) {
    float* cr = c + i * ldc;
    const float* tr = tile + i * NR;
    if (beta == 0.f) {
      for (int64_t j = 0; j < nr; ++j) cr[j] = tr[j];
    } else {
      for (int64_t j = 0; j < nr; ++j) cr[j] = tr[j] + beta * cr[j];
    }
  }
}

// A block -> MR-row micro-panels: panel r holds, for p = 0..kc-1, the MR values op(A)(r*MR + i, p).
template <int MR>
void pack_a(int64_t mc, int64_t kc, const float* __restrict a, int64_t rs, int64_t cs, float* __restrict out) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    const int64_t rows = mc - i0 < MR ? mc - i0 : MR;
    const float* src = a + i0 * rs;
    if (rows == MR && rs == 1) {
      // op(A) = A^T: the MR values for one p are contiguous.
      for (int64_t p = 0; p < kc; ++p) {
#pragma GCC unroll 32
        for (int i = 0; i < MR; ++i) out[p * MR + i] = src[p * cs + i];
      }
    } else if (rows == MR && cs == 1) {
      // op(A) = A: gather one column of MR rows per p; MR read streams, one write stream.
      const float* r[MR];
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i) r[i] = src + i * rs;
      for (int64_t p = 0; p < kc; ++p) {
#pragma GCC unroll 32
        for (int i = 0; i < MR; ++i) out[p * MR + i] = r[i][p];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t i = 0; i < rows; ++i) out[p * MR + i] = src[i * rs + p * cs];
        for (int64_t i = rows; i < MR; ++i) out[p * MR + i] = 0.f;
      }
    }
    out += kc * MR;
  }
}

// B block -> NR-column micro-panels: panel q holds, for p = 0..kc-1, the NR values op(B)(p, q*NR + j).
template <int NR>
void pack_b(int64_t kc, int64_t nc, const float* __restrict b, int64_t rs, int64_t cs, float* __restrict out) {
  int64_t j_start = 0;
  if (cs == 1 && nc >= NR) {
    // op(B) = B: walking one panel at a time would read one cache line per row, rows a whole
    // ldb apart (a new page each, invisible to the prefetchers). Instead sweep blocks of 8 rows
    // across all full panels: every row is read sequentially, every panel gets 8 * NR floats.
    const int64_t full = nc / NR;
    for (int64_t p0 = 0; p0 < kc; p0 += 8) {
      const int64_t pe = p0 + 8 < kc ? p0 + 8 : kc;
      for (int64_t q = 0; q < full; ++q) {
        float* o = out + q * kc * NR;
        const float* s = b + q * NR;
        for (int64_t p = p0; p < pe; ++p) {
#pragma GCC unroll 64
          for (int j = 0; j < NR; ++j) o[p * NR + j] = s[p * rs + j];
        }
      }
    }
    j_start = full * NR;
    out += full * kc * NR;
  }
  for (int64_t j0 = j_start; j0 < nc; j0 += NR) {
    const int64_t cols = nc - j0 < NR ? nc - j0 : NR;
    const float* src = b + j0 * cs;
    if (cols == NR && rs == 1) {
      // op(B) = B^T: read each source row (one output column) contiguously; writes stay in the
      // kc x NR panel, which fits in L1.
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) {
        const float* s = src + j * cs;
        for (int64_t p = 0; p < kc; ++p) out[p * NR + j] = s[p];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t j = 0; j < cols; ++j) out[p * NR + j] = src[p * rs + j * cs];
        for (int64_t j = cols; j < NR; ++j) out[p * NR + j] = 0.f;
      }
    }
    out += kc * NR;
  }
}

}  // namespace
