// Implicit-GEMM convolution forward (see implicit_gemm.h). The loop nest is the Goto/BLIS one of
// gemm.cc (pc: KC depth -> ic: MC rows -> jr: NR columns -> ir: MR rows -> micro-kernel) over one
// block of output columns per pool task; only the B packing and the C addressing differ:
//  - B: the KC x NCB block is gathered from x directly into NR-column panels. The old path wrote
//    a full column matrix (im2col), read it back to pack it, wrote the GEMM result to a temporary
//    and copied that to y: three extra passes through L2/L3 that cost as much as the arithmetic
//    on layers with 64-128 output channels.
//  - C: a register tile whose NR columns lie in one image is stored straight into y (row stride
//    oh*ow). When tiles straddle images (oh*ow not a multiple of NR, or smaller), the unit sums
//    its KC blocks in a private row-major C block instead and scatters each tile to its images
//    once, after the last block: summing in y through scattered addresses (1x1 maps put every
//    column of a tile in another image) measured slower than the whole micro-kernel.
// Hot code: -O3 regardless of the build's flags.
#pragma GCC optimize("O3")
#include "conv/implicit_gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "aligned_buffer.h"
#include "conv/weight_partials.h"
#include "gemm/kernel.h"
#include "threadpool.h"

namespace imcls {

using gemm_detail::KernelSet;
using gemm_detail::TileEpilogue;

namespace {

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Per-thread B block and C staging block (see aligned_buffer.h).
thread_local AlignedBuffer tl_bblock, tl_cblock;

constexpr int kMaxNR = 64;  // widest register tile of any path (AVX-512: 32)

// A run of consecutive panel columns inside one output row of one image: lanes
// [lane, lane + len) read input row iy0 + ky*dh, columns ix0 + t*sw + kx*dw.
struct Segment {
  int lane, len;
  const float* image;  // the image's first channel of the group
  int64_t iy0, ix0;
};

// Cuts panel columns [J, J + cols) (J = img * oh*ow + pixel) into segments.
int panel_segments(const ConvGeom& g, const float* x, int64_t c0, int64_t J, int cols, Segment* seg) {
  const int64_t ohw = g.ohw();
  int64_t img = J / ohw, pix = J % ohw, oy = pix / g.ow, ox = pix % g.ow;
  int ns = 0;
  for (int lane = 0; lane < cols;) {
    const int len = static_cast<int>(std::min<int64_t>(cols - lane, g.ow - ox));
    seg[ns++] = {lane, len, x + (img * g.c + c0) * g.hw(), oy * g.sh - g.pt, ox * g.sw - g.pl};
    lane += len;
    ox += len;
    if (ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) oy = 0, ++img;
    }
  }
  return ns;
}

// Pointwise (1x1, stride 1, unpadded): a panel is runs of consecutive pixels of one image.
void pack_b_pointwise(const ConvGeom& g, const float* x, int64_t c0, int64_t p0, int64_t kc, int64_t J0, int64_t nc,
                      int NR, float* out) {
  const int64_t hw = g.hw();
  for (int64_t q = 0; q * NR < nc; ++q) {
    const int cols = static_cast<int>(std::min<int64_t>(NR, nc - q * NR));
    float* o = out + q * kc * NR;
    int64_t J = J0 + q * NR;
    for (int lane = 0; lane < cols;) {
      const int64_t img = J / hw, pix = J % hw;
      const int len = static_cast<int>(std::min<int64_t>(cols - lane, hw - pix));
      const float* src = x + (img * g.c + c0 + p0) * hw + pix;
      for (int64_t p = 0; p < kc; ++p) std::memcpy(o + p * NR + lane, src + p * hw, sizeof(float) * len);
      lane += len;
      J += len;
    }
    if (cols < NR)
      for (int64_t p = 0; p < kc; ++p) std::memset(o + p * NR + cols, 0, sizeof(float) * (NR - cols));
  }
}

// B block = rows [p0, p0 + kc) x columns [J0, J0 + nc) of im2col(x) for the group's channels
// starting at c0, as NR-column panels (kc x NR each, the last one zero-padded).
void pack_b_im2col(const ConvGeom& g, const float* x, int64_t c0, int64_t p0, int64_t kc, int64_t J0, int64_t nc,
                   int NR, float* out) {
  if (g.pointwise()) return pack_b_pointwise(g, x, c0, p0, kc, J0, nc, NR, out);
  const int64_t khw = g.kh * g.kw, hw = g.hw();
  const uint64_t h = static_cast<uint64_t>(g.h), w = static_cast<uint64_t>(g.w);
  Segment seg[kMaxNR];
  for (int64_t q = 0; q * NR < nc; ++q) {
    const int cols = static_cast<int>(std::min<int64_t>(NR, nc - q * NR));
    const int ns = panel_segments(g, x, c0, J0 + q * NR, cols, seg);
    int64_t ci = p0 / khw, ky = (p0 % khw) / g.kw, kx = p0 % g.kw;
    float* o = out + q * kc * NR;
    for (int64_t p = 0; p < kc; ++p, o += NR) {
      const int64_t plane = ci * hw, oy = ky * g.dh, ox = kx * g.dw;
      for (int s = 0; s < ns; ++s) {
        const Segment& sg = seg[s];
        float* __restrict d = o + sg.lane;
        const int64_t iy = sg.iy0 + oy;
        if (static_cast<uint64_t>(iy) >= h) {
          for (int t = 0; t < sg.len; ++t) d[t] = 0.f;
          continue;
        }
        const float* __restrict src = sg.image + plane + iy * g.w;
        const int64_t ix0 = sg.ix0 + ox;
        if (g.sw == 1 && ix0 >= 0 && ix0 + sg.len <= g.w) {
          for (int t = 0; t < sg.len; ++t) d[t] = src[ix0 + t];
        } else {
          for (int t = 0; t < sg.len; ++t) {
            const int64_t ix = ix0 + t * g.sw;
            d[t] = static_cast<uint64_t>(ix) < w ? src[ix] : 0.f;
          }
        }
      }
      for (int t = cols; t < NR; ++t) o[t] = 0.f;
      if (++kx == g.kw) {
        kx = 0;
        if (++ky == g.kh) ky = 0, ++ci;
      }
    }
  }
}

// Small feature maps: runs within an output row are a few floats long, so the run-by-run copy
// above spends more on bookkeeping and bounds checks than on moving data. Instead x is copied
// once into a zero-bordered image and every panel lane becomes a fixed offset into it: a row of
// the panel is then a branch-free gather, out[lane] = xp[lane_offset[lane] + row_offset].
struct PaddedInput {
  const float* data;  // [n][c][hp][wp]
  int64_t hp, wp;
};

void pack_b_padded(const ConvGeom& g, const PaddedInput& xp, int64_t c0, int64_t p0, int64_t kc, int64_t J0, int64_t nc,
                   int NR, float* out) {
  const int64_t khw = g.kh * g.kw, ohw = g.ohw(), hwp = xp.hp * xp.wp;
  int64_t off[kMaxNR];
  for (int64_t q = 0; q * NR < nc; ++q) {
    const int cols = static_cast<int>(std::min<int64_t>(NR, nc - q * NR));
    for (int lane = 0; lane < cols; ++lane) {
      const int64_t J = J0 + q * NR + lane, img = J / ohw, pix = J % ohw;
      off[lane] = (img * g.c + c0) * hwp + (pix / g.ow) * g.sh * xp.wp + (pix % g.ow) * g.sw;
    }
    int64_t ci = p0 / khw, ky = (p0 % khw) / g.kw, kx = p0 % g.kw;
    float* o = out + q * kc * NR;
    for (int64_t p = 0; p < kc; ++p, o += NR) {
      const float* __restrict base = xp.data + ci * hwp + ky * g.dh * xp.wp + kx * g.dw;
      if (cols == 16) {
#pragma GCC unroll 16
        for (int lane = 0; lane < 16; ++lane) o[lane] = base[off[lane]];
      } else {
        for (int lane = 0; lane < cols; ++lane) o[lane] = base[off[lane]];
        for (int lane = cols; lane < NR; ++lane) o[lane] = 0.f;
      }
      if (++kx == g.kw) {
        kx = 0;
        if (++ky == g.kh) ky = 0, ++ci;
      }
    }
  }
}

// Copies x into a zero-bordered buffer (pt/pb rows, pl/pr columns of zeros), over the pool.
void pad_input(const ConvGeom& g, const float* x, float* xp, int64_t hp, int64_t wp, bool threaded) {
  auto planes = [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const float* src = x + pl * g.hw();
      float* dst = xp + pl * hp * wp;
      std::memset(dst, 0, sizeof(float) * g.pt * wp);
      for (int64_t iy = 0; iy < g.h; ++iy) {
        float* d = dst + (g.pt + iy) * wp;
        std::memset(d, 0, sizeof(float) * g.pl);
        std::memcpy(d + g.pl, src + iy * g.w, sizeof(float) * g.w);
        std::memset(d + g.pl + g.w, 0, sizeof(float) * (wp - g.pl - g.w));
      }
      std::memset(dst + (g.pt + g.h) * wp, 0, sizeof(float) * (hp - g.pt - g.h) * wp);
    }
  };
  if (threaded) parallel_for(g.n * g.c, 16, planes);
  else planes(0, g.n * g.c);
}

// The zero-bordered view of x that pack_b_padded reads: x itself when unpadded, else a copy in
// the calling thread's scratch. Its rows cover every tap of every output row.
PaddedInput padded_input(const ConvGeom& g, const float* x, bool threaded) {
  PaddedInput xp{nullptr, 0, 0};
  xp.hp = std::max(g.h + g.pt + g.pb, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  xp.wp = std::max(g.w + g.pl + g.pr, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1);
  if (g.pt == 0 && g.pb == 0 && g.pl == 0 && g.pr == 0 && xp.hp == g.h && xp.wp == g.w) {
    xp.data = x;  // unpadded (1x1 stride 2 projections): x already is the bordered image
    return xp;
  }
  const int64_t size = g.n * g.c * xp.hp * xp.wp;
  static thread_local std::vector<float> t_padded;
  if (static_cast<int64_t>(t_padded.size()) < size) {
    t_padded.clear();
    t_padded.shrink_to_fit();
    t_padded.resize(static_cast<size_t>(size));
  }
  pad_input(g, x, t_padded.data(), xp.hp, xp.wp, threaded);
  xp.data = t_padded.data();
  return xp;
}

bool has_epilogue(const GemmEpilogue& ep) {
  return ep.row_bias != nullptr || ep.act != EpilogueAct::none || ep.residual != nullptr;
}

GemmEpilogue shifted(const GemmEpilogue& ep, int64_t rows) {
  GemmEpilogue e = ep;
  if (e.row_bias != nullptr) e.row_bias += rows;
  return e;
}

}  // namespace

void implicit_gemm_forward(const ConvGeom& g, const float* x, const float* packed, int64_t pstride,
                           const GemmEpilogue& ep, float* y) {
  const KernelSet& K = gemm_detail::active_kernels();
  const int64_t MR = K.mr, NR = K.nr, MC = K.mc;
  const int64_t kg = g.kg(), kk = g.kk(), cg = g.cg(), ohw = g.ohw(), G = g.groups;
  const int64_t NJ = g.n * ohw;
  if (NJ == 0 || kg == 0) return;
  const int64_t KC = gemm_detail::kc_block(K, kk);
  const int64_t m_pad = round_up(kg, MR);

  // Column blocks: a KC x NCB B block of about 64 K floats (256 KB) stays in L2 next to the MC x KC
  // A block. Few blocks are evened out to a multiple of the thread count; too few for every
  // thread are split by rows as well (each row share packs its own copy of B).
  ThreadPool& pool = ThreadPool::instance();
  const bool threaded = !ThreadPool::inside_task() && pool.size() > 1;
  const int64_t T = threaded ? pool.size() : 1;
  int64_t NCB = std::max<int64_t>(NR, std::min<int64_t>(round_up(K.nc, NR), (int64_t{1} << 16) / KC / NR * NR));
  int64_t ncb = ceil_div(NJ, NCB);
  if (T > 1 && G * ncb < 16 * T) {
    ncb = std::min(ceil_div(NJ, NR), round_up(ncb * G, T) / G);
    NCB = round_up(ceil_div(NJ, std::max<int64_t>(ncb, 1)), NR);
    ncb = ceil_div(NJ, NCB);
  }
  const int64_t row_panels = ceil_div(kg, MR);
  const int64_t msplit = std::min(row_panels, std::max<int64_t>(1, ceil_div(T, G * ncb)));
  const int64_t units = G * ncb * msplit;
  const bool epi = has_epilogue(ep);
  // Full tiles in one image take the epilogue inside the micro-kernel's store where the path has
  // that kernel (leaky_relu is left to apply_epilogue).
  const bool fuse = epi && K.kernel_epi != nullptr && ep.act != EpilogueAct::leaky_relu;

  // Small maps gather from a zero-bordered copy of x (see pack_b_padded).
  PaddedInput xp{nullptr, 0, 0};
  if (!g.pointwise() && g.ow <= 16 && NR <= 16) xp = padded_input(g, x, threaded);

  auto unit = [&](int64_t u) {
    const int64_t gi = u / (ncb * msplit), jb = (u / msplit) % ncb, mb = u % msplit;
    const int64_t r0 = std::min(kg, row_panels * mb / msplit * MR);
    const int64_t r1 = std::min(kg, row_panels * (mb + 1) / msplit * MR);
    const int64_t J0 = jb * NCB, nc = std::min(NCB, NJ - J0);
    if (r0 >= r1 || nc <= 0) return;
    float* bbuf = tl_bblock.get(KC * NCB);
    const float* pa = packed + gi * pstride;
    const int64_t row_base = gi * kg;  // first output channel of the group
    // Tiles straddle images somewhere in this unit: sum in a private C block (ldc NCB).
    bool straddles = false;
    for (int64_t jr = 0; jr < nc && !straddles; jr += NR) straddles = (J0 + jr) % ohw + std::min(NR, nc - jr) > ohw;
    float* cblock = straddles && kk > KC ? tl_cblock.get((r1 - r0) * NCB) : nullptr;
    alignas(64) float tile[16 * kMaxNR];
    for (int64_t pc = 0; pc < kk; pc += KC) {
      const int64_t kc = std::min(KC, kk - pc);
      if (xp.data != nullptr) {
        pack_b_padded(g, xp, gi * cg, pc, kc, J0, nc, static_cast<int>(NR), bbuf);
      } else {
        pack_b_im2col(g, x, gi * cg, pc, kc, J0, nc, static_cast<int>(NR), bbuf);
      }
      const float beta = pc == 0 ? 0.f : 1.f;
      const bool last = pc + kc >= kk;
      for (int64_t ic = r0; ic < r1; ic += MC) {
        const int64_t mc = std::min(MC, r1 - ic);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = std::min(NR, nc - jr);
          const float* bp = bbuf + jr * kc;
          const int64_t J = J0 + jr, img = J / ohw, pix = J % ohw;
          const bool one_image = pix + nr <= ohw;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min(MR, mc - ir), row = ic + ir;
            const float* ap = pa + pc * m_pad + row * kc;
            if (one_image) {
              float* c = y + (img * g.k + row_base + row) * ohw + pix;
              if (last && fuse && mr == MR && nr == NR) {
                const TileEpilogue te{ep.row_bias != nullptr ? ep.row_bias + row_base + row : nullptr,
                                      ep.residual != nullptr ? ep.residual + (c - ep.out_base) : nullptr,
                                      static_cast<int>(ep.act)};
                K.kernel_epi(kc, ap, bp, c, ohw, beta, te);
                continue;
              }
              K.kernel(kc, ap, bp, c, ohw, 1.f, beta, mr, nr);
              if (last && epi) apply_epilogue(shifted(ep, row_base + row), mr, nr, c, ohw);
              continue;
            }
            const float* t;
            int64_t ldt;
            if (cblock != nullptr) {
              float* cb = cblock + (row - r0) * NCB + jr;
              K.kernel(kc, ap, bp, cb, NCB, 1.f, beta, mr, nr);
              if (!last) continue;
              t = cb;
              ldt = NCB;
            } else {
              K.kernel(kc, ap, bp, tile, NR, 1.f, 0.f, mr, nr);
              t = tile;
              ldt = NR;
            }
            // Last block: the finished tile goes to its images (one run of columns per image).
            int64_t Jc = J;
            for (int64_t lane = 0; lane < nr;) {
              const int64_t im = Jc / ohw, px = Jc % ohw, len = std::min(nr - lane, ohw - px);
              float* c = y + (im * g.k + row_base + row) * ohw + px;
              for (int64_t i = 0; i < mr; ++i) std::memcpy(c + i * ohw, t + i * ldt + lane, sizeof(float) * len);
              if (epi) apply_epilogue(shifted(ep, row_base + row), mr, len, c, ohw);
              lane += len;
              Jc += len;
            }
          }
        }
      }
    }
  };
  if (T > 1 && units > 1) {
    pool.run(static_cast<int>(units), [&](int u) { unit(u); });
  } else {
    for (int64_t u = 0; u < units; ++u) unit(u);
  }
}

// ---- backward-weight ----------------------------------------------------------------------
//
// dW_g = dY_g * im2col(x)_g^T: M = kg output channels, N = kk = cg*kh*kw, depth = the n*oh*ow
// columns. A panels (MR channels x depth) are read from dy image run by image run; B panels
// (depth x NR taps) are gathered from the zero-bordered x: tap j of column J sits at
// column_offset[J] + tap_offset[j].

bool implicit_gemm_backward_weight_suits(const ConvGeom& g) {
  const KernelSet& K = gemm_detail::active_kernels();
  return !g.pointwise() && g.ow <= 16 && K.nr <= kMaxNR && K.mr <= 16;
}

namespace {

// A block: rows [r0, r0 + mc) of dY_g (channel row_base + r), depth columns [J0, J0 + kc), as
// MR-row panels (kc x MR each, rows past mc zero).
void pack_a_dy(const ConvGeom& g, const float* dy, int64_t row_base, int64_t r0, int64_t mc, int64_t J0, int64_t kc,
               int MR, float* out) {
  const int64_t ohw = g.ohw();
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    const int64_t rows = std::min<int64_t>(MR, mc - i0);
    float* o = out + i0 * kc;
    for (int64_t p = 0; p < kc;) {
      const int64_t J = J0 + p, img = J / ohw, pix = J % ohw, len = std::min(kc - p, ohw - pix);
      for (int64_t i = 0; i < rows; ++i) {
        const float* __restrict src = dy + (img * g.k + row_base + r0 + i0 + i) * ohw + pix;
        float* __restrict d = o + p * MR + i;
        for (int64_t t = 0; t < len; ++t) d[t * MR] = src[t];
      }
      for (int64_t i = rows; i < MR; ++i)
        for (int64_t t = 0; t < len; ++t) o[(p + t) * MR + i] = 0.f;
      p += len;
    }
  }
}

// B block: depth columns [J0, J0 + kc) x taps [j0, j0 + nc) of im2col(x)_g^T as NR-tap panels.
void pack_b_taps(const ConvGeom& g, const PaddedInput& xp, int64_t c0, int64_t J0, int64_t kc, int64_t j0, int64_t nc,
                 int NR, const int64_t* col_off, float* out) {
  const int64_t khw = g.kh * g.kw, hwp = xp.hp * xp.wp;
  int64_t tap[kMaxNR];
  for (int64_t q = 0; q * NR < nc; ++q) {
    const int cols = static_cast<int>(std::min<int64_t>(NR, nc - q * NR));
    for (int l = 0; l < cols; ++l) {
      const int64_t j = j0 + q * NR + l, ci = j / khw, ky = (j % khw) / g.kw, kx = j % g.kw;
      tap[l] = (c0 + ci) * hwp + ky * g.dh * xp.wp + kx * g.dw;
    }
    float* o = out + q * kc * NR;
    for (int64_t p = 0; p < kc; ++p, o += NR) {
      const float* __restrict base = xp.data + col_off[p];
      if (cols == 16) {
#pragma GCC unroll 16
        for (int l = 0; l < 16; ++l) o[l] = base[tap[l]];
      } else {
        for (int l = 0; l < cols; ++l) o[l] = base[tap[l]];
        for (int l = cols; l < NR; ++l) o[l] = 0.f;
      }
    }
  }
}

std::vector<float> g_bw_partials;  // per-worker partial dW (calling thread only)

}  // namespace

void implicit_gemm_backward_weight(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  const KernelSet& K = gemm_detail::active_kernels();
  const int64_t MR = K.mr, NR = K.nr, MC = K.mc;
  const int64_t kg = g.kg(), kk = g.kk(), cg = g.cg(), ohw = g.ohw(), G = g.groups, wsize = g.k * kk;
  const int64_t NJ = g.n * ohw;
  ThreadPool& pool = ThreadPool::instance();
  const bool threaded = !ThreadPool::inside_task() && pool.size() > 1;
  if (NJ == 0) {
    std::memset(dw, 0, sizeof(float) * wsize);
    return;
  }
  const PaddedInput xp = padded_input(g, x, threaded);
  const int64_t hwp = xp.hp * xp.wp;
  const int64_t KC = std::min<int64_t>(K.kc, 1024);  // col_off below holds one KC chunk
  const int64_t NC = std::min<int64_t>(round_up(K.nc, NR), round_up(kk, NR));
  // Depth split over the workers in whole KC chunks; worker 0 sums into dw itself.
  const int64_t chunks = ceil_div(NJ, KC);
  const int64_t workers = threaded ? std::min<int64_t>(pool.size(), chunks) : 1;
  float* partials = nullptr;
  if (workers > 1) {
    if (static_cast<int64_t>(g_bw_partials.size()) < (workers - 1) * wsize) {
      g_bw_partials.clear();
      g_bw_partials.shrink_to_fit();
      g_bw_partials.resize(static_cast<size_t>((workers - 1) * wsize));
    }
    partials = g_bw_partials.data();
  }
  auto work = [&](int64_t wk) {
    float* acc = wk == 0 ? dw : partials + (wk - 1) * wsize;
    const int64_t c_begin = chunks * wk / workers * KC, c_end = std::min(NJ, chunks * (wk + 1) / workers * KC);
    if (c_begin >= c_end) {
      std::memset(acc, 0, sizeof(float) * wsize);
      return;
    }
    float* bbuf = tl_bblock.get(KC * NC);
    float* abuf = tl_cblock.get(round_up(std::min(MC, round_up(kg, MR)), MR) * KC);
    int64_t col_off[1024];
    for (int64_t gi = 0; gi < G; ++gi) {
      float* dwg = acc + gi * kg * kk;
      for (int64_t jc = 0; jc < kk; jc += NC) {
        const int64_t nc = std::min(NC, kk - jc);
        for (int64_t pc = c_begin; pc < c_end; pc += KC) {
          const int64_t kc = std::min(KC, c_end - pc);
          for (int64_t p = 0; p < kc; ++p) {
            const int64_t J = pc + p, img = J / ohw, pix = J % ohw;
            col_off[p] = img * g.c * hwp + (pix / g.ow) * g.sh * xp.wp + (pix % g.ow) * g.sw;
          }
          pack_b_taps(g, xp, gi * cg, pc, kc, jc, nc, static_cast<int>(NR), col_off, bbuf);
          const float beta = pc == c_begin ? 0.f : 1.f;
          for (int64_t ic = 0; ic < kg; ic += MC) {
            const int64_t mc = std::min(MC, kg - ic);
            pack_a_dy(g, dy, gi * kg, ic, mc, pc, kc, static_cast<int>(MR), abuf);
            for (int64_t jr = 0; jr < nc; jr += NR) {
              const int64_t nr = std::min(NR, nc - jr);
              for (int64_t ir = 0; ir < mc; ir += MR) {
                K.kernel(kc, abuf + ir * kc, bbuf + jr * kc, dwg + (ic + ir) * kk + jc + jr, kk, 1.f, beta,
                         std::min(MR, mc - ir), nr);
              }
            }
          }
        }
      }
    }
  };
  if (workers > 1) {
    pool.run(static_cast<int>(workers), [&](int wk) { work(wk); });
    add_weight_partials(dw, partials, workers, wsize);
  } else {
    work(0);
  }
}

}  // namespace imcls
