// The Tensor: a contiguous NCHW float32 (or int32 label/index) buffer with a shape, plus the
// autograd fields an op sets when it records itself on the tape.
//
// The inference fast path may hold a 4-D tensor channels-last (NHWC storage, the shape still
// the logical [n, c, h, w]; see nn/channels_last.ts). Every accessor of the storage but
// channelsLastValues() turns such a tensor back to NCHW first, so code that knows nothing of
// layouts always sees NCHW.
import { getBackend } from '../backend/index.js';
import { allocF32, releaseF32 } from './buffer_pool.js';
import { runBackward, type GradNode } from './autograd.js';

export type DType = 'float32' | 'int32';
export type Shape = readonly number[];

// Indexed loops, not for-of: these run for every tensor an op creates, and an array iterator
// that escapes optimisation is garbage on every call.
export function shapeSize(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

export function assertShape(shape: Shape, what = 'shape'): void {
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${what} [${shape.join(', ')}] has a dimension that is not a non-negative integer`);
  }
}

export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  /** Number of elements (computed once: read by every op and kernel call). */
  readonly size: number;
  private buf: Float32Array | Int32Array | null;
  /** Whether gradients flow to this tensor. Set on parameters; ops set it on their outputs. */
  requiresGrad = false;
  /** Accumulated gradient (leaves only), same shape as this tensor. */
  grad: Tensor | null = null;
  /** The tape entry that produced this tensor (null for leaves and for untracked results). */
  gradNode: GradNode | null = null;
  /** Protects an intermediate from being freed when backward() consumes the graph. */
  kept = false;
  /**
   * Set by a holder that frees this tensor as soon as the op it passes it to returns (an
   * intermediate off the tape, nn/inference_conv.ts): that op may then take over its storage
   * (takeStorage) instead of allocating its output.
   */
  consumable = false;
  private _version = 0;
  private nhwc = false;

  constructor(data: Float32Array | Int32Array, shape: Shape) {
    assertShape(shape);
    const n = shapeSize(shape);
    if (data.length !== n) throw new RangeError(`tensor data has ${data.length} elements but shape [${shape.join(', ')}] needs ${n}`);
    this.buf = data;
    this.size = n;
    this.shape = Object.freeze([...shape]);
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** A 4-D float32 tensor of logical shape [n, c, h, w] over an NHWC buffer. */
  static channelsLast(data: Float32Array, shape: Shape): Tensor {
    if (shape.length !== 4) throw new RangeError(`a channels-last tensor is 4-D, got [${shape.join(', ')}]`);
    const t = new Tensor(data, shape);
    t.nhwc = true;
    return t;
  }

  /** Whether the storage is channels-last (NHWC). */
  get channelsLast(): boolean {
    return this.nhwc;
  }

  /** The NHWC storage of a channels-last tensor, as is (the version is left alone). */
  channelsLastValues(): Float32Array {
    if (!this.nhwc) throw new Error('channelsLastValues: the tensor is NCHW');
    return this.peekStorage();
  }

  /** Turns channels-last storage into NCHW, in place (a fresh buffer; the NHWC one is pooled). */
  private toNchw(): void {
    const src = this.peekStorage();
    const [n, c, h, w] = this.shape as [number, number, number, number];
    const dst = allocF32(src.length);
    const be = getBackend();
    if (be.nhwcToNchw) {
      be.nhwcToNchw(n, c, h * w, src, dst);
    } else {
      const hw = h * w;
      for (let i = 0; i < n; i++)
        for (let p = 0; p < hw; p++)
          for (let ch = 0; ch < c; ch++) dst[(i * c + ch) * hw + p] = src[(i * hw + p) * c + ch]!;
    }
    this.buf = dst;
    this.nhwc = false;
    releaseF32(src);
  }

  private peekStorage(): Float32Array {
    const b = this.buf;
    if (b === null) throw new Error('tensor was freed');
    if (!(b instanceof Float32Array)) throw new TypeError(`expected a float32 tensor, got ${this.dtype}`);
    return b;
  }

  get isLeaf(): boolean {
    return this.gradNode === null;
  }

  get isFreed(): boolean {
    return this.buf === null;
  }

  /**
   * Changes whenever the contents may have changed: every hand-out of the writable storage
   * (`values`, hence `assign`, optimizer steps, running-statistics updates, a user's direct
   * writes) advances it. Caches derived from a tensor's contents (folded and packed inference
   * weights) compare it; they read through peekValues(), which does not advance it.
   */
  get version(): number {
    return this._version;
  }

  /** The float32 storage itself (no copy). Kernels and ops use this; user code prefers data(). */
  get values(): Float32Array {
    if (this.nhwc) this.toNchw();
    const b = this.buf;
    if (b === null) throw new Error('tensor was freed (backward() frees intermediates; call .keep() on a tensor before backward() to read it afterwards)');
    if (!(b instanceof Float32Array)) throw new TypeError(`expected a float32 tensor, got ${this.dtype}`);
    this._version++;
    return b;
  }

  /** The float32 storage for reading only: unlike `values` it leaves the version alone. Never write through it. */
  peekValues(): Float32Array {
    if (this.nhwc) this.toNchw();
    const b = this.buf;
    if (b === null) throw new Error('tensor was freed');
    if (!(b instanceof Float32Array)) throw new TypeError(`expected a float32 tensor, got ${this.dtype}`);
    return b;
  }

  /** The int32 storage itself (labels, indices). */
  get indices(): Int32Array {
    const b = this.buf;
    if (b === null) throw new Error('tensor was freed');
    if (!(b instanceof Int32Array)) throw new TypeError(`expected an int32 tensor, got ${this.dtype}`);
    return b;
  }

  /** A copy of the contents. */
  async data(): Promise<Float32Array | Int32Array> {
    return this.dataSync();
  }

  dataSync(): Float32Array | Int32Array {
    if (this.nhwc) this.toNchw();
    const b = this.buf;
    if (b === null) throw new Error('tensor was freed');
    return b.slice();
  }

  toArray(): number[] {
    return Array.from(this.dataSync());
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item() needs a one-element tensor, shape is [${this.shape.join(', ')}]`);
    const b = this.buf;
    if (b === null) throw new Error('tensor was freed');
    return b[0]!;
  }

  /** Marks this tensor as a leaf that receives gradients. */
  requiresGrad_(value = true): this {
    if (value && this.dtype !== 'float32') throw new TypeError('only float32 tensors can require gradients');
    this.requiresGrad = value;
    return this;
  }

  /** Keeps this intermediate alive through backward(). */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** Same storage, cut from the tape. */
  detach(): Tensor {
    if (this.nhwc) this.toNchw();
    const b = this.buf;
    if (b === null) throw new Error('tensor was freed');
    return new Tensor(b, this.shape);
  }

  /** A copy with its own storage, cut from the tape. */
  clone(): Tensor {
    if (this.nhwc) this.toNchw();
    const b = this.buf;
    if (b === null) throw new Error('tensor was freed');
    if (b instanceof Int32Array) return new Tensor(b.slice(), this.shape);
    const c = allocF32(b.length);
    c.set(b);
    return new Tensor(c, this.shape);
  }

  /**
   * Backpropagates from this tensor (a scalar unless grad is given): accumulates into the
   * .grad of every leaf that requires gradients, then frees the graph's intermediates.
   */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }

  zeroGrad(): void {
    if (this.grad) {
      this.grad.free();
      this.grad = null;
    }
  }

  /** Hands the float32 storage over to the caller, as is; the tensor is then freed (free() does nothing). */
  takeStorage(): Float32Array {
    const b = this.peekStorage();
    this.buf = null;
    return b;
  }

  /** Returns the storage to the buffer pool. The tensor is unusable afterwards. */
  free(): void {
    const b = this.buf;
    if (b === null) return;
    this.buf = null;
    if (b instanceof Float32Array) releaseF32(b);
  }

  /** Replaces the contents in place (same size), e.g. an optimizer step or loading weights. */
  assign(src: Float32Array | Tensor): void {
    const dst = this.values;
    const s = src instanceof Tensor ? src.values : src;
    if (s.length !== dst.length) throw new RangeError(`assign: ${s.length} values into a tensor of ${dst.length}`);
    dst.set(s);
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}]${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/** A float32 tensor from values (copied from arrays; a Float32Array is used as is). */
export function tensor(values: Float32Array | ArrayLike<number>, shape?: Shape): Tensor {
  const data = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  return new Tensor(data, shape ?? [data.length]);
}

/** An int32 tensor (labels, indices). */
export function intTensor(values: Int32Array | ArrayLike<number>, shape?: Shape): Tensor {
  const data = values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
  return new Tensor(data, shape ?? [data.length]);
}

export function zeros(shape: Shape): Tensor {
  assertShape(shape);
  const b = allocF32(shapeSize(shape));
  b.fill(0);
  return new Tensor(b, shape);
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

export function full(shape: Shape, value: number): Tensor {
  assertShape(shape);
  const b = allocF32(shapeSize(shape));
  b.fill(value);
  return new Tensor(b, shape);
}

/** An uninitialised float32 tensor from the pool (every element must be written by the caller). */
export function empty(shape: Shape): Tensor {
  assertShape(shape);
  return new Tensor(allocF32(shapeSize(shape)), shape);
}
