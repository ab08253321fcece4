// Argument helpers shared by the image kernels (native/image/*.cc): uint8 pixel buffers with a
// length check, so a wrong size from JS is a RangeError instead of a read past the end.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

namespace imcls {

inline uint8_t* u8_arg(const Napi::CallbackInfo& info, size_t i, size_t need) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a Uint8Array");
  }
  auto a = info[i].As<Napi::Uint8Array>();
  if (a.ElementLength() < need) throw Napi::RangeError::New(info.Env(), "argument " + std::to_string(i) + " is too small");
  return a.Data();
}

// floor and trunc of doubles well inside the int64 range, without a libm call (the baseline
// x86-64 build has no SSE4.1 round instruction); exact, as std::floor/std::trunc.
inline double trunc_small(double x) { return static_cast<double>(static_cast<int64_t>(x)); }
inline double floor_small(double x) {
  const double t = trunc_small(x);
  return t > x ? t - 1 : t;
}
// JavaScript's x % m for 0 <= |x| < 2^52 and m = 1: x - trunc(x) is exact (it drops the integer bits).
inline double frac_small(double x) { return x - trunc_small(x); }

// JavaScript's Math.round (ties toward +infinity, and exact where floor(x + 0.5) is not).
inline double js_round(double x) {
  const double r = floor_small(x);
  return x - r >= 0.5 ? r + 1 : r;
}

// color_jitter.ts's clamp255: v <= 0 -> 0, v >= 255 -> 255, else Math.round(v) (v > 0 here,
// so floor is truncation).
inline uint8_t clamp255(double v) {
  if (!(v > 0)) return 0;
  if (v >= 255) return 255;
  const int32_t r = static_cast<int32_t>(v);
  return static_cast<uint8_t>(v - r >= 0.5 ? r + 1 : r);
}

}  // namespace imcls
