// Plain tensor data as the file formats see it, independent of models: a shape and a
// float32 or int32 array. Tensor (src/tensor) satisfies it; so does { shape, data }.
import { Tensor, shapeSize } from '../tensor/tensor.js';

export interface TensorData {
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

export type TensorLike = Tensor | TensorData;

/** A named collection in write order: a state dict, or a list of { name, shape, data }. */
export type TensorCollection = ReadonlyMap<string, TensorLike> | Iterable<{ readonly name: string } & TensorData>;

export function dataOf(t: TensorLike): Float32Array | Int32Array {
  if (t instanceof Tensor) return t.dtype === 'int32' ? t.indices : t.values;
  return t.data;
}

export function entriesOf(c: TensorCollection): Array<[string, TensorData]> {
  const out: Array<[string, TensorData]> = [];
  const seen = new Set<string>();
  const add = (name: string, t: TensorLike): void => {
    if (seen.has(name)) throw new RangeError(`tensor name '${name}' appears twice`);
    seen.add(name);
    const data = dataOf(t);
    const shape = [...t.shape];
    if (shapeSize(shape) !== data.length) throw new RangeError(`tensor '${name}': shape [${shape.join(', ')}] needs ${shapeSize(shape)} elements, data has ${data.length}`);
    out.push([name, { shape, data }]);
  };
  if (c instanceof Map) for (const [name, t] of c as ReadonlyMap<string, TensorLike>) add(name, t);
  else for (const e of c as Iterable<{ readonly name: string } & TensorData>) add(e.name, e);
  return out;
}

/** The bytes of a typed array (a view, no copy). Every supported host is little-endian. */
export function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** IEEE 754 half → float (exact: every half is a float). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export function halfToFloat32Array(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]!);
  return out;
}

/** bfloat16 is the top half of a float32. */
export function bf16ToFloat32Array(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return out;
}

/** int64 → int32, refusing values that do not fit (an index or counter never should). */
export function int64ToInt32Array(src: BigInt64Array | BigUint64Array, what: () => string): Int32Array {
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v > 2147483647n || v < -2147483648n) throw new RangeError(`${what()}: element ${i} = ${v} does not fit in int32`);
    out[i] = Number(v);
  }
  return out;
}

/** Typed-array reinterpretation needs an aligned copy; this copies bytes into a fresh buffer of the right type. */
export function readTyped<T>(bytes: number, fill: (u8: Uint8Array) => void, make: (buf: ArrayBuffer) => T): T {
  const buf = new ArrayBuffer(bytes);
  fill(new Uint8Array(buf));
  return make(buf);
}
