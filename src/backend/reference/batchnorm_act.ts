// Reference fused kernels: training batch norm + rectifier, its backward (the activation's mask
// read from the fused output), and the residual join act(a + b). Written as the composition of
// the unfused reference kernels' formulas, element by element, so the two agree exactly.
import type { RectifierActivation } from '../backend.js';
import { batchNormTrainForwardRef } from './batchnorm.js';

/** act(v) for a rectifier. */
export function rectify(v: number, act: RectifierActivation, alpha: number): number {
  switch (act) {
    case 'relu': return v > 0 ? v : 0;
    case 'relu6': return v < 0 ? 0 : v > 6 ? 6 : v;
    case 'leaky_relu': return v > 0 ? v : alpha * v;
    case 'none': return v;
  }
}

/** dy through the rectifier, its derivative read from the output y = act(x). */
export function rectifierGrad(dy: number, y: number, act: RectifierActivation, alpha: number): number {
  switch (act) {
    case 'relu': return y > 0 ? dy : 0;
    case 'relu6': return y > 0 && y < 6 ? dy : 0;
    case 'leaky_relu': return y > 0 ? dy : Math.fround(dy * alpha); // float32, as the unfused kernel stores it
    case 'none': return dy;
  }
}

export function batchNormActTrainForwardRef(
  n: number, c: number, hw: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number,
  act: RectifierActivation, alpha: number, y: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, batchVar: Float32Array,
): void {
  batchNormTrainForwardRef(n, c, hw, x, gamma, beta, eps, y, saveMean, saveInvStd, batchVar);
  if (act === 'none') return;
  for (let i = 0; i < y.length; i++) y[i] = rectify(y[i]!, act, alpha);
}

export function batchNormActBackwardRef(
  n: number, c: number, hw: number, x: Float32Array, y: Float32Array, dy: Float32Array, gamma: Float32Array,
  saveMean: Float32Array, saveInvStd: Float32Array, act: RectifierActivation, alpha: number,
  dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const count = n * hw;
  for (let ch = 0; ch < c; ch++) {
    const mean = saveMean[ch]!;
    const inv = saveInvStd[ch]!;
    let sg = 0;
    let sgx = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) {
        const g = rectifierGrad(dy[o + i]!, y[o + i]!, act, alpha);
        sg += g;
        sgx += g * (x[o + i]! - mean);
      }
    }
    dbeta[ch] = sg;
    dgamma[ch] = sgx * inv;
    const k = gamma[ch]! * inv;
    const mg = sg / count;
    const mgx = (sgx * inv * inv) / count;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) dx[o + i] = k * (rectifierGrad(dy[o + i]!, y[o + i]!, act, alpha) - mg - (x[o + i]! - mean) * mgx);
    }
  }
}

export function addActRef(a: Float32Array, b: Float32Array, act: RectifierActivation, alpha: number, out: Float32Array): void {
  const n = out.length;
  if (a.length !== n || b.length !== n) throw new RangeError('addAct: a, b and out must have equal lengths');
  // the float32 sum, as add would store it, so fused and unfused round alike
  for (let i = 0; i < n; i++) out[i] = rectify(Math.fround(a[i]! + b[i]!), act, alpha);
}
