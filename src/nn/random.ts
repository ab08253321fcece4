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
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream from a seed (any finite number; its low 32 bits and high bits both count). */
  seed(seed: number): void {
    if (!Number.isFinite(seed)) throw new RangeError(`random seed must be a finite number, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const sm = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2d));
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
    this.spare = null;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(((Math.imul(this.s1, 5) << 7) | (Math.imul(this.s1, 5) >>> 25)), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = ((this.s3 << 11) | (this.s3 >>> 21)) >>> 0;
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
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u1 = this.random();
    while (u1 === 0) u1 = this.random(); // log(0)
    const u2 = this.random();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  getState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  setState(state: RngState): void {
    const s = state.s;
    if (!Array.isArray(s) || s.length !== 4 || s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new RangeError('random state: expected s to be four unsigned 32-bit integers');
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new RangeError('random state: all-zero state is invalid');
    if (state.spare !== null && typeof state.spare !== 'number') throw new RangeError('random state: spare must be a number or null');
    [this.s0, this.s1, this.s2, this.s3] = s;
    this.spare = state.spare;
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
  for (let i = 0; i < buf.length; i++) buf[i] = mean + std * g.normal();
  return new Tensor(buf, shape);
}

/** A tensor of uniform samples in [lo, hi) (default [0, 1)). */
export function rand(shape: Shape, opts: { lo?: number; hi?: number; generator?: RandomGenerator } = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const lo = opts.lo ?? 0;
  const hi = opts.hi ?? 1;
  const buf = allocF32(shapeSize(shape));
  for (let i = 0; i < buf.length; i++) buf[i] = g.uniform(lo, hi);
  return new Tensor(buf, shape);
}
