// Winograd F(m x m, 3 x 3) convolutions over NHWC (Lavin and Gray, arXiv:1509.09308): a 3x3
// stride-1 convolution computed per m x m output tile as Y = A^T [ (G g G^T) . (B^T d B) ] A,
// the elementwise product summed over input channels being, for each of the alpha^2 points
// (alpha = m + 2), a GEMM of tiles x channels by channels x output channels. F(4x4) does the
// work of the direct kernels with 36 instead of 144 multiplications per tile and channel pair,
// F(2x2) with 16 instead of 36; the transforms are a few additions per value.
//
// The GEMMs run on the 1x1 NHWC tile kernels: plane xi of V is an image of `tiles` pixels with
// c channels, and U[xi] is packed as a 1x1 convolution's weights. Work is split into blocks of
// tiles, each done whole by one thread (input transform, the alpha^2 GEMMs, output transform)
// in a scratch V and M sized to stay in L2; a layer of few tiles and large U (batch 1 deep in a
// network) runs instead in three whole-layer steps, its GEMMs split by plane and panel.
// Hot code: -O3 regardless of the build's flags.
#pragma GCC optimize("O3")
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "aligned_buffer.h"
#include "nhwc/nhwc.h"
#include "threadpool.h"

namespace imcls {

namespace {

using nhwc_detail::KernelSet;

// Transformed weights larger than this would be streamed from memory for every block of tiles.
constexpr int64_t kMaxTransformedWeights = 5 * 1024 * 1024;
// V and M of one block: half of a 1 MB L2, the rest for the weight panel and the output rows.
constexpr int64_t kBlockScratchBytes = 512 * 1024;
// Transformed weights over this are not re-read from L2 block after block but from memory; a
// layer whose V and M together stay within kWholeLayerScratchBytes then runs as a whole, each
// plane's GEMM once (see nhwc_winograd_forward).
constexpr int64_t kL2TransformedWeights = 1024 * 1024;
constexpr int64_t kWholeLayerScratchBytes = 4 * 1024 * 1024;

bool winograd_enabled() {
  static const bool on = [] {
    const char* e = std::getenv("IMCLS_WINOGRAD");
    return e == nullptr || std::strcmp(e, "0") != 0;
  }();
  return on;
}

// The 1x1 convolution whose packed weights hold one plane U[xi].
ConvGeom plane_geom(const ConvGeom& g) {
  ConvGeom p = g;
  p.h = p.w = p.oh = p.ow = 1;
  p.kh = p.kw = p.sh = p.sw = p.dh = p.dw = 1;
  p.pt = p.pb = p.pl = p.pr = 0;
  return p;
}

// G (alpha x 3) of F(2x2, 3x3) and F(4x4, 3x3).
const double kG2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
const double kG4[6][3] = {{0.25, 0, 0},
                          {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                          {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                          {1.0 / 24, 1.0 / 12, 1.0 / 6},
                          {1.0 / 24, -1.0 / 12, 1.0 / 6},
                          {0, 0, 1}};

}  // namespace

int nhwc_winograd_tile(const ConvGeom& g) {
  if (!winograd_enabled()) return 0;
  if (g.groups != 1 || g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1) return 0;
  // Narrow layers: the transforms, not the GEMMs, would dominate.
  if (g.c < 16 || g.k < 16) return 0;
  const int64_t bytes = g.c * g.k * static_cast<int64_t>(sizeof(float));
  if (36 * bytes <= kMaxTransformedWeights / 2) return 4;
  if (16 * bytes <= kMaxTransformedWeights) return 2;
  return 0;
}

int64_t nhwc_winograd_packed_size(const ConvGeom& g) {
  const int64_t a = nhwc_winograd_tile(g) + 2;
  return a * a * nhwc_conv_packed_size(plane_geom(g));
}

void nhwc_winograd_pack(const ConvGeom& g, const float* w, float* packed) {
  const int m = nhwc_winograd_tile(g), a = m + 2, planes = a * a;
  const double(*G)[3] = m == 4 ? kG4 : kG2;
  const ConvGeom pg = plane_geom(g);
  const int64_t plane_packed = nhwc_conv_packed_size(pg), pairs = g.k * g.c;
  // U[xi][co][ci] = (G g G^T)[xi], in double: the weights are transformed once per model.
  std::vector<float> u(static_cast<size_t>(planes * pairs));
  parallel_for(pairs, 64, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float* k3 = w + p * 9;
      double gk[6][3];
      for (int i = 0; i < a; ++i)
        for (int j = 0; j < 3; ++j) gk[i][j] = G[i][0] * k3[j] + G[i][1] * k3[3 + j] + G[i][2] * k3[6 + j];
      for (int i = 0; i < a; ++i)
        for (int j = 0; j < a; ++j)
          u[static_cast<size_t>((i * a + j) * pairs + p)] =
              static_cast<float>(gk[i][0] * G[j][0] + gk[i][1] * G[j][1] + gk[i][2] * G[j][2]);
    }
  });
  for (int xi = 0; xi < planes; ++xi) nhwc_conv_pack(pg, u.data() + xi * pairs, packed + xi * plane_packed);
}

namespace {

thread_local AlignedBuffer tl_v, tl_m, tl_zero;

}  // namespace

void nhwc_winograd_forward(const ConvGeom& g, const float* x, const float* packed, const float* bias,
                           EpilogueAct act, float alpha, const float* residual, float* y) {
  const KernelSet& K = nhwc_detail::active_kernels();
  const int m = nhwc_winograd_tile(g), a = m + 2, planes = a * a, which = m == 4 ? 1 : 0;
  const int64_t th = ceil_div(g.oh, m), tw = ceil_div(g.ow, m), tiles = g.n * th * tw;
  if (tiles == 0) return;
  const ConvGeom pg = plane_geom(g);
  const int64_t plane_packed = nhwc_conv_packed_size(pg), pw = nhwc_detail::panel_width(K), panels = ceil_div(g.k, pw);
  const int64_t T = parallel_threads();
  auto tile_origin = [&](int64_t t, int64_t& img, int64_t& oy, int64_t& ox) {
    img = t / (th * tw);
    oy = (t / tw) % th * m;
    ox = t % tw * m;
  };
  // V[xi][tile] = (B^T d B)[xi] of tile t, as row `row` of a V holding `rows` tiles
  auto transform_in = [&](int64_t t, float* v, int64_t row, int64_t rows, const float* zero) {
    const float* src[36];
    int64_t img, oy, ox;
    tile_origin(t, img, oy, ox);
    for (int i = 0; i < a; ++i)
      for (int j = 0; j < a; ++j) {
        const int64_t iy = oy - g.pt + i, ix = ox - g.pl + j;
        src[i * a + j] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? x + ((img * g.h + iy) * g.w + ix) * g.c : zero;
      }
    K.winograd_in[which]({src, g.c, v + row * g.c, rows * g.c});
  };
  // M[xi] = V[xi] U[xi] for output-channel panel q: rows of tiles through the 1x1 tile kernels
  auto plane_gemm = [&](const float* v, float* mm, int64_t rows, int xi, int64_t q) {
    nhwc_detail::TileArgs ta{};
    const float* px[nhwc_detail::kMaxR];
    const int64_t seg_off = 0, seg_len = g.c;
    ta.px = px;
    ta.seg_off = &seg_off;
    ta.seg_len = &seg_len;
    ta.nseg = 1;
    ta.finish = true;
    ta.ldc = g.k;
    const int64_t co0 = q * pw, nv = nhwc_detail::panel_row(K, g.k, q) / K.width;
    ta.b = packed + xi * plane_packed + q * g.c * pw;
    ta.valid = static_cast<int>(std::min(pw, g.k - co0));
    for (int64_t r0 = 0; r0 < rows; r0 += K.mr) {
      const int64_t n = std::min<int64_t>(K.mr, rows - r0);
      for (int64_t i = 0; i < n; ++i) px[i] = v + (xi * rows + r0 + i) * g.c;
      ta.y = mm + (xi * rows + r0) * g.k + co0;
      K.tile[n - 1][nv - 1](ta);
    }
  };
  // Y of tile t = A^T M A + bias (+ residual), activated; t is row `row` of an M of `rows` tiles
  auto transform_out = [&](int64_t t, const float* mm, int64_t row, int64_t rows) {
    float* dst[16];
    const float* res[16];
    int64_t img, oy, ox;
    tile_origin(t, img, oy, ox);
    for (int r = 0; r < m; ++r)
      for (int s = 0; s < m; ++s) {
        const bool inside = oy + r < g.oh && ox + s < g.ow;
        const int64_t o = ((img * g.oh + oy + r) * g.ow + ox + s) * g.k;
        dst[r * m + s] = inside ? y + o : nullptr;
        res[r * m + s] = inside && residual != nullptr ? residual + o : nullptr;
      }
    K.winograd_out[which]({mm + row * g.k, rows * g.k, g.k, bias, dst, residual != nullptr ? res : nullptr,
                           static_cast<int>(act), alpha});
  };
  const int64_t per_tile = planes * (g.c + g.k) * static_cast<int64_t>(sizeof(float));
  const int64_t weight_bytes = planes * g.c * g.k * static_cast<int64_t>(sizeof(float));
  if (weight_bytes > kL2TransformedWeights && tiles * per_tile <= kWholeLayerScratchBytes) {
    // Few tiles, large weights (batch 1 at 14x14 and 28x28): the whole layer's V, then the
    // GEMMs split by (plane, panel) so each thread reads its share of U once, then the output.
    // Blocks of tiles would each read all of U, from memory (ResNet50's 256 -> 256 at 14x14:
    // 4.2 MB of U, read twice by each thread).
    float* v = tl_v.get(planes * tiles * g.c);
    float* mm = tl_m.get(planes * tiles * g.k);
    float* zero = tl_zero.get(g.c);
    std::memset(zero, 0, sizeof(float) * g.c);
    parallel_for(tiles, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) transform_in(t, v, t, tiles, zero);
    });
    parallel_for(planes * panels, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) plane_gemm(v, mm, tiles, static_cast<int>(i / panels), i % panels);
    });
    parallel_for(tiles, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) transform_out(t, mm, t, tiles);
    });
    return;
  }
  int64_t blocks = ceil_div(tiles, std::max<int64_t>(1, kBlockScratchBytes / per_tile));
  blocks = std::min(tiles, ceil_div(std::max(blocks, T), T) * T);  // a whole number of rounds
  auto block = [&](int64_t b) {
    const int64_t t0 = tiles * b / blocks, t1 = tiles * (b + 1) / blocks, nt = t1 - t0;
    float* v = tl_v.get(planes * nt * g.c);
    float* mm = tl_m.get(planes * nt * g.k);
    float* zero = tl_zero.get(g.c);
    std::memset(zero, 0, sizeof(float) * g.c);
    for (int64_t t = t0; t < t1; ++t) transform_in(t, v, t - t0, nt, zero);
    for (int xi = 0; xi < planes; ++xi)
      for (int64_t q = 0; q < panels; ++q) plane_gemm(v, mm, nt, xi, q);
    for (int64_t t = t0; t < t1; ++t) transform_out(t, mm, t - t0, nt);
  };
  // contiguous runs of blocks per thread (parallel_for): the same pixels on the same core layer
  // after layer
  parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) block(b);
  });
}

}  // namespace imcls
