// The training augmentation a run's flags ask for: crop geometry and mode, rotation, colour
// jitter, flip, and batch mixing (mixup or CutMix). Validated here, before anything is built, so
// a bad combination is one clear line naming the flag. The API (`train({...})`) bypasses the
// flag parser, so ranges the parser checks are checked again.
import type { TransformConfig } from '../data/transforms.js';
import type { MixSpec } from '../data/targets.js';
import { UserError } from '../util/errors.js';
import type { TrainArgs } from './train_args.js';

export interface TrainAugmentation {
  /** Options for trainTransform (size and channels come from the preprocessing). */
  transform: Partial<Omit<TransformConfig, 'mode' | 'size' | 'channels'>>;
  mix: MixSpec | null;
}

type AugmentArgs = Pick<TrainArgs, 'lower_scale' | 'upper_scale' | 'lower_ratio' | 'upper_ratio' | 'crop_mode' | 'rotate' | 'color_jitter' | 'random_flip' | 'use_mixup' | 'mixup_alpha' | 'use_cutmix' | 'cutmix_alpha'>;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function trainAugmentation(args: AugmentArgs): TrainAugmentation {
  const { lower_scale: lo, upper_scale: hi, lower_ratio: rlo, upper_ratio: rhi } = args;
  if (!finite(hi) || !(hi > 0 && hi <= 1)) throw new UserError(`--upper_scale: must be in (0, 1], got ${hi}`);
  if (!finite(lo) || !(lo >= 0 && lo <= hi)) throw new UserError(`--lower_scale: must be in [0, upper_scale=${hi}], got ${lo}`);
  if (!finite(rlo) || !(rlo > 0)) throw new UserError(`--lower_ratio: must be positive, got ${rlo}`);
  if (!finite(rhi) || !(rhi >= rlo)) throw new UserError(`--upper_ratio: must be at least lower_ratio=${rlo}, got ${rhi}`);
  if (args.crop_mode !== 'paddle' && args.crop_mode !== 'torchvision') throw new UserError(`--crop_mode: must be paddle or torchvision, got '${String(args.crop_mode)}'`);

  const cj = args.color_jitter ?? [];
  if (!Array.isArray(cj) || (cj.length !== 0 && cj.length !== 4)) {
    throw new UserError(`--color_jitter: expected 4 values brightness,contrast,saturation,hue (e.g. 0.4,0.4,0.4,0.1), got ${Array.isArray(cj) ? cj.length : String(cj)}`);
  }
  if (cj.some((v) => !finite(v) || v < 0)) throw new UserError(`--color_jitter: values must be non-negative numbers, got ${cj.join(',')}`);
  if (cj.length === 4 && cj[3]! > 0.5) throw new UserError(`--color_jitter: hue must be at most 0.5 (a half turn), got ${cj[3]}`);
  const colorJitter = cj.length === 4 && cj.some((v) => v > 0) ? { brightness: cj[0]!, contrast: cj[1]!, saturation: cj[2]!, hue: cj[3]! } : null;

  if (args.use_mixup && args.use_cutmix) throw new UserError('--use_cutmix: cannot be combined with --use_mixup (one batch-mixing method per run)');
  if (!finite(args.mixup_alpha) || args.mixup_alpha < 0) throw new UserError(`--mixup_alpha: must be at least 0, got ${args.mixup_alpha}`);
  if (!finite(args.cutmix_alpha) || args.cutmix_alpha < 0) throw new UserError(`--cutmix_alpha: must be at least 0, got ${args.cutmix_alpha}`);
  const mix: MixSpec | null = args.use_mixup ? { kind: 'mixup', alpha: args.mixup_alpha } : args.use_cutmix ? { kind: 'cutmix', alpha: args.cutmix_alpha } : null;

  return {
    transform: {
      cropScale: { scale: [lo, hi], ratio: [rlo, rhi] },
      randomCrop: args.crop_mode,
      rotate: args.rotate === true,
      colorJitter,
      flip: args.random_flip !== false,
    },
    mix,
  };
}
