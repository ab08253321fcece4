// MobileNetV2's inverted residual unit at inference, expand 1×1 → depthwise → project 1×1 (+ the
// unit's input), in one backend call where the backend fuses them (Backend.invertedResidualNhwc):
// the expanded tensor, six times the input's channels, then never goes to memory. Layer by layer
// at 112×112 it is 4.8 MB written by one conv and read back by the next, and the depthwise conv
// reading it ran at twice its in-cache time.
import { getBackend } from '../backend/index.js';
import { conv2dGeometry } from '../tensor/ops/index.js';
import { allocF32 } from '../tensor/buffer_pool.js';
import { Tensor } from '../tensor/tensor.js';
import type { BatchNorm2d } from './batchnorm.js';
import type { Conv2d } from './conv.js';
import { inferenceEligible, nhwcConvStep } from './inference_conv.js';

/** A conv and the batch norm after it (its activation the step's). */
export interface ConvBnPair {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
}

// Expanded maps smaller than this (per image) stay in L2 between the layers anyway, and bands
// of rows over a few rows a thread recompute their halo rows: there the three separate calls
// were as fast (MobileNetV2 batch 1, fused in bands from 256 KB on: 2.36-2.39 ms; from 0: 2.46;
// from 512 KB, which leaves out the 14×14 units: 2.44; never: 2.62). Maps of at most
// FEW_ROWS rows in all go to the kernel anyway: under 4 rows a thread it splits the expanded
// channels over the threads instead of the rows (no halo), and one call replaces three short
// ones (MobileNetV2 batch 1, 2 threads, its three stride-1 units at 7×7: 3% faster in alternating blocks).
const MIN_EXPANDED_BYTES = 256 * 1024;
const FEW_ROWS = 8;

/**
 * The unit's output (channels-last) through the fused kernel, or null where it does not apply:
 * training, a tape or tracer, an NCHW input, a backend without the kernel, activations other
 * than none/relu/relu6, or a small map. shortcut adds x to the projection.
 */
export function invertedResidualInference(expand: ConvBnPair, dwise: ConvBnPair, project: ConvBnPair, x: Tensor, shortcut: boolean): Tensor | null {
  const be = getBackend();
  if (be.invertedResidualNhwc === undefined || !x.channelsLast) return null;
  if (!inferenceEligible(expand.conv, expand.bn, x) || !inferenceEligible(dwise.conv, dwise.bn, x) || !inferenceEligible(project.conv, project.bn, x)) return null;
  const ge = conv2dGeometry(x.shape, expand.conv.weight.shape, expand.conv.convOptions());
  const gd = conv2dGeometry([ge.n, ge.k, ge.oh, ge.ow], dwise.conv.weight.shape, dwise.conv.convOptions());
  const gp = conv2dGeometry([gd.n, gd.k, gd.oh, gd.ow], project.conv.weight.shape, project.conv.convOptions());
  if (ge.h * ge.w * ge.k * 4 < MIN_EXPANDED_BYTES && gd.n * gd.oh > FEW_ROWS) return null;
  const acts = [expand.bn.act ?? 'none', dwise.bn.act ?? 'none', project.bn.act ?? 'none'];
  if (!acts.every((a) => a === 'none' || a === 'relu' || a === 'relu6')) return null;
  const shape = [gp.n, gp.k, gp.oh, gp.ow];
  if (shortcut && !x.shape.every((d, i) => d === shape[i])) throw new RangeError(`invertedResidualInference: shortcut [${x.shape.join(', ')}] for an output [${shape.join(', ')}]`);
  const e = nhwcConvStep(expand.conv, expand.bn, ge, acts[0] as 'none' | 'relu' | 'relu6');
  const d = nhwcConvStep(dwise.conv, dwise.bn, gd, acts[1] as 'none' | 'relu' | 'relu6');
  const p = nhwcConvStep(project.conv, project.bn, gp, acts[2] as 'none' | 'relu' | 'relu6');
  if (e === null || d === null || p === null) return null;
  const y = Tensor.channelsLast(allocF32(gp.n * gp.k * gp.oh * gp.ow), shape);
  const xv = x.channelsLastValues();
  be.invertedResidualNhwc(e, d, p, xv, shortcut ? xv : null, y.channelsLastValues());
  return y;
}
