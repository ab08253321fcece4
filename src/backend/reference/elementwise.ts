// Reference elementwise kernels: activations and their derivatives, broadcasting binary ops,
// the adjoint of broadcasting, axis reductions and the generic strided copy.
import type { BinaryOp, UnaryOp } from '../backend.js';

const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

export function unaryFn(op: UnaryOp, alpha: number): (v: number) => number {
  switch (op) {
    case 'relu': return (v) => (v > 0 ? v : 0);
    case 'relu6': return (v) => (v < 0 ? 0 : v > 6 ? 6 : v);
    case 'leaky_relu': return (v) => (v > 0 ? v : alpha * v);
    case 'sigmoid': return sigmoid;
    case 'tanh': return Math.tanh;
    case 'swish': return (v) => v * sigmoid(v);
    case 'hard_swish': return (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6;
    case 'hard_sigmoid': return (v) => Math.min(Math.max(0.2 * v + 0.5, 0), 1);
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'neg': return (v) => -v;
    case 'sqrt': return Math.sqrt;
    case 'square': return (v) => v * v;
    case 'abs': return Math.abs;
  }
}

/** d op(x) / dx at x (y = op(x) also given). */
function derivative(op: UnaryOp, alpha: number): (x: number, y: number) => number {
  switch (op) {
    case 'relu': return (x) => (x > 0 ? 1 : 0);
    case 'relu6': return (x) => (x > 0 && x < 6 ? 1 : 0);
    case 'leaky_relu': return (x) => (x > 0 ? 1 : alpha);
    case 'sigmoid': return (_x, y) => y * (1 - y);
    case 'tanh': return (_x, y) => 1 - y * y;
    case 'swish': return (x) => {
      const s = sigmoid(x);
      return s + x * s * (1 - s);
    };
    case 'hard_swish': return (x) => (x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6);
    case 'hard_sigmoid': return (x) => (x > -2.5 && x < 2.5 ? 0.2 : 0);
    case 'exp': return (_x, y) => y;
    case 'log': return (x) => 1 / x;
    case 'neg': return () => -1;
    case 'sqrt': return (_x, y) => 0.5 / y;
    case 'square': return (x) => 2 * x;
    case 'abs': return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
  }
}

export function unaryRef(op: UnaryOp, x: Float32Array, y: Float32Array, alpha: number): void {
  const f = unaryFn(op, alpha);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]!);
}

export function unaryBackwardRef(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, alpha: number): void {
  const d = derivative(op, alpha);
  for (let i = 0; i < dx.length; i++) dx[i] = dy[i]! * d(x[i]!, y[i]!);
}

function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return (a, b) => a / b;
    case 'max': return (a, b) => (a >= b ? a : b);
    case 'min': return (a, b) => (a <= b ? a : b);
  }
}

/** Row-major strides of shape, with 0 where a dimension is broadcast (size 1 against a larger out). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(0);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = shape[d] === 1 && outShape[d] !== 1 ? 0 : s;
    s *= shape[d]!;
  }
  return strides;
}

export function binaryRef(op: BinaryOp, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], out: Float32Array, outShape: readonly number[]): void {
  const f = binaryFn(op);
  const rank = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = f(a[ia]!, b[ib]!);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= sa[d]! * outShape[d]!;
      ib -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}

export function sumToShapeRef(src: Float32Array, srcShape: readonly number[], dst: Float32Array, dstShape: readonly number[]): void {
  dst.fill(0);
  const rank = srcShape.length;
  const sd = broadcastStrides(dstShape, srcShape);
  const idx = new Array<number>(rank).fill(0);
  let id = 0;
  for (let s = 0; s < src.length; s++) {
    dst[id] = dst[id]! + src[s]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      id += sd[d]!;
      if (idx[d]! < srcShape[d]!) break;
      id -= sd[d]! * srcShape[d]!;
      idx[d] = 0;
    }
  }
}

export function reduceAxisRef(op: 'sum' | 'mean' | 'max', outer: number, axis: number, inner: number, x: Float32Array, y: Float32Array, argmax: Int32Array | null): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * axis * inner + i;
      if (op === 'max') {
        let best = -Infinity;
        let bi = 0;
        for (let a = 0; a < axis; a++) {
          const v = x[base + a * inner]!;
          if (v > best) {
            best = v;
            bi = a;
          }
        }
        y[o * inner + i] = best;
        if (argmax) argmax[o * inner + i] = bi;
      } else {
        let s = 0;
        for (let a = 0; a < axis; a++) s += x[base + a * inner]!;
        y[o * inner + i] = op === 'mean' ? s / axis : s;
      }
    }
  }
}

export function stridedCopyRef(
  src: Float32Array, srcOffset: number, srcStrides: readonly number[],
  dst: Float32Array, dstOffset: number, dstStrides: readonly number[], shape: readonly number[],
): void {
  const rank = shape.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  const idx = new Array<number>(rank).fill(0);
  let is = srcOffset;
  let id = dstOffset;
  for (let e = 0; e < total; e++) {
    dst[id] = src[is]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      is += srcStrides[d]!;
      id += dstStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      is -= srcStrides[d]! * shape[d]!;
      id -= dstStrides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}
