// Size-bucketed pool of typed arrays. A training step allocates the same sizes every step, so
// buffers freed by backward() come straight back next step instead of waiting for the GC.
// Typed-array memory lives outside the V8 heap and is reported to V8 as external memory by
// the engine itself, so the GC sees the real footprint of what is not pooled.

import { totalmem } from 'node:os';
import { getBackend } from '../backend/index.js';

// The cap must hold a whole step's working set: a step reuses exactly the sizes of the step
// before, and a pool smaller than its peak (ResNet50 at batch 16, 224², holds ~2 GB of
// intermediates at once) drops buffers every step only to allocate them again: fresh pages
// to fault in and zero, and GC work, ~200 ms a step there with the old 1 GB cap. Default: a
// quarter of physical memory, at least 1 GB; IMCLS_POOL_MB overrides.
const DEFAULT_POOL_MB = Math.max(1024, Math.floor(totalmem() / 4 / 2 ** 20));
const MAX_POOLED_BYTES = Number(process.env['IMCLS_POOL_MB'] ?? DEFAULT_POOL_MB) * 1024 * 1024;

const f32Free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

// Below this many floats a buffer is not worth a native call (a few vector loads).
const ALIGNED_MIN_FLOATS = 256;
// The backend's aligned arrays: views of their own buffers (a few bytes in), whole allocations.
const whole = new WeakSet<Float32Array>();

/** A Float32Array of length n with undefined contents (possibly reused). */
export function allocF32(n: number): Float32Array {
  const list = f32Free.get(n);
  const buf = list?.pop();
  if (buf) {
    pooledBytes -= buf.buffer.byteLength;
    return buf;
  }
  // the backend's aligned arrays: malloc's 16-byte alignment splits vector loads across lines
  const backend = getBackend();
  if (n >= ALIGNED_MIN_FLOATS && backend.allocFloat32) {
    const a = backend.allocFloat32(n);
    whole.add(a);
    return a;
  }
  return new Float32Array(n);
}

/** A zero-filled Float32Array of length n. */
export function zerosF32(n: number): Float32Array {
  const buf = allocF32(n);
  buf.fill(0);
  return buf;
}

/** Returns a buffer to the pool. The caller must hold no other reference to it. */
export function releaseF32(buf: Float32Array): void {
  // Views into a larger ArrayBuffer are not whole allocations: never pool them.
  const own = whole.has(buf) || (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength);
  if (!own || buf.length === 0) return;
  // the whole ArrayBuffer counts: an aligned view leaves up to 64 bytes of it unseen
  if (pooledBytes + buf.buffer.byteLength > MAX_POOLED_BYTES) return;
  let list = f32Free.get(buf.length);
  if (!list) {
    list = [];
    f32Free.set(buf.length, list);
  }
  list.push(buf);
  pooledBytes += buf.buffer.byteLength;
}

/** Drops every pooled buffer (lets the GC reclaim them). */
export function clearBufferPool(): void {
  f32Free.clear();
  pooledBytes = 0;
}

export function bufferPoolStats(): { pooledBytes: number; buckets: number } {
  return { pooledBytes, buckets: f32Free.size };
}
