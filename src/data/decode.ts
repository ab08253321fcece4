// Image decoding. sharp (libvips) reads JPEG, PNG, WebP, GIF (first frame), TIFF and more; BMP goes
// through our own decoder. EXIF orientation is applied, CMYK and 16-bit inputs become 8-bit sRGB,
// alpha is dropped, benign decoder warnings (e.g. extraneous bytes, common in ImageNet) are tolerated
// while errors and truncation fail, and the result has exactly the channels the model takes (gray expanded to
// RGB as cv2.IMREAD_COLOR does, or RGB reduced to luma for 1-channel models).
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Box, Image } from './image.js';
import { toChannels } from './image.js';
import { decodeBmp, isBmp } from './bmp.js';

/** Default pixel limit against decompression bombs (about 16k x 16k). */
export const DEFAULT_MAX_PIXELS = 268_402_689;

export interface DecodeOptions {
  /** 1 (gray) or 3 (RGB). */
  channels: number;
  maxPixels?: number;
  /**
   * Decode only this region (of the stored, un-rotated image). Used for JPEGs without an EXIF
   * rotation: the pixels are those of a full decode, cropped.
   */
  region?: Box;
}

let configured = false;
function configureSharp(): void {
  if (configured) return;
  configured = true;
  // Reader threads already run in parallel; libvips' own threads and cache would only compete.
  sharp.cache(false);
  sharp.concurrency(1);
}

export async function decodeImage(buf: Uint8Array, opts: DecodeOptions): Promise<Image> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (buf.length === 0) throw new Error('empty file (0 bytes)');
  if (opts.channels !== 1 && opts.channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${opts.channels}`);
  if (isBmp(buf)) return toChannels(decodeBmp(buf, maxPixels), opts.channels);
  configureSharp();
  let s = sharp(buf, { limitInputPixels: maxPixels, failOn: 'error', pages: 1, page: 0, sequentialRead: true });
  s = opts.region !== undefined ? s.extract({ left: opts.region.x, top: opts.region.y, width: opts.region.w, height: opts.region.h }) : s.rotate();
  s = s
    .removeAlpha()
    .toColourspace(opts.channels === 3 ? 'srgb' : 'b-w');
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  const img: Image = {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels: info.channels,
  };
  return toChannels(img, opts.channels);
}

export async function decodeFile(path: string, opts: DecodeOptions): Promise<Image> {
  return decodeImage(await readFile(path), opts);
}
