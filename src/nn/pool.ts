// Pooling layers with Paddle's pool2d semantics: stride defaults to 1 and padding to 0 (Fluid's
// defaults, unlike PyTorch's stride = kernel), output sizes by truncating division (ceilMode adds
// s-1), average pooling exclusive of padding by default.
import { adaptiveAvgPool2d, avgPool2d, globalAvgPool2d, maxPool2d } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Pair } from './conv.js';
import { Module } from './module.js';

export interface Pool2dOptions {
  kernel: Pair;
  /** default 1 (Paddle's pool_stride default) */
  stride?: Pair;
  /** symmetric [h, w]; default 0 */
  padding?: Pair;
  ceilMode?: boolean;
}

type OpPair = number | [number, number];

function opPair(v: Pair): OpPair {
  return typeof v === 'number' ? v : [v[0], v[1]];
}

export class MaxPool2d extends Module {
  readonly kernel: OpPair;
  readonly stride: OpPair;
  readonly padding: OpPair;
  readonly ceilMode: boolean;

  constructor(o: Pool2dOptions) {
    super();
    this.kernel = opPair(o.kernel);
    this.stride = opPair(o.stride ?? 1);
    this.padding = opPair(o.padding ?? 0);
    this.ceilMode = o.ceilMode ?? false;
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernel: this.kernel, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode });
  }
}

export class AvgPool2d extends Module {
  readonly kernel: OpPair;
  readonly stride: OpPair;
  readonly padding: OpPair;
  readonly ceilMode: boolean;
  readonly exclusive: boolean;

  /** exclusive (default true, Paddle): divide by the number of unpadded cells in the window. */
  constructor(o: Pool2dOptions & { exclusive?: boolean }) {
    super();
    this.kernel = opPair(o.kernel);
    this.stride = opPair(o.stride ?? 1);
    this.padding = opPair(o.padding ?? 0);
    this.ceilMode = o.ceilMode ?? false;
    this.exclusive = o.exclusive ?? true;
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernel: this.kernel, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, exclusive: this.exclusive });
  }
}

/** Paddle's pool2d(global_pooling=True, pool_type='avg'): [N, C, H, W] -> [N, C, 1, 1]. */
export class GlobalAvgPool2d extends Module {
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Pair) {
    super();
    this.outputSize = typeof outputSize === 'number' ? [outputSize, outputSize] : [outputSize[0], outputSize[1]];
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
