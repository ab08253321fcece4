// Small shape helpers shared by the op families (no kernels here).
import { Tensor, shapeSize, type Shape } from '../tensor.js';
import { allocF32, releaseF32 } from '../buffer_pool.js';
import { getBackend } from '../../backend/index.js';

/** numpy broadcasting of two shapes. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** shape padded with leading 1s to rank. */
export function padShape(shape: Shape, rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/** Normalises a possibly negative axis against rank. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

/** A pooled float32 tensor of the given shape with undefined contents. */
export function emptyLike(shape: Shape): Tensor {
  return new Tensor(allocF32(shapeSize(shape)), shape);
}

/** A pooled float32 tensor of the given shape filled with value. */
export function filled(shape: Shape, value: number): Tensor {
  const t = emptyLike(shape);
  getBackend().fill(t.values, value);
  return t;
}

/**
 * The gradient g (of a broadcast result) summed down to shape (the adjoint of broadcasting).
 * Returns g itself when the shapes already agree, so callers free the result only when it is new.
 */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const out = emptyLike(shape);
  getBackend().sumToShape(g.values, g.shape, out.values, padShape(shape, g.shape.length));
  return out;
}

/** [outer, axis, inner] split of shape around dimension ax. */
export function splitAround(shape: Shape, ax: number): { outer: number; axis: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < ax; d++) outer *= shape[d]!;
  for (let d = ax + 1; d < shape.length; d++) inner *= shape[d]!;
  return { outer, axis: shape[ax]!, inner };
}

/** A number or [h, w] pair as [h, w]. */
export function pair(v: number | readonly number[], what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (v.length !== 2) throw new RangeError(`${what} must be a number or [h, w]`);
  return [v[0]!, v[1]!];
}

/** Padding as [top, bottom, left, right] from a number, [h, w] or [top, bottom, left, right]. */
export function padding4(v: number | readonly number[]): [number, number, number, number] {
  if (typeof v === 'number') return [v, v, v, v];
  if (v.length === 2) return [v[0]!, v[0]!, v[1]!, v[1]!];
  if (v.length === 4) return [v[0]!, v[1]!, v[2]!, v[3]!];
  throw new RangeError('padding must be a number, [h, w] or [top, bottom, left, right]');
}

export function assertFloat(t: Tensor, op: string): void {
  if (t.dtype !== 'float32') throw new TypeError(`${op}: expected a float32 tensor, got ${t.dtype}`);
}

/**
 * Pooled int32 scratch (argmax indices): an Int32Array over a pooled float32 buffer of the same
 * length, so per-step index arrays recycle through the buffer pool instead of the GC.
 */
export function allocIndexScratch(n: number): { indices: Int32Array; release: () => void } {
  const buf = allocF32(n);
  return { indices: new Int32Array(buf.buffer, buf.byteOffset, n), release: () => releaseF32(buf) };
}
