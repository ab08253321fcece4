// Every flag of Paddle's train.py (PADDLE_REFERENCE §1.2), with Paddle's defaults, plus the few
// this engine adds (on_bad_image, lr_compat, json, no_progress). Names are the seed's spelling.
import type { FlagSpec } from '../cli/flags.js';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export const LR_STRATEGIES = [
  'piecewise_decay', 'cosine_decay', 'cosine_decay_warmup', 'linear_decay', 'exponential_decay_warmup',
  'adam_decay', 'cosine_decay_RMSProp', 'default_decay', 'constant',
] as const;

export const INTERPOLATIONS = ['0', '1', '2', '3', '4', 'nearest', 'bilinear', 'bicubic', 'area', 'lanczos'] as const;

const GPU_NOTE = 'imcls runs on the CPU; use_gpu is accepted for compatibility and ignored';

/** Flags shared by train, eval and infer. */
export const commonFlags: FlagSpec[] = [
  { name: 'model', type: 'str', default: 'ResNet50', help: 'zoo model name (imcls models lists them)' },
  { name: 'data_dir', type: 'str', default: './data/ILSVRC2012/', help: 'dataset root with train_list.txt / val_list.txt' },
  { name: 'class_dim', type: 'int', default: 1000, min: 2, help: 'number of classes' },
  { name: 'image_shape', type: 'int_list', default: [3, 224, 224], min: 1, help: 'input C,H,W (3,224,224 or 3 224 224)' },
  { name: 'resize_short_size', type: 'int', default: 256, min: 1, help: 'eval: resize the short side to this before the center crop' },
  { name: 'crop_size', type: 'int', default: null, min: 1, help: 'crop size (default: image_shape H)' },
  { name: 'image_mean', type: 'float_list', default: [...IMAGENET_MEAN], help: 'RGB mean after /255' },
  { name: 'image_std', type: 'float_list', default: [...IMAGENET_STD], help: 'RGB std after /255' },
  { name: 'interpolation', type: 'str', default: null, choices: INTERPOLATIONS, help: 'resize interpolation: cv2 flag 0-4 or a name (default bilinear)' },
  { name: 'reader_thread', type: 'int', default: 2, min: 1, help: 'decoding worker threads (Paddle default 8; default here: the core count)' },
  { name: 'reader_buf_size', type: 'int', default: 2048, min: 1, help: 'prefetch queue size in samples' },
  { name: 'use_gpu', type: 'bool', default: false, help: 'accepted for compatibility', note: GPU_NOTE },
  { name: 'on_bad_image', type: 'str', default: 'error', choices: ['error', 'skip'], help: 'an unreadable image stops the run (error) or is skipped and counted (skip)' },
  { name: 'json', type: 'bool', default: false, help: 'machine-readable output' },
  { name: 'no_progress', type: 'bool', default: false, help: 'plain log lines even on a TTY' },
];

export const trainFlags: FlagSpec[] = [
  ...commonFlags,
  { name: 'model_save_dir', type: 'str', default: './output', help: 'checkpoints go to model_save_dir/<model>/<epoch>/' },
  { name: 'pretrained_model', type: 'str', default: null, help: 'weights to fine-tune from (file or directory); mismatched shapes are skipped' },
  { name: 'finetune_exclude_pretrained_params', type: 'str_list', default: [], help: 'comma-separated substrings of names not to load from pretrained_model' },
  { name: 'checkpoint', type: 'str', default: null, help: 'resume exactly from this checkpoint directory' },
  { name: 'save_param', type: 'str', default: null, aliases: ['save_params'], help: 'also write the final weights to this safetensors file' },
  { name: 'print_step', type: 'int', default: 10, min: 1, help: 'log every N batches' },
  { name: 'save_step', type: 'int', default: 1, min: 1, help: 'save a checkpoint every N epochs' },
  { name: 'total_images', type: 'int', default: null, min: 1, help: 'images per epoch for the LR schedule (default: the train list length)' },
  { name: 'num_epochs', type: 'int', default: 120, min: 1, help: 'epochs' },
  { name: 'batch_size', type: 'int', default: 8, min: 1, help: 'training batch size' },
  { name: 'test_batch_size', type: 'int', default: 16, min: 1, help: 'validation batch size' },
  { name: 'lr', type: 'float', default: 0.1, min: 0, help: 'base learning rate' },
  { name: 'lr_strategy', type: 'str', default: 'piecewise_decay', choices: LR_STRATEGIES, help: 'learning-rate schedule' },
  { name: 'lr_compat', type: 'str', default: 'fixed', choices: ['fixed', 'paddle2019'], help: 'fixed: corrected linear_decay / cosine_decay_warmup; paddle2019: the 2019 formulas' },
  { name: 'l2_decay', type: 'float', default: 1e-4, min: 0, help: 'L2 weight decay (added to every gradient, as Paddle)' },
  { name: 'l2_exclude_bn_bias', type: 'bool', default: false, help: 'exclude BN parameters and biases from L2 decay' },
  { name: 'momentum_rate', type: 'float', default: 0.9, min: 0, help: 'momentum' },
  { name: 'step_epochs', type: 'int_list', default: [30, 60, 90], min: 0, help: 'piecewise_decay boundaries in epochs' },
  { name: 'warm_up_epochs', type: 'float', default: 5, min: 0, help: 'warm-up epochs' },
  { name: 'decay_epochs', type: 'float', default: 2.4, min: 0, help: 'exponential_decay_warmup period in epochs' },
  { name: 'decay_rate', type: 'float', default: 0.97, min: 0, help: 'exponential_decay_warmup factor' },
  { name: 'lower_scale', type: 'float', default: 0.08, min: 0, help: 'random crop: smallest area fraction' },
  { name: 'lower_ratio', type: 'float', default: 3 / 4, min: 0, help: 'random crop: smallest aspect ratio' },
  { name: 'upper_ratio', type: 'float', default: 4 / 3, min: 0, help: 'random crop: largest aspect ratio' },
  { name: 'use_mixup', type: 'bool', default: false, help: 'mixup training' },
  { name: 'mixup_alpha', type: 'float', default: 0.2, min: 0, help: 'mixup Beta(alpha, alpha)' },
  { name: 'use_label_smoothing', type: 'bool', default: false, help: 'label smoothing in the training loss' },
  { name: 'label_smoothing_epsilon', type: 'float', default: 0.1, min: 0, help: 'label smoothing epsilon' },
  { name: 'random_seed', type: 'int', default: 0, help: 'seed for initialisation, shuffling, augmentation and dropout' },
  { name: 'validate', type: 'bool', default: true, help: 'evaluate on val_list.txt after each epoch' },
  { name: 'use_ema', type: 'bool', default: false, help: 'keep an exponential moving average of the weights and validate it too' },
  { name: 'ema_decay', type: 'float', default: 0.9999, min: 0, help: 'EMA decay' },
  { name: 'max_iter', type: 'int', default: 0, min: 0, help: 'stop each epoch after this many batches (0: off)' },
  { name: 'preset', type: 'bool', default: false, help: "apply the model's Paddle training script hyperparameters (scripts/train/<model>.sh) to flags not given" },
  { name: 'use_inplace', type: 'bool', default: true, help: 'accepted for compatibility (no effect)' },
  { name: 'use_fp16', type: 'bool', default: false, help: 'accepted for compatibility', note: 'float16 training is not supported on the CPU; training in float32' },
  { name: 'scale_loss', type: 'float', default: 1.0, help: 'accepted for compatibility (no effect without fp16)' },
  { name: 'use_dynamic_loss_scaling', type: 'bool', default: true, help: 'accepted for compatibility (no effect without fp16)' },
  { name: 'enable_ce', type: 'bool', default: false, help: 'accepted for compatibility (forces random_seed 0)' },
  { name: 'use_aa', type: 'bool', default: false, help: 'AutoAugment', note: 'AutoAugment is not implemented; ignored' },
  { name: 'use_dali', type: 'bool', default: false, help: 'accepted for compatibility', note: 'DALI is a GPU pipeline; the CPU reader is used' },
];

/**
 * Paddle's scripts/train/<model>.sh hyperparameters (PADDLE_REFERENCE §8), applied with --preset.
 * Keys are flag names; only flags the user did not set are filled.
 */
export const TRAIN_PRESETS: Record<string, Record<string, number | string | boolean | number[]>> = {
  ResNet50: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  MobileNetV2: { batch_size: 500, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 240, l2_decay: 4e-5 },
  ShuffleNetV2: { batch_size: 1024, lr: 0.5, lr_strategy: 'cosine_decay_warmup', num_epochs: 240, l2_decay: 4e-5 },
  ShuffleNetV2_swish: { batch_size: 1024, lr: 0.5, lr_strategy: 'cosine_decay_warmup', num_epochs: 240, l2_decay: 4e-5 },
  AlexNet: { batch_size: 256, lr: 0.01, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  SqueezeNet1_0: { batch_size: 256, lr: 0.02, lr_strategy: 'cosine_decay', num_epochs: 120, l2_decay: 1e-4 },
  SqueezeNet1_1: { batch_size: 256, lr: 0.02, lr_strategy: 'cosine_decay', num_epochs: 120, l2_decay: 1e-4 },
  VGG11: { batch_size: 512, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 90, l2_decay: 2e-4 },
  VGG13: { batch_size: 256, lr: 0.01, lr_strategy: 'cosine_decay', num_epochs: 90, l2_decay: 3e-4 },
  VGG16: { batch_size: 256, lr: 0.01, lr_strategy: 'cosine_decay', num_epochs: 90, l2_decay: 3e-4 },
  VGG19: { batch_size: 256, lr: 0.01, lr_strategy: 'cosine_decay', num_epochs: 150, l2_decay: 4e-4 },
  MobileNetV1: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 3e-5 },
  MobileNetV2_x0_25: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 240, l2_decay: 3e-5, lower_ratio: 1.0, upper_ratio: 1.0 },
  MobileNetV2_x0_5: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 240, l2_decay: 3e-5, lower_ratio: 1.0, upper_ratio: 1.0 },
  MobileNetV2_x1_5: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 240, l2_decay: 4e-5 },
  MobileNetV2_x2_0: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 240, l2_decay: 4e-5 },
  ShuffleNetV2_x0_25: { batch_size: 1024, lr: 0.5, lr_strategy: 'cosine_decay_warmup', num_epochs: 240, l2_decay: 3e-5, lower_scale: 0.64, lower_ratio: 0.8, upper_ratio: 1.2 },
  ShuffleNetV2_x0_33: { batch_size: 1024, lr: 0.5, lr_strategy: 'cosine_decay_warmup', num_epochs: 240, l2_decay: 3e-5, lower_scale: 0.64, lower_ratio: 0.8, upper_ratio: 1.2 },
  ShuffleNetV2_x0_5: { batch_size: 1024, lr: 0.5, lr_strategy: 'cosine_decay_warmup', num_epochs: 240, l2_decay: 3e-5, lower_scale: 0.64, lower_ratio: 0.8, upper_ratio: 1.2 },
  ShuffleNetV2_x1_5: { batch_size: 512, lr: 0.25, lr_strategy: 'cosine_decay_warmup', num_epochs: 240, l2_decay: 4e-5, lower_ratio: 1.0, upper_ratio: 1.0 },
  ShuffleNetV2_x2_0: { batch_size: 512, lr: 0.25, lr_strategy: 'cosine_decay_warmup', num_epochs: 240, l2_decay: 4e-5 },
  ResNet18: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 120, l2_decay: 1e-4 },
  ResNet34: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 120, l2_decay: 1e-4 },
  ResNet101: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  ResNet152: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  ResNet50_vc: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4 },
  ResNet50_vd: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 7e-5, use_mixup: true, use_label_smoothing: true, label_smoothing_epsilon: 0.1 },
  ResNet101_vd: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4, use_mixup: true, use_label_smoothing: true, label_smoothing_epsilon: 0.1 },
  ResNet152_vd: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4, use_mixup: true, use_label_smoothing: true, label_smoothing_epsilon: 0.1 },
  ResNet200_vd: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4, use_mixup: true, use_label_smoothing: true, label_smoothing_epsilon: 0.1 },
  ResNeXt50_32x4d: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  ResNeXt101_32x4d: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  ResNeXt152_32x4d: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  ResNeXt101_64x4d: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1.5e-4 },
  ResNeXt152_64x4d: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1.8e-4 },
  ResNeXt50_vd_64x4d: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4, use_mixup: true, use_label_smoothing: true, label_smoothing_epsilon: 0.1 },
  ResNeXt101_vd_64x4d: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4, use_mixup: true, use_label_smoothing: true, label_smoothing_epsilon: 0.1 },
  SE_ResNeXt50_32x4d: { batch_size: 400, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1.2e-4 },
  SE_ResNeXt101_32x4d: { batch_size: 400, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1.5e-5 },
  SENet154_vd: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4, use_mixup: true, use_label_smoothing: true, label_smoothing_epsilon: 0.1 },
  DenseNet121: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  DenseNet161: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  DenseNet169: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  DenseNet201: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  DenseNet264: { batch_size: 256, lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, l2_decay: 1e-4 },
  GoogLeNet: { batch_size: 256, lr: 0.01, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4 },
  InceptionV4: { batch_size: 256, lr: 0.045, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4, image_shape: [3, 299, 299], resize_short_size: 320, use_mixup: true, use_label_smoothing: true, label_smoothing_epsilon: 0.1 },
  Xception41: { batch_size: 256, lr: 0.045, lr_strategy: 'cosine_decay', num_epochs: 120, l2_decay: 1e-4, image_shape: [3, 299, 299], resize_short_size: 320 },
  DarkNet53: { batch_size: 256, lr: 0.1, lr_strategy: 'cosine_decay', num_epochs: 200, l2_decay: 1e-4, image_shape: [3, 256, 256], resize_short_size: 256, use_mixup: true, use_label_smoothing: true, label_smoothing_epsilon: 0.1 },
};
