// The data pipeline's random source. Every random draw of a sample comes from a generator keyed by
// (seed, epoch, position), so an epoch's augmentations and order are the same for a given seed
// whatever the number of reader threads or the order in which they finish (Paddle's threads share
// numpy's global RNG, so its draws depend on scheduling; ours do not).

/** The draws a transform needs; tests substitute fixed values. */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi) (numpy.random.uniform). */
  uniform(lo: number, hi: number): number;
  /** Integer in [lo, hi) (numpy.random.randint, upper bound exclusive). */
  randint(lo: number, hi: number): number;
}

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** sfc32 seeded by hashing a list of integers (seed, stream ids...). */
export class Rng implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...keys: number[]) {
    let h = 0x9e3779b9;
    const words: number[] = [];
    for (let w = 0; w < 4; w++) {
      h = mix32(h + 0x6a09e667 + w);
      for (const k of keys) {
        // Split keys into two 32-bit halves so seeds beyond 2^32 still matter.
        const lo = k >>> 0;
        const hi = Math.floor(k / 4294967296) >>> 0;
        h = mix32(h ^ lo) + 0x9e3779b9;
        h = mix32(h ^ hi);
      }
      words.push(h >>> 0);
    }
    this.a = words[0]!;
    this.b = words[1]!;
    this.c = words[2]!;
    this.d = words[3]! | 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    // 53 random bits, as numpy's doubles.
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  randint(lo: number, hi: number): number {
    if (hi <= lo) throw new RangeError(`randint: empty range [${lo}, ${hi})`);
    return lo + Math.floor(this.next() * (hi - lo));
  }

  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang. */
  gamma(shape: number): number {
    if (shape < 1) {
      let u = 0;
      while (u === 0) u = this.next();
      return this.gamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) (numpy.random.beta). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x + y === 0 ? (this.next() < a / (a + b) ? 1 : 0) : x / (x + y);
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

// Stream ids keep the generators of different purposes apart.
export const STREAM_SHUFFLE = 1;
export const STREAM_SAMPLE = 2;
export const STREAM_BATCH = 3;
