// Training targets: label smoothing (build_model.py::_calc_label_smoothing_loss) and batch mixing.
// Mixup follows create_mixup_reader: one lambda ~ Beta(alpha, alpha) per batch, partners by a
// random permutation within the batch, mixing the normalised float images; the loss mixes the two
// hard-label losses, lam * L(y_a) + (1 - lam) * L(y_b). CutMix (an option) pastes a box from the
// partner and sets lam to the kept area fraction.
import { Tensor } from '../tensor/tensor.js';
import type { Rng } from './rng.js';

/** (1 - eps) * onehot(label) + eps / K, as a float32 [N, K] tensor. */
export function smoothLabels(labels: Int32Array, classDim: number, epsilon: number): Tensor {
  const n = labels.length;
  const out = new Float32Array(n * classDim);
  const off = epsilon / classDim;
  out.fill(off);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (y < 0 || y >= classDim) throw new RangeError(`label ${y} outside [0, ${classDim})`);
    out[i * classDim + y] = 1 - epsilon + off;
  }
  return new Tensor(out, [n, classDim]);
}

export interface MixResult {
  images: Float32Array;
  labelsB: Int32Array;
  lam: number;
}

export type MixSpec = { kind: 'mixup'; alpha: number } | { kind: 'cutmix'; alpha: number };

/** Paddle's mixup over a batch of n samples of sampleSize floats each. */
export function mixup(images: Float32Array, labels: Int32Array, alpha: number, rng: Rng): MixResult {
  const n = labels.length;
  const lam = alpha > 0 ? rng.beta(alpha, alpha) : 1.0;
  const perm = rng.permutation(n);
  const sz = n > 0 ? images.length / n : 0;
  const out = new Float32Array(images.length);
  const labelsB = new Int32Array(n);
  const lf = Math.fround(lam);
  const lg = Math.fround(1 - lam);
  for (let i = 0; i < n; i++) {
    const p = perm[i]!;
    labelsB[i] = labels[p]!;
    const a = i * sz;
    const b = p * sz;
    for (let k = 0; k < sz; k++) out[a + k] = lf * images[a + k]! + lg * images[b + k]!;
  }
  return { images: out, labelsB, lam };
}

/** The CutMix box for lambda on an H x W image (Yun et al.; timm's rand_bbox). */
export function cutmixBox(height: number, width: number, lam: number, rng: Rng): { y0: number; y1: number; x0: number; x1: number } {
  const cut = Math.sqrt(1 - lam);
  const ch = Math.trunc(height * cut);
  const cw = Math.trunc(width * cut);
  const cy = rng.randint(0, height);
  const cx = rng.randint(0, width);
  const clip = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  return { y0: clip(cy - Math.trunc(ch / 2), height), y1: clip(cy + Math.trunc(ch / 2), height), x0: clip(cx - Math.trunc(cw / 2), width), x1: clip(cx + Math.trunc(cw / 2), width) };
}

export function cutmix(images: Float32Array, labels: Int32Array, shape: readonly [number, number, number], alpha: number, rng: Rng): MixResult {
  const n = labels.length;
  const [c, h, w] = shape;
  const lam0 = alpha > 0 ? rng.beta(alpha, alpha) : 1.0;
  const perm = rng.permutation(n);
  const box = cutmixBox(h, w, lam0, rng);
  const out = new Float32Array(images);
  const labelsB = new Int32Array(n);
  const sz = c * h * w;
  for (let i = 0; i < n; i++) {
    const p = perm[i]!;
    labelsB[i] = labels[p]!;
    for (let k = 0; k < c; k++) {
      for (let y = box.y0; y < box.y1; y++) {
        const ro = i * sz + k * h * w + y * w;
        const rp = p * sz + k * h * w + y * w;
        for (let x = box.x0; x < box.x1; x++) out[ro + x] = images[rp + x]!;
      }
    }
  }
  const lam = 1 - ((box.y1 - box.y0) * (box.x1 - box.x0)) / (h * w);
  return { images: out, labelsB, lam };
}

export function mixBatch(images: Float32Array, labels: Int32Array, shape: readonly [number, number, number], spec: MixSpec, rng: Rng): MixResult {
  return spec.kind === 'mixup' ? mixup(images, labels, spec.alpha, rng) : cutmix(images, labels, shape, spec.alpha, rng);
}
