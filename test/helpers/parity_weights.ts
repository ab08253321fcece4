// The deterministic parity weights and images, formula version 2 (mirrored by tools/parity_common.py, which
// documents why version 1's smooth sines were replaced). Tensor k of the state dict, element i (Paddle layout):
//   s = hashSigned(k, i) in [-1, 1), exact uint32 arithmetic, then in float64 rounded to float32:
//   conv weight s·√(6/fanIn) (fanIn = shape[1]·shape[2]·shape[3]), fc weight s·√(0.06/fanIn) (fanIn = shape[0]
//   of Paddle's [in, out]: a tenth of the gain keeps the deep SE nets' gates well conditioned), bias 0.05s, bn_scale 1 + 0.1s, bn_offset 0.1s, bn_mean 0.1s, bn_var 1 + 0.25s.
// Roles come from the owning layer (BatchNorm2d / Conv2d / Linear), not from names.
import { BatchNorm2d, Conv2d, Linear } from '../../src/nn/index.js';
import type { AnyModule } from '../../src/nn/index.js';
import { Tensor } from '../../src/tensor/tensor.js';

export const PARITY_FORMULA_VERSION = 2;

export type ParityRole = 'bn_mean' | 'bn_var' | 'bn_scale' | 'bn_offset' | 'bias' | 'weight' | 'fc_weight';

export function parityRoles(model: AnyModule): Map<Tensor, ParityRole> {
  const roles = new Map<Tensor, ParityRole>();
  for (const m of model.modules()) {
    if (m instanceof BatchNorm2d) {
      roles.set(m.scale, 'bn_scale').set(m.offset, 'bn_offset').set(m.runningMean, 'bn_mean').set(m.runningVar, 'bn_var');
    } else if (m instanceof Conv2d || m instanceof Linear) {
      roles.set(m.weight, m instanceof Conv2d ? 'weight' : 'fc_weight');
      if (m.bias) roles.set(m.bias, 'bias');
    }
  }
  return roles;
}

/** s in [-1, 1) for element i of tensor k: x = i·2654435761 + k·40503 + 12345 mod 2^32, three xorshift-multiply rounds. */
export function hashSigned(k: number, i: number): number {
  let x = (Math.imul(i, 2654435761) + k * 40503 + 12345) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x45d9f3b) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x45d9f3b) >>> 0;
  x ^= x >>> 16;
  return (x >>> 0) / 2147483648 - 1;
}

/** [base, amplitude] of every role but the weights, which scale by √(gain/fanIn). */
const AFFINE: Record<Exclude<ParityRole, 'weight' | 'fc_weight'>, readonly [number, number]> = {
  bias: [0, 0.05],
  bn_scale: [1, 0.1],
  bn_offset: [0, 0.1],
  bn_mean: [0, 0.1],
  bn_var: [1, 0.25],
};

export function parityValues(role: ParityRole, shape: readonly number[], k: number, out: Float32Array): void {
  let base = 0;
  let amp: number;
  if (role === 'weight' || role === 'fc_weight') {
    const conv = role === 'weight';
    if (shape.length !== (conv ? 4 : 2)) throw new RangeError(`${role} of shape [${shape.join(', ')}]`);
    amp = conv ? Math.sqrt(6 / (shape[1]! * shape[2]! * shape[3]!)) : Math.sqrt(0.06 / shape[0]!);
  } else {
    [base, amp] = AFFINE[role];
  }
  for (let i = 0; i < out.length; i++) out[i] = base + amp * hashSigned(k, i);
}

/** Fills every tensor of the model's state dict by the formula; throws if a tensor has no owning layer. */
export function fillParityWeights(model: AnyModule): void {
  const roles = parityRoles(model);
  let k = 0;
  for (const [name, t] of model.stateDict()) {
    const role = roles.get(t);
    if (role === undefined) throw new Error(`${name}: not owned by a BatchNorm2d, Conv2d or Linear`);
    parityValues(role, t.shape, k, t.values);
    k++;
  }
}

/**
 * The parity images as an [N, C, H, W] batch over the flat per-image index i: even samples image a,
 * 1.5·sin(0.013i + 0.5); odd samples image b, 1.2·cos(0.017i). Fixtures hold the logits of [a, b].
 */
export function parityInput(shape: readonly number[]): Tensor {
  const [n, ...chw] = shape;
  const per = chw.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n! * per);
  for (let s = 0; s < n!; s++) {
    const img = v.subarray(s * per, (s + 1) * per);
    if (s % 2 === 0) for (let i = 0; i < per; i++) img[i] = Math.sin(0.013 * i + 0.5) * 1.5;
    else for (let i = 0; i < per; i++) img[i] = Math.cos(0.017 * i) * 1.2;
  }
  return new Tensor(v, [...shape]);
}

/** max |a − b| / max |b|: the parity tests' relative error. */
export function relativeError(ours: ArrayLike<number>, torch: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < torch.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i]! - torch[i]!));
    scale = Math.max(scale, Math.abs(torch[i]!));
  }
  return diff / scale;
}

/** max |logits_a − logits_b| / max |logits| over a [2, classes] row-major array: how much the image decides the output. */
export function inputDependence(logits: ArrayLike<number>): number {
  const c = logits.length / 2;
  let d = 0;
  let scale = 0;
  for (let i = 0; i < c; i++) {
    d = Math.max(d, Math.abs(logits[i]! - logits[c + i]!));
    scale = Math.max(scale, Math.abs(logits[i]!), Math.abs(logits[c + i]!));
  }
  return d / scale;
}
