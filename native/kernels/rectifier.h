// Rectifier derivatives (relu, relu6, leaky_relu) with AVX2 where available, shared by the fused
// batch-norm kernels and unaryBackward. The mask reads either the input or the output: for these
// activations x > 0 ⇔ act(x) > 0 and x < 6 ⇔ relu6(x) < 6 (leaky needs slope >= 0).
#pragma once
#include <cstdint>

namespace imcls {

enum RectifierAct { kRectNone = 0, kRectRelu = 1, kRectRelu6 = 2, kRectLeaky = 3 };

// dx[i] = dy[i] · act'(at[i]) over [0, n), serial (callers split the range).
void rectifier_grad(int act, const float* at, const float* dy, float* dx, int64_t n, float alpha);

}  // namespace imcls
