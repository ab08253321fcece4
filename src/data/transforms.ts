// The train and eval pipelines of Paddle's reader.py (PADDLE_REFERENCE §2.3-2.6), plus the options
// Paddle has switched off (rotation, colour jitter) and torchvision's crop. A TransformConfig is
// plain data so it can travel to the reader threads.
import type { Box, Image } from './image.js';
import { resize, type Interpolation } from './resize.js';
import { centerCropBox, DEFAULT_CROP_SCALE, paddleRandomCropBox, resizeShortSize, torchRandomResizedCropBox, type CropScale } from './crop.js';
import { rotate } from './rotate.js';
import { colorJitter, type ColorJitterSpec } from './color_jitter.js';
import type { Rng } from './rng.js';
import { nativeImageKernels } from './native_image.js';

export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/** A model's evaluation preprocessing (the model registry provides it; it travels with the weights). */
export interface PreprocessConfig {
  resizeShort: number;
  crop: number;
  mean: readonly number[];
  std: readonly number[];
  interpolation: Interpolation;
}

export const DEFAULT_PREPROCESS: PreprocessConfig = { resizeShort: 256, crop: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD, interpolation: 'bilinear' };

export interface TransformConfig {
  mode: 'train' | 'eval';
  /** Channels the model takes: 3 (RGB) or 1 (gray). */
  channels: number;
  /** Output side (train: random-crop size; eval: centre-crop size). */
  size: number;
  /** Eval: short side before the centre crop. */
  resizeShort: number;
  mean: readonly number[];
  std: readonly number[];
  interpolation: Interpolation;
  /** Train crop: Paddle's random_crop (default) or torchvision's RandomResizedCrop. */
  randomCrop: 'paddle' | 'torchvision';
  cropScale: CropScale;
  flip: boolean;
  /** Paddle's rotate_image (integer angle in [-10, 10]); off in Paddle's train path. */
  rotate: boolean;
  colorJitter: ColorJitterSpec | null;
}

function checkStats(pre: { mean: readonly number[]; std: readonly number[] }, channels: number): void {
  if (pre.mean.length !== channels || pre.std.length !== channels) {
    throw new RangeError(`image_mean/image_std need ${channels} values for a ${channels}-channel model, got ${pre.mean.length}/${pre.std.length}`);
  }
  if (pre.std.some((s) => !(s > 0))) throw new RangeError('image_std values must be positive');
}

export function trainTransform(pre: PreprocessConfig, opts: Partial<Omit<TransformConfig, 'mode'>> = {}): TransformConfig {
  const cfg: TransformConfig = {
    mode: 'train',
    channels: opts.channels ?? pre.mean.length,
    size: opts.size ?? pre.crop,
    resizeShort: opts.resizeShort ?? pre.resizeShort,
    mean: opts.mean ?? pre.mean,
    std: opts.std ?? pre.std,
    interpolation: opts.interpolation ?? pre.interpolation,
    randomCrop: opts.randomCrop ?? 'paddle',
    cropScale: opts.cropScale ?? DEFAULT_CROP_SCALE,
    flip: opts.flip ?? true,
    rotate: opts.rotate ?? false,
    colorJitter: opts.colorJitter ?? null,
  };
  checkStats(cfg, cfg.channels);
  return cfg;
}

export function evalTransform(pre: PreprocessConfig, opts: Partial<Omit<TransformConfig, 'mode'>> = {}): TransformConfig {
  const cfg = trainTransform(pre, opts);
  return { ...cfg, mode: 'eval', flip: false, rotate: false, colorJitter: null };
}

/** Per-channel lookup tables: value v of channel c becomes (v/255 - mean[c]) / std[c] in float32. */
export function normalizeTables(mean: readonly number[], std: readonly number[]): Float32Array[] {
  return mean.map((m, c) => {
    const t = new Float32Array(256);
    const s = std[c]!;
    // float32 arithmetic as numpy: img.astype('float32') / 255, then (x - mean) / std.
    for (let v = 0; v < 256; v++) t[v] = Math.fround(Math.fround(Math.fround(v / 255) - Math.fround(m)) / Math.fround(s));
    return t;
  });
}

// The per-channel tables as one [c * 256] array for the native kernel, packed once per table set.
const packed = new WeakMap<Float32Array[], Float32Array>();
function packedTables(tables: Float32Array[]): Float32Array {
  let p = packed.get(tables);
  if (p === undefined) {
    p = new Float32Array(tables.length * 256);
    tables.forEach((t, k) => p!.set(t.subarray(0, 256), k * 256));
    packed.set(tables, p);
  }
  return p;
}

/**
 * HWC uint8 -> CHW float32 normalised, written at out[offset...]; `flip` mirrors left-right on the way.
 */
export function normalizeInto(img: Image, tables: Float32Array[], out: Float32Array, offset: number, flip = false): void {
  const { width: w, height: h, channels: c } = img;
  const native = nativeImageKernels();
  if (native !== null && tables.length >= c) {
    native.imageNormalize(img.data, w, h, c, packedTables(tables), out, offset, flip);
    return;
  }
  const plane = w * h;
  const src = img.data;
  if (c === 3) {
    // One pass over the interleaved pixels, writing the three planes.
    const t0 = tables[0]!;
    const t1 = tables[1]!;
    const t2 = tables[2]!;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      let d = offset + row + (flip ? w - 1 : 0);
      const step = flip ? -1 : 1;
      let s = row * 3;
      for (let x = 0; x < w; x++, s += 3, d += step) {
        out[d] = t0[src[s]!]!;
        out[d + plane] = t1[src[s + 1]!]!;
        out[d + 2 * plane] = t2[src[s + 2]!]!;
      }
    }
    return;
  }
  for (let k = 0; k < c; k++) {
    const t = tables[k]!;
    const base = offset + k * plane;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      if (flip) {
        for (let x = 0; x < w; x++) out[base + row + x] = t[src[(row + w - 1 - x) * c + k]!]!;
      } else {
        for (let x = 0; x < w; x++) out[base + row + x] = t[src[(row + x) * c + k]!]!;
      }
    }
  }
}

export function normalize(img: Image, mean: readonly number[], std: readonly number[]): Float32Array {
  const out = new Float32Array(img.width * img.height * img.channels);
  normalizeInto(img, normalizeTables(mean, std), out, 0);
  return out;
}

/** The geometric and colour steps of a pipeline: decoded image -> size x size uint8 image + flip decision. */
/** The training crop box for an H x W image (the first draws of a training sample without rotation). */
export function trainCropBox(height: number, width: number, cfg: TransformConfig, rng: Rng): Box {
  return cfg.randomCrop === 'paddle' ? paddleRandomCropBox(height, width, rng, cfg.cropScale) : torchRandomResizedCropBox(height, width, rng, cfg.cropScale);
}

/**
 * `precropped`: img is already the region trainCropBox drew from this rng (decoded region only);
 * the remaining steps and draws are the same, so the output is identical.
 */
export function augment(img: Image, cfg: TransformConfig, rng: Rng, precropped = false): { image: Image; flip: boolean } {
  const size = cfg.size;
  if (cfg.mode === 'eval') {
    const rs = resizeShortSize(img.height, img.width, cfg.resizeShort);
    const resized = rs.width === img.width && rs.height === img.height ? img : resize(img, rs.width, rs.height, cfg.interpolation);
    const box = centerCropBox(resized.height, resized.width, size);
    return { image: resize(resized, size, size, cfg.interpolation, box), flip: false };
  }
  let cur = img;
  if (precropped) {
    cur = resize(cur, size, size, cfg.interpolation);
  } else {
    if (cfg.rotate) cur = rotate(cur, rng.randint(-10, 11));
    cur = resize(cur, size, size, cfg.interpolation, trainCropBox(cur.height, cur.width, cfg, rng));
  }
  if (cfg.colorJitter) cur = colorJitter(cur, cfg.colorJitter, rng);
  const flip = cfg.flip && rng.randint(0, 2) === 1;
  return { image: cur, flip };
}

/** The whole pipeline for one sample into a preallocated NCHW batch slot. */
export function transformInto(img: Image, cfg: TransformConfig, rng: Rng, tables: Float32Array[], out: Float32Array, offset: number, precropped = false): void {
  const { image, flip } = augment(img, cfg, rng, precropped);
  normalizeInto(image, tables, out, offset, flip);
}
