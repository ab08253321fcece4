// The reader's per-sample pixel loops (src/data/resize.ts, transforms.ts normalizeInto) in C++:
// a reader thread spends most of its time here once decoding is cheap. The numerics are those of
// the TypeScript exactly, because the TypeScript is both the fallback and the oracle in tests:
//  - the resampling tables (indices, float32 weights) are built in TypeScript and passed in, so
//    the geometry has one implementation;
//  - products and sums are taken in double and rounded to float32 where the TypeScript stores
//    into a Float32Array, and rounded to uint8 as `(v + 0.5) | 0` then clamped.
// Plain C++ without ISA-specific flags: nothing here may be contracted into FMAs.
// Runs on the calling (reader) thread, never on the compute pool: readers run beside training.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "args.h"
#include "image/image_args.h"
#include "registry.h"

namespace imcls {

namespace {

template <typename T>
T* typed(const Napi::CallbackInfo& info, size_t i, size_t need) {
  T* p = nullptr;
  size_t len = 0;
  if constexpr (std::is_same_v<T, float>) {
    p = f32(info, i);
    len = f32len(info, i);
  } else {
    p = i32(info, i);
    len = info[i].As<Napi::Int32Array>().ElementLength();
  }
  if (len < need) throw Napi::RangeError::New(info.Env(), "argument " + std::to_string(i) + " is too small");
  return p;
}

inline uint8_t to_u8(double v) {
  // JS `(v + 0.5) | 0`: truncation toward zero of the rounded-up value, then clamp.
  const double t = v + 0.5;
  const int32_t iv = static_cast<int32_t>(t);
  return static_cast<uint8_t>(iv < 0 ? 0 : iv > 255 ? 255 : iv);
}

// Per-thread scratch for the horizontal pass (reader threads each own one).
thread_local std::vector<float> tls_rows;
thread_local std::vector<float> tls_acc;
thread_local std::vector<int32_t> tls_slot;

// imageResize(src u8, srcW, srcH, c, bx, by, bw, bh, outW, outH,
//             xIndex i32, xWeight f32, xTaps, yIndex i32, yWeight f32, yTaps, out u8)
Napi::Value ImageResize(const Napi::CallbackInfo& info) {
  const int64_t sw = int_arg(info, 1), sh = int_arg(info, 2), c = int_arg(info, 3);
  const int64_t bx = int_arg(info, 4), by = int_arg(info, 5), bw = int_arg(info, 6), bh = int_arg(info, 7);
  const int64_t ow = int_arg(info, 8), oh = int_arg(info, 9);
  const int64_t tx = int_arg(info, 12), ty = int_arg(info, 15);
  if (sw <= 0 || sh <= 0 || c <= 0 || ow <= 0 || oh <= 0 || bw <= 0 || bh <= 0 || bx < 0 || by < 0 || bx + bw > sw ||
      by + bh > sh || tx <= 0 || ty <= 0) {
    throw Napi::RangeError::New(info.Env(), "imageResize: inconsistent geometry");
  }
  const uint8_t* src = u8_arg(info, 0, static_cast<size_t>(sw * sh * c));
  const int32_t* xi = typed<int32_t>(info, 10, static_cast<size_t>(ow * tx));
  const float* xw = typed<float>(info, 11, static_cast<size_t>(ow * tx));
  const int32_t* yi = typed<int32_t>(info, 13, static_cast<size_t>(oh * ty));
  const float* yw = typed<float>(info, 14, static_cast<size_t>(oh * ty));
  uint8_t* out = u8_arg(info, 16, static_cast<size_t>(ow * oh * c));
  for (int64_t i = 0; i < ow * tx; i++)
    if (xi[i] < 0 || xi[i] >= bw) throw Napi::RangeError::New(info.Env(), "imageResize: x index outside the box");
  for (int64_t i = 0; i < oh * ty; i++)
    if (yi[i] < 0 || yi[i] >= bh) throw Napi::RangeError::New(info.Env(), "imageResize: y index outside the box");

  const int64_t stride = sw * c;
  const int64_t row_len = ow * c;
  // Only the source rows the vertical pass reads (with a non-zero weight) get a horizontal pass.
  std::vector<int32_t>& slot = tls_slot;
  slot.assign(static_cast<size_t>(bh), -1);
  int32_t n_rows = 0;
  for (int64_t i = 0; i < oh * ty; i++) {
    if (yw[i] != 0.0f && slot[yi[i]] == -1) slot[yi[i]] = n_rows++;
  }
  std::vector<float>& tmp = tls_rows;
  if (tmp.size() < static_cast<size_t>(std::max<int32_t>(1, n_rows) * row_len)) tmp.resize(static_cast<size_t>(std::max<int32_t>(1, n_rows) * row_len));
  for (int64_t r = 0; r < bh; r++) {
    const int32_t s = slot[r];
    if (s < 0) continue;
    const uint8_t* s0 = src + (by + r) * stride + bx * c;
    float* d0 = tmp.data() + static_cast<int64_t>(s) * row_len;
    if (tx == 2) {
      for (int64_t o = 0; o < ow; o++) {
        const uint8_t* a = s0 + static_cast<int64_t>(xi[2 * o]) * c;
        const uint8_t* b = s0 + static_cast<int64_t>(xi[2 * o + 1]) * c;
        const double wa = xw[2 * o], wb = xw[2 * o + 1];
        float* d = d0 + o * c;
        for (int64_t k = 0; k < c; k++) d[k] = static_cast<float>(a[k] * wa + b[k] * wb);
      }
    } else {
      for (int64_t o = 0; o < ow; o++) {
        for (int64_t k = 0; k < c; k++) {
          double acc = 0;
          for (int64_t t = 0; t < tx; t++) acc += s0[static_cast<int64_t>(xi[o * tx + t]) * c + k] * static_cast<double>(xw[o * tx + t]);
          d0[o * c + k] = static_cast<float>(acc);
        }
      }
    }
  }
  if (ty == 2) {
    for (int64_t o = 0; o < oh; o++) {
      const double wa = yw[2 * o], wb = yw[2 * o + 1];
      const float* ra = tmp.data() + static_cast<int64_t>(slot[yi[2 * o]]) * row_len;
      const float* rb = wb == 0 ? ra : tmp.data() + static_cast<int64_t>(slot[yi[2 * o + 1]]) * row_len;
      uint8_t* d = out + o * row_len;
      for (int64_t i = 0; i < row_len; i++) d[i] = to_u8(ra[i] * wa + rb[i] * wb);
    }
  } else {
    std::vector<float>& acc = tls_acc;
    acc.resize(static_cast<size_t>(row_len));
    for (int64_t o = 0; o < oh; o++) {
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t t = 0; t < ty; t++) {
        const double w = yw[o * ty + t];
        if (w == 0) continue;
        const float* r = tmp.data() + static_cast<int64_t>(slot[yi[o * ty + t]]) * row_len;
        for (int64_t i = 0; i < row_len; i++) acc[i] = static_cast<float>(acc[i] + r[i] * w);
      }
      uint8_t* d = out + o * row_len;
      for (int64_t i = 0; i < row_len; i++) d[i] = to_u8(acc[i]);
    }
  }
  return info.Env().Undefined();
}

// imageNormalize(src u8 HWC, w, h, c, tables f32 [c*256], out f32, offset, flip):
// out[offset + k*h*w + y*w + x'] = tables[k][src[y, x, k]], x' mirrored when flip.
Napi::Value ImageNormalize(const Napi::CallbackInfo& info) {
  const int64_t w = int_arg(info, 1), h = int_arg(info, 2), c = int_arg(info, 3);
  const int64_t offset = int_arg(info, 6);
  const bool flip = bool_arg(info, 7);
  if (w <= 0 || h <= 0 || c <= 0 || offset < 0) throw Napi::RangeError::New(info.Env(), "imageNormalize: inconsistent geometry");
  const uint8_t* src = u8_arg(info, 0, static_cast<size_t>(w * h * c));
  const float* tables = typed<float>(info, 4, static_cast<size_t>(c * 256));
  float* out = typed<float>(info, 5, static_cast<size_t>(offset + w * h * c));
  const int64_t plane = w * h;
  for (int64_t k = 0; k < c; k++) {
    const float* t = tables + k * 256;
    float* base = out + offset + k * plane;
    for (int64_t y = 0; y < h; y++) {
      const uint8_t* s = src + y * w * c + k;
      float* d = base + y * w;
      if (flip) {
        for (int64_t x = 0; x < w; x++) d[w - 1 - x] = t[s[x * c]];
      } else {
        for (int64_t x = 0; x < w; x++) d[x] = t[s[x * c]];
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace

IMCLS_EXPORT("imageResize", ImageResize);
IMCLS_EXPORT("imageNormalize", ImageNormalize);

}  // namespace imcls
