// Activations (Paddle's definitions): each is one unary kernel forward and its derivative backward.
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { traceOp } from '../trace.js';
import { unaryOp } from './elementwise.js';
import { assertFloat, emptyLike } from './util.js';

export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
/** min(max(x, 0), 6) */
export const relu6 = (x: Tensor): Tensor => unaryOp('relu6', x);
/** x > 0 ? x : slope * x (Paddle's default slope 0.02) */
export const leakyRelu = (x: Tensor, slope = 0.02): Tensor => unaryOp('leaky_relu', x, slope);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
/** x * sigmoid(x) */
export const swish = (x: Tensor): Tensor => unaryOp('swish', x);
/** x * relu6(x + 3) / 6 */
export const hardSwish = (x: Tensor): Tensor => unaryOp('hard_swish', x);

/**
 * clip(slope * x + offset, 0, 1). The kernel implements slope 0.2, offset 0.5; other values run it
 * on z = (slope * x + offset - 0.5) / 0.2, which gives the same function and derivative.
 */
export function hardSigmoid(x: Tensor, slope = 0.2, offset = 0.5): Tensor {
  if (slope === 0.2 && offset === 0.5) return unaryOp('hard_sigmoid', x);
  assertFloat(x, 'hardSigmoid');
  const be = getBackend();
  const z = emptyLike(x.shape);
  be.fill(z.values, (offset - 0.5) / 0.2);
  be.axpby(slope / 0.2, x.values, 1, z.values);
  const out = emptyLike(x.shape);
  be.unary('hard_sigmoid', z.values, out.values, 0);
  traceOp('hard_sigmoid', [x], out, { slope, offset });
  if (!needsGrad(x)) {
    z.free();
    return out;
  }
  return record(out, 'hard_sigmoid', [x], (gy) => {
    const gx = emptyLike(x.shape);
    be.unaryBackward('hard_sigmoid', z.values, out.values, gy.values, gx.values, 0);
    be.axpby(0, gx.values, slope / 0.2, gx.values);
    z.free();
    return [gx];
  });
}
