// Paddle's rotate_image (src/data/rotate.ts) in C++: inverse-mapped bilinear sampling with a
// black border. The matrix (cos/sin of the angle) is computed in TypeScript and passed in, so
// both paths use the same libm values; the per-pixel arithmetic is the TypeScript's, in double,
// in the same order. About 30 ms per 500x375 image in TypeScript.
#include <cmath>
#include <cstdint>

#include "args.h"
#include "image/image_args.h"
#include "registry.h"

namespace imcls {

namespace {

// imageRotate(src u8, out u8, w, h, c, alpha, beta, m02, m12)
Napi::Value ImageRotate(const Napi::CallbackInfo& info) {
  const int64_t w = int_arg(info, 2), h = int_arg(info, 3), c = int_arg(info, 4);
  if (w <= 0 || h <= 0 || c <= 0) throw Napi::RangeError::New(info.Env(), "imageRotate: bad geometry");
  const uint8_t* src = u8_arg(info, 0, static_cast<size_t>(w * h * c));
  uint8_t* out = u8_arg(info, 1, static_cast<size_t>(w * h * c));
  const double alpha = num_arg(info, 5), beta = num_arg(info, 6), m02 = num_arg(info, 7), m12 = num_arg(info, 8);
  for (int64_t y = 0; y < h; y++) {
    for (int64_t x = 0; x < w; x++) {
      const double dx = static_cast<double>(x) - m02;
      const double dy = static_cast<double>(y) - m12;
      const double sx = alpha * dx - beta * dy;
      const double sy = beta * dx + alpha * dy;
      const double fx0 = floor_small(sx), fy0 = floor_small(sy);
      const double fx = sx - fx0, fy = sy - fy0;
      const int64_t x0 = static_cast<int64_t>(fx0), y0 = static_cast<int64_t>(fy0);
      uint8_t* o = out + (y * w + x) * c;
      // The four taps; one outside the image contributes nothing (the TypeScript skips it,
      // and adding +0 to the running sum leaves it unchanged).
      const double wy[2] = {1 - fy, fy}, wx[2] = {1 - fx, fx};
      const uint8_t* tap[4] = {nullptr, nullptr, nullptr, nullptr};
      for (int j = 0; j < 2; j++) {
        const int64_t yy = y0 + j;
        if (yy < 0 || yy >= h) continue;
        for (int i = 0; i < 2; i++) {
          const int64_t xx = x0 + i;
          if (xx < 0 || xx >= w) continue;
          tap[2 * j + i] = src + (yy * w + xx) * c;
        }
      }
      for (int64_t k = 0; k < c; k++) {
        double acc = 0;
        for (int t = 0; t < 4; t++) {
          if (tap[t] != nullptr) acc += tap[t][k] * wy[t >> 1] * wx[t & 1];
        }
        const double v = acc + 0.5;
        // Uint8Array store of a double in (0, 255): truncation.
        o[k] = v <= 0 ? 0 : v >= 255 ? 255 : static_cast<uint8_t>(v);
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace

IMCLS_EXPORT("imageRotate", ImageRotate);

}  // namespace imcls
