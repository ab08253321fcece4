// Parameter initialisers with Fluid 1.x's semantics (PADDLE_REFERENCE §6.1), so training from
// scratch starts from the same distributions as Paddle's scripts.
//
// Fans follow Fluid's Initializer._compute_fans: a 2-D [in, out] FC weight has fan_in = shape[0],
// fan_out = shape[1]; a conv weight [out, in/groups, kh, kw] has fan_in = shape[1]*kh*kw and
// fan_out = shape[0]*kh*kw. Fluid's MSRA() and Xavier() default to the UNIFORM variant
// (MSRAInitializer(uniform=True), XavierInitializer(uniform=True)); the normal variants have the
// same variance and are available with { uniform: false }.
//
// Fluid's conv2d default (no initializer given) is NOT MSRA: it is Normal(0, sqrt(2 / (kh*kw*C_in)))
// with C_in the TOTAL input channels even for grouped/depthwise convs (fluid.layers.conv2d's
// _get_default_param_initializer). convDefault() builds it; Conv2d uses it when init is omitted.
import type { Shape } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultGenerator, type RandomGenerator } from './random.js';

export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

export interface Initializer {
  /** e.g. 'msra(uniform)', for messages and tests */
  readonly name: string;
  /** Fills t in place. */
  init(t: Tensor, generator?: RandomGenerator): void;
}

/** Fluid's _compute_fans. */
export function computeFans(shape: Shape): Fans {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

function fillUniform(v: Float32Array, lo: number, hi: number, g: RandomGenerator): void {
  g.fillUniform(v, lo, hi);
}

function fillNormal(v: Float32Array, mean: number, std: number, g: RandomGenerator): void {
  g.fillNormal(v, mean, std);
}

export function constant(value = 0): Initializer {
  return {
    name: `constant(${value})`,
    init(t) {
      t.values.fill(value);
    },
  };
}

/** Fluid's Uniform(low=-1, high=1). */
export function uniform(lo = -1, hi = 1): Initializer {
  if (!(hi >= lo)) throw new RangeError(`uniform(${lo}, ${hi}): hi must be >= lo`);
  return {
    name: `uniform(${lo}, ${hi})`,
    init(t, g = defaultGenerator) {
      fillUniform(t.values, lo, hi, g);
    },
  };
}

/** Fluid's Normal(loc=0, scale=1). */
export function normal(mean = 0, std = 1): Initializer {
  if (!(std >= 0)) throw new RangeError(`normal(${mean}, ${std}): std must be >= 0`);
  return {
    name: `normal(${mean}, ${std})`,
    init(t, g = defaultGenerator) {
      fillNormal(t.values, mean, std, g);
    },
  };
}

/**
 * Fluid's MSRA (Kaiming): uniform ±sqrt(6/fan_in) (the default, as MSRA()), or with
 * { uniform: false } Normal(0, sqrt(2/fan_in)). fanIn overrides the computed fan.
 */
export function msra(opts: { uniform?: boolean; fanIn?: number } = {}): Initializer {
  const isUniform = opts.uniform ?? true;
  return {
    name: `msra(${isUniform ? 'uniform' : 'normal'})`,
    init(t, g = defaultGenerator) {
      const fanIn = opts.fanIn ?? computeFans(t.shape).fanIn;
      if (isUniform) {
        const limit = Math.sqrt(6 / fanIn);
        fillUniform(t.values, -limit, limit, g);
      } else {
        fillNormal(t.values, 0, Math.sqrt(2 / fanIn), g);
      }
    },
  };
}

/**
 * Fluid's Xavier (Glorot): uniform ±sqrt(6/(fan_in+fan_out)) (the default, and fluid.layers.fc's
 * default weight initializer), or with { uniform: false } Normal(0, sqrt(2/(fan_in+fan_out))).
 */
export function xavier(opts: { uniform?: boolean; fanIn?: number; fanOut?: number } = {}): Initializer {
  const isUniform = opts.uniform ?? true;
  return {
    name: `xavier(${isUniform ? 'uniform' : 'normal'})`,
    init(t, g = defaultGenerator) {
      const fans = computeFans(t.shape);
      const fanIn = opts.fanIn ?? fans.fanIn;
      const fanOut = opts.fanOut ?? fans.fanOut;
      if (isUniform) {
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        fillUniform(t.values, -limit, limit, g);
      } else {
        fillNormal(t.values, 0, Math.sqrt(2 / (fanIn + fanOut)), g);
      }
    },
  };
}

/**
 * fluid.layers.conv2d's default weight initializer: Normal(0, sqrt(2 / (kh*kw*inChannels))) where
 * inChannels is the layer's TOTAL input channel count (not divided by groups).
 */
export function convDefault(kh: number, kw: number, inChannels: number): Initializer {
  const std = Math.sqrt(2 / (kh * kw * inChannels));
  return { ...normal(0, std), name: `conv_default(normal(0, ${std}))` };
}

/** The Uniform(−1/√fan_in, 1/√fan_in) the zoo gives most FC layers explicitly. */
export function fcUniform(inFeatures: number): Initializer {
  const s = 1 / Math.sqrt(inFeatures);
  return { ...uniform(-s, s), name: `fc_uniform(±${s})` };
}
