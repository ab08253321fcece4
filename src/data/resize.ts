// Image resizing with OpenCV's conventions (Paddle's reader calls cv2.resize): half-pixel centres,
// border replication, no antialiasing except INTER_AREA, 8-bit rounded output. Separable: a
// horizontal pass into float rows, then a vertical pass, as cv2 does. Resizing a sub-rectangle
// of the source (crop + resize in one pass) avoids copying the crop.
import type { Box, Image } from './image.js';
import { nativeImageKernels } from './native_image.js';

export type Interpolation = 'nearest' | 'bilinear' | 'bicubic' | 'area' | 'lanczos';
export const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'bilinear', 'bicubic', 'area', 'lanczos'];

/**
 * Paddle's --interpolation is a cv2 flag 0..4 (NEAREST, LINEAR, CUBIC, AREA, LANCZOS4). Paddle tests
 * `if interpolation:`, so 0 and None both mean cv2's default, bilinear.
 */
export function interpolationFromPaddle(flag: number | null | undefined): Interpolation {
  if (flag === null || flag === undefined || flag === 0) return 'bilinear';
  const name = INTERPOLATIONS[flag];
  if (name === undefined || !Number.isInteger(flag)) throw new RangeError(`interpolation must be an integer 0..4, got ${flag}`);
  return name;
}

export function parseInterpolation(v: string | number | null | undefined): Interpolation {
  if (typeof v === 'number' || v === null || v === undefined) return interpolationFromPaddle(v);
  const s = v.trim().toLowerCase();
  if (/^\d+$/.test(s)) return interpolationFromPaddle(Number(s));
  const alias: Record<string, Interpolation> = { linear: 'bilinear', cubic: 'bicubic', lanczos4: 'lanczos', box: 'area' };
  const name = (INTERPOLATIONS as readonly string[]).includes(s) ? (s as Interpolation) : alias[s];
  if (name === undefined) throw new RangeError(`unknown interpolation '${v}' (one of ${INTERPOLATIONS.join(', ')} or 0..4)`);
  return name;
}

/** Per-axis resampling table: for output position o, taps source indices and weights. */
export interface AxisTable {
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

function clampi(v: number, hi: number): number {
  return v < 0 ? 0 : v > hi ? hi : v;
}

function cubicWeights(x: number, out: number[]): void {
  const A = -0.75;
  out[0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
  out[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
  out[2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
  out[3] = 1 - out[0]! - out[1]! - out[2]!;
}

function lanczosWeights(x: number, out: number[]): void {
  if (x < 1.1920929e-7) {
    for (let i = 0; i < 8; i++) out[i] = i === 3 ? 1 : 0;
    return;
  }
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const t = x + 3 - i;
    const pt = Math.PI * t;
    const w = (Math.sin(pt) * Math.sin(pt / 4)) / ((pt * pt) / 4);
    out[i] = w;
    sum += w;
  }
  for (let i = 0; i < 8; i++) out[i] = out[i]! / sum;
}

export function axisTable(inSize: number, outSize: number, interp: Interpolation): AxisTable {
  const scale = inSize / outSize;
  const last = inSize - 1;
  if (interp === 'area' && scale >= 1) {
    // cv2's computeResizeAreaTab: fractional box coverage.
    const entries: Array<Array<[number, number]>> = [];
    let taps = 1;
    for (let o = 0; o < outSize; o++) {
      const f1 = o * scale;
      const f2 = f1 + scale;
      const s1 = Math.ceil(f1);
      const s2 = Math.floor(f2);
      const cell = Math.min(scale, inSize - f1);
      const e: Array<[number, number]> = [];
      if (s1 - f1 > 1e-3) e.push([s1 - 1, (s1 - f1) / cell]);
      for (let s = s1; s < s2; s++) e.push([s, 1 / cell]);
      if (f2 - s2 > 1e-3 && s2 <= last) e.push([s2, Math.min(Math.min(f2 - s2, 1), cell) / cell]);
      entries.push(e);
      taps = Math.max(taps, e.length);
    }
    const index = new Int32Array(outSize * taps);
    const weight = new Float32Array(outSize * taps);
    entries.forEach((e, o) => {
      e.forEach(([s, w], t) => {
        index[o * taps + t] = clampi(s, last);
        weight[o * taps + t] = w;
      });
    });
    return { taps, index, weight };
  }
  const taps = interp === 'nearest' ? 1 : interp === 'bilinear' || interp === 'area' ? 2 : interp === 'bicubic' ? 4 : 8;
  const index = new Int32Array(outSize * taps);
  const weight = new Float32Array(outSize * taps);
  const w: number[] = new Array<number>(8).fill(0);
  for (let o = 0; o < outSize; o++) {
    const base = o * taps;
    if (interp === 'nearest') {
      // cv2 INTER_NEAREST: floor(o * scale), no half-pixel shift.
      index[base] = Math.min(Math.floor(o * scale), last);
      weight[base] = 1;
      continue;
    }
    let sx: number;
    let fx: number;
    if (interp === 'area') {
      // cv2's INTER_AREA when enlarging: linear weights with sharp cell edges.
      sx = Math.floor(o * scale);
      fx = o + 1 - (sx + 1) / scale;
      fx = fx <= 0 ? 0 : fx - Math.floor(fx);
    } else {
      const f = (o + 0.5) * scale - 0.5;
      sx = Math.floor(f);
      fx = f - sx;
    }
    if (taps === 2) {
      if (sx < 0) {
        sx = 0;
        fx = 0;
      }
      if (sx >= last) {
        sx = last;
        fx = 0;
      }
      index[base] = sx;
      index[base + 1] = clampi(sx + 1, last);
      weight[base] = 1 - fx;
      weight[base + 1] = fx;
    } else {
      if (taps === 4) cubicWeights(fx, w);
      else lanczosWeights(fx, w);
      const first = sx - (taps / 2 - 1);
      for (let t = 0; t < taps; t++) {
        index[base + t] = clampi(first + t, last);
        weight[base + t] = w[t]!;
      }
    }
  }
  return { taps, index, weight };
}

// One scratch buffer per thread for the horizontal pass: a fresh zeroed allocation per image
// cost as much as the arithmetic.
let scratchBuf = new Float32Array(0);
function scratch(n: number): Float32Array {
  if (scratchBuf.length < n) scratchBuf = new Float32Array(Math.max(n, scratchBuf.length * 2));
  return scratchBuf;
}

/**
 * Resizes the region `box` of `img` (the whole image when omitted) to outW x outH.
 * Equivalent to cv2.resize(img[y:y+h, x:x+w], (outW, outH), interpolation).
 */
export function resize(img: Image, outW: number, outH: number, interp: Interpolation = 'bilinear', box?: Box): Image {
  const c = img.channels;
  const bx = box?.x ?? 0;
  const by = box?.y ?? 0;
  const bw = box?.w ?? img.width;
  const bh = box?.h ?? img.height;
  if (outW <= 0 || outH <= 0 || bw <= 0 || bh <= 0) throw new RangeError(`cannot resize ${bw}x${bh} to ${outW}x${outH}`);
  if (bx < 0 || by < 0 || bx + bw > img.width || by + bh > img.height) throw new RangeError(`resize region ${bw}x${bh}+${bx}+${by} outside a ${img.width}x${img.height} image`);
  const out = new Uint8Array(outW * outH * c);
  const src = img.data;
  const stride = img.width * c;
  if (bw === outW && bh === outH) {
    for (let y = 0; y < outH; y++) out.set(src.subarray((by + y) * stride + bx * c, (by + y) * stride + (bx + bw) * c), y * outW * c);
    return { data: out, width: outW, height: outH, channels: c };
  }
  const tx = axisTable(bw, outW, interp);
  const ty = axisTable(bh, outH, interp);
  const native = nativeImageKernels();
  if (native !== null) {
    native.imageResize(src, img.width, img.height, c, bx, by, bw, bh, outW, outH, tx.index, tx.weight, tx.taps, ty.index, ty.weight, ty.taps, out);
    return { data: out, width: outW, height: outH, channels: c };
  }
  // Horizontal pass, only over the source rows the vertical pass reads.
  const rowLen = outW * c;
  const rowSlot = new Int32Array(bh).fill(-1);
  let nRows = 0;
  for (let i = 0; i < ty.index.length; i++) {
    const r = ty.index[i]!;
    if (ty.weight[i] !== 0 && rowSlot[r] === -1) rowSlot[r] = nRows++;
  }
  const tmp = scratch(Math.max(1, nRows) * rowLen);
  const xi = tx.index;
  const xw = tx.weight;
  const T = tx.taps;
  for (let r = 0; r < bh; r++) {
    const slot = rowSlot[r]!;
    if (slot < 0) continue;
    const s0 = (by + r) * stride + bx * c;
    const d0 = slot * rowLen;
    if (c === 3 && T === 2) {
      for (let o = 0; o < outW; o++) {
        const a = s0 + xi[2 * o]! * 3;
        const b = s0 + xi[2 * o + 1]! * 3;
        const wa = xw[2 * o]!;
        const wb = xw[2 * o + 1]!;
        const d = d0 + o * 3;
        tmp[d] = src[a]! * wa + src[b]! * wb;
        tmp[d + 1] = src[a + 1]! * wa + src[b + 1]! * wb;
        tmp[d + 2] = src[a + 2]! * wa + src[b + 2]! * wb;
      }
    } else {
      for (let o = 0; o < outW; o++) {
        for (let k = 0; k < c; k++) {
          let acc = 0;
          for (let t = 0; t < T; t++) acc += src[s0 + xi[o * T + t]! * c + k]! * xw[o * T + t]!;
          tmp[d0 + o * c + k] = acc;
        }
      }
    }
  }
  const TY = ty.taps;
  for (let o = 0; o < outH; o++) {
    const d0 = o * rowLen;
    if (TY === 2) {
      const wa = ty.weight[2 * o]!;
      const wb = ty.weight[2 * o + 1]!;
      const ra = rowSlot[ty.index[2 * o]!]! * rowLen;
      const rb = wb === 0 ? ra : rowSlot[ty.index[2 * o + 1]!]! * rowLen;
      for (let i = 0; i < rowLen; i++) {
        const v = (tmp[ra + i]! * wa + tmp[rb + i]! * wb + 0.5) | 0;
        out[d0 + i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    } else {
      const acc = new Float32Array(rowLen);
      for (let t = 0; t < TY; t++) {
        const w = ty.weight[o * TY + t]!;
        if (w === 0) continue;
        const r = rowSlot[ty.index[o * TY + t]!]! * rowLen;
        for (let i = 0; i < rowLen; i++) acc[i] = acc[i]! + tmp[r + i]! * w;
      }
      for (let i = 0; i < rowLen; i++) {
        const v = (acc[i]! + 0.5) | 0;
        out[d0 + i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { data: out, width: outW, height: outH, channels: c };
}
