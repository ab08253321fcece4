// The NHWC register-tile and depthwise-row kernels (see nhwc.h), written once over the vector
// traits of microkernel.h (plus add/max/min) and instantiated by each ISA file under its own
// target pragma. Internal linkage throughout, for the reason microkernel.h gives.
//
// Include after gemm/microkernel.h, <algorithm>, <type_traits> and <utility>.

namespace {

using imcls::nhwc_detail::DepthwiseArgs;
using imcls::nhwc_detail::TileArgs;

// Scalar epilogue of one value: + bias, + residual, then the activation (the vector one below
// does the same operations in the same order).
inline float nhwc_epilogue_scalar(float v, const float* bias, const float* res, int act, float alpha) {
  if (bias != nullptr) v += *bias;
  if (res != nullptr) v += *res;
  switch (act) {
    case 1: return v < 0.f ? 0.f : v;
    case 2: return v < 0.f ? 0.f : (6.f < v ? 6.f : v);
    case 3: return v > 0.f ? v : alpha * v;
    default: return v;
  }
}

// Vector max/min return the second operand on NaN: max(0, v) passes NaN through like v < 0 ? 0 : v.
// n < width: only the first n lanes of bias and res are read (a panel's partial last vector).
template <class V>
inline __attribute__((always_inline)) typename V::reg nhwc_epilogue(typename V::reg v, const float* bias,
                                                                    const float* res, int act, int n = V::width) {
  if (bias != nullptr) v = V::add(v, n == V::width ? V::loadu(bias) : V::loadn(bias, n));
  if (res != nullptr) v = V::add(v, n == V::width ? V::loadu(res) : V::loadn(res, n));
  if (act == 1) return V::max(V::zero(), v);
  if (act == 2) return V::min(V::set1(6.f), V::max(V::zero(), v));
  return v;
}

// The epilogue of a whole finished panel, for a depth loop that applies it in its registers:
// y = min(hi, max(lo, acc + bias + residual)), rows ldc_bytes apart (lo/hi: -inf/+inf for no
// activation, 0/+inf for relu, 0/6 for relu6; the same operations in the same order as
// nhwc_tile_finish, NaN passed through alike).
struct NhwcFinish {
  float* y;
  int64_t ldc_bytes;
  const float* bias;      // never null
  const float* residual;  // or null
  float lo, hi;
};

// The depth loop of one run: acc[i][j] += a[i][p] * b[p][j * W .. j * W + W) for p < len, b
// advancing one packed row (NV * W floats) per step. An ISA file may specialise a shape in
// assembler where the compiler's register allocation fails it (see avx512.cc).
// kStartsFromZero: run(..., zero = true) ignores acc's contents and starts from zero, so the
// caller need not clear it first. kFinishes: run(..., fin) with fin non-null (and len > 0)
// ends with fin's epilogue, straight from the registers, instead of storing acc.
template <class V, int R, int NV>
struct NhwcTileSteps {
  static constexpr bool kStartsFromZero = false;
  static constexpr bool kFinishes = false;
  static inline __attribute__((always_inline)) void run(const float* const* a, const float*& b, int64_t len,
                                                        typename V::reg (&acc)[R][NV], bool /*zero*/,
                                                        const NhwcFinish* /*fin*/ = nullptr) {
    constexpr int PW = NV * V::width;
    for (int64_t p = 0; p < len; ++p, b += PW) {
      typename V::reg bv[NV];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) bv[j] = V::loadu(b + j * V::width);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const typename V::reg va = V::bcast(a[i] + p);
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] = V::fmadd(va, bv[j], acc[i][j]);
      }
    }
  }
};

// One vector of output channels (a 16-channel layer, or the last 16 of 144): R chains of
// dependent FMAs are too few to cover the FMA latency on two pipes (R = 6 of the 8 needed), and
// such tiles ran at two thirds of the wider ones' rate (56x56, 1 thread: c96 -> k16 129 GFLOP/s,
// -> k32 192). Even and odd depth steps go to two sets of accumulators, added at the end.
template <class V, int R>
struct NhwcTileSteps<V, R, 1> {
  static constexpr bool kStartsFromZero = false;
  static constexpr bool kFinishes = false;
  static inline __attribute__((always_inline)) void run(const float* const* a, const float*& b, int64_t len,
                                                        typename V::reg (&acc)[R][1], bool /*zero*/,
                                                        const NhwcFinish* /*fin*/ = nullptr) {
    constexpr int W = V::width;
    typename V::reg odd[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) odd[i] = V::zero();
    int64_t p = 0;
    for (; p + 1 < len; p += 2, b += 2 * W) {
      const typename V::reg b0 = V::loadu(b), b1 = V::loadu(b + W);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        acc[i][0] = V::fmadd(V::bcast(a[i] + p), b0, acc[i][0]);
        odd[i] = V::fmadd(V::bcast(a[i] + p + 1), b1, odd[i]);
      }
    }
    if (p < len) {
      const typename V::reg b0 = V::loadu(b);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) acc[i][0] = V::fmadd(V::bcast(a[i] + p), b0, acc[i][0]);
      b += W;
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) acc[i][0] = V::add(acc[i][0], odd[i]);
  }
};

// The epilogue of a finished panel (act 0-2): the same operations in the same order as
// nhwc_epilogue, with the bias vectors loaded once. kTail: the last vector is partial (its
// first rem lanes are channels: masked loads and stores), as the 32-wide panel of a 24-channel
// layer, which through the general loop below spent a fifth of its time in the epilogue.
template <class V, int R, int NV, bool kBias, bool kRes, bool kTail = false>
inline __attribute__((always_inline)) void nhwc_tile_finish(const typename V::reg (&acc)[R][NV], const TileArgs& t, int rem = V::width) {
  constexpr int W = V::width;
  auto load = [&](const float* p, int j) { return kTail && j == NV - 1 ? V::loadn(p, rem) : V::loadu(p); };
  typename V::reg bias[NV];
#pragma GCC unroll 4
  for (int j = 0; j < NV; ++j) bias[j] = kBias ? load(t.bias + j * W, j) : V::zero();
  const typename V::reg zero = V::zero(), six = V::set1(6.f);
  const int act = t.act;
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      const int64_t o = i * t.ldc + j * W;
      typename V::reg v = acc[i][j];
      if (kBias) v = V::add(v, bias[j]);
      if (kRes) v = V::add(v, load(t.residual + o, j));
      if (act != 0) v = V::max(zero, v);
      if (act == 2) v = V::min(six, v);
      if (kTail && j == NV - 1)
        V::storen(t.y + o, v, rem);
      else
        V::storeu(t.y + o, v);
    }
}

template <class V, int R, int NV>
void nhwc_tile(const TileArgs& t) {
  constexpr int W = V::width;
  // Whole vectors of existing channels; the last panel may end in a partial one (rem lanes).
  const int fv = t.valid / W, rem = t.valid - fv * W;
  using Steps = NhwcTileSteps<V, R, NV>;
  typename V::reg acc[R][NV];
  const bool steps_zero = Steps::kStartsFromZero && !t.accumulate && t.nseg > 0;
  if (!steps_zero) {
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = t.accumulate && j < fv ? V::loadu(t.y + i * t.ldc + j * W) : V::zero();
  }
  // A whole finished panel with a bias and a rectifier: the depth loop's own epilogue, where it
  // has one (the accumulators never go through memory).
  const bool fused_finish = Steps::kFinishes && t.finish && t.act != 3 && fv == NV && t.bias != nullptr &&
                            t.nseg > 0 && t.seg_len[t.nseg - 1] > 0;
  NhwcFinish fin{};
  if (fused_finish) {
    constexpr float inf = __builtin_inff();
    fin = {t.y, t.ldc * static_cast<int64_t>(sizeof(float)), t.bias, t.residual, t.act == 0 ? -inf : 0.f, t.act == 2 ? 6.f : inf};
  }
  const float* b = t.b;
  for (int64_t s = 0; s < t.nseg; ++s) {
    const float* a[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) a[i] = t.px[i] + t.seg_off[s];
    Steps::run(a, b, t.seg_len[s], acc, steps_zero && s == 0, fused_finish && s + 1 == t.nseg ? &fin : nullptr);
  }
  if (fused_finish) return;
  // A finished panel: bias, shortcut and activation chosen once for the tile (tested per
  // vector, the branches cost a depth-64 layer a fifth of its time), its last vector whole or
  // partial (a layer whose channels end inside the panel).
  auto finish = [&](auto tail) {
    constexpr bool kTail = decltype(tail)::value;
    const bool has_bias = t.bias != nullptr, has_res = t.residual != nullptr;
    if (has_bias && has_res) nhwc_tile_finish<V, R, NV, true, true, kTail>(acc, t, rem);
    else if (has_bias) nhwc_tile_finish<V, R, NV, true, false, kTail>(acc, t, rem);
    else if (has_res) nhwc_tile_finish<V, R, NV, false, true, kTail>(acc, t, rem);
    else nhwc_tile_finish<V, R, NV, false, false, kTail>(acc, t, rem);
  };
  if (t.finish && t.act != 3 && fv == NV) return finish(std::false_type{});
  if (t.finish && t.act != 3 && fv == NV - 1 && rem > 0 && !t.accumulate) return finish(std::true_type{});
  // leaky_relu's select has no vector form here: its tiles finish in the scalar loop below.
  const bool vector_epilogue = t.finish && t.act != 3;
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      const int64_t o = i * t.ldc + j * W;
      if (j < fv) {
        const typename V::reg v =
            vector_epilogue ? nhwc_epilogue<V>(acc[i][j], t.bias != nullptr ? t.bias + j * W : nullptr,
                                               t.residual != nullptr ? t.residual + o : nullptr, t.act)
                            : acc[i][j];
        V::storeu(t.y + o, v);
      } else if (j == fv && rem > 0 && !(t.finish && t.act == 3)) {
        // the partial vector: masked loads and stores of its rem lanes
        typename V::reg v = acc[i][j];
        if (t.accumulate) v = V::add(V::loadn(t.y + o, rem), v);
        if (t.finish)
          v = nhwc_epilogue<V>(v, t.bias != nullptr ? t.bias + j * W : nullptr,
                               t.residual != nullptr ? t.residual + o : nullptr, t.act, rem);
        V::storen(t.y + o, v, rem);
      } else if (j == fv && rem > 0) {
        // leaky_relu's partial vector of a finished tile: through a scratch vector, lane by lane
        alignas(64) float lanes[W];
        V::storeu(lanes, acc[i][j]);
        for (int l = 0; l < rem; ++l) {
          const float v = t.accumulate ? t.y[o + l] + lanes[l] : lanes[l];
          t.y[o + l] = nhwc_epilogue_scalar(v, t.bias != nullptr ? t.bias + j * W + l : nullptr,
                                            t.residual != nullptr ? t.residual + o + l : nullptr, t.act, t.alpha);
        }
      }
    }
  if (t.finish && t.act == 3) {
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < fv * W; ++j) {
        const int64_t o = i * t.ldc + j;
        t.y[o] = nhwc_epilogue_scalar(t.y[o], t.bias != nullptr ? t.bias + j : nullptr,
                                      t.residual != nullptr ? t.residual + o : nullptr, 3, t.alpha);
      }
  }
}

// Depthwise, one output pixel whose window crosses the border: its in-bounds taps are listed
// (out-of-bounds taps are the zero padding, skipped), then 4, 2, 1 vectors of channels at a
// time and the scalar remainder sum them in (ky, kx) order from zero; bias and activation last.
template <class V>
inline void nhwc_depthwise_pixel(const DepthwiseArgs& d, int64_t ox) {
  constexpr int W = V::width;
  const int64_t c = d.c;
  int64_t xo[64], wo[64];  // kh * kw <= 64 (checked by the driver)
  const int64_t iy0 = d.oy * d.sh - d.pt, ix0 = ox * d.sw - d.pl;
  int taps = 0;
  for (int64_t ky = 0; ky < d.kh; ++ky) {
    const int64_t iy = iy0 + ky * d.dh;
    if (iy < 0 || iy >= d.h) continue;
    for (int64_t kx = 0; kx < d.kw; ++kx) {
      const int64_t ix = ix0 + kx * d.dw;
      if (ix < 0 || ix >= d.w) continue;
      xo[taps] = (iy * d.w + ix) * c;
      wo[taps] = (ky * d.kw + kx) * c;
      ++taps;
    }
  }
  float* yo = d.y + ox * c;
  int64_t cv = d.c0;
  auto block = [&](auto nvec) {
    constexpr int N = decltype(nvec)::value;
    for (; cv + N * W <= d.c1; cv += N * W) {
      typename V::reg acc[N];
#pragma GCC unroll 4
      for (int j = 0; j < N; ++j) acc[j] = V::zero();
      for (int t = 0; t < taps; ++t) {
#pragma GCC unroll 4
        for (int j = 0; j < N; ++j)
          acc[j] = V::fmadd(V::loadu(d.x + xo[t] + cv + j * W), V::loadu(d.w_packed + wo[t] + cv + j * W), acc[j]);
      }
#pragma GCC unroll 4
      for (int j = 0; j < N; ++j) {
        const float* bj = d.bias != nullptr ? d.bias + cv + j * W : nullptr;
        V::storeu(yo + cv + j * W, d.act == 3 ? acc[j] : nhwc_epilogue<V>(acc[j], bj, nullptr, d.act));
      }
    }
  };
  block(std::integral_constant<int, 4>{});
  block(std::integral_constant<int, 2>{});
  block(std::integral_constant<int, 1>{});
  const int64_t vec_end = cv;
  for (; cv < d.c1; ++cv) {
    float acc = 0.f;
    for (int t = 0; t < taps; ++t) acc += d.x[xo[t] + cv] * d.w_packed[wo[t] + cv];
    yo[cv] = nhwc_epilogue_scalar(acc, d.bias != nullptr ? d.bias + cv : nullptr, nullptr, d.act, d.alpha);
  }
  if (d.act == 3)
    for (int64_t j = d.c0; j < vec_end; ++j) yo[j] = nhwc_epilogue_scalar(yo[j], d.bias != nullptr ? d.bias + j : nullptr, nullptr, 3, d.alpha);
}

// Depthwise, 4 neighbouring output pixels whose windows are inside the image: the same sums,
// 4 pixels x up to 4 vectors of independent accumulators (an FMA chain per pixel alone would
// wait on its own latency; 16 chains where the registers allow, 8 otherwise), each weight
// vector loaded once for the 4 pixels. TAPS > 0 fixes the tap count (3x3: the loop unrolls).
template <class V, int TAPS>
inline void nhwc_depthwise_quad(const DepthwiseArgs& d, int64_t ox, const int64_t* rel, int runtime_taps) {
  constexpr int W = V::width, P = 4;
  const int taps = TAPS > 0 ? TAPS : runtime_taps;
  const int64_t c = d.c;
  const float* xp[P];
  for (int p = 0; p < P; ++p) xp[p] = d.x + ((d.oy * d.sh - d.pt) * d.w + (ox + p) * d.sw - d.pl) * c;
  float* yo = d.y + ox * c;
  int64_t cv = d.c0;
  auto block = [&](auto nvec) {
    constexpr int N = decltype(nvec)::value;
    for (; cv + N * W <= d.c1; cv += N * W) {
      typename V::reg acc[P][N];
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
        for (int j = 0; j < N; ++j) acc[p][j] = V::zero();
#pragma GCC unroll 9
      for (int t = 0; t < taps; ++t) {
        typename V::reg wv[N];
#pragma GCC unroll 4
        for (int j = 0; j < N; ++j) wv[j] = V::loadu(d.w_packed + t * c + cv + j * W);
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
          for (int j = 0; j < N; ++j) acc[p][j] = V::fmadd(V::loadu(xp[p] + rel[t] + cv + j * W), wv[j], acc[p][j]);
      }
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
        for (int j = 0; j < N; ++j) {
          const float* bj = d.bias != nullptr ? d.bias + cv + j * W : nullptr;
          float* out = yo + p * c + cv + j * W;
          V::storeu(out, d.act == 3 ? acc[p][j] : nhwc_epilogue<V>(acc[p][j], bj, nullptr, d.act));
        }
    }
  };
  // 16 accumulators + 4 weight vectors need 32 registers' worth of room (AVX-512's zmm file)
  if constexpr (sizeof(typename V::reg) >= 64) block(std::integral_constant<int, 4>{});
  block(std::integral_constant<int, 2>{});
  block(std::integral_constant<int, 1>{});
  const int64_t vec_end = cv;
  for (int p = 0; p < P; ++p) {
    float* y = yo + p * c;
    for (int64_t ch = cv; ch < d.c1; ++ch) {
      float acc = 0.f;
      for (int t = 0; t < taps; ++t) acc += xp[p][rel[t] + ch] * d.w_packed[t * c + ch];
      y[ch] = nhwc_epilogue_scalar(acc, d.bias != nullptr ? d.bias + ch : nullptr, nullptr, d.act, d.alpha);
    }
    if (d.act == 3)
      for (int64_t j = d.c0; j < vec_end; ++j) y[j] = nhwc_epilogue_scalar(y[j], d.bias != nullptr ? d.bias + j : nullptr, nullptr, 3, d.alpha);
  }
}

// Depthwise 3x3 (dilation 1, stride S), P neighbouring output pixels of one row, one channel
// vector (n lanes; TAIL: n < width, masked): the weights of the vector's taps are in registers
// (wk, loaded by the caller once per band of rows), and each input vector of the run's window is loaded
// once and added into every output of the run whose window holds it. P pixels cost
// 3 * ((P - 1) * S + 3) loads for 9 * P FMAs (3 * P loads per 9 * P FMAs at stride 1, where the
// quad kernel above loads 5 per 4 FMAs). Rows [ky0, ky1) are inside the image; CHECKED: the
// columns may not be (border pixels), outside ones are the zero padding, skipped. Sums run in
// (ky, kx) order from zero as the other depthwise kernels; bias and activation last.
template <class V, int S, int P, bool CHECKED, bool TAIL>
inline __attribute__((always_inline)) void nhwc_dw3x3_run(const DepthwiseArgs& d, const typename V::reg (&wk)[9], int64_t ky0,
                                                          int64_t ky1, int64_t ox, int64_t cv, int n) {
  constexpr int COLS = (P - 1) * S + 3;
  const int64_t c = d.c;
  const int64_t ix0 = ox * S - d.pl, iy0 = d.oy * S - d.pt;
  typename V::reg acc[P];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) acc[p] = V::zero();
  // ky from 0 to 2 with the outside rows skipped, not ky0..ky1: a constant index keeps wk in
  // registers (a runtime one put the weights on the stack, reloaded for every FMA)
#pragma GCC unroll 3
  for (int ky = 0; ky < 3; ++ky) {
    if (ky < ky0 || ky >= ky1) continue;
    const float* row = d.x + (iy0 + ky) * d.w * c + cv;
#pragma GCC unroll 17
    for (int j = 0; j < COLS; ++j) {
      const int64_t ix = ix0 + j;
      if (CHECKED && (ix < 0 || ix >= d.w)) continue;
      const typename V::reg in = TAIL ? V::loadn(row + ix * c, n) : V::loadu(row + ix * c);
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p) {
        const int kx = j - p * S;
        if (kx >= 0 && kx < 3) acc[p] = V::fmadd(in, wk[ky * 3 + kx], acc[p]);
      }
    }
  }
  const float* bias = d.bias != nullptr ? d.bias + cv : nullptr;
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) {
    float* out = d.y + (ox + p) * c + cv;
    // leaky_relu's scalar epilogue runs over the stored sums afterwards (the row kernel)
    const typename V::reg v = d.act == 3 ? acc[p] : nhwc_epilogue<V>(acc[p], bias, nullptr, d.act, TAIL ? n : V::width);
    if (TAIL)
      V::storen(out, v, n);
    else
      V::storeu(out, v);
  }
}

// Output rows [oy0, oy1) of a 3x3 depthwise (dilation 1, stride S), in bands of rows whose
// input rows take at most kDepthwiseBandBytes; in a band a channel vector at a time (its 9
// weight vectors loaded once), row after row, so the vector's lines of a row's input rows are
// still in L1 for the next rows. Row by row over all channels, a 56x56x144 layer read its 3
// input rows from L2 for every output row (~57 bytes a cycle: L2-bound); a channel vector down
// the whole image walks more pages than the TLB holds at a stride of c floats (7x7 to 28x28
// layers at 2 threads 1.3-1.5x slower than in bands; of budgets from 48 KB to whole images, 96
// KB was within 7% of the best everywhere). In a row, border columns one pixel at a time with
// their out-of-image columns skipped, the interior in runs of R pixels (8 when the 32 zmm
// registers hold 9 weights + 8 sums + an input; 4 in AVX2's 16), its remainder in runs of 4,
// 2, 1. Rows partly outside the image (top and bottom) use only their inside kernel rows.
constexpr int64_t kDepthwiseBandBytes = 96 * 1024;

template <class V, int S>
void nhwc_depthwise3x3_rows(DepthwiseArgs d, int64_t oy0, int64_t oy1) {
  constexpr int W = V::width;
  constexpr int R = sizeof(typename V::reg) >= 64 ? 8 : 4;
  const int64_t c = d.c;
  float* const y0 = d.y;
  // columns whose whole window is inside: ix0 = ox * S - pl >= 0 and ix0 + 2 < w
  const int64_t lo = std::min(d.ow, (d.pl + S - 1) / S);
  const int64_t last = d.w - 3 + d.pl;  // largest ox * S allowed
  const int64_t hi = last < 0 ? lo : std::max(lo, std::min(d.ow, last / S + 1));
  // a function of its own, not inlined into the band loop below (the channel range there made
  // the compiler inline it; against the build before, in-process: 14x14x576 39.4 -> 37.2 us
  // with it kept apart, where separate runs had shown the inlined one up to 40% slower)
  auto vec = [&](auto tail, int64_t cv, int n, int64_t r0, int64_t r1) __attribute__((noinline)) {
    constexpr bool T = decltype(tail)::value;
    typename V::reg wk[9];
    for (int t = 0; t < 9; ++t) wk[t] = T ? V::loadn(d.w_packed + t * c + cv, n) : V::loadu(d.w_packed + t * c + cv);
    for (int64_t oy = r0; oy < r1; ++oy) {
      d.oy = oy;
      d.y = y0 + (oy - oy0) * d.ow * c;
      const int64_t iy0 = oy * S - d.pt;
      const int64_t ky0 = std::max<int64_t>(0, -iy0), ky1 = std::min<int64_t>(3, d.h - iy0);
      int64_t ox = 0;
      for (; ox < lo; ++ox) nhwc_dw3x3_run<V, S, 1, true, T>(d, wk, ky0, ky1, ox, cv, n);
      for (; ox + R <= hi; ox += R) nhwc_dw3x3_run<V, S, R, false, T>(d, wk, ky0, ky1, ox, cv, n);
      if (R > 4 && ox + 4 <= hi) nhwc_dw3x3_run<V, S, 4, false, T>(d, wk, ky0, ky1, ox, cv, n), ox += 4;
      if (ox + 2 <= hi) nhwc_dw3x3_run<V, S, 2, false, T>(d, wk, ky0, ky1, ox, cv, n), ox += 2;
      if (ox < hi) nhwc_dw3x3_run<V, S, 1, false, T>(d, wk, ky0, ky1, ox, cv, n), ++ox;
      for (; ox < d.ow; ++ox) nhwc_dw3x3_run<V, S, 1, true, T>(d, wk, ky0, ky1, ox, cv, n);
    }
  };
  const int64_t in_row = d.w * c * static_cast<int64_t>(sizeof(float)), c0 = d.c0, c1 = d.c1;
  const int64_t band = std::max<int64_t>(1, (kDepthwiseBandBytes / std::max<int64_t>(1, in_row) - 2) / S);
  for (int64_t r0 = oy0; r0 < oy1; r0 += band) {
    const int64_t r1 = std::min(oy1, r0 + band);
    int64_t cv = c0;
    for (; cv + W <= c1; cv += W) vec(std::false_type{}, cv, W, r0, r1);
    if (cv < c1) vec(std::true_type{}, cv, static_cast<int>(c1 - cv), r0, r1);
  }
  if (d.act == 3)
    for (int64_t px = 0; px < (oy1 - oy0) * d.ow; ++px)
      for (int64_t ch = d.c0; ch < d.c1; ++ch)
        y0[px * c + ch] = nhwc_epilogue_scalar(y0[px * c + ch], d.bias != nullptr ? d.bias + ch : nullptr, nullptr, 3, d.alpha);
}

// One output row, border pixels one by one, the interior 4 at a time (the last 4 overlapping
// the previous ones when the interior is not a multiple of 4: recomputed pixels get the same
// values, cheaper than the border path).
template <class V>
void nhwc_depthwise_row(const DepthwiseArgs& d) {
  const int64_t iy0 = d.oy * d.sh - d.pt;
  const bool rows_inside = iy0 >= 0 && iy0 + (d.kh - 1) * d.dh < d.h;
  // columns whose whole window is inside: ix0 = ox * sw - pl >= 0 and ix0 + (kw - 1) * dw < w
  int64_t lo = d.ow, hi = d.ow;
  if (rows_inside) {
    lo = std::min(d.ow, (d.pl + d.sw - 1) / d.sw);
    const int64_t last = d.w - 1 - (d.kw - 1) * d.dw + d.pl;  // largest ox * sw allowed
    hi = last < 0 ? lo : std::max(lo, std::min(d.ow, last / d.sw + 1));
  }
  int64_t rel[64];  // kh * kw <= 64
  const int taps = static_cast<int>(d.kh * d.kw);
  for (int t = 0; t < taps; ++t) rel[t] = ((t / d.kw) * d.dh * d.w + (t % d.kw) * d.dw) * d.c;
  auto quad = taps == 9 ? &nhwc_depthwise_quad<V, 9> : &nhwc_depthwise_quad<V, 0>;
  int64_t ox = 0;
  for (; ox < lo; ++ox) nhwc_depthwise_pixel<V>(d, ox);
  for (; ox + 4 <= hi; ox += 4) quad(d, ox, rel, taps);
  if (ox < hi && hi - lo >= 4) {
    quad(d, hi - 4, rel, taps);
    ox = hi;
  }
  for (; ox < d.ow; ++ox) nhwc_depthwise_pixel<V>(d, ox);
}

// Output rows [oy0, oy1) of one image (d.y: row oy0): 3x3 kernels of stride 1 or 2 (every
// depthwise layer of the zoo) by the sliding-window kernel, others row by row.
template <class V>
void nhwc_depthwise_rows(const DepthwiseArgs& d, int64_t oy0, int64_t oy1) {
  if (d.kh == 3 && d.kw == 3 && d.dh == 1 && d.dw == 1 && d.sh == d.sw && d.sh <= 2) {
    if (d.sh == 1) return nhwc_depthwise3x3_rows<V, 1>(d, oy0, oy1);
    return nhwc_depthwise3x3_rows<V, 2>(d, oy0, oy1);
  }
  DepthwiseArgs r = d;
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    r.oy = oy;
    r.y = d.y + (oy - oy0) * d.ow * d.c;
    nhwc_depthwise_row<V>(r);
  }
}

// Fills k.tile[r - 1][nv - 1] for every r <= R, nv <= NV (call with
// std::make_integer_sequence<int, R * NV>).
template <class V, int NV, int... I>
void fill_tile_table(imcls::nhwc_detail::KernelSet& k, std::integer_sequence<int, I...>) {
  ((k.tile[I / NV][I % NV] = &nhwc_tile<V, I / NV + 1, I % NV + 1>), ...);
}

}  // namespace
