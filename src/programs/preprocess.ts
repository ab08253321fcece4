// Which preprocessing a run uses. Precedence: flags the user typed > the config saved with the
// weights > the model's zoo default. Evaluating with preprocessing that does not match the
// weights is this field's most common silent accuracy bug, so the saved config wins over defaults.
import type { Interpolation } from '../data/resize.js';
import type { PreprocessConfig } from '../data/transforms.js';
import { getModelEntry } from '../models/index.js';
import { UserError } from '../util/errors.js';
import type { WeightsMeta } from './weights.js';

const CV2_INTERP: Record<string, Interpolation> = { '0': 'bilinear', '1': 'bilinear', '2': 'bicubic', '3': 'area', '4': 'lanczos' };

/** Paddle's cv2 flag (0..4; 0 behaves as the default, bilinear) or a name. */
export function parseInterpolation(v: string | number | null | undefined): Interpolation | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  if (s in CV2_INTERP) return CV2_INTERP[s]!;
  if (['nearest', 'bilinear', 'bicubic', 'area', 'lanczos'].includes(s)) return s as Interpolation;
  throw new UserError(`--interpolation: '${s}' is not 0-4 or one of nearest, bilinear, bicubic, area, lanczos`);
}

export interface PreprocessFlags {
  image_shape?: readonly number[] | null;
  resize_short_size?: number | null;
  crop_size?: number | null;
  image_mean?: readonly number[] | null;
  image_std?: readonly number[] | null;
  interpolation?: string | null;
}

export interface ResolvedPreprocess {
  pre: PreprocessConfig;
  /** Network input [C, H, W]. */
  inputShape: [number, number, number];
}

/**
 * Resolves preprocessing for `model`. `explicit` names the flags the user set; others fall back
 * to the saved meta, then to the zoo default.
 */
export function resolvePreprocess(model: string, flags: PreprocessFlags, explicit: ReadonlySet<string>, meta: WeightsMeta | null): ResolvedPreprocess {
  const cfg = getModelEntry(model).config;
  const saved = meta?.preprocessing;
  const pick = <T>(flag: keyof PreprocessFlags, fromSaved: T | undefined, fallback: T): T => {
    const v = flags[flag];
    if (explicit.has(flag) && v !== null && v !== undefined) return v as unknown as T;
    return fromSaved ?? fallback;
  };
  const shape = explicit.has('image_shape') && flags.image_shape ? flags.image_shape : null;
  if (shape && shape.length !== 3) throw new UserError(`--image_shape: expected C,H,W (3 numbers), got ${shape.length}`);
  const channels = shape ? shape[0]! : saved?.channels ?? cfg.inputSize[0];
  const defaultCrop = shape ? shape[1]! : cfg.crop;
  const crop = explicit.has('crop_size') && flags.crop_size ? flags.crop_size : shape ? shape[1]! : saved?.crop ?? defaultCrop;
  const resizeShort = pick('resize_short_size', saved?.resize_short, cfg.resizeShort);
  let mean = pick<readonly number[]>('image_mean', saved?.mean, cfg.mean);
  let std = pick<readonly number[]>('image_std', saved?.std, cfg.std);
  // A 1-channel model normalises with one value; Paddle's defaults are RGB triples.
  if (channels === 1 && mean.length === 3 && !explicit.has('image_mean')) mean = [mean.reduce((a, b) => a + b, 0) / 3];
  if (channels === 1 && std.length === 3 && !explicit.has('image_std')) std = [std.reduce((a, b) => a + b, 0) / 3];
  if (mean.length !== channels) throw new UserError(`--image_mean: ${mean.length} values for a ${channels}-channel input`);
  if (std.length !== channels) throw new UserError(`--image_std: ${std.length} values for a ${channels}-channel input`);
  if (resizeShort < crop) throw new UserError(`--resize_short_size ${resizeShort} is smaller than the crop ${crop}`);
  const interpFlag = explicit.has('interpolation') ? parseInterpolation(flags.interpolation) : null;
  const interpolation = interpFlag ?? (saved?.interpolation as Interpolation | undefined) ?? (cfg.interpolation === null ? 'bilinear' : CV2_INTERP[String(cfg.interpolation)] ?? 'bilinear');
  return {
    pre: { resizeShort, crop, mean, std, interpolation },
    inputShape: [channels, crop, crop],
  };
}

/** The form saved with weights (state.json / safetensors metadata). */
export function preprocessMeta(r: ResolvedPreprocess): NonNullable<WeightsMeta['preprocessing']> {
  return {
    resize_short: r.pre.resizeShort,
    crop: r.pre.crop,
    mean: [...r.pre.mean],
    std: [...r.pre.std],
    interpolation: r.pre.interpolation,
    channels: r.inputShape[0],
  };
}
