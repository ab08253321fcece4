// Elementwise arithmetic with numpy broadcasting, scalar forms and the unary math functions.
// Broadcast inputs get their gradient summed back to their own shape (sumTo).
import type { BinaryOp, RectifierActivation, UnaryOp } from '../../backend/backend.js';
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { isTracing, traceOp } from '../trace.js';
import { assertFloat, broadcastShapes, emptyLike, padShape, sumTo } from './util.js';

/** out = a op b (broadcast); a kernel call, no tape. */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  assertFloat(a, op);
  assertFloat(b, op);
  const shape = broadcastShapes(a.shape, b.shape);
  const out = emptyLike(shape);
  getBackend().binary(op, a.values, padShape(a.shape, shape.length), b.values, padShape(b.shape, shape.length), out.values, shape);
  traceOp(op, [a, b], out);
  return out;
}

/** A gradient for an input of shape `shape` from a full-size product; frees the product if it was reduced. */
function reduced(full: Tensor, shape: readonly number[]): Tensor {
  const r = sumTo(full, shape);
  if (r !== full) full.free();
  return r;
}

function negated(t: Tensor): Tensor {
  const out = emptyLike(t.shape);
  getBackend().unary('neg', t.values, out.values, 0);
  return out;
}

export function add(a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw('add', a, b);
  return record(out, 'add', [a, b], (gy) => [
    a.requiresGrad ? sumTo(gy, a.shape) : null,
    b.requiresGrad ? sumTo(gy, b.shape) : null,
  ]);
}

/**
 * act(a + b) for equal shapes: a residual join in one pass. The sum is never stored; backward
 * reads the activation's mask from the output and hands the same gradient to both inputs.
 * Broadcasting shapes (and tracing, which records the parts) run add then the activation.
 */
export function addAct(a: Tensor, b: Tensor, act: RectifierActivation = 'relu', alpha = 0.02): Tensor {
  if (act === 'none') return add(a, b);
  if (act === 'leaky_relu' && !(alpha >= 0)) throw new RangeError(`addAct: leaky_relu slope must be >= 0, got ${alpha}`);
  const slope = act === 'leaky_relu' ? alpha : 0;
  if (isTracing() || a.ndim !== b.ndim || !a.shape.every((d, i) => d === b.shape[i])) {
    const s = add(a, b);
    const out = unaryOp(act, s, slope);
    if (!s.requiresGrad) s.free(); // off the tape: nothing else can reach it
    return out;
  }
  assertFloat(a, 'addAct');
  assertFloat(b, 'addAct');
  const be = getBackend();
  const out = emptyLike(a.shape);
  be.addAct(a.values, b.values, act, slope, out.values);
  if (!needsGrad(a, b)) return out;
  return record(out, `add_${act}`, [a, b], (gy) => {
    const g = emptyLike(a.shape);
    be.unaryBackward(act, out.values, out.values, gy.values, g.values, slope);
    return [a.requiresGrad ? g : null, b.requiresGrad ? g : null];
  });
}

export function sub(a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw('sub', a, b);
  return record(out, 'sub', [a, b], (gy) => {
    let gb: Tensor | null = null;
    if (b.requiresGrad) {
      const s = sumTo(gy, b.shape);
      gb = negated(s);
      if (s !== gy) s.free();
    }
    return [a.requiresGrad ? sumTo(gy, a.shape) : null, gb];
  });
}

export function mul(a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw('mul', a, b);
  return record(out, 'mul', [a, b], (gy) => [
    a.requiresGrad ? reduced(binaryRaw('mul', gy, b), a.shape) : null,
    b.requiresGrad ? reduced(binaryRaw('mul', gy, a), b.shape) : null,
  ]);
}

export function div(a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw('div', a, b);
  return record(out, 'div', [a, b], (gy) => {
    const ga = a.requiresGrad ? reduced(binaryRaw('div', gy, b), a.shape) : null;
    let gb: Tensor | null = null;
    if (b.requiresGrad) {
      // d(a/b)/db = -(a/b)/b = -out/b
      const t = binaryRaw('mul', gy, out);
      const u = binaryRaw('div', t, b);
      t.free();
      getBackend().unary('neg', u.values, u.values, 0);
      gb = reduced(u, b.shape);
    }
    return [ga, gb];
  });
}

/** x * s for a scalar s. */
export function scale(x: Tensor, s: number): Tensor {
  assertFloat(x, 'scale');
  const be = getBackend();
  const out = emptyLike(x.shape);
  be.fill(out.values, 0);
  be.axpby(s, x.values, 1, out.values);
  traceOp('scale', [x], out, { s });
  return record(out, 'scale', [x], (gy) => {
    const gx = emptyLike(x.shape);
    be.fill(gx.values, 0);
    be.axpby(s, gy.values, 1, gx.values);
    return [gx];
  });
}

/** x + s for a scalar s. */
export function addScalar(x: Tensor, s: number): Tensor {
  assertFloat(x, 'addScalar');
  const be = getBackend();
  const out = emptyLike(x.shape);
  be.fill(out.values, s);
  be.axpby(1, x.values, 1, out.values);
  traceOp('add_scalar', [x], out, { s });
  return record(out, 'addScalar', [x], (gy) => [gy]);
}

/** y = op(x) through the unary kernel, with its derivative kernel for backward. */
export function unaryOp(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  assertFloat(x, op);
  const be = getBackend();
  const out = emptyLike(x.shape);
  be.unary(op, x.values, out.values, alpha);
  traceOp(op, [x], out, { alpha });
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (gy) => {
    const gx = emptyLike(x.shape);
    be.unaryBackward(op, x.values, out.values, gy.values, gx.values, alpha);
    return [gx];
  });
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);

/** Elementwise maximum / minimum (gradient to the selected input; ties go to a). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return selectOp('max', a, b);
}
export function minimum(a: Tensor, b: Tensor): Tensor {
  return selectOp('min', a, b);
}

function selectOp(op: 'max' | 'min', a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw(op, a, b);
  return record(out, op === 'max' ? 'maximum' : 'minimum', [a, b], (gy) => {
    // mask = (out == a): built from kernels as 1 - |sign(out - a)| would need sign; use a JS pass over out.
    const d = binaryRaw('sub', out, a);
    const mask = d.values;
    for (let i = 0; i < mask.length; i++) mask[i] = mask[i] === 0 ? 1 : 0;
    const ga = a.requiresGrad ? reduced(binaryRaw('mul', gy, d), a.shape) : null;
    let gb: Tensor | null = null;
    if (b.requiresGrad) {
      for (let i = 0; i < mask.length; i++) mask[i] = 1 - mask[i]!;
      gb = reduced(binaryRaw('mul', gy, d), b.shape);
    }
    d.free();
    return [ga, gb];
  });
}
