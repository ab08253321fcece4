// The seedable random source behind initialisers and dropout. One global generator (like
// torch.manual_seed / Paddle's random_seed) so `manualSeed(n)` makes a whole run reproducible,
// and its full state can be saved in a checkpoint and restored so a resumed run draws the same
// numbers as an uninterrupted one.
//
// xoshiro128** (32-bit state words, exact in JS integer arithmetic via Math.imul), seeded by
// splitmix32 so that nearby seeds give unrelated streams. Gaussians use Box–Muller; the second
// value of each pair is cached and is part of the saved state.
import { Tensor, type Shape, shapeSize } from '../tensor/tensor.js';
import { allocF32 } from '../tensor/buffer_pool.js';

/** Everything needed to continue a stream exactly: JSON-serialisable. */
export interface RngState {
  readonly s: readonly [number, number, number, number];
  /** the cached second Box–Muller value, or null */
  readonly spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class RandomGenerator {
  // The state lives in a typed array and the cached Gaussian in a number-only field: values of
  // 2^30 and above do not fit V8's small integers, and storing them in ordinary object fields
  // allocated a heap number per draw (megabytes of garbage per training step from dropout masks
  // and data augmentation). Typed-array stores allocate nothing.
  private readonly st = new Uint32Array(4);
  private spare = 0;
  private hasSpare = false;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream from a seed (any finite number; its low 32 bits and high bits both count). */
  seed(seed: number): void {
    if (!Number.isFinite(seed)) throw new RangeError(`random seed must be a finite number, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const sm = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2d));
    const st = this.st;
    for (let i = 0; i < 4; i++) st[i] = sm();
    if ((st[0]! | st[1]! | st[2]! | st[3]!) === 0) st[0] = 1; // the all-zero state is a fixed point
    this.hasSpare = false;
    this.spare = 0;
  }

  /** A uniform 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const st = this.st;
    const s0 = st[0]!;
    const s1 = st[1]!;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const n2 = st[2]! ^ s0;
    const n3 = st[3]! ^ s1;
    st[1] = s1 ^ n2;
    st[0] = s0 ^ n3;
    st[2] = n2 ^ (s1 << 9);
    st[3] = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  /** A standard normal deviate (Box–Muller, pairs cached). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u1 = this.random();
    while (u1 === 0) u1 = this.random(); // log(0)
    const u2 = this.random();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }

  /** Fills out with uniform [lo, hi) draws (the same stream as calling uniform() per element). */
  fillUniform(out: Float32Array, lo = 0, hi = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.random();
  }

  /** Fills out with mean + std·N(0, 1) draws (the same stream as calling normal() per element). */
  fillNormal(out: Float32Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }

  getState(): RngState {
    const st = this.st;
    return { s: [st[0]!, st[1]!, st[2]!, st[3]!], spare: this.hasSpare ? this.spare : null };
  }

  setState(state: RngState): void {
    const s = state.s;
    if (!Array.isArray(s) || s.length !== 4 || s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new RangeError('random state: expected s to be four unsigned 32-bit integers');
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new RangeError('random state: all-zero state is invalid');
    if (state.spare !== null && typeof state.spare !== 'number') throw new RangeError('random state: spare must be a number or null');
    this.st.set(s);
    this.hasSpare = state.spare !== null;
    this.spare = state.spare ?? 0;
  }
}

/** The process-wide generator used when none is passed explicitly. */
export const defaultGenerator = new RandomGenerator(0);

/** Seeds the global generator (initialisers, dropout masks). */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}

export function getRngState(): RngState {
  return defaultGenerator.getState();
}

export function setRngState(state: RngState): void {
  defaultGenerator.setState(state);
}

/** A tensor of standard normal samples (times std, plus mean). */
export function randn(shape: Shape, opts: { mean?: number; std?: number; generator?: RandomGenerator } = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  const buf = allocF32(shapeSize(shape));
  g.fillNormal(buf, mean, std);
  return new Tensor(buf, shape);
}

/** A tensor of uniform samples in [lo, hi) (default [0, 1)). */
export function rand(shape: Shape, opts: { lo?: number; hi?: number; generator?: RandomGenerator } = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const lo = opts.lo ?? 0;
  const hi = opts.hi ?? 1;
  const buf = allocF32(shapeSize(shape));
  g.fillUniform(buf, lo, hi);
  return new Tensor(buf, shape);
}
