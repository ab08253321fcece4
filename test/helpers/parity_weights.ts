// The deterministic parity weights and input (notes/CONTRACT.md; mirrored by tools/parity_common.py).
// Tensor k of the state dict (manifest order), element i, computed in float64 and rounded to float32:
//   bn_mean 0.1·sin(0.37i + 0.11k), bn_var 1 + 0.25·sin(0.53i + 0.07k), bn_scale 1 + 0.1·sin(0.71i + 0.13k),
//   bn_offset 0.1·sin(0.29i + 0.17k), bias 0.05·sin(1.3i + k), weight sqrt(3/fanIn)·sin(0.9i + 0.3k + 0.5)
//   with fanIn = shape[1]·shape[2]·shape[3] (conv) or shape[0] (fc [in, out]).
// Roles come from the owning layer (BatchNorm2d / Conv2d / Linear), not from names.
import { BatchNorm2d, Conv2d, Linear } from '../../src/nn/index.js';
import type { AnyModule } from '../../src/nn/index.js';
import { Tensor } from '../../src/tensor/tensor.js';

export type ParityRole = 'bn_mean' | 'bn_var' | 'bn_scale' | 'bn_offset' | 'bias' | 'weight';

export function parityRoles(model: AnyModule): Map<Tensor, ParityRole> {
  const roles = new Map<Tensor, ParityRole>();
  for (const m of model.modules()) {
    if (m instanceof BatchNorm2d) {
      roles.set(m.scale, 'bn_scale').set(m.offset, 'bn_offset').set(m.runningMean, 'bn_mean').set(m.runningVar, 'bn_var');
    } else if (m instanceof Conv2d || m instanceof Linear) {
      roles.set(m.weight, 'weight');
      if (m.bias) roles.set(m.bias, 'bias');
    }
  }
  return roles;
}

export function parityValues(role: ParityRole, shape: readonly number[], k: number, out: Float32Array): void {
  const n = out.length;
  switch (role) {
    case 'bn_mean':
      for (let i = 0; i < n; i++) out[i] = 0.1 * Math.sin(0.37 * i + 0.11 * k);
      return;
    case 'bn_var':
      for (let i = 0; i < n; i++) out[i] = 1.0 + 0.25 * Math.sin(0.53 * i + 0.07 * k);
      return;
    case 'bn_scale':
      for (let i = 0; i < n; i++) out[i] = 1.0 + 0.1 * Math.sin(0.71 * i + 0.13 * k);
      return;
    case 'bn_offset':
      for (let i = 0; i < n; i++) out[i] = 0.1 * Math.sin(0.29 * i + 0.17 * k);
      return;
    case 'bias':
      for (let i = 0; i < n; i++) out[i] = 0.05 * Math.sin(1.3 * i + 1.0 * k);
      return;
    case 'weight': {
      const fanIn = shape.length === 4 ? shape[1]! * shape[2]! * shape[3]! : shape.length === 2 ? shape[0]! : NaN;
      if (!Number.isFinite(fanIn)) throw new RangeError(`weight of rank ${shape.length}`);
      const a = Math.sqrt(3 / fanIn);
      for (let i = 0; i < n; i++) out[i] = a * Math.sin(0.9 * i + 0.3 * k + 0.5);
      return;
    }
  }
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

/** x[i] = 1.5·sin(0.013i + 0.5) over the flat NCHW index of a [1, C, H, W] input. */
export function parityInput(shape: readonly number[]): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(0.013 * i + 0.5) * 1.5;
  return new Tensor(v, [...shape]);
}

/**
 * The same formula evaluated by the angle-addition recurrence (sin(a(i+1)+b) from sin/cos(ai+b)), re-seeded
 * with Math.sin/Math.cos every 1024 elements: equal to parityValues within ~1e-12 but some 30x faster on
 * large tensors (Math.sin of arguments near 1e8 takes V8's slow range reduction). For tests that need
 * deterministic weights of the right scale on huge models (ONNX of the WSL giants), not a fixture's exact bits.
 */
export function parityValuesFast(role: ParityRole, shape: readonly number[], k: number, out: Float32Array): void {
  let amp: number;
  let base: number;
  let freq: number;
  let phase: number;
  switch (role) {
    case 'bn_mean': [amp, base, freq, phase] = [0.1, 0, 0.37, 0.11 * k]; break;
    case 'bn_var': [amp, base, freq, phase] = [0.25, 1, 0.53, 0.07 * k]; break;
    case 'bn_scale': [amp, base, freq, phase] = [0.1, 1, 0.71, 0.13 * k]; break;
    case 'bn_offset': [amp, base, freq, phase] = [0.1, 0, 0.29, 0.17 * k]; break;
    case 'bias': [amp, base, freq, phase] = [0.05, 0, 1.3, 1.0 * k]; break;
    case 'weight': {
      const fanIn = shape.length === 4 ? shape[1]! * shape[2]! * shape[3]! : shape.length === 2 ? shape[0]! : NaN;
      if (!Number.isFinite(fanIn)) throw new RangeError(`weight of rank ${shape.length}`);
      [amp, base, freq, phase] = [Math.sqrt(3 / fanIn), 0, 0.9, 0.3 * k + 0.5];
      break;
    }
  }
  const cw = Math.cos(freq);
  const sw = Math.sin(freq);
  const n = out.length;
  for (let start = 0; start < n; start += 1024) {
    let s = Math.sin(freq * start + phase);
    let c = Math.cos(freq * start + phase);
    const end = Math.min(n, start + 1024);
    for (let i = start; i < end; i++) {
      out[i] = base + amp * s;
      const s2 = s * cw + c * sw;
      c = c * cw - s * sw;
      s = s2;
    }
  }
}

/** fillParityWeights with parityValuesFast. */
export function fillParityWeightsFast(model: AnyModule): void {
  const roles = parityRoles(model);
  let k = 0;
  for (const [name, t] of model.stateDict()) {
    const role = roles.get(t);
    if (role === undefined) throw new Error(`${name}: not owned by a BatchNorm2d, Conv2d or Linear`);
    parityValuesFast(role, t.shape, k, t.values);
    k++;
  }
}
