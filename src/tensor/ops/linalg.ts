// Matrix products through the backend GEMM: matmul and Paddle's fully connected layer
// (weight layout [in, out], so y = x @ w + b).
import { getBackend } from '../../backend/index.js';
import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { traceOp } from '../trace.js';
import { assertFloat, emptyLike } from './util.js';

/** [m, k] @ [k, n] -> [m, n]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertFloat(a, 'matmul');
  assertFloat(b, 'matmul');
  if (a.ndim !== 2 || b.ndim !== 2 || a.shape[1] !== b.shape[0]) {
    throw new RangeError(`matmul: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not multiply`);
  }
  const m = a.shape[0]!;
  const k = a.shape[1]!;
  const n = b.shape[1]!;
  const be = getBackend();
  const out = emptyLike([m, n]);
  be.gemm(false, false, m, n, k, 1, a.values, k, b.values, n, 0, out.values, n);
  traceOp('matmul', [a, b], out);
  return record(out, 'matmul', [a, b], (gy) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      ga = emptyLike(a.shape); // gy @ b^T
      be.gemm(false, true, m, k, n, 1, gy.values, n, b.values, n, 0, ga.values, k);
    }
    if (b.requiresGrad) {
      gb = emptyLike(b.shape); // a^T @ gy
      be.gemm(true, false, k, n, m, 1, a.values, k, gy.values, n, 0, gb.values, n);
    }
    return [ga, gb];
  });
}

/** Fully connected: x [N, in] @ w [in, out] + b [out]. */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  assertFloat(x, 'linear');
  assertFloat(w, 'linear');
  if (x.ndim !== 2 || w.ndim !== 2 || x.shape[1] !== w.shape[0]) {
    throw new RangeError(`linear: input [${x.shape.join(', ')}] does not match weight [${w.shape.join(', ')}] (layout [in, out])`);
  }
  const n = x.shape[0]!;
  const fin = w.shape[0]!;
  const fout = w.shape[1]!;
  if (b && b.size !== fout) throw new RangeError(`linear: bias has ${b.size} elements, expected ${fout}`);
  const be = getBackend();
  const out = emptyLike([n, fout]);
  if (b) {
    const bv = b.values;
    const ov = out.values;
    for (let r = 0; r < n; r++) ov.set(bv, r * fout);
  }
  be.gemm(false, false, n, fout, fin, 1, x.values, fin, w.values, fout, b ? 1 : 0, out.values, fout);
  const inputs = b ? [x, w, b] : [x, w];
  traceOp('linear', inputs, out);
  return record(out, 'linear', inputs, (gy) => {
    const grads: (Tensor | null)[] = [null, null];
    if (x.requiresGrad) {
      const gx = emptyLike(x.shape);
      be.gemm(false, true, n, fin, fout, 1, gy.values, fout, w.values, fout, 0, gx.values, fin);
      grads[0] = gx;
    }
    if (w.requiresGrad) {
      const gw = emptyLike(w.shape);
      be.gemm(true, false, fin, fout, n, 1, x.values, fin, gy.values, fout, 0, gw.values, fout);
      grads[1] = gw;
    }
    if (b) {
      let gb: Tensor | null = null;
      if (b.requiresGrad) {
        gb = emptyLike(b.shape);
        be.reduceAxis('sum', 1, n, fout, gy.values, gb.values, null);
      }
      grads.push(gb);
    }
    return grads;
  });
}
