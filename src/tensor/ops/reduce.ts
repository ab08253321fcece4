// Reductions over one axis, several axes, or everything: sum, mean, max (the gradient of max
// goes to the first maximal element along the axis).
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, emptyLike, filled, normAxis, splitAround } from './util.js';

type ReduceOp = 'sum' | 'mean' | 'max';

function reduceOne(x: Tensor, op: ReduceOp, ax: number, keepDims: boolean): Tensor {
  const { outer, axis, inner } = splitAround(x.shape, ax);
  const outShape = keepDims ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  const be = getBackend();
  const out = emptyLike(outShape);
  const grad = needsGrad(x);
  let argmax: Int32Array | null = op === 'max' ? new Int32Array(outer * inner) : null;
  be.reduceAxis(op, outer, axis, inner, x.values, out.values, argmax);
  if (!grad) return out;
  return record(out, op, [x], (gy) => {
    if (op === 'max') {
      const gx = filled(x.shape, 0);
      const gv = gx.values;
      const g = gy.values;
      const am = argmax!;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) gv[(o * axis + am[o * inner + i]!) * inner + i] = g[o * inner + i]!;
      }
      argmax = null;
      return [gx];
    }
    // Broadcast gy back along the axis: a strided copy with stride 0 over it.
    const gx = emptyLike(x.shape);
    be.stridedCopy(gy.values, 0, [inner, 0, 1], gx.values, 0, [axis * inner, inner, 1], [outer, axis, inner]);
    if (op === 'mean') be.axpby(0, gx.values, 1 / axis, gx.values);
    return [gx];
  });
}

function reduce(x: Tensor, op: ReduceOp, axis: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  assertFloat(x, op);
  if (axis === undefined) return reduceAll(x, op, keepDims);
  const axes = (typeof axis === 'number' ? [axis] : [...axis]).map((a) => normAxis(a, x.ndim));
  const sorted = [...new Set(axes)].sort((a, b) => b - a); // highest first keeps lower indices valid
  let t = x;
  const grad = needsGrad(x);
  for (const ax of sorted) {
    const next = reduceOne(t, op, ax, keepDims);
    if (t !== x && !grad) t.free();
    t = next;
  }
  return t;
}

/** Over every element: shape [] (or all ones with keepDims). */
function reduceAll(x: Tensor, op: ReduceOp, keepDims: boolean): Tensor {
  const n = x.size;
  const be = getBackend();
  const out = emptyLike(keepDims ? x.shape.map(() => 1) : []);
  let argmax: Int32Array | null = op === 'max' ? new Int32Array(1) : null;
  be.reduceAxis(op, 1, n, 1, x.values, out.values, argmax);
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (gy) => {
    const g = gy.values[0]!;
    if (op === 'max') {
      const gx = filled(x.shape, 0);
      gx.values[argmax![0]!] = g;
      argmax = null;
      return [gx];
    }
    return [filled(x.shape, op === 'mean' ? g / n : g)];
  });
}

export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  return reduce(x, 'sum', axis, keepDims);
}

export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  return reduce(x, 'mean', axis, keepDims);
}

export function max(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  return reduce(x, 'max', axis, keepDims);
}
