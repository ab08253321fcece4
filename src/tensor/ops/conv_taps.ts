// Dead kernel taps. On a tiny feature map a padded kernel reaches mostly into the padding: a
// 3x3 conv on a 1x1 map (ResNet's last stage on a 28x28 input) reads one real pixel with its
// centre tap and zeros with the other eight, so 8/9 of its multiply-adds, forward and backward,
// are by zero. A kernel row (column) whose every use, over all output rows (columns), falls in
// the padding contributes nothing to the output and receives a zero gradient, so the
// convolution equals the one with those rows and columns cut off the kernel and the padding
// shrunk to match. This file finds that smaller convolution and moves weights between the two.
import type { Conv2dGeometry } from '../../backend/backend.js';

/** The kernel rows [r0, r1] and columns [c0, c1] (inclusive) that touch real input pixels. */
export interface LiveTaps {
  readonly r0: number;
  readonly r1: number;
  readonly c0: number;
  readonly c1: number;
  /** The convolution over the live taps alone: same input, output and strides. */
  readonly geometry: Conv2dGeometry;
}

/** [first, last] kernel index along one axis that reads a real pixel for some output index. */
function liveRange(size: number, k: number, outSize: number, stride: number, padBefore: number, dilation: number): [number, number] | null {
  let first = -1;
  let last = -1;
  for (let i = 0; i < k; i++) {
    for (let o = 0; o < outSize; o++) {
      const at = o * stride - padBefore + i * dilation;
      if (at >= size) break; // grows with o
      if (at >= 0) {
        if (first < 0) first = i;
        last = i;
        break;
      }
    }
  }
  return first < 0 ? null : [first, last];
}

/**
 * The smaller equivalent convolution, or null when every tap is live (or when cutting would need a
 * negative padding, which the kernels do not take; that case keeps the full kernel).
 */
export function liveTaps(g: Conv2dGeometry): LiveTaps | null {
  const rows = liveRange(g.h, g.kh, g.oh, g.strideH, g.padTop, g.dilationH);
  const cols = liveRange(g.w, g.kw, g.ow, g.strideW, g.padLeft, g.dilationW);
  // A kernel with no live tap at all reads only padding: nothing to cut to, keep it whole.
  if (rows === null || cols === null) return null;
  const [r0, r1] = rows;
  const [c0, c1] = cols;
  if (r0 === 0 && r1 === g.kh - 1 && c0 === 0 && c1 === g.kw - 1) return null;
  const geometry: Conv2dGeometry = {
    ...g,
    kh: r1 - r0 + 1,
    kw: c1 - c0 + 1,
    // Cutting taps off one side moves the kernel's reach in by as many dilation steps, which
    // keeps every output size unchanged.
    padTop: g.padTop - r0 * g.dilationH,
    padBottom: g.padBottom - (g.kh - 1 - r1) * g.dilationH,
    padLeft: g.padLeft - c0 * g.dilationW,
    padRight: g.padRight - (g.kw - 1 - c1) * g.dilationW,
  };
  if (geometry.padTop < 0 || geometry.padBottom < 0 || geometry.padLeft < 0 || geometry.padRight < 0) return null;
  return { r0, r1, c0, c1, geometry };
}

/** Offsets, within one kh x kw weight plane, of the live taps in row-major order. */
function liveOffsets(g: Conv2dGeometry, t: LiveTaps): Int32Array {
  const offsets = new Int32Array(t.geometry.kh * t.geometry.kw);
  let o = 0;
  for (let r = t.r0; r <= t.r1; r++) for (let c = t.c0; c <= t.c1; c++) offsets[o++] = r * g.kw + c;
  return offsets;
}

/** The live taps of OIHW weights (shape of g) as a dense [k, c/groups, kh', kw'] array. */
export function cutWeights(g: Conv2dGeometry, t: LiveTaps, w: Float32Array, out: Float32Array): void {
  const offsets = liveOffsets(g, t);
  const planes = g.k * (g.c / g.groups);
  const plane = g.kh * g.kw;
  const live = offsets.length;
  // One flat loop per live offset: a plane holds only a handful of taps, so a per-plane inner
  // loop would spend its time on loop overhead (a 512x512 3x3 layer has 262,144 planes).
  for (let j = 0; j < live; j++) {
    const from = offsets[j]!;
    for (let p = 0; p < planes; p++) out[p * live + j] = w[p * plane + from]!;
  }
}

/** Writes the live taps' gradient into the full OIHW gradient, zero at every dead tap. */
export function spreadWeightGrad(g: Conv2dGeometry, t: LiveTaps, cut: Float32Array, dw: Float32Array): void {
  const offsets = liveOffsets(g, t);
  const planes = g.k * (g.c / g.groups);
  const plane = g.kh * g.kw;
  const live = offsets.length;
  dw.fill(0, 0, planes * plane);
  for (let j = 0; j < live; j++) {
    const to = offsets[j]!;
    for (let p = 0; p < planes; p++) dw[p * plane + to] = cut[p * live + j]!;
  }
}
