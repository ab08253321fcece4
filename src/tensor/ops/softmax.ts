// Softmax and log-softmax along any axis (the kernel works on rows; another axis is moved last
// and back through differentiable transposes).
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { traceOp } from '../trace.js';
import { transpose } from './shape.js';
import { assertFloat, emptyLike, normAxis } from './util.js';

function lastAxis(x: Tensor, log: boolean): Tensor {
  const cols = x.shape[x.ndim - 1]!;
  const rows = cols === 0 ? 0 : x.size / cols;
  const be = getBackend();
  const out = emptyLike(x.shape);
  be.softmax(rows, cols, x.values, out.values, log);
  traceOp(log ? 'log_softmax' : 'softmax', [x], out);
  return record(out, log ? 'log_softmax' : 'softmax', [x], (gy) => {
    const gx = emptyLike(x.shape);
    be.softmaxBackward(rows, cols, out.values, gy.values, gx.values, log);
    return [gx];
  });
}

function alongAxis(x: Tensor, axis: number, log: boolean): Tensor {
  assertFloat(x, log ? 'logSoftmax' : 'softmax');
  if (x.ndim === 0) throw new RangeError('softmax: scalar input');
  const ax = normAxis(axis, x.ndim);
  if (ax === x.ndim - 1) return lastAxis(x, log);
  const perm = [...Array(x.ndim).keys()];
  perm[ax] = x.ndim - 1;
  perm[x.ndim - 1] = ax; // a swap is its own inverse
  const grad = needsGrad(x);
  const moved = transpose(x, perm);
  const y = lastAxis(moved, log);
  if (!grad) moved.free();
  const out = transpose(y, perm);
  if (!grad) y.free();
  return out;
}

export function softmax(x: Tensor, axis = -1): Tensor {
  return alongAxis(x, axis, false);
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return alongAxis(x, axis, true);
}
