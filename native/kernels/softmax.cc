// Row-wise softmax / log-softmax and backward, cross-entropy on logits (hard or soft targets),
// and top-k. Semantics follow src/backend/reference/softmax.ts; rows run in parallel, row sums
// accumulate in double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "args.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

static void need(const Napi::CallbackInfo& info, size_t i, int64_t n, const char* what) {
  if (static_cast<int64_t>(f32len(info, i)) < n) throw Napi::RangeError::New(info.Env(), std::string(what) + ": argument " + std::to_string(i) + " is too small");
}

static int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)); }

// max and log(sum exp(x - max)) of one row
static inline void row_lse(const float* x, int64_t cols, float& m, double& ls) {
  m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < cols; ++j) m = std::max(m, x[j]);
  double s = 0.0;
  for (int64_t j = 0; j < cols; ++j) s += std::exp(static_cast<double>(x[j]) - m);
  ls = std::log(s);
}

// softmax(rows, cols, x, y, log)
static Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 0), cols = int_arg(info, 1);
  need(info, 2, rows * cols, "softmax");
  need(info, 3, rows * cols, "softmax");
  const float* x = f32(info, 2);
  float* y = f32(info, 3);
  const bool log = bool_arg(info, 4);
  parallel_for(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      float m;
      double ls;
      row_lse(xr, cols, m, ls);
      if (log) {
        for (int64_t j = 0; j < cols; ++j) yr[j] = static_cast<float>(static_cast<double>(xr[j]) - m - ls);
      } else {
        for (int64_t j = 0; j < cols; ++j) yr[j] = static_cast<float>(std::exp(static_cast<double>(xr[j]) - m - ls));
      }
    }
  });
  return info.Env().Undefined();
}

// softmaxBackward(rows, cols, y, dy, dx, log)
static Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 0), cols = int_arg(info, 1);
  need(info, 2, rows * cols, "softmaxBackward");
  need(info, 3, rows * cols, "softmaxBackward");
  need(info, 4, rows * cols, "softmaxBackward");
  const float *y = f32(info, 2), *dy = f32(info, 3);
  float* dx = f32(info, 4);
  const bool log = bool_arg(info, 5);
  parallel_for(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float *yr = y + r * cols, *dyr = dy + r * cols;
      float* dxr = dx + r * cols;
      double s = 0.0;
      if (log) {
        for (int64_t j = 0; j < cols; ++j) s += dyr[j];
        for (int64_t j = 0; j < cols; ++j) dxr[j] = static_cast<float>(dyr[j] - std::exp(static_cast<double>(yr[j])) * s);
      } else {
        for (int64_t j = 0; j < cols; ++j) s += static_cast<double>(dyr[j]) * yr[j];
        for (int64_t j = 0; j < cols; ++j) dxr[j] = static_cast<float>(yr[j] * (dyr[j] - s));
      }
    }
  });
  return info.Env().Undefined();
}

// softmaxCrossEntropy(rows, cols, logits, target (Int32Array labels | Float32Array soft), loss, prob)
static Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 0), cols = int_arg(info, 1);
  need(info, 2, rows * cols, "softmaxCrossEntropy");
  need(info, 4, rows, "softmaxCrossEntropy");
  need(info, 5, rows * cols, "softmaxCrossEntropy");
  const float* logits = f32(info, 2);
  float *loss = f32(info, 4), *prob = f32(info, 5);
  const bool hard = info[3].IsTypedArray() && info[3].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
  const int32_t* labels = hard ? i32(info, 3) : nullptr;
  const float* soft = hard ? nullptr : f32(info, 3);
  if (hard) {
    if (static_cast<int64_t>(info[3].As<Napi::Int32Array>().ElementLength()) < rows) throw Napi::RangeError::New(info.Env(), "softmaxCrossEntropy: too few labels");
    for (int64_t r = 0; r < rows; ++r) {
      if (labels[r] < 0 || labels[r] >= cols) {
        throw Napi::RangeError::New(info.Env(), "cross-entropy: label " + std::to_string(labels[r]) + " in row " + std::to_string(r) +
                                                    " is outside [0, " + std::to_string(cols) + ")");
      }
    }
  } else {
    need(info, 3, rows * cols, "softmaxCrossEntropy");
  }
  parallel_for(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = logits + r * cols;
      float* pr = prob + r * cols;
      float m;
      double ls;
      row_lse(xr, cols, m, ls);
      const double lse = m + ls;
      for (int64_t j = 0; j < cols; ++j) pr[j] = static_cast<float>(std::exp(static_cast<double>(xr[j]) - lse));
      if (hard) {
        loss[r] = static_cast<float>(lse - xr[labels[r]]);
      } else {
        double l = 0.0;
        const float* tr = soft + r * cols;
        for (int64_t j = 0; j < cols; ++j) if (tr[j] != 0.f) l += static_cast<double>(tr[j]) * (lse - xr[j]);
        loss[r] = static_cast<float>(l);
      }
    }
  });
  return info.Env().Undefined();
}

// topk(rows, cols, x, k, values, indices): largest first, ties by lower index.
static Napi::Value TopK(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 0), cols = int_arg(info, 1), k = int_arg(info, 3);
  if (k < 0 || k > cols) throw Napi::RangeError::New(info.Env(), "topk: k must be in [0, cols]");
  need(info, 2, rows * cols, "topk");
  need(info, 4, rows * k, "topk");
  const float* x = f32(info, 2);
  float* values = f32(info, 4);
  int32_t* indices = i32(info, 5);
  if (static_cast<int64_t>(info[5].As<Napi::Int32Array>().ElementLength()) < rows * k) throw Napi::RangeError::New(info.Env(), "topk: indices too small");
  parallel_for(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    std::vector<int32_t> order(static_cast<size_t>(cols));
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * cols;
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t c) {
        return xr[a] > xr[c] || (xr[a] == xr[c] && a < c);
      });
      for (int64_t i = 0; i < k; ++i) {
        indices[r * k + i] = order[i];
        values[r * k + i] = xr[order[i]];
      }
    }
  });
  return info.Env().Undefined();
}

IMCLS_EXPORT("softmax", Softmax);
IMCLS_EXPORT("softmaxBackward", SoftmaxBackward);
IMCLS_EXPORT("softmaxCrossEntropy", SoftmaxCrossEntropy);
IMCLS_EXPORT("topk", TopK);

}  // namespace imcls
