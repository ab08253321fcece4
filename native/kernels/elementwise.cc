// Elementwise kernels: activations and their derivatives, broadcasting binary ops (fast paths for
// same shape, scalar and per-channel operands), axpby, fill, the adjoint of broadcasting
// (sumToShape), axis reductions and the generic strided copy. Semantics follow
// src/backend/reference/elementwise.ts. Big tensors are split over the pool; these loops are
// memory-bound, so the aim is only to keep them vectorisable and parallel.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "args.h"
#include "kernels/rectifier.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

namespace {

constexpr int64_t kGrain = 1 << 15;

void need(const Napi::CallbackInfo& info, size_t i, int64_t n, const char* what) {
  if (static_cast<int64_t>(f32len(info, i)) < n) throw Napi::RangeError::New(info.Env(), std::string(what) + ": argument " + std::to_string(i) + " is too small");
}

std::vector<int64_t> int_list(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an array of numbers");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> v(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) v[k] = a.Get(k).As<Napi::Number>().Int64Value();
  return v;
}

int64_t product(const std::vector<int64_t>& s) {
  int64_t p = 1;
  for (int64_t d : s) p *= d;
  return p;
}

enum class U { relu, relu6, leaky, sigmoid, tanh_, swish, hswish, hsigmoid, exp_, log_, neg, sqrt_, square, abs_ };

U unary_op(const Napi::CallbackInfo& info, size_t i) {
  const std::string s = info[i].ToString().Utf8Value();
  if (s == "relu") return U::relu;
  if (s == "relu6") return U::relu6;
  if (s == "leaky_relu") return U::leaky;
  if (s == "sigmoid") return U::sigmoid;
  if (s == "tanh") return U::tanh_;
  if (s == "swish") return U::swish;
  if (s == "hard_swish") return U::hswish;
  if (s == "hard_sigmoid") return U::hsigmoid;
  if (s == "exp") return U::exp_;
  if (s == "log") return U::log_;
  if (s == "neg") return U::neg;
  if (s == "sqrt") return U::sqrt_;
  if (s == "square") return U::square;
  if (s == "abs") return U::abs_;
  throw Napi::TypeError::New(info.Env(), "unknown unary op '" + s + "'");
}

inline float sigm(float v) {
  if (v >= 0.f) return 1.f / (1.f + std::exp(-v));
  const float e = std::exp(v);
  return e / (1.f + e);
}

template <typename F>
void map(int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i);
  });
}

void unary(U op, const float* x, float* y, int64_t n, float alpha) {
  switch (op) {
    case U::relu: return map(n, [&](int64_t i) { y[i] = x[i] > 0.f ? x[i] : 0.f; });
    case U::relu6: return map(n, [&](int64_t i) { y[i] = x[i] < 0.f ? 0.f : (x[i] > 6.f ? 6.f : x[i]); });
    case U::leaky: return map(n, [&](int64_t i) { y[i] = x[i] > 0.f ? x[i] : alpha * x[i]; });
    case U::sigmoid: return map(n, [&](int64_t i) { y[i] = sigm(x[i]); });
    case U::tanh_: return map(n, [&](int64_t i) { y[i] = std::tanh(x[i]); });
    case U::swish: return map(n, [&](int64_t i) { y[i] = x[i] * sigm(x[i]); });
    case U::hswish: return map(n, [&](int64_t i) { y[i] = x[i] * std::min(std::max(x[i] + 3.f, 0.f), 6.f) / 6.f; });
    case U::hsigmoid: return map(n, [&](int64_t i) { y[i] = std::min(std::max(0.2f * x[i] + 0.5f, 0.f), 1.f); });
    case U::exp_: return map(n, [&](int64_t i) { y[i] = std::exp(x[i]); });
    case U::log_: return map(n, [&](int64_t i) { y[i] = std::log(x[i]); });
    case U::neg: return map(n, [&](int64_t i) { y[i] = -x[i]; });
    case U::sqrt_: return map(n, [&](int64_t i) { y[i] = std::sqrt(x[i]); });
    case U::square: return map(n, [&](int64_t i) { y[i] = x[i] * x[i]; });
    case U::abs_: return map(n, [&](int64_t i) { y[i] = std::fabs(x[i]); });
  }
}

// The rectifiers' masks run through the AVX2 kernel shared with the fused batch norm (a plain
// select loop here measured ~1.6x slower than an axpby over the same three streams).
void rectifier_backward(int act, const float* x, const float* dy, float* dx, int64_t n, float alpha) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) { rectifier_grad(act, x + b, dy + b, dx + b, e - b, alpha); });
}

void unary_backward(U op, const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha) {
  switch (op) {
    case U::relu: return rectifier_backward(kRectRelu, x, dy, dx, n, alpha);
    case U::relu6: return rectifier_backward(kRectRelu6, x, dy, dx, n, alpha);
    case U::leaky: return rectifier_backward(kRectLeaky, x, dy, dx, n, alpha);
    case U::sigmoid: return map(n, [&](int64_t i) { dx[i] = dy[i] * (y[i] * (1.f - y[i])); });
    case U::tanh_: return map(n, [&](int64_t i) { dx[i] = dy[i] * (1.f - y[i] * y[i]); });
    case U::swish: return map(n, [&](int64_t i) {
      const float s = sigm(x[i]);
      dx[i] = dy[i] * (s + x[i] * s * (1.f - s));
    });
    case U::hswish: return map(n, [&](int64_t i) {
      dx[i] = dy[i] * (x[i] <= -3.f ? 0.f : x[i] >= 3.f ? 1.f : (2.f * x[i] + 3.f) / 6.f);
    });
    case U::hsigmoid: return map(n, [&](int64_t i) { dx[i] = x[i] > -2.5f && x[i] < 2.5f ? dy[i] * 0.2f : 0.f; });
    case U::exp_: return map(n, [&](int64_t i) { dx[i] = dy[i] * y[i]; });
    case U::log_: return map(n, [&](int64_t i) { dx[i] = dy[i] / x[i]; });
    case U::neg: return map(n, [&](int64_t i) { dx[i] = -dy[i]; });
    case U::sqrt_: return map(n, [&](int64_t i) { dx[i] = dy[i] * (0.5f / y[i]); });
    case U::square: return map(n, [&](int64_t i) { dx[i] = dy[i] * (2.f * x[i]); });
    case U::abs_: return map(n, [&](int64_t i) { dx[i] = x[i] > 0.f ? dy[i] : x[i] < 0.f ? -dy[i] : dy[i] * 0.f; });
  }
}

enum class B { add, sub, mul, div, max, min };

B binary_op(const Napi::CallbackInfo& info, size_t i) {
  const std::string s = info[i].ToString().Utf8Value();
  if (s == "add") return B::add;
  if (s == "sub") return B::sub;
  if (s == "mul") return B::mul;
  if (s == "div") return B::div;
  if (s == "max") return B::max;
  if (s == "min") return B::min;
  throw Napi::TypeError::New(info.Env(), "unknown binary op '" + s + "'");
}

// Runs body with the op as a compile-time functor so every loop is specialised and vectorisable.
template <typename Body>
void with_op(B op, Body body) {
  switch (op) {
    case B::add: return body([](float a, float b) { return a + b; });
    case B::sub: return body([](float a, float b) { return a - b; });
    case B::mul: return body([](float a, float b) { return a * b; });
    case B::div: return body([](float a, float b) { return a / b; });
    case B::max: return body([](float a, float b) { return a >= b ? a : b; });
    case B::min: return body([](float a, float b) { return a <= b ? a : b; });
  }
}

// Row-major strides of shape with 0 where the dimension is broadcast against out.
std::vector<int64_t> bstrides(const std::vector<int64_t>& shape, const std::vector<int64_t>& out) {
  std::vector<int64_t> s(shape.size(), 0);
  int64_t acc = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    s[d] = shape[d] == 1 && out[d] != 1 ? 0 : acc;
    acc *= shape[d];
  }
  return s;
}

// Merges adjacent dimensions that are contiguous for every operand (fewer, longer loops).
void coalesce(std::vector<int64_t>& shape, std::vector<std::vector<int64_t>*> strides) {
  std::vector<int64_t> ns;
  std::vector<std::vector<int64_t>> nst(strides.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !ns.empty();
    for (size_t k = 0; merge && k < strides.size(); ++k) {
      merge = nst[k].back() == (*strides[k])[d] * shape[d];
    }
    if (merge) {
      ns.back() *= shape[d];
      for (size_t k = 0; k < strides.size(); ++k) nst[k].back() = (*strides[k])[d];
    } else {
      ns.push_back(shape[d]);
      for (size_t k = 0; k < strides.size(); ++k) nst[k].push_back((*strides[k])[d]);
    }
  }
  if (ns.empty()) {
    ns.push_back(1);
    for (auto& v : nst) v.push_back(0);
  }
  shape = ns;
  for (size_t k = 0; k < strides.size(); ++k) *strides[k] = nst[k];
}

}  // namespace

// unary(op, x, y, alpha)
static Napi::Value Unary(const Napi::CallbackInfo& info) {
  const U op = unary_op(info, 0);
  const int64_t n = static_cast<int64_t>(f32len(info, 2));
  need(info, 1, n, "unary");
  unary(op, f32(info, 1), f32(info, 2), n, static_cast<float>(num_arg(info, 3)));
  return info.Env().Undefined();
}

// unaryBackward(op, x, y, dy, dx, alpha)
static Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  const U op = unary_op(info, 0);
  const int64_t n = static_cast<int64_t>(f32len(info, 4));
  need(info, 1, n, "unaryBackward");
  need(info, 2, n, "unaryBackward");
  need(info, 3, n, "unaryBackward");
  unary_backward(op, f32(info, 1), f32(info, 2), f32(info, 3), f32(info, 4), n, static_cast<float>(num_arg(info, 5)));
  return info.Env().Undefined();
}

// binary(op, a, aShape, b, bShape, out, outShape)
static Napi::Value Binary(const Napi::CallbackInfo& info) {
  const B op = binary_op(info, 0);
  std::vector<int64_t> as = int_list(info, 2), bs = int_list(info, 4), os = int_list(info, 6);
  if (as.size() != os.size() || bs.size() != os.size()) throw Napi::RangeError::New(info.Env(), "binary: shapes must have equal rank");
  const int64_t total = product(os);
  need(info, 1, product(as), "binary");
  need(info, 3, product(bs), "binary");
  need(info, 5, total, "binary");
  const float *a = f32(info, 1), *b = f32(info, 3);
  float* out = f32(info, 5);
  if (total == 0) return info.Env().Undefined();
  std::vector<int64_t> sa = bstrides(as, os), sb = bstrides(bs, os), so = bstrides(os, os);
  std::vector<int64_t> shape = os;
  coalesce(shape, {&sa, &sb, &so});
  const int64_t rank = static_cast<int64_t>(shape.size());
  with_op(op, [&](auto f) {
    // Innermost loop kinds: both contiguous, a scalar, b scalar (per row).
    const int64_t inner = shape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
    const int64_t rows = total / inner;
    parallel_for(rows, std::max<int64_t>(1, kGrain / inner), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        // Offsets of row r (all dims but the last).
        int64_t oa = 0, ob = 0, rem = r;
        for (int64_t d = rank - 2; d >= 0; --d) {
          const int64_t idx = rem % shape[d];
          rem /= shape[d];
          oa += idx * sa[d];
          ob += idx * sb[d];
        }
        const float* pa = a + oa;
        const float* pb = b + ob;
        float* po = out + r * inner;
        if (ia == 1 && ib == 1) {
          for (int64_t i = 0; i < inner; ++i) po[i] = f(pa[i], pb[i]);
        } else if (ia == 0 && ib == 1) {
          const float av = pa[0];
          for (int64_t i = 0; i < inner; ++i) po[i] = f(av, pb[i]);
        } else if (ia == 1 && ib == 0) {
          const float bv = pb[0];
          for (int64_t i = 0; i < inner; ++i) po[i] = f(pa[i], bv);
        } else {
          for (int64_t i = 0; i < inner; ++i) po[i] = f(pa[i * ia], pb[i * ib]);
        }
      }
    });
  });
  return info.Env().Undefined();
}

// axpby(a, x, b, y): y = a*x + b*y
static Napi::Value Axpby(const Napi::CallbackInfo& info) {
  const float a = static_cast<float>(num_arg(info, 0)), bb = static_cast<float>(num_arg(info, 2));
  const int64_t n = static_cast<int64_t>(f32len(info, 3));
  if (static_cast<int64_t>(f32len(info, 1)) != n) throw Napi::RangeError::New(info.Env(), "axpby: lengths differ");
  const float* x = f32(info, 1);
  float* y = f32(info, 3);
  if (bb == 1.f) map(n, [&](int64_t i) { y[i] = a * x[i] + y[i]; });
  else map(n, [&](int64_t i) { y[i] = a * x[i] + bb * y[i]; });
  return info.Env().Undefined();
}

// fill(y, value)
static Napi::Value Fill(const Napi::CallbackInfo& info) {
  float* y = f32(info, 0);
  const int64_t n = static_cast<int64_t>(f32len(info, 0));
  const float v = static_cast<float>(num_arg(info, 1));
  map(n, [&](int64_t i) { y[i] = v; });
  return info.Env().Undefined();
}

// sumToShape(src, srcShape, dst, dstShape)
static Napi::Value SumToShape(const Napi::CallbackInfo& info) {
  std::vector<int64_t> ss = int_list(info, 1), ds = int_list(info, 3);
  if (ss.size() != ds.size()) throw Napi::RangeError::New(info.Env(), "sumToShape: shapes must have equal rank");
  const int64_t total = product(ss), dn = product(ds);
  need(info, 0, total, "sumToShape");
  need(info, 2, dn, "sumToShape");
  const float* src = f32(info, 0);
  float* dst = f32(info, 2);
  std::fill(dst, dst + dn, 0.f);
  if (total == 0) return info.Env().Undefined();
  // Canonical form [outer, mid, inner] where dst keeps only `mid` (per-channel reduction of a
  // [N, C, H, W] gradient) or is contiguous with src (no reduction).
  std::vector<int64_t> sd = bstrides(ds, ss), s_src = bstrides(ss, ss);
  std::vector<int64_t> shape = ss;
  coalesce(shape, {&sd, &s_src});
  const int64_t rank = static_cast<int64_t>(shape.size());
  // Parallelise over dst elements when dst is a single kept dimension surrounded by reduced
  // ones (the common bias / per-channel case): each dst element is summed by one thread.
  int64_t kept = -1, nkept = 0;
  for (int64_t d = 0; d < rank; ++d) if (sd[d] != 0) { kept = d; ++nkept; }
  if (nkept == 1 && sd[kept] == 1) {
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < kept; ++d) outer *= shape[d];
    for (int64_t d = kept + 1; d < rank; ++d) inner *= shape[d];
    const int64_t mid = shape[kept];
    parallel_for(mid, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, outer * inner)), [&](int64_t b, int64_t e) {
      for (int64_t m = b; m < e; ++m) {
        double acc = 0.0;
        for (int64_t o = 0; o < outer; ++o) {
          const float* p = src + (o * mid + m) * inner;
          float s = 0.f;
          for (int64_t i = 0; i < inner; ++i) s += p[i];
          acc += s;
        }
        dst[m] = static_cast<float>(acc);
      }
    });
    return info.Env().Undefined();
  }
  if (nkept == 0) {
    double acc = 0.0;
    for (int64_t i = 0; i < total; ++i) acc += src[i];
    dst[0] = static_cast<float>(acc);
    return info.Env().Undefined();
  }
  // General case: serial odometer walk (rare shapes).
  std::vector<int64_t> idx(rank, 0);
  int64_t id = 0;
  for (int64_t s = 0; s < total; ++s) {
    dst[id] += src[s];
    for (int64_t d = rank - 1; d >= 0; --d) {
      ++idx[d];
      id += sd[d];
      if (idx[d] < shape[d]) break;
      id -= sd[d] * shape[d];
      idx[d] = 0;
    }
  }
  return info.Env().Undefined();
}

// reduceAxis(op, outer, axis, inner, x, y, argmax|null)
static Napi::Value ReduceAxis(const Napi::CallbackInfo& info) {
  const std::string op = info[0].ToString().Utf8Value();
  const int64_t outer = int_arg(info, 1), axis = int_arg(info, 2), inner = int_arg(info, 3);
  need(info, 4, outer * axis * inner, "reduceAxis");
  need(info, 5, outer * inner, "reduceAxis");
  const float* x = f32(info, 4);
  float* y = f32(info, 5);
  int32_t* am = nullptr;
  if (info.Length() > 6 && !info[6].IsNull() && !info[6].IsUndefined()) am = i32(info, 6);
  const bool is_max = op == "max", is_mean = op == "mean";
  if (!is_max && !is_mean && op != "sum") throw Napi::TypeError::New(info.Env(), "reduceAxis: unknown op '" + op + "'");
  parallel_for(outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, axis * inner)), [&](int64_t b, int64_t e) {
    std::vector<double> acc(static_cast<size_t>(inner));
    std::vector<int32_t> bi(static_cast<size_t>(inner));
    for (int64_t o = b; o < e; ++o) {
      const float* xo = x + o * axis * inner;
      float* yo = y + o * inner;
      if (is_max) {
        for (int64_t i = 0; i < inner; ++i) {
          yo[i] = -std::numeric_limits<float>::infinity();
          bi[i] = 0;
        }
        for (int64_t a = 0; a < axis; ++a) {
          const float* r = xo + a * inner;
          for (int64_t i = 0; i < inner; ++i) {
            if (r[i] > yo[i]) {
              yo[i] = r[i];
              bi[i] = static_cast<int32_t>(a);
            }
          }
        }
        if (am) std::copy(bi.begin(), bi.end(), am + o * inner);
      } else {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t a = 0; a < axis; ++a) {
          const float* r = xo + a * inner;
          for (int64_t i = 0; i < inner; ++i) acc[i] += r[i];
        }
        for (int64_t i = 0; i < inner; ++i) yo[i] = static_cast<float>(is_mean ? acc[i] / static_cast<double>(axis) : acc[i]);
      }
    }
  });
  return info.Env().Undefined();
}

// stridedCopy(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape)
static Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  const float* src = f32(info, 0);
  float* dst = f32(info, 3);
  const int64_t so = int_arg(info, 1), dof = int_arg(info, 4);
  std::vector<int64_t> ss = int_list(info, 2), ds = int_list(info, 5), shape = int_list(info, 6);
  if (ss.size() != shape.size() || ds.size() != shape.size()) throw Napi::RangeError::New(info.Env(), "stridedCopy: ranks differ");
  const int64_t total = product(shape);
  if (total == 0) return info.Env().Undefined();
  // Bounds: the extreme offsets reachable must lie inside both buffers.
  auto check = [&](int64_t off, const std::vector<int64_t>& st, int64_t len, const char* what) {
    int64_t lo = off, hi = off;
    for (size_t d = 0; d < shape.size(); ++d) {
      const int64_t span = st[d] * (shape[d] - 1);
      if (span < 0) lo += span; else hi += span;
    }
    if (lo < 0 || hi >= len) throw Napi::RangeError::New(info.Env(), std::string("stridedCopy: ") + what + " range out of bounds");
  };
  check(so, ss, static_cast<int64_t>(f32len(info, 0)), "source");
  check(dof, ds, static_cast<int64_t>(f32len(info, 3)), "destination");
  coalesce(shape, {&ss, &ds});
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t inner = shape[rank - 1], si = ss[rank - 1], di = ds[rank - 1];
  const int64_t rows = total / inner;
  parallel_for(rows, std::max<int64_t>(1, kGrain / inner), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t os = so, od = dof, rem = r;
      for (int64_t d = rank - 2; d >= 0; --d) {
        const int64_t idx = rem % shape[d];
        rem /= shape[d];
        os += idx * ss[d];
        od += idx * ds[d];
      }
      if (si == 1 && di == 1) {
        std::memmove(dst + od, src + os, sizeof(float) * inner);
      } else {
        for (int64_t i = 0; i < inner; ++i) dst[od + i * di] = src[os + i * si];
      }
    }
  });
  return info.Env().Undefined();
}

IMCLS_EXPORT("unary", Unary);
IMCLS_EXPORT("unaryBackward", UnaryBackward);
IMCLS_EXPORT("binary", Binary);
IMCLS_EXPORT("axpby", Axpby);
IMCLS_EXPORT("fill", Fill);
IMCLS_EXPORT("sumToShape", SumToShape);
IMCLS_EXPORT("reduceAxis", ReduceAxis);
IMCLS_EXPORT("stridedCopy", StridedCopy);

}  // namespace imcls
