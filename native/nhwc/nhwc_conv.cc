// NHWC convolution drivers (see nhwc.h): weight packing, the zero-bordered input, the split of
// (output-channel panel, pixel tiles) work over the pool, and the JS entry points.
// Hot code: -O3 regardless of the build's flags.
#pragma GCC optimize("O3")
#include <algorithm>
#include <cstring>
#include <vector>

#include "aligned_buffer.h"
#include "args.h"
#include "cpu.h"
#include "nhwc/nhwc.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

namespace nhwc_detail {

const KernelSet& active_kernels() {
  static const KernelSet* chosen = [] {
    const KernelSet* k = nullptr;
    const Isa isa = selected_isa();
    if (isa == Isa::avx512) k = avx512_kernels();
    if (k == nullptr && (isa == Isa::avx512 || isa == Isa::avx2)) k = avx2_kernels();
    if (k == nullptr) k = baseline_kernels();
    return k;
  }();
  return *chosen;
}

}  // namespace nhwc_detail

namespace {

using nhwc_detail::KernelSet;

// The input with its zero border, [n][hp][wp][c]: every tap of every output pixel is in bounds.
struct Bordered {
  const float* data;
  int64_t hp, wp;
};

thread_local AlignedBuffer tl_bordered;

Bordered bordered_input(const ConvGeom& g, const float* x) {
  Bordered b{x, std::max(g.h + g.pt + g.pb, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1),
             std::max(g.w + g.pl + g.pr, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1)};
  if (b.hp == g.h && b.wp == g.w && g.pt == 0 && g.pl == 0) return b;
  float* dst = tl_bordered.get(g.n * b.hp * b.wp * g.c);
  const int64_t row = b.wp * g.c;
  parallel_for(g.n * b.hp, 8, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t img = r / b.hp, iy = r % b.hp - g.pt;
      float* d = dst + r * row;
      if (iy < 0 || iy >= g.h) {
        std::memset(d, 0, sizeof(float) * row);
        continue;
      }
      const int64_t left = g.pl * g.c, body = g.w * g.c;
      std::memset(d, 0, sizeof(float) * left);
      std::memcpy(d + left, x + (img * g.h + iy) * body, sizeof(float) * body);
      std::memset(d + left + body, 0, sizeof(float) * (row - left - body));
    }
  });
  b.data = dst;
  return b;
}

using nhwc_detail::panel_width;

// Depth rows of the packed panel layout: (ky, kx, ci).
int64_t depth(const ConvGeom& g) { return g.kh * g.kw * g.c; }

int64_t panel_row(const KernelSet& K, const ConvGeom& g, int64_t q) { return nhwc_detail::panel_row(K, g.k, q); }

}  // namespace

int64_t nhwc_conv_packed_size(const ConvGeom& g) {
  if (nhwc_winograd_tile(g) != 0) return nhwc_winograd_packed_size(g);
  const KernelSet& K = nhwc_detail::active_kernels();
  const int64_t pw = panel_width(K), panels = ceil_div(g.k, pw);
  return depth(g) * ((panels - 1) * pw + panel_row(K, g, panels - 1));
}

void nhwc_conv_pack(const ConvGeom& g, const float* w, float* packed) {
  if (nhwc_winograd_tile(g) != 0) return nhwc_winograd_pack(g, w, packed);
  const KernelSet& K = nhwc_detail::active_kernels();
  const int64_t pw = panel_width(K), panels = ceil_div(g.k, pw), d = depth(g), khw = g.kh * g.kw;
  parallel_for(panels, 1, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t rw = panel_row(K, g, q), co0 = q * pw;
      float* out = packed + q * d * pw;
      for (int64_t t = 0; t < khw; ++t)
        for (int64_t ci = 0; ci < g.c; ++ci) {
          float* o = out + (t * g.c + ci) * rw;
          for (int64_t j = 0; j < rw; ++j) {
            const int64_t co = co0 + j;
            o[j] = co < g.k ? w[(co * g.c + ci) * khw + t] : 0.f;
          }
        }
    }
  });
}

namespace {

// A depth range [k0, k1) of the packed rows as contiguous runs of the bordered input.
struct DepthRange {
  int64_t k0;
  std::vector<int64_t> off, len;
};

// The depth as contiguous runs of (taps x channels) of a pixel's window (a whole kernel row
// when columns are not dilated), cut into ranges of at most `kc` rows.
std::vector<DepthRange> depth_ranges(const ConvGeom& g, int64_t wp, int64_t kc) {
  std::vector<int64_t> run_off;
  int64_t run_len;
  if (g.dw == 1) {
    for (int64_t ky = 0; ky < g.kh; ++ky) run_off.push_back(ky * g.dh * wp * g.c);
    run_len = g.kw * g.c;
  } else {
    for (int64_t ky = 0; ky < g.kh; ++ky)
      for (int64_t kx = 0; kx < g.kw; ++kx) run_off.push_back((ky * g.dh * wp + kx * g.dw) * g.c);
    run_len = g.c;
  }
  const int64_t total = static_cast<int64_t>(run_off.size()) * run_len;
  const int64_t n = ceil_div(total, kc), step = ceil_div(total, n);
  std::vector<DepthRange> ranges;
  for (int64_t k0 = 0; k0 < total; k0 += step) {
    DepthRange r{k0, {}, {}};
    const int64_t k1 = std::min(total, k0 + step);
    for (int64_t k = k0; k < k1;) {
      const int64_t run = k / run_len, in = k % run_len, len = std::min(run_len - in, k1 - k);
      r.off.push_back(run_off[static_cast<size_t>(run)] + in);
      r.len.push_back(len);
      k += len;
    }
    ranges.push_back(std::move(r));
  }
  return ranges;
}

// Weights up to this size are read from L2 for every tile: each tile runs all output-channel
// panels (its output pixels written whole, once, in order). Larger ones go panel by panel, each
// panel's depth in ranges that stay in L2 while all the tiles stream past. On many tiles (batch
// 16 at 14x14) weights up to kManyTilesWeights still go tile by tile: panel by panel there
// writes the output (and reads the shortcut) in stripes one panel wide, a row stride apart,
// which cost more than re-reading 1 MB of weights (ResNet50's 256 -> 1024 1x1 convs with their
// shortcut, batch 16: 7.1-7.7 -> 6.1-6.2 ms); on few tiles the weights are the traffic.
// Weights a little over kL2Weights go tile by tile from kSomeTiles on: panel by panel, each
// depth range streams every pixel's window past again, from L3 once the input outgrows L2
// (ResNet50's 128 -> 128 3x3 stride 2 at 56x56, batch 1: 0.78 -> 0.56 ms); at a megabyte the
// weights no longer stay in L2 beside the tile's input (256 <-> 1024 1x1s at 28x28: slower).
constexpr int64_t kL2Weights = 512 * 1024;
constexpr int64_t kSomeTilesWeights = 768 * 1024;
constexpr int64_t kSomeTiles = 128;
constexpr int64_t kManyTilesWeights = 1280 * 1024;
constexpr int64_t kManyTiles = 256;
constexpr int64_t kRangeBytes = 256 * 1024;

}  // namespace

void nhwc_conv_forward(const ConvGeom& g, const float* x, const float* packed, const float* bias, EpilogueAct act,
                       float alpha, const float* residual, float* y, bool y_in_cache) {
  if (nhwc_winograd_tile(g) != 0) return nhwc_winograd_forward(g, x, packed, bias, act, alpha, residual, y);
  const KernelSet& K = nhwc_detail::active_kernels();
  const int64_t np = g.n * g.ohw();
  if (np == 0) return;
  const Bordered xb = bordered_input(g, x);
  const int64_t pw = panel_width(K), panels = ceil_div(g.k, pw), d = depth(g), mr = K.mr;
  const int64_t tiles = ceil_div(np, mr);
  const int64_t weight_bytes = d * g.k * static_cast<int64_t>(sizeof(float));
  const bool tile_outer = weight_bytes <= kL2Weights || (weight_bytes <= kSomeTilesWeights && tiles >= kSomeTiles) ||
                          (weight_bytes <= kManyTilesWeights && tiles >= kManyTiles);
  const std::vector<DepthRange> ranges =
      depth_ranges(g, xb.wp, tile_outer ? d : std::max<int64_t>(1, kRangeBytes / (pw * static_cast<int64_t>(sizeof(float)))));
  // The output may be the residual's own storage (residual == y: the caller's shortcut is dead
  // after the join, and writing over it saves a stream of memory traffic, as ONNX Runtime's
  // fused Conv+Sum does). A single-range epilogue reads each residual value just before it
  // stores the output over it, which is safe. Partial sums of a depth range stored in y would
  // overwrite the residual, and leaky_relu's scalar epilogue re-reads y after storing raw sums:
  // those start their sums from the residual instead (y accumulated from the first range on).
  const bool from_residual = residual != nullptr && residual == y && (ranges.size() > 1 || act == EpilogueAct::leaky_relu);
  if (from_residual) residual = nullptr;
  const int64_t ohw = g.ohw();
  // 1x1 stride 1 unpadded: pixel p's window is row p of the input itself.
  const bool rows_are_pixels = xb.data == x && g.pointwise();
  // The pixel bases of the tile of `rows` pixels from p0 (one division per tile, then counters).
  auto set_pixels = [&](const float** px, int64_t p0, int64_t rows) {
    if (rows_are_pixels) {
      for (int64_t i = 0; i < rows; ++i) px[i] = x + (p0 + i) * g.c;
      return;
    }
    int64_t img = p0 / ohw, oy = p0 % ohw / g.ow, ox = p0 % g.ow;
    for (int64_t i = 0; i < rows; ++i) {
      px[i] = xb.data + ((img * xb.hp + oy * g.sh) * xb.wp + ox * g.sw) * g.c;
      if (++ox == g.ow) {
        ox = 0;
        if (++oy == g.oh) oy = 0, ++img;
      }
    }
  };
  auto run_panel = [&](nhwc_detail::TileArgs& a, int64_t p0, int64_t rows, int64_t q, const DepthRange& r, bool first, bool last) {
    const int64_t co0 = q * pw, nv = panel_row(K, g, q) / K.width;
    a.seg_off = r.off.data();
    a.seg_len = r.len.data();
    a.nseg = static_cast<int64_t>(r.off.size());
    a.b = packed + q * d * pw + r.k0 * nv * K.width;
    a.y = y + p0 * g.k + co0;
    a.bias = bias != nullptr ? bias + co0 : nullptr;
    a.residual = residual != nullptr ? residual + p0 * g.k + co0 : nullptr;
    a.valid = static_cast<int>(std::min(pw, g.k - co0));
    a.accumulate = !first || from_residual;
    a.finish = last;
    K.tile[rows - 1][nv - 1](a);
  };
  // Weights come from memory once per layer: the panel a thread reads next is fetched into L2
  // while it computes the current one, a slice per tile, instead of on demand when the kernel
  // reaches it (ResNet50 batch 16: 1-2% in alternating blocks; batch 1 unchanged).
  const int64_t panel_floats = d * pw;
  auto fetch_slice = [&](int64_t q, int64_t i, int64_t n) {
    if (q >= panels) return;
    const char* base = reinterpret_cast<const char*>(packed + q * panel_floats);
    const int64_t bytes = d * panel_row(K, g, q) * static_cast<int64_t>(sizeof(float));
    for (int64_t o = bytes * i / n / 64 * 64, e = bytes * (i + 1) / n; o < e; o += 64) __builtin_prefetch(base + o, 0, 2);
  };
  auto tile_args = [&] {
    nhwc_detail::TileArgs a{};
    a.ldc = g.k;
    a.act = static_cast<int>(act);
    a.alpha = alpha;
    return a;
  };
  // Each thread takes an equal share of the work, cut at pixel granularity rather than whole
  // tiles (49 pixels of a 7x7 map in 6-pixel tiles gave one thread 30 and the other 19), and
  // tiles its share from its first pixel. Consecutive layers that split their pixels alike then
  // find their rows in the cache of the core that wrote them.
  if (tile_outer) {
    // Pixels [p0, p1), every panel of a tile before the next tile: its output pixels written
    // whole, once, in order.
    parallel_for(np, 1, [&](int64_t p0, int64_t p1) {
      nhwc_detail::TileArgs a = tile_args();
      const float* px[nhwc_detail::kMaxR];
      a.px = px;
      for (int64_t p = p0; p < p1; p += mr) {
        const int64_t rows = std::min(mr, p1 - p);
        // The next tile's output rows and shortcut are whole contiguous rows (all panels): fetch
        // them while this tile computes (cold lines there stalled the small-depth layers). Not
        // the lines of a scratch already in cache: one prefetch per output line was pure
        // overhead next to a tile of depth 16 (MobileNetV2 batch 1, its fused units' expand
        // steps without them: 2.7% faster in alternating in-process blocks).
        const int64_t pn = p + rows, nn = std::min(mr, p1 - pn) * g.k;
        if (!y_in_cache || residual != nullptr)
          for (int64_t o = 0; o < nn; o += 16) {
            if (!y_in_cache) __builtin_prefetch(y + pn * g.k + o, 1, 2);
            if (residual != nullptr) __builtin_prefetch(residual + pn * g.k + o, 0, 2);
          }
        set_pixels(px, p, rows);
        for (int64_t q = 0; q < panels; ++q) {
          if (p == p0) fetch_slice(q + 1, 0, 1);  // the first tile: the next panel
          run_panel(a, p, rows, q, ranges[0], true, true);
        }
      }
    });
    return;
  }
  // Panel by panel: the work is the (panel, pixel) grid in panel-major order, each panel's
  // pixels weighted by its vectors (a 32-wide last panel costs half a 64-wide one), and a thread
  // takes an equal share of that weight. Its pixels of one panel run as one tile range, each
  // depth range over all of them (a panel larger than L2, ResNet50's 512 -> 512 3x3 at 1.2 MB,
  // is read once per thread).
  std::vector<int64_t> start(static_cast<size_t>(panels) + 1, 0);  // weight before panel q
  for (int64_t q = 0; q < panels; ++q) start[q + 1] = start[q] + panel_row(K, g, q) / K.width * np;
  const int64_t T = parallel_threads();
  // a weight position as (panel, first pixel at or after it)
  auto locate = [&](int64_t pos, int64_t* q, int64_t* p) {
    *q = std::upper_bound(start.begin(), start.end(), pos) - start.begin() - 1;
    if (*q >= panels) {
      *q = panels, *p = 0;
      return;
    }
    const int64_t nv = panel_row(K, g, *q) / K.width;
    *p = (pos - start[*q] + nv - 1) / nv;
    if (*p >= np) ++*q, *p = 0;
  };
  parallel_for(T, 1, [&](int64_t i0, int64_t i1) {
    nhwc_detail::TileArgs a = tile_args();
    const float* px[nhwc_detail::kMaxR];
    a.px = px;
    int64_t q0, p0, q1, p1;
    locate(start[panels] * i0 / T, &q0, &p0);
    locate(start[panels] * i1 / T, &q1, &p1);
    const int64_t qlast = std::min(q1, panels - 1);
    for (int64_t q = q0; q <= qlast; ++q) {
      const int64_t pa = q == q0 ? p0 : 0, pb = q == q1 ? p1 : np;
      if (pa >= pb) continue;
      const bool more = q < qlast;  // this thread goes on to the next panel: fetch it meanwhile
      const int64_t ntiles = ceil_div(pb - pa, mr), steps = static_cast<int64_t>(ranges.size()) * ntiles;
      int64_t step = 0;
      for (size_t ri = 0; ri < ranges.size(); ++ri)
        for (int64_t p = pa; p < pb; p += mr) {
          const int64_t rows = std::min(mr, pb - p);
          if (more) fetch_slice(q + 1, step++, steps);
          set_pixels(px, p, rows);
          run_panel(a, p, rows, q, ranges[ri], ri == 0, ri + 1 == ranges.size());
        }
    }
  });
}

void nhwc_depthwise_pack(const ConvGeom& g, const float* w, float* packed) {
  const int64_t khw = g.kh * g.kw;
  for (int64_t ch = 0; ch < g.c; ++ch)
    for (int64_t t = 0; t < khw; ++t) packed[t * g.c + ch] = w[ch * khw + t];
}

void nhwc_depthwise_forward(const ConvGeom& g, const float* x, const float* packed, const float* bias,
                            EpilogueAct act, float alpha, float* y) {
  const KernelSet& K = nhwc_detail::active_kernels();
  const int64_t rows = g.n * g.oh;
  if (rows * g.ow == 0) return;
  // Read straight from x (a bordered copy would double the traffic of a memory-bound layer).
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, g.ow * g.c * g.kh * g.kw));
  // Few rows a thread (a 7x7 map: 7 rows over 2 threads went 4 and 3, and the layer ran no
  // faster than on one): the work is (row, block of channels) items, row-major, so a thread's
  // share is still mostly whole rows, the pixels the layer before wrote on its core.
  const int64_t T = parallel_threads();
  const int64_t vectors = ceil_div(g.c, K.width);
  const int64_t blocks = rows >= 4 * T ? 1 : std::min(vectors, ceil_div(4 * T, rows));
  const int64_t block_c = ceil_div(vectors, blocks) * K.width, nb = ceil_div(g.c, block_c);
  parallel_for(rows * nb, nb == 1 ? grain : 1, [&](int64_t i0, int64_t i1) {
    nhwc_detail::DepthwiseArgs a = nhwc_detail::depthwise_args(g, packed, bias, act, alpha);
    // rows whose every block is in the range run together (a kernel runs a channel vector down them)
    for (int64_t i = i0; i < i1;) {
      const int64_t r = i / nb, b0 = i % nb, b1 = std::min(nb, i1 - r * nb), img = r / g.oh;
      const int64_t end = b0 == 0 && b1 == nb ? std::min(i1 / nb, (img + 1) * g.oh) : r + 1;
      a.c0 = b0 * block_c;
      a.c1 = std::min(g.c, b1 * block_c);
      a.x = x + img * g.h * g.w * g.c;
      a.y = y + r * g.ow * g.c;
      K.depthwise(a, r - img * g.oh, end - img * g.oh);
      i = b1 == nb ? end * nb : r * nb + b1;
    }
  });
}

// ---- JS entry points --------------------------------------------------------------------

namespace {

// Depthwise kernels list a pixel's taps in a 64-entry table.
bool depthwise_geometry(const ConvGeom& g) { return g.groups == g.c && g.k == g.c && g.groups > 1 && g.kh * g.kw <= 64; }

bool supported(const ConvGeom& g) { return g.groups == 1 || depthwise_geometry(g); }

void require_supported(const Napi::CallbackInfo& info, const ConvGeom& g) {
  if (!supported(g))
    throw Napi::RangeError::New(info.Env(), "NHWC conv: only groups 1 and depthwise (groups == channels, multiplier 1, at most 64 taps)");
}

EpilogueAct act_arg(const Napi::CallbackInfo& info, size_t i) {
  const int64_t act = int_arg(info, i);
  if (act < 0 || act > 3) throw Napi::RangeError::New(info.Env(), "NHWC conv: act must be 0 (none), 1 (relu), 2 (relu6) or 3 (leaky_relu)");
  return static_cast<EpilogueAct>(act);
}

int64_t packed_size(const ConvGeom& g) {
  return depthwise_geometry(g) ? g.kh * g.kw * g.c : nhwc_conv_packed_size(g);
}

}  // namespace

// convNhwcSupports(g) -> whether the NHWC kernels take this geometry (groups 1, or depthwise).
static Napi::Value ConvNhwcSupports(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  return Napi::Boolean::New(info.Env(), supported(g));
}

// convNhwcAlgorithm(g) -> which kernels run it: "depthwise", "winograd_4x4", "winograd_2x2" or
// "direct" (tests check that their cases reach the path they are written for).
static Napi::Value ConvNhwcAlgorithm(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  require_supported(info, g);
  const char* name = "direct";
  if (depthwise_geometry(g)) name = "depthwise";
  else if (nhwc_winograd_tile(g) == 4) name = "winograd_4x4";
  else if (nhwc_winograd_tile(g) == 2) name = "winograd_2x2";
  return Napi::String::New(info.Env(), name);
}

// convNhwcPackedSize(g) -> floats of the buffer convNhwcPack fills.
static Napi::Value ConvNhwcPackedSize(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  require_supported(info, g);
  return Napi::Number::New(info.Env(), static_cast<double>(packed_size(g)));
}

// convNhwcPack(g, w OIHW, packed)
static Napi::Value ConvNhwcPack(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  require_supported(info, g);
  require_len(info, 1, g.k * g.kk(), "w");
  require_len(info, 2, packed_size(g), "packed");
  if (depthwise_geometry(g)) nhwc_depthwise_pack(g, f32(info, 1), f32(info, 2));
  else nhwc_conv_pack(g, f32(info, 1), f32(info, 2));
  return info.Env().Undefined();
}

// convNhwcForward(g, x NHWC, packed, bias|null, y NHWC, act, alpha, residual NHWC|null)
static Napi::Value ConvNhwcForward(const Napi::CallbackInfo& info) {
  const ConvGeom g = read_conv_geom(info, 0);
  require_supported(info, g);
  require_len(info, 1, g.n * g.c * g.hw(), "x");
  require_len(info, 2, packed_size(g), "packed");
  float* bias = f32_or_null(info, 3);
  if (bias) require_len(info, 3, g.k, "bias");
  require_len(info, 4, g.n * g.k * g.ohw(), "y");
  const EpilogueAct act = act_arg(info, 5);
  const float alpha = info.Length() > 6 && info[6].IsNumber() ? static_cast<float>(num_arg(info, 6)) : 0.f;
  const float* residual = info.Length() > 7 ? f32_or_null(info, 7) : nullptr;
  if (residual) require_len(info, 7, g.n * g.k * g.ohw(), "residual");
  if (depthwise_geometry(g)) {
    if (residual) throw Napi::RangeError::New(info.Env(), "NHWC depthwise conv: no residual");
    nhwc_depthwise_forward(g, f32(info, 1), f32(info, 2), bias, act, alpha, f32(info, 4));
  } else {
    nhwc_conv_forward(g, f32(info, 1), f32(info, 2), bias, act, alpha, residual, f32(info, 4));
  }
  return info.Env().Undefined();
}

IMCLS_EXPORT("convNhwcSupports", ConvNhwcSupports);
IMCLS_EXPORT("convNhwcAlgorithm", ConvNhwcAlgorithm);
IMCLS_EXPORT("convNhwcPackedSize", ConvNhwcPackedSize);
IMCLS_EXPORT("convNhwcPack", ConvNhwcPack);
IMCLS_EXPORT("convNhwcForward", ConvNhwcForward);

}  // namespace imcls
