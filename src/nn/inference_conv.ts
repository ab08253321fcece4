// The inference fast path for conv → batch norm → activation, taken automatically when a block
// runs in eval mode with nothing needing a gradient (model.eval() + noGrad(), what infer, eval
// and bench do). Each BN's running statistics are folded into the preceding conv once:
//   s = gamma / sqrt(var + eps),  W' = W · s[k],  b' = (b − mean) · s[k] + beta,
// so the block is one conv with a bias and the activation applied in place (or fused into the
// conv's epilogue with weights packed once, where the backend offers packed-weight convs).
//
// The folded (and packed) weights are cached per conv and keyed on the version of every source
// tensor (Tensor.version advances on any writable access: optimizer steps, loadStateDict,
// running-statistics updates, a user's direct writes), so a changed weight is always re-folded.
// Training mode drops the cache. Tracing (ONNX export) and anything on the tape take the
// unfused ops, which the tracer and autograd understand.
import type { Backend, Conv2dGeometry, NhwcConvStep, PackedConvWeights, RectifierActivation } from '../backend/backend.js';
import { getBackend } from '../backend/index.js';
import { needsGrad } from '../tensor/autograd.js';
import { addAct, conv2dGeometry, swish } from '../tensor/ops/index.js';
import { unaryOp } from '../tensor/ops/elementwise.js';
import { allocF32 } from '../tensor/buffer_pool.js';
import { empty, Tensor } from '../tensor/tensor.js';
import { isTracing } from '../tensor/trace.js';
import type { BatchNorm2d } from './batchnorm.js';
import { channelsLastConvSupported, channelsLastCopy } from './channels_last.js';
import type { Conv2d } from './conv.js';

/** Activation after the conv (and BN): a rectifier, or swish (applied as a separate op). */
export type ConvBlockActivation = RectifierActivation | 'swish';

/** Whether the active backend offers packed-weight convs (Backend.conv2dPackWeights / conv2dForwardPacked). */
export function packedConvAvailable(): boolean {
  const be = getBackend();
  return be.conv2dPackWeights !== undefined && be.conv2dForwardPacked !== undefined;
}

interface Prepared {
  readonly backend: Backend;
  readonly sources: readonly Tensor[];
  readonly versions: readonly number[];
  /** the folded OIHW weights, or (once packed, which copies them) null */
  weight: Float32Array | null;
  readonly bias: Float32Array | null;
  /** weights packed by the backend for this conv's k, c, kh, kw, groups (fixed by its weight shape) */
  packed: PackedConvWeights | null;
  /** the same for the channels-last forward */
  packedNhwc: PackedConvWeights | null;
  /** whether the backend's channels-last forward takes this conv (fixed by its weight shape and groups) */
  nhwcSupported: boolean | null;
}

const prepared = new WeakMap<Conv2d, Prepared>();

function sourcesOf(conv: Conv2d, bn: BatchNorm2d | null): Tensor[] {
  const s: Tensor[] = [conv.weight];
  if (conv.bias !== null) s.push(conv.bias);
  if (bn !== null) s.push(bn.scale, bn.offset, bn.runningMean, bn.runningVar);
  return s;
}

/** Whether the block may take the inference path: eval mode, no tape, no tracer. */
export function inferenceEligible(conv: Conv2d, bn: BatchNorm2d | null, x: Tensor): boolean {
  if (conv.training || (bn !== null && bn.training) || isTracing()) return false;
  if (bn !== null) return !needsGrad(x, conv.weight, bn.scale, bn.offset) && (conv.bias === null || !needsGrad(conv.bias));
  return !needsGrad(x, conv.weight) && (conv.bias === null || !needsGrad(conv.bias));
}

function fresh(p: Prepared, be: Backend, sources: readonly Tensor[]): boolean {
  if (p.backend !== be || p.sources.length !== sources.length) return false;
  for (let i = 0; i < sources.length; i++) {
    if (p.sources[i] !== sources[i] || p.versions[i] !== sources[i]!.version) return false;
  }
  return true;
}

/** W' and b' with the BN folded in (float64 arithmetic, rounded once). */
function fold(conv: Conv2d, bn: BatchNorm2d | null): { weight: Float32Array; bias: Float32Array | null } {
  const w = conv.weight.peekValues();
  const b = conv.bias?.peekValues() ?? null;
  if (bn === null) return { weight: w, bias: b };
  const k = conv.outChannels;
  const per = w.length / k;
  const gamma = bn.scale.peekValues();
  const beta = bn.offset.peekValues();
  const mean = bn.runningMean.peekValues();
  const variance = bn.runningVar.peekValues();
  const weight = new Float32Array(w.length);
  const bias = new Float32Array(k);
  for (let o = 0; o < k; o++) {
    const s = gamma[o]! / Math.sqrt(variance[o]! + bn.eps);
    bias[o] = ((b === null ? 0 : b[o]!) - mean[o]!) * s + beta[o]!;
    const base = o * per;
    for (let i = 0; i < per; i++) weight[base + i] = w[base + i]! * s;
  }
  return { weight, bias };
}

function prepare(conv: Conv2d, bn: BatchNorm2d | null, be: Backend): Prepared {
  const sources = sourcesOf(conv, bn);
  const p = prepared.get(conv);
  if (p !== undefined && fresh(p, be, sources)) return p;
  const { weight, bias } = fold(conv, bn);
  const next: Prepared = { backend: be, sources, versions: sources.map((t) => t.version), weight, bias, packed: null, packedNhwc: null, nhwcSupported: null };
  prepared.set(conv, next);
  return next;
}

/** Forgets conv's folded weights (training mode: they would go stale at the next step anyway). */
export function dropInferenceCache(conv: Conv2d): void {
  prepared.delete(conv);
}

/**
 * act(bn(conv(x)) + residual) through the folded weights; bn may be null (conv with its own bias),
 * residual (a block's shortcut, shaped like the output) too. The caller has checked
 * inferenceEligible. act defaults to the BN's own activation.
 */
export function inferenceConvForward(
  conv: Conv2d, bn: BatchNorm2d | null, x: Tensor, act: ConvBlockActivation = bn?.act ?? 'none', alpha = 0.02,
  residual: Tensor | null = null,
): Tensor {
  const be = getBackend();
  const p = prepare(conv, bn, be);
  const g = conv2dGeometry(x.shape, conv.weight.shape, conv.convOptions());
  const shape = [g.n, g.k, g.oh, g.ow];
  if (residual !== null && !residual.shape.every((d, i) => d === shape[i])) {
    throw new RangeError(`inferenceConvForward: residual [${residual.shape.join(', ')}] for an output [${shape.join(', ')}]`);
  }
  const rect: RectifierActivation = act === 'swish' ? 'none' : act;
  const slope = rect === 'leaky_relu' ? alpha : 0;
  let y: Tensor;
  if (x.channelsLast && nhwcPrepared(p, conv, bn, g)) {
    // channels-last in, channels-last out (see channels_last.ts)
    const r = residual === null ? null : channelsLastCopy(residual);
    // The output takes over a shortcut nobody reads afterwards (a copy made here, or one its
    // holder marked consumable; never the conv's own input): the kernel reads each shortcut
    // value just before it writes the output there, saving a stream of memory traffic (a join
    // layer of ResNet50 at batch 16 alone: 14-30% faster; the whole forward 1-2%).
    const inPlace = r !== null && r !== x && (r !== residual || r.consumable);
    y = Tensor.channelsLast(inPlace ? r!.takeStorage() : allocF32(g.n * g.k * g.oh * g.ow), shape);
    const out = y.channelsLastValues();
    be.convNhwcForward!(g, x.channelsLastValues(), p.packedNhwc!, p.bias, out, rect, slope, inPlace ? out : r?.channelsLastValues() ?? null);
    if (r !== null && r !== residual && !inPlace) r.free();
  } else if (be.conv2dPackWeights !== undefined && be.conv2dForwardPacked !== undefined) {
    y = empty(shape);
    p.packed ??= be.conv2dPackWeights(g, foldedWeight(p, conv, bn));
    p.weight = null; // the packed copies are all later calls read
    be.conv2dForwardPacked(g, x.values, p.packed, p.bias, y.values, rect, slope, residual?.values ?? null);
  } else {
    y = empty(shape);
    be.conv2dForward(g, x.values, p.weight!, p.bias, y.values);
    if (residual !== null) be.addAct(y.values, residual.values, rect, slope, y.values);
    else if (rect !== 'none') be.unary(rect, y.values, y.values, slope);
  }
  if (act !== 'swish') return y;
  const out = swish(y);
  y.free();
  return out;
}

/** Whether the channels-last kernels take g; if so, p's weights are packed for them (once). */
function nhwcPrepared(p: Prepared, conv: Conv2d, bn: BatchNorm2d | null, g: Conv2dGeometry): boolean {
  if (!(p.nhwcSupported ??= channelsLastConvSupported(g))) return false;
  p.packedNhwc ??= p.backend.convNhwcPackWeights!(g, foldedWeight(p, conv, bn));
  p.weight = null;
  return true;
}

/**
 * bn(conv(·)) folded and packed for the channels-last kernels at geometry g, with act: the step
 * a fused multi-conv kernel takes (inverted_residual.ts); null where those kernels do not take g.
 * The caller has checked inferenceEligible.
 */
export function nhwcConvStep(conv: Conv2d, bn: BatchNorm2d | null, g: Conv2dGeometry, act: NhwcConvStep['act']): NhwcConvStep | null {
  const p = prepare(conv, bn, getBackend());
  return nhwcPrepared(p, conv, bn, g) ? { g, packed: p.packedNhwc!, bias: p.bias, act } : null;
}

/** The folded OIHW weights: kept until the first packing, folded again for a second layout. */
function foldedWeight(p: Prepared, conv: Conv2d, bn: BatchNorm2d | null): Float32Array {
  return p.weight ?? fold(conv, bn).weight;
}

/**
 * bn(conv(x)) with the BN's activation, the block every conv_bn_layer of the zoo runs: the folded
 * inference path when eligible, else the two layers (whose training path fuses BN and act).
 */
export function convBnForward(conv: Conv2d, bn: BatchNorm2d, x: Tensor): Tensor {
  if (inferenceEligible(conv, bn, x)) return inferenceConvForward(conv, bn, x);
  if (conv.training) dropInferenceCache(conv);
  const c = conv.forward(x);
  const y = bn.forward(c);
  if (!c.requiresGrad) c.free(); // off the tape: nothing else holds it
  return y;
}

/**
 * act(bn(conv(x)) + shortcut), the end of a residual block (bn without its own activation): at
 * inference one conv whose output tiles take the bias, the shortcut and the activation while in
 * cache, saving a pass over the block's output; else the layers and addAct.
 */
export function convBnAddForward(conv: Conv2d, bn: BatchNorm2d, x: Tensor, shortcut: Tensor, act: RectifierActivation): Tensor {
  if (bn.act !== null) throw new Error('convBnAddForward: the BN before a residual add has no activation of its own');
  if (inferenceEligible(conv, bn, x) && !needsGrad(shortcut)) return inferenceConvForward(conv, bn, x, act, 0.02, shortcut);
  const y = convBnForward(conv, bn, x);
  const out = addAct(shortcut, y, act);
  if (!out.requiresGrad) y.free(); // off the tape: the branch output is dead once joined
  return out;
}

/** act(conv(x)) for a conv with its own bias (VGG, AlexNet, SqueezeNet), fused at inference. */
export function convActForward(conv: Conv2d, act: RectifierActivation, x: Tensor, alpha = 0.02): Tensor {
  if (inferenceEligible(conv, null, x)) return inferenceConvForward(conv, null, x, act, alpha);
  if (conv.training) dropInferenceCache(conv);
  const c = conv.forward(x);
  if (act === 'none') return c;
  const y = unaryOp(act, c, act === 'leaky_relu' ? alpha : 0);
  if (!c.requiresGrad) c.free();
  return y;
}

/** Whether conv currently holds folded inference weights (tests check that the fast path ran). */
export function hasInferenceCache(conv: Conv2d): boolean {
  return prepared.has(conv);
}
