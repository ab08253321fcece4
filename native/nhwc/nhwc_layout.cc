// NCHW <-> NHWC copies: the model input enters the channels-last path once, and a channels-last
// tensor goes back to NCHW only where an op without an NHWC kernel reads it. Blocked 16 x 16
// transposes of each image's [c][hw] matrix, over the pool.
#pragma GCC optimize("O3")
#include <algorithm>

#include "args.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

namespace {

constexpr int64_t kBlock = 16;

// Few rows (an RGB model input going channels-last): the output is each column's few values
// side by side, so walk the columns once, writing contiguously, split over the pool by columns
// (the blocked path below had a single block per image there, so one thread).
template <int R>
void transpose_few_rows(int64_t n, int64_t cols, const float* src, float* dst) {
  parallel_for(n * cols, 8192, [&](int64_t p0, int64_t p1) {
    int64_t img = p0 / cols, j = p0 % cols;
    for (int64_t p = p0; p < p1;) {
      const float* s = src + img * R * cols;
      float* d = dst + img * R * cols;
      const int64_t end = std::min(cols, j + (p1 - p));
      for (; j < end; ++j, ++p)
        for (int i = 0; i < R; ++i) d[j * R + i] = s[i * cols + j];
      j = 0;
      ++img;
    }
  });
}

// Each image is a rows x cols matrix; the work is split by images, then by row blocks.
void transpose_images(int64_t n, int64_t rows, int64_t cols, const float* src, float* dst) {
  if (rows == 3) return transpose_few_rows<3>(n, cols, src, dst);
  if (rows == 1 || cols == 1) {
    std::copy(src, src + n * rows * cols, dst);
    return;
  }
  const int64_t blocks = (rows + kBlock - 1) / kBlock;
  parallel_for(n * blocks, 4, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t img = b / blocks, i0 = (b % blocks) * kBlock, r = std::min(kBlock, rows - i0);
      const float* s = src + img * rows * cols + i0 * cols;
      float* d = dst + img * rows * cols + i0;
      // rows [i0, i0 + r) of the image land in columns [i0, i0 + r) of every output row
      for (int64_t j0 = 0; j0 < cols; j0 += kBlock) {
        const int64_t j1 = std::min(cols, j0 + kBlock);
        for (int64_t i = 0; i < r; ++i)
          for (int64_t j = j0; j < j1; ++j) d[j * rows + i] = s[i * cols + j];
      }
    }
  });
}

// (n, c, hw, src, dst): each image's [c][hw] becomes [hw][c] (to_nhwc) or back.
void layout_copy(const Napi::CallbackInfo& info, bool to_nhwc) {
  const int64_t n = int_arg(info, 0), c = int_arg(info, 1), hw = int_arg(info, 2);
  float* src = f32(info, 3);
  float* dst = f32(info, 4);
  if (n < 0 || c < 0 || hw < 0) throw Napi::RangeError::New(info.Env(), "layout copy: negative size");
  if (static_cast<int64_t>(f32len(info, 3)) < n * c * hw || static_cast<int64_t>(f32len(info, 4)) < n * c * hw)
    throw Napi::RangeError::New(info.Env(), "layout copy: buffer too small");
  if (to_nhwc) transpose_images(n, c, hw, src, dst);
  else transpose_images(n, hw, c, src, dst);
}

}  // namespace

// nchwToNhwc(n, c, hw, src, dst)
static Napi::Value NchwToNhwc(const Napi::CallbackInfo& info) {
  layout_copy(info, true);
  return info.Env().Undefined();
}

// nhwcToNchw(n, c, hw, src, dst)
static Napi::Value NhwcToNchw(const Napi::CallbackInfo& info) {
  layout_copy(info, false);
  return info.Env().Undefined();
}

IMCLS_EXPORT("nchwToNhwc", NchwToNhwc);
IMCLS_EXPORT("nhwcToNchw", NhwcToNchw);

}  // namespace imcls
