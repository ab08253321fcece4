// Building blocks shared by the zoo families: Paddle's `conv_bn_layer` (bias-free conv + batch norm with an
// optional fused activation), the fc head with its explicit Uniform(±1/√fan_in) initialiser, and BN name sets.
import { BatchNorm2d, Conv2d, Linear, Module, convDefault, fcUniform, convBnForward, convBnAddForward } from '../nn/index.js';
import type { BatchNormActivation, Initializer, Padding } from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';

export { initializer };

/** Fluid's conv2d default init, Normal(0, sqrt(2/(kh·kw·C_in))) with the TOTAL input channels. */
export function convInit(kernel: number, inChannels: number): Initializer {
  return initializer(convDefault(kernel, kernel, inChannels));
}

export interface BnNames {
  scale: string;
  offset: string;
  mean: string;
  variance: string;
}

/** `{p}_scale`, `{p}_offset`, `{p}_mean`, `{p}_variance` — the usual Paddle BN file names. */
export function bnNames(prefix: string, sep = '_', variance = 'variance'): BnNames {
  return { scale: `${prefix}${sep}scale`, offset: `${prefix}${sep}offset`, mean: `${prefix}${sep}mean`, variance: `${prefix}${sep}${variance}` };
}

export interface ConvBnOptions {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  /** default (kernel - 1) / 2, as the zoo's conv_bn_layer */
  padding?: Padding;
  groups?: number;
  act?: BatchNormActivation;
  weightName: string;
  bn: BnNames;
}

/** conv (no bias) → batch norm (→ act). Creates the conv weight before the BN tensors, as Paddle does. */
export class ConvBN extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(o: ConvBnOptions) {
    super();
    this.conv = this.registerModule(
      'conv',
      new Conv2d({
        inChannels: o.inChannels,
        outChannels: o.outChannels,
        kernel: o.kernel,
        stride: o.stride ?? 1,
        padding: o.padding ?? (o.kernel - 1) / 2,
        groups: o.groups ?? 1,
        weightName: o.weightName,
        init: convInit(o.kernel, o.inChannels),
      }),
    );
    this.bn = this.registerModule('bn', new BatchNorm2d({ channels: o.outChannels, names: o.bn, act: o.act ?? null }));
  }

  forward(x: Tensor): Tensor {
    return convBnForward(this.conv, this.bn, x);
  }
}

/**
 * x through each layer in turn. Off the tape (inference), each intermediate goes back to the
 * buffer pool as soon as the next layer has read it, instead of waiting for the GC; the input x
 * is the caller's and is never freed. While a layer runs, its input intermediate is marked
 * consumable (a residual join may take over its storage). Only for layers whose output is a
 * fresh tensor (convs, blocks ending in an add), never a view sharing its input's storage.
 */
export function chainForward(layers: readonly Module[], x: Tensor): Tensor {
  let y = x;
  for (const l of layers) {
    // freed right after this layer: a residual join inside it may write its output over y
    if (y !== x && !y.requiresGrad) y.consumable = true;
    const next = l.forward(y);
    if (y !== x && next !== y && !y.requiresGrad) y.free();
    y = next;
  }
  return y;
}

/**
 * A residual block's join: relu(branch(x) + s), the branch's last conv taking the shortcut s and
 * the ReLU in its output tiles at inference (convBnAddForward). Off the tape, the branch's
 * intermediate and the shortcut (unless it is x itself) are freed once joined; the join may
 * write its output over the shortcut's storage instead (Tensor.consumable).
 */
export function residualForward(branch: readonly ConvBN[], x: Tensor, s: Tensor): Tensor {
  const last = branch[branch.length - 1]!;
  const h = chainForward(branch.slice(0, -1), x);
  // a projection shortcut is the block's own, dead once joined (x is the caller's to mark)
  if (s !== x && !s.requiresGrad) s.consumable = true;
  const out = convBnAddForward(last.conv, last.bn, h, s, 'relu');
  if (!out.requiresGrad) {
    if (h !== x) h.free();
    if (s !== x) s.free();
  }
  return out;
}

/** The zoo's classifier: fc with Uniform(−1/√in, 1/√in) weights and zero bias; flattens its input. */
export function fcHead(inFeatures: number, classDim: number, weightName: string, biasName: string): Linear {
  return new Linear({ inFeatures, outFeatures: classDim, weightName, biasName, init: initializer(fcUniform(inFeatures)) });
}
