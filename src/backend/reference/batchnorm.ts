// Reference batch norm over [n, c, hw] with biased batch variance (Paddle's CPU kernel).
import type { FusedActivation } from '../backend.js';

export function batchNormTrainForwardRef(
  n: number, c: number, hw: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number,
  y: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, batchVar: Float32Array,
): void {
  const count = n * hw;
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) s += x[o + i]!;
    }
    const mean = s / count;
    let v = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) {
        const d = x[o + i]! - mean;
        v += d * d;
      }
    }
    const variance = v / count;
    const inv = 1 / Math.sqrt(variance + eps);
    saveMean[ch] = mean;
    saveInvStd[ch] = inv;
    batchVar[ch] = variance;
    const scale = gamma[ch]! * inv;
    const shift = beta[ch]! - mean * scale;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) y[o + i] = x[o + i]! * scale + shift;
    }
  }
}

export function batchNormBackwardRef(
  n: number, c: number, hw: number, x: Float32Array, dy: Float32Array, gamma: Float32Array,
  saveMean: Float32Array, saveInvStd: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const count = n * hw;
  for (let ch = 0; ch < c; ch++) {
    const mean = saveMean[ch]!;
    const inv = saveInvStd[ch]!;
    let sdy = 0;
    let sdyx = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) {
        const d = dy[o + i]!;
        sdy += d;
        sdyx += d * (x[o + i]! - mean);
      }
    }
    dbeta[ch] = sdy;
    dgamma[ch] = sdyx * inv;
    // dx = gamma*inv/N * (N*dy - sum(dy) - xhat*sum(dy*xhat))
    const k = gamma[ch]! * inv;
    const mdy = sdy / count;
    const mdyx = (sdyx * inv * inv) / count;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) dx[o + i] = k * (dy[o + i]! - mdy - (x[o + i]! - mean) * mdyx);
    }
  }
}

export function channelAffineRef(n: number, c: number, hw: number, x: Float32Array, scale: Float32Array, shift: Float32Array, act: FusedActivation, y: Float32Array): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (b * c + ch) * hw;
      const s = scale[ch]!;
      const t = shift[ch]!;
      for (let i = 0; i < hw; i++) {
        let v = x[o + i]! * s + t;
        if (act === 'relu') v = v > 0 ? v : 0;
        else if (act === 'relu6') v = v < 0 ? 0 : v > 6 ? 6 : v;
        y[o + i] = v;
      }
    }
  }
}
