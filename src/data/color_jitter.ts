// Colour jitter with torchvision's ColorJitter semantics (Paddle's distort_color is a no-op stub,
// so this is an option, off by default): brightness, contrast, saturation factors drawn from
// [max(0, 1-v), 1+v], hue shift from [-h, h] (h <= 0.5), applied in a random order.
import type { Image } from './image.js';
import { nativeImageKernels } from './native_image.js';
import type { Rng } from './rng.js';

export interface ColorJitterSpec {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

const clamp255 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

function gray(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

export function adjustBrightness(img: Image, f: number): Image {
  const out = new Uint8Array(img.data.length);
  const native = nativeImageKernels();
  if (native !== null) {
    native.imageAdjustBrightness(img.data, out, f);
    return { ...img, data: out };
  }
  for (let i = 0; i < out.length; i++) out[i] = clamp255(img.data[i]! * f);
  return { ...img, data: out };
}

export function adjustContrast(img: Image, f: number): Image {
  const c = img.channels;
  const n = img.width * img.height;
  const native = nativeImageKernels();
  if (native !== null) {
    const out = new Uint8Array(img.data.length);
    native.imageAdjustContrast(img.data, out, n, c, f);
    return { ...img, data: out };
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += c === 3 ? gray(img.data[3 * i]!, img.data[3 * i + 1]!, img.data[3 * i + 2]!) : img.data[i]!;
  mean = n > 0 ? mean / n : 0;
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp255(f * img.data[i]! + (1 - f) * mean);
  return { ...img, data: out };
}

export function adjustSaturation(img: Image, f: number): Image {
  if (img.channels !== 3) return img;
  const out = new Uint8Array(img.data.length);
  const native = nativeImageKernels();
  if (native !== null) {
    native.imageAdjustSaturation(img.data, out, img.width * img.height, f);
    return { ...img, data: out };
  }
  for (let i = 0; i < out.length; i += 3) {
    const g = gray(img.data[i]!, img.data[i + 1]!, img.data[i + 2]!);
    for (let k = 0; k < 3; k++) out[i + k] = clamp255(f * img.data[i + k]! + (1 - f) * g);
  }
  return { ...img, data: out };
}

/** Shifts hue by `shift` turns (in [-0.5, 0.5]) in HSV space. */
export function adjustHue(img: Image, shift: number): Image {
  if (img.channels !== 3) return img;
  const out = new Uint8Array(img.data.length);
  const native = nativeImageKernels();
  if (native !== null) {
    native.imageAdjustHue(img.data, out, img.width * img.height, shift);
    return { ...img, data: out };
  }
  for (let i = 0; i < out.length; i += 3) {
    const r = img.data[i]! / 255;
    const g = img.data[i + 1]! / 255;
    const b = img.data[i + 2]! / 255;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const d = max - min;
    let hh = 0;
    if (d > 0) {
      if (max === r) hh = ((g - b) / d + 6) % 6;
      else if (max === g) hh = (b - r) / d + 2;
      else hh = (r - g) / d + 4;
      hh /= 6;
    }
    hh = (((hh + shift) % 1) + 1) % 1;
    const s = max === 0 ? 0 : d / max;
    const v = max;
    const h6 = hh * 6;
    const k = Math.floor(h6);
    const f = h6 - k;
    const p = v * (1 - s);
    const q = v * (1 - s * f);
    const t = v * (1 - s * (1 - f));
    const rgb = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][k % 6]!;
    out[i] = clamp255(rgb[0]! * 255);
    out[i + 1] = clamp255(rgb[1]! * 255);
    out[i + 2] = clamp255(rgb[2]! * 255);
  }
  return { ...img, data: out };
}

export function colorJitter(img: Image, spec: ColorJitterSpec, rng: Rng): Image {
  const order = rng.permutation(4);
  let out = img;
  for (const op of order) {
    if (op === 0 && spec.brightness > 0) out = adjustBrightness(out, rng.uniform(Math.max(0, 1 - spec.brightness), 1 + spec.brightness));
    else if (op === 1 && spec.contrast > 0) out = adjustContrast(out, rng.uniform(Math.max(0, 1 - spec.contrast), 1 + spec.contrast));
    else if (op === 2 && spec.saturation > 0) out = adjustSaturation(out, rng.uniform(Math.max(0, 1 - spec.saturation), 1 + spec.saturation));
    else if (op === 3 && spec.hue > 0) out = adjustHue(out, rng.uniform(-spec.hue, spec.hue));
  }
  return out;
}
