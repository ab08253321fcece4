// Finite-difference gradient check for ops. The op's output is contracted with fixed random
// weights r (S = sum r * f(inputs)); backward(r) gives dS/dinput analytically, and central
// differences (S(x + eps) - S(x - eps)) / 2eps, accumulated in float64 over the float32 op,
// give it numerically, element by element (a random subset for large inputs).
import type { Tensor } from '../../src/tensor/tensor.js';
import { tensor } from '../../src/tensor/tensor.js';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { rng } from './random.js';

export interface GradcheckOptions {
  /** finite-difference step (default 1e-2) */
  eps?: number;
  /** relative tolerance (default 1e-2) */
  tol?: number;
  /** which inputs to check (default: every input with requiresGrad) */
  wrt?: number[];
  /** at most this many elements per input are perturbed (default 48) */
  maxElements?: number;
  seed?: number;
}

export interface GradcheckResult {
  /** worst |numeric - analytic| / max(|analytic|, 0.1 * max |analytic| of that input, 1e-3) */
  worst: number;
  /** human-readable location of the worst element */
  where: string;
  checked: number;
}

function weighted(out: Tensor, r: Float32Array): number {
  const v = out.values;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * r[i]!;
  return s;
}

/**
 * Checks f's gradients with respect to inputs. f must be deterministic (seed any randomness inside
 * it) and must only read its inputs. Throws with details when an element is off by more than tol.
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-2;
  const tol = opts.tol ?? 1e-2;
  const maxElements = opts.maxElements ?? 48;
  const rand = rng(opts.seed ?? 1234);
  const wrt = opts.wrt ?? inputs.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  for (const t of inputs) t.zeroGrad();

  const out = f(...inputs);
  const r = new Float32Array(out.size);
  for (let i = 0; i < r.length; i++) r[i] = rand() * 2 - 1;
  if (!out.requiresGrad) throw new Error('gradcheck: output does not require gradients');
  out.backward(tensor(r.slice(), out.shape));

  const evalAt = (): number =>
    noGrad(() => {
      const o = f(...inputs);
      const s = weighted(o, r);
      o.free();
      return s;
    });

  let worst = 0;
  let where = '';
  let checked = 0;
  for (const k of wrt) {
    const x = inputs[k]!;
    if (x.grad === null) throw new Error(`gradcheck: input ${k} received no gradient`);
    const ana = x.grad.values;
    let maxAna = 0;
    for (const v of ana) maxAna = Math.max(maxAna, Math.abs(v));
    const n = x.size;
    const picks: number[] = [];
    if (n <= maxElements) for (let i = 0; i < n; i++) picks.push(i);
    else for (let i = 0; i < maxElements; i++) picks.push(Math.floor(rand() * n));
    const xv = x.values;
    for (const i of picks) {
      const orig = xv[i]!;
      xv[i] = orig + eps;
      const sp = evalAt();
      xv[i] = orig - eps;
      const sm = evalAt();
      xv[i] = orig;
      const num = (sp - sm) / (2 * eps);
      const a = ana[i]!;
      const err = Math.abs(num - a) / Math.max(Math.abs(a), 0.1 * maxAna, 1e-3);
      checked++;
      if (err > worst || Number.isNaN(err)) {
        worst = Number.isNaN(err) ? Infinity : err;
        where = `input ${k} [${x.shape.join(', ')}] element ${i}: numeric ${num}, analytic ${a}`;
      }
    }
  }
  if (worst > tol) throw new Error(`gradcheck failed: relative error ${worst.toExponential(3)} > ${tol} at ${where}`);
  return { worst, where, checked };
}

/** Float32 values in [-1, 1) whose magnitude is at least `margin` away from each kink. */
export function awayFromKinks(values: Float32Array, kinks: readonly number[], margin: number): Float32Array {
  for (let i = 0; i < values.length; i++) {
    for (const k of kinks) {
      const d = values[i]! - k;
      if (Math.abs(d) < margin) values[i] = k + (d < 0 ? -margin : margin);
    }
  }
  return values;
}

/** n distinct values (a shuffled ramp with gaps of `gap`), so max-based ops have no near ties. */
export function distinctValues(n: number, seed: number, gap = 0.05): Float32Array {
  const r = rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (order[i]! - n / 2) * gap;
  return a;
}
