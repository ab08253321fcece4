// The addon's image kernels (native/image/*.cc) when the addon is loaded, else null: every caller
// keeps its TypeScript loop as the fallback (IMCLS_BACKEND=reference, or no addon built), and the
// tests compare the two on the same inputs.
import { loadNativeAddon } from '../backend/native/addon.js';

export interface NativeImageKernels {
  imageResize(
    src: Uint8Array, srcW: number, srcH: number, channels: number,
    bx: number, by: number, bw: number, bh: number, outW: number, outH: number,
    xIndex: Int32Array, xWeight: Float32Array, xTaps: number,
    yIndex: Int32Array, yWeight: Float32Array, yTaps: number, out: Uint8Array,
  ): void;
  /**
   * Plain JPEGs only (libjpeg-turbo, when the addon was built with it): RGB HWC pixels of the region
   * (w = 0: the whole image), or null when sharp must decode instead.
   */
  decodeJpegRegion?: (buf: Uint8Array, x: number, y: number, w: number, h: number, maxPixels: number) => Uint8Array | null;
  imageRotate(src: Uint8Array, out: Uint8Array, w: number, h: number, c: number, alpha: number, beta: number, m02: number, m12: number): void;
  imageAdjustBrightness(src: Uint8Array, out: Uint8Array, f: number): void;
  imageAdjustContrast(src: Uint8Array, out: Uint8Array, pixels: number, channels: number, f: number): void;
  imageAdjustSaturation(src: Uint8Array, out: Uint8Array, pixels: number, f: number): void;
  imageAdjustHue(src: Uint8Array, out: Uint8Array, pixels: number, shift: number): void;
  imageNormalize(src: Uint8Array, w: number, h: number, c: number, tables: Float32Array, out: Float32Array, offset: number, flip: boolean): void;
}

let cached: NativeImageKernels | null | undefined;

export function nativeImageKernels(): NativeImageKernels | null {
  if (cached !== undefined) return cached;
  const { addon } = loadNativeAddon();
  cached = addon !== null && typeof addon['imageResize'] === 'function' ? (addon as unknown as NativeImageKernels) : null;
  return cached;
}

/** Tests: force the TypeScript loops (true) or restore the default choice (false). */
export function setNativeImageKernelsDisabled(disabled: boolean): void {
  cached = disabled ? null : undefined;
}
