// The colour-jitter operations of src/data/color_jitter.ts in C++, value for value (the
// TypeScript is the fallback and the oracle): double arithmetic in the same order, Math.round's
// ties, fmod for JS's %. The random draws stay in TypeScript; these only apply a drawn factor.
// In TypeScript, adjustHue allocated six arrays per pixel: about 35 ms per 224x224 image.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "args.h"
#include "image/image_args.h"
#include "registry.h"

namespace imcls {

namespace {

inline double gray(double r, double g, double b) { return 0.299 * r + 0.587 * g + 0.114 * b; }

// imageAdjustBrightness(src u8, out u8, f)
Napi::Value AdjustBrightness(const Napi::CallbackInfo& info) {
  const size_t n = info[0].As<Napi::Uint8Array>().ElementLength();
  const uint8_t* src = u8_arg(info, 0, n);
  uint8_t* out = u8_arg(info, 1, n);
  const double f = num_arg(info, 2);
  for (size_t i = 0; i < n; i++) out[i] = clamp255(src[i] * f);
  return info.Env().Undefined();
}

// imageAdjustContrast(src u8, out u8, pixels, channels, f)
Napi::Value AdjustContrast(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 2), c = int_arg(info, 3);
  if (n < 0 || c <= 0) throw Napi::RangeError::New(info.Env(), "imageAdjustContrast: bad geometry");
  const uint8_t* src = u8_arg(info, 0, static_cast<size_t>(n * c));
  uint8_t* out = u8_arg(info, 1, static_cast<size_t>(n * c));
  const double f = num_arg(info, 4);
  double mean = 0;
  for (int64_t i = 0; i < n; i++) mean += c == 3 ? gray(src[3 * i], src[3 * i + 1], src[3 * i + 2]) : src[i];
  mean = n > 0 ? mean / static_cast<double>(n) : 0;
  const double g = (1 - f) * mean;
  for (int64_t i = 0; i < n * c; i++) out[i] = clamp255(f * src[i] + g);
  return info.Env().Undefined();
}

// imageAdjustSaturation(src u8 RGB, out u8, pixels, f)
Napi::Value AdjustSaturation(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 2);
  if (n < 0) throw Napi::RangeError::New(info.Env(), "imageAdjustSaturation: bad geometry");
  const uint8_t* src = u8_arg(info, 0, static_cast<size_t>(n * 3));
  uint8_t* out = u8_arg(info, 1, static_cast<size_t>(n * 3));
  const double f = num_arg(info, 3);
  for (int64_t i = 0; i < 3 * n; i += 3) {
    const double g = gray(src[i], src[i + 1], src[i + 2]);
    for (int k = 0; k < 3; k++) out[i + k] = clamp255(f * src[i + k] + (1 - f) * g);
  }
  return info.Env().Undefined();
}

// imageAdjustHue(src u8 RGB, out u8, pixels, shift): HSV round trip with the hue turned by shift.
Napi::Value AdjustHue(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 2);
  if (n < 0) throw Napi::RangeError::New(info.Env(), "imageAdjustHue: bad geometry");
  const uint8_t* src = u8_arg(info, 0, static_cast<size_t>(n * 3));
  uint8_t* out = u8_arg(info, 1, static_cast<size_t>(n * 3));
  const double shift = num_arg(info, 3);
  for (int64_t i = 0; i < 3 * n; i += 3) {
    const double r = src[i] / 255.0, g = src[i + 1] / 255.0, b = src[i + 2] / 255.0;
    const double mx = std::max(std::max(r, g), b), mn = std::min(std::min(r, g), b);
    const double d = mx - mn;
    double hh = 0;
    if (d > 0) {
      if (mx == r) {
        const double x = (g - b) / d + 6;  // in [5, 7]: fmod(x, 6) is x or x - 6, exactly
        hh = x >= 6 ? x - 6 : x;
      }
      else if (mx == g) hh = (b - r) / d + 2;
      else hh = (r - g) / d + 4;
      hh /= 6;
    }
    hh = frac_small(frac_small(hh + shift) + 1);
    const double s = mx == 0 ? 0 : d / mx;
    const double v = mx;
    const double h6 = hh * 6;
    const double k = floor_small(h6);
    const double f = h6 - k;
    const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    double o0, o1, o2;
    switch (static_cast<int>(k) % 6) {
      case 0: o0 = v; o1 = t; o2 = p; break;
      case 1: o0 = q; o1 = v; o2 = p; break;
      case 2: o0 = p; o1 = v; o2 = t; break;
      case 3: o0 = p; o1 = q; o2 = v; break;
      case 4: o0 = t; o1 = p; o2 = v; break;
      default: o0 = v; o1 = p; o2 = q; break;
    }
    out[i] = clamp255(o0 * 255);
    out[i + 1] = clamp255(o1 * 255);
    out[i + 2] = clamp255(o2 * 255);
  }
  return info.Env().Undefined();
}

}  // namespace

IMCLS_EXPORT("imageAdjustBrightness", AdjustBrightness);
IMCLS_EXPORT("imageAdjustContrast", AdjustContrast);
IMCLS_EXPORT("imageAdjustSaturation", AdjustSaturation);
IMCLS_EXPORT("imageAdjustHue", AdjustHue);

}  // namespace imcls
