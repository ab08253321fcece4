// Plane reductions used by batch norm and friends: 8 float lanes per partial, folded into a
// double, so a plane of up to ~10^5 values keeps close to float64 accuracy while running at
// vector speed. AVX2 versions are chosen at run time from selected_isa().
#pragma once
#include <cstdint>

namespace imcls {

// sum x[i]
double plane_sum(const float* x, int64_t n);
// sum (x[i] - m)^2
double plane_sq_dev(const float* x, int64_t n, float m);
// sums of dy[i] and dy[i] * (x[i] - m)
void plane_dy_dyx(const float* dy, const float* x, int64_t n, float m, double& sdy, double& sdyx);

}  // namespace imcls
