// Winograd F(m x m, 3 x 3) tile transforms over the channels of NHWC data (see nhwc.h and
// nhwc_winograd.cc), written once over the vector traits and instantiated by each ISA file
// under its own target pragma; channels past the last whole vector go through a one-lane
// instance of the same code. The matrices are Lavin and Gray's (arXiv:1509.09308): F(2x2) on
// the points 0, 1, -1 and F(4x4) on 0, 1, -1, 2, -2, each with the point at infinity.
//
// Include after nhwc/nhwc_tile.h.

namespace {

using imcls::nhwc_detail::WinogradInArgs;
using imcls::nhwc_detail::WinogradOutArgs;

// One lane, for the channels past the last whole vector.
struct VecLane {
  using reg = float;
  static constexpr int width = 1;
  static inline reg zero() { return 0.f; }
  static inline reg loadu(const float* p) { return *p; }
  static inline void storeu(float* p, reg v) { *p = v; }
  static inline reg set1(float x) { return x; }
  static inline reg fmadd(reg a, reg b, reg c) { return a * b + c; }
  static inline reg mul(reg a, reg b) { return a * b; }
  static inline reg add(reg a, reg b) { return a + b; }
  static inline reg sub(reg a, reg b) { return a - b; }
  static inline reg max(reg a, reg b) { return a > b ? a : b; }
  static inline reg min(reg a, reg b) { return a < b ? a : b; }
};

template <class V, int M>
struct Wino;

template <class V>
struct Wino<V, 2> {
  using reg = typename V::reg;
  static constexpr int A = 4;
  // B^T d
  static inline __attribute__((always_inline)) void in(const reg* d, reg* t) {
    t[0] = V::sub(d[0], d[2]);
    t[1] = V::add(d[1], d[2]);
    t[2] = V::sub(d[2], d[1]);
    t[3] = V::sub(d[1], d[3]);
  }
  // A^T m
  static inline __attribute__((always_inline)) void out(const reg* m, reg* o) {
    o[0] = V::add(V::add(m[0], m[1]), m[2]);
    o[1] = V::sub(V::sub(m[1], m[2]), m[3]);
  }
};

template <class V>
struct Wino<V, 4> {
  using reg = typename V::reg;
  static constexpr int A = 6;
  static inline __attribute__((always_inline)) void in(const reg* d, reg* t) {
    const reg a = V::fmadd(V::set1(-4.f), d[2], d[4]), b = V::fmadd(V::set1(-4.f), d[1], d[3]);
    const reg c = V::sub(d[4], d[2]), e = V::mul(V::set1(2.f), V::sub(d[3], d[1]));
    t[0] = V::fmadd(V::set1(4.f), d[0], V::fmadd(V::set1(-5.f), d[2], d[4]));
    t[1] = V::add(a, b);
    t[2] = V::sub(a, b);
    t[3] = V::add(c, e);
    t[4] = V::sub(c, e);
    t[5] = V::fmadd(V::set1(4.f), d[1], V::fmadd(V::set1(-5.f), d[3], d[5]));
  }
  static inline __attribute__((always_inline)) void out(const reg* m, reg* o) {
    const reg s12 = V::add(m[1], m[2]), d12 = V::sub(m[1], m[2]);
    const reg s34 = V::add(m[3], m[4]), d34 = V::sub(m[3], m[4]);
    o[0] = V::add(V::add(m[0], s12), s34);
    o[1] = V::fmadd(V::set1(2.f), d34, d12);
    o[2] = V::fmadd(V::set1(4.f), s34, s12);
    o[3] = V::add(V::fmadd(V::set1(8.f), d34, d12), m[5]);
  }
};

// V = B^T d B for channels [c0, c1) in steps of V::width.
template <class V, int M>
inline void winograd_in_range(const WinogradInArgs& a, int64_t c0, int64_t c1) {
  using W = Wino<V, M>;
  using reg = typename V::reg;
  constexpr int A = W::A;
  for (int64_t cv = c0; cv + V::width <= c1; cv += V::width) {
    reg d[A][A], t[A][A];
#pragma GCC unroll 6
    for (int j = 0; j < A; ++j) {
      reg col[A], tc[A];
#pragma GCC unroll 6
      for (int i = 0; i < A; ++i) col[i] = V::loadu(a.src[i * A + j] + cv);
      W::in(col, tc);
#pragma GCC unroll 6
      for (int i = 0; i < A; ++i) t[i][j] = tc[i];
    }
#pragma GCC unroll 6
    for (int i = 0; i < A; ++i) W::in(t[i], d[i]);
#pragma GCC unroll 6
    for (int i = 0; i < A; ++i)
#pragma GCC unroll 6
      for (int j = 0; j < A; ++j) V::storeu(a.v + (i * A + j) * a.v_stride + cv, d[i][j]);
  }
}

template <class V, int M>
void winograd_in(const WinogradInArgs& a) {
  const int64_t whole = a.c / V::width * V::width;
  winograd_in_range<V, M>(a, 0, whole);
  winograd_in_range<VecLane, M>(a, whole, a.c);
}

// y = act(A^T M A + bias + residual) for channels [k0, k1) in steps of V::width. leaky_relu is
// max(v, 0) + alpha * min(v, 0): exact for either sign, NaN stays NaN.
template <class V, int M>
inline void winograd_out_range(const WinogradOutArgs& a, int64_t k0, int64_t k1) {
  using W = Wino<V, M>;
  using reg = typename V::reg;
  constexpr int A = W::A;
  for (int64_t kv = k0; kv + V::width <= k1; kv += V::width) {
    reg t[M][A];
#pragma GCC unroll 6
    for (int j = 0; j < A; ++j) {
      reg col[A], oc[M];
#pragma GCC unroll 6
      for (int i = 0; i < A; ++i) col[i] = V::loadu(a.m + (i * A + j) * a.m_stride + kv);
      W::out(col, oc);
#pragma GCC unroll 4
      for (int r = 0; r < M; ++r) t[r][j] = oc[r];
    }
    const reg bias = a.bias != nullptr ? V::loadu(a.bias + kv) : V::zero();
#pragma GCC unroll 4
    for (int r = 0; r < M; ++r) {
      reg o[M];
      W::out(t[r], o);
#pragma GCC unroll 4
      for (int s = 0; s < M; ++s) {
        float* dst = a.dst[r * M + s];
        if (dst == nullptr) continue;
        reg v = V::add(o[s], bias);
        if (a.res != nullptr) v = V::add(v, V::loadu(a.res[r * M + s] + kv));
        if (a.act == 1) v = V::max(V::zero(), v);
        else if (a.act == 2) v = V::min(V::set1(6.f), V::max(V::zero(), v));
        else if (a.act == 3) v = V::fmadd(V::set1(a.alpha), V::min(V::zero(), v), V::max(V::zero(), v));
        V::storeu(dst + kv, v);
      }
    }
  }
}

template <class V, int M>
void winograd_out(const WinogradOutArgs& a) {
  const int64_t whole = a.k / V::width * V::width;
  winograd_out_range<V, M>(a, 0, whole);
  winograd_out_range<VecLane, M>(a, whole, a.k);
}

template <class V>
void fill_winograd_table(imcls::nhwc_detail::KernelSet& k) {
  k.winograd_in[0] = &winograd_in<V, 2>;
  k.winograd_in[1] = &winograd_in<V, 4>;
  k.winograd_out[0] = &winograd_out<V, 2>;
  k.winograd_out[1] = &winograd_out<V, 4>;
}

}  // namespace
