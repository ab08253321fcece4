// Convolution geometry shared by the conv kernels, read from the JS Conv2dGeometry object.
#pragma once
#include <napi.h>

#include <cstdint>

namespace imcls {

inline int64_t ceil_div(int64_t x, int64_t d) { return (x + d - 1) / d; }

struct ConvGeom {
  int64_t n, c, h, w, k, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, groups, oh, ow;
  int64_t cg() const { return c / groups; }
  int64_t kg() const { return k / groups; }
  int64_t kk() const { return cg() * kh * kw; }  // rows of the column matrix per group
  int64_t hw() const { return h * w; }
  int64_t ohw() const { return oh * ow; }
  // 1x1, stride 1, unpadded: the image itself is the column matrix.
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pb == 0 && pl == 0 && pr == 0; }
  // One input channel per group (depthwise, possibly with a channel multiplier): direct kernels.
  bool depthwise() const { return groups > 1 && groups == c; }
};

// Reads and validates a Conv2dGeometry (throws a TypeError/RangeError naming the problem).
ConvGeom read_conv_geom(const Napi::CallbackInfo& info, size_t i);

// Throws a RangeError unless the typed array at argument i holds at least `need` floats.
void require_len(const Napi::CallbackInfo& info, size_t i, int64_t need, const char* what);

}  // namespace imcls
