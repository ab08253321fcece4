// Channels-last (NHWC) inference: the layout ONNX Runtime's CPU convolutions run in, and ours
// where the backend has the kernels (native/nhwc). A model whose every layer has an NHWC
// kernel (ResNet, MobileNetV2) copies its input to NHWC once at the stem with
// enterChannelsLast; from there the folded conv blocks (inference_conv.ts) and the pools keep
// their outputs NHWC. Any other op reading such a tensor gets it back as NCHW automatically
// (Tensor's accessors convert), so the layout is an optimisation that can never change a result
// beyond float rounding; models that would convert back and forth never enter it.
// setChannelsLastInference(false), or IMCLS_CHANNELS_LAST=0, keeps inference NCHW.
import type { Conv2dGeometry } from '../backend/backend.js';
import { getBackend } from '../backend/index.js';
import { allocF32 } from '../tensor/buffer_pool.js';
import { Tensor } from '../tensor/tensor.js';
import type { BatchNorm2d } from './batchnorm.js';
import type { Conv2d } from './conv.js';
import { inferenceEligible } from './inference_conv.js';

/** Whether the active backend runs channels-last convolutions of geometry g. */
export function channelsLastConvSupported(g: Conv2dGeometry): boolean {
  const be = getBackend();
  return be.convNhwcForward !== undefined && be.nchwToNhwc !== undefined && (be.convNhwcSupports?.(g) ?? false);
}

/** A channels-last copy of a 4-D NCHW tensor (x itself when it already is). */
export function channelsLastCopy(x: Tensor): Tensor {
  if (x.channelsLast) return x;
  const be = getBackend();
  if (be.nchwToNhwc === undefined) throw new Error('channelsLastCopy: the backend has no layout copy');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const y = Tensor.channelsLast(allocF32(x.size), x.shape);
  be.nchwToNhwc(n, c, h * w, x.peekValues(), y.channelsLastValues());
  return y;
}

let enabled = process.env['IMCLS_CHANNELS_LAST'] !== '0';

/** Turns the channels-last inference path on or off (on by default); returns the previous setting. */
export function setChannelsLastInference(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/**
 * The model input for `stem` (the model's first conv and its BN): a channels-last copy when the
 * stem takes the inference fast path and the backend has NHWC kernels, else x. The caller frees
 * the copy once the stem has read it.
 */
export function enterChannelsLast(x: Tensor, stem: Conv2d, bn: BatchNorm2d | null): Tensor {
  if (!enabled || x.ndim !== 4 || x.channelsLast || !inferenceEligible(stem, bn, x)) return x;
  const be = getBackend();
  if (be.convNhwcForward === undefined || be.nchwToNhwc === undefined || be.maxPool2dNhwc === undefined) return x;
  return channelsLastCopy(x);
}
