// Shape ops. Every result owns its storage (a copy through the strided-copy kernel): the tape
// frees intermediates by returning their buffers to the pool, so outputs never alias inputs.
import { getBackend } from '../../backend/index.js';
import { record } from '../autograd.js';
import { Tensor, shapeSize } from '../tensor.js';
import { traceOp } from '../trace.js';
import { allocF32 } from '../buffer_pool.js';
import { assertFloat, emptyLike, filled, normAxis, stridesOf } from './util.js';

function copyOf(t: Tensor, shape: readonly number[]): Tensor {
  const buf = allocF32(t.size);
  buf.set(t.values);
  return new Tensor(buf, shape);
}

/** Same elements, new shape (one dimension may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  assertFloat(x, 'reshape');
  const s = [...shape];
  const hole = s.indexOf(-1);
  if (hole >= 0) {
    if (s.indexOf(-1, hole + 1) >= 0) throw new RangeError('reshape: at most one dimension may be -1');
    const rest = shapeSize(s.filter((_, i) => i !== hole));
    if (rest === 0 || x.size % rest !== 0) throw new RangeError(`reshape: cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
    s[hole] = x.size / rest;
  }
  if (shapeSize(s) !== x.size) throw new RangeError(`reshape: cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
  const out = copyOf(x, s);
  traceOp('reshape', [x], out, { shape: s });
  return record(out, 'reshape', [x], (gy) => [copyOf(gy, x.shape)]);
}

/** [d0, ..., d(start-1), product of the rest]. */
export function flatten(x: Tensor, startDim = 1): Tensor {
  const start = normAxis(startDim, Math.max(1, x.ndim), 'flatten start');
  return reshape(x, [...x.shape.slice(0, start), shapeSize(x.shape.slice(start))]);
}

function permuteRaw(x: Tensor, perm: readonly number[]): Tensor {
  const xs = stridesOf(x.shape);
  const outShape = perm.map((p) => x.shape[p]!);
  const out = emptyLike(outShape);
  getBackend().stridedCopy(x.values, 0, perm.map((p) => xs[p]!), out.values, 0, stridesOf(outShape), outShape);
  return out;
}

/** out.shape[i] = x.shape[perm[i]]. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  assertFloat(x, 'transpose');
  if (perm.length !== x.ndim || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new RangeError(`transpose: [${perm.join(', ')}] is not a permutation of ${x.ndim} axes`);
  }
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  const out = permuteRaw(x, perm);
  traceOp('transpose', [x], out, { perm });
  return record(out, 'transpose', [x], (gy) => [permuteRaw(gy, inverse)]);
}
export const permute = transpose;

/** Copies src into the box of dst (shape dstShape) starting at `begin`, or the box out of src when `fromBox`. */
function boxCopy(src: Float32Array, srcShape: readonly number[], dst: Float32Array, dstShape: readonly number[], begin: readonly number[], fromBox: boolean): void {
  const big = fromBox ? srcShape : dstShape;
  const box = fromBox ? dstShape : srcShape;
  const bigStrides = stridesOf(big);
  let offset = 0;
  for (let d = 0; d < big.length; d++) offset += begin[d]! * bigStrides[d]!;
  const boxStrides = stridesOf(box);
  if (fromBox) getBackend().stridedCopy(src, offset, bigStrides, dst, 0, boxStrides, box);
  else getBackend().stridedCopy(src, 0, boxStrides, dst, offset, bigStrides, box);
}

/**
 * x[starts[0]:ends[0], starts[1]:ends[1], ...]; missing trailing dims are taken whole, negative
 * indices count from the end and out-of-range ones are clamped (Paddle's slice).
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[]): Tensor {
  assertFloat(x, 'slice');
  if (starts.length !== ends.length || starts.length > x.ndim) throw new RangeError('slice: starts and ends must have equal length <= rank');
  const begin: number[] = [];
  const outShape: number[] = [];
  for (let d = 0; d < x.ndim; d++) {
    const size = x.shape[d]!;
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    const s = d < starts.length ? clamp(starts[d]!) : 0;
    const e = d < ends.length ? clamp(ends[d]!) : size;
    begin.push(s);
    outShape.push(Math.max(0, e - s));
  }
  const out = emptyLike(outShape);
  boxCopy(x.values, x.shape, out.values, outShape, begin, true);
  traceOp('slice', [x], out, { begin });
  return record(out, 'slice', [x], (gy) => {
    const gx = filled(x.shape, 0);
    boxCopy(gy.values, outShape, gx.values, x.shape, begin, false);
    return [gx];
  });
}

/** Joins tensors along axis (all other dimensions equal). */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  if (tensors.length === 0) throw new RangeError('concat: no tensors');
  const first = tensors[0]!;
  const ax = normAxis(axis, first.ndim);
  let total = 0;
  for (const t of tensors) {
    assertFloat(t, 'concat');
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new RangeError(`concat: shapes [${first.shape.join(', ')}] and [${t.shape.join(', ')}] differ outside axis ${ax}`);
    }
    total += t.shape[ax]!;
  }
  const outShape = [...first.shape];
  outShape[ax] = total;
  const out = emptyLike(outShape);
  const begins: number[][] = [];
  let at = 0;
  for (const t of tensors) {
    const begin = new Array<number>(first.ndim).fill(0);
    begin[ax] = at;
    begins.push(begin);
    boxCopy(t.values, t.shape, out.values, outShape, begin, false);
    at += t.shape[ax]!;
  }
  traceOp('concat', tensors, out, { axis: ax });
  return record(out, 'concat', tensors, (gy) =>
    tensors.map((t, i) => {
      if (!t.requiresGrad) return null;
      const g = emptyLike(t.shape);
      boxCopy(gy.values, outShape, g.values, t.shape, begins[i]!, true);
      return g;
    }),
  );
}

/** Splits along axis into `count` equal parts, or into parts of the given sizes. */
export function split(x: Tensor, sizesOrCount: number | readonly number[], axis: number): Tensor[] {
  const ax = normAxis(axis, x.ndim);
  const size = x.shape[ax]!;
  let sizes: number[];
  if (typeof sizesOrCount === 'number') {
    if (size % sizesOrCount !== 0) throw new RangeError(`split: axis of ${size} does not split into ${sizesOrCount} equal parts`);
    sizes = new Array<number>(sizesOrCount).fill(size / sizesOrCount);
  } else {
    sizes = [...sizesOrCount];
    if (sizes.reduce((a, b) => a + b, 0) !== size) throw new RangeError(`split: sizes [${sizes.join(', ')}] do not add up to ${size}`);
  }
  const parts: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    const starts = new Array<number>(ax + 1).fill(0);
    const ends = x.shape.slice(0, ax + 1);
    starts[ax] = at;
    ends[ax] = at + s;
    parts.push(slice(x, starts, ends));
    at += s;
  }
  return parts;
}

/** Constant padding; pads = [before0, after0, before1, after1, ...] (missing trailing dims: no padding). */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  assertFloat(x, 'pad');
  if (pads.length % 2 !== 0 || pads.length > 2 * x.ndim) throw new RangeError('pad: pads must be [before, after] pairs, at most one per dimension');
  const begin: number[] = [];
  const outShape: number[] = [];
  for (let d = 0; d < x.ndim; d++) {
    const b = pads[2 * d] ?? 0;
    const a = pads[2 * d + 1] ?? 0;
    if (b < 0 || a < 0) throw new RangeError('pad: negative padding (use slice)');
    begin.push(b);
    outShape.push(x.shape[d]! + b + a);
  }
  const out = filled(outShape, value);
  boxCopy(x.values, x.shape, out.values, outShape, begin, false);
  traceOp('pad', [x], out, { pads: [...pads], value });
  return record(out, 'pad', [x], (gy) => {
    const gx = emptyLike(x.shape);
    boxCopy(gy.values, outShape, gx.values, x.shape, begin, true);
    return [gx];
  });
}
