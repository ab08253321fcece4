// The typed form of train.py's flags, for callers of the API (`train({ model: 'ResNet18', ... })`)
// and the CLI alike: defaults come from the flag table, and `explicit` remembers which values the
// caller gave, so presets and saved configurations only fill the rest.
import type { FlagValues } from '../cli/flags.js';
import { UserError } from '../util/errors.js';
import { trainFlags, TRAIN_PRESETS } from './train_flags.js';

export interface TrainArgs {
  model: string;
  data_dir: string;
  class_dim: number;
  image_shape: number[];
  resize_short_size: number;
  crop_size: number | null;
  image_mean: number[];
  image_std: number[];
  interpolation: string | null;
  reader_thread: number;
  reader_buf_size: number;
  on_bad_image: 'error' | 'skip';
  json: boolean;
  no_progress: boolean;
  model_save_dir: string;
  pretrained_model: string | null;
  finetune_exclude_pretrained_params: string[];
  checkpoint: string | null;
  save_param: string | null;
  print_step: number;
  save_step: number;
  total_images: number | null;
  num_epochs: number;
  batch_size: number;
  test_batch_size: number;
  lr: number;
  lr_strategy: string;
  lr_compat: 'fixed' | 'paddle2019';
  l2_decay: number;
  l2_exclude_bn_bias: boolean;
  momentum_rate: number;
  step_epochs: number[];
  warm_up_epochs: number;
  decay_epochs: number;
  decay_rate: number;
  lower_scale: number;
  lower_ratio: number;
  upper_ratio: number;
  upper_scale: number;
  crop_mode: 'paddle' | 'torchvision';
  rotate: boolean;
  color_jitter: number[];
  random_flip: boolean;
  use_mixup: boolean;
  mixup_alpha: number;
  use_cutmix: boolean;
  cutmix_alpha: number;
  use_label_smoothing: boolean;
  label_smoothing_epsilon: number;
  random_seed: number;
  validate: boolean;
  use_ema: boolean;
  ema_decay: number;
  max_iter: number;
  preset: boolean;
}

export interface ResolvedTrainArgs {
  args: TrainArgs;
  explicit: Set<string>;
}

/** Fills defaults (and, with preset, Paddle's per-model script values) around what was given. */
export function resolveTrainArgs(given: Partial<TrainArgs> | FlagValues, explicitIn?: Iterable<string>): ResolvedTrainArgs {
  const known = new Set(trainFlags.map((f) => f.name));
  const values: Record<string, unknown> = {};
  for (const f of trainFlags) values[f.name] = Array.isArray(f.default) ? [...(f.default as unknown[])] : f.default;
  const explicit = new Set<string>(explicitIn ?? []);
  for (const [k, v] of Object.entries(given)) {
    if (!known.has(k)) throw new UserError(`train: unknown option '${k}'`);
    if (v === undefined) continue;
    values[k] = v;
    if (explicitIn === undefined) explicit.add(k);
  }
  if (values['preset'] === true) {
    const preset = TRAIN_PRESETS[String(values['model'])];
    if (!preset) throw new UserError(`--preset: no Paddle training script for ${String(values['model'])} (presets exist for ${Object.keys(TRAIN_PRESETS).join(', ')})`);
    for (const [k, v] of Object.entries(preset)) if (!explicit.has(k)) values[k] = v;
  }
  return { args: values as unknown as TrainArgs, explicit };
}
