// Image decoding. sharp (libvips) reads JPEG, PNG, WebP, GIF (first frame), TIFF and more; BMP goes
// through our own decoder. EXIF orientation is applied, CMYK and 16-bit inputs become 8-bit sRGB,
// alpha is dropped, benign decoder warnings (e.g. extraneous bytes, common in ImageNet) are tolerated
// while errors and truncation fail, and the result has exactly the channels the model takes (gray expanded to
// RGB as cv2.IMREAD_COLOR does, or RGB reduced to luma for 1-channel models).
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Box, Image } from './image.js';
import { cropImage, toChannels } from './image.js';
import { decodePlainPng } from './png_decode.js';
import { decodeBmp, isBmp } from './bmp.js';
import { jpegInfo } from './jpeg_info.js';
import { nativeImageKernels } from './native_image.js';

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

/**
 * The addon's libjpeg-turbo path for plain 3-channel JPEGs (same pixels as sharp, tested), or null
 * when it does not apply: no addon or built without libjpeg, not a JPEG, EXIF-rotated (sharp
 * applies the rotation), ICC profile, not YCbCr, a decoder warning, over the pixel limit.
 */
function decodeJpegDirect(buf: Uint8Array, opts: DecodeOptions, maxPixels: number): Image | null {
  if (opts.channels !== 3 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  const native = nativeImageKernels();
  if (native === null || native.decodeJpegRegion === undefined) return null;
  let r = opts.region;
  if (r === undefined) {
    const info = jpegInfo(buf);
    if (info === null || info.orientation !== 1) return null;
    r = { x: 0, y: 0, w: info.width, h: info.height };
  }
  const data = native.decodeJpegRegion(buf, r.x, r.y, r.w, r.h, maxPixels);
  return data === null ? null : { data, width: r.w, height: r.h, channels: 3 };
}

export async function decodeImage(buf: Uint8Array, opts: DecodeOptions): Promise<Image> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (buf.length === 0) throw new Error('empty file (0 bytes)');
  if (opts.channels !== 1 && opts.channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${opts.channels}`);
  if (isBmp(buf)) return toChannels(decodeBmp(buf, maxPixels), opts.channels);
  const direct = decodeJpegDirect(buf, opts, maxPixels);
  if (direct !== null) return direct;
  const png = decodePlainPng(buf, maxPixels);
  // A colour PNG for a gray model goes to sharp: its luma formula is libvips', not toChannels'.
  if (png !== null && !(opts.channels === 1 && png.channels === 3)) {
    const img = opts.region === undefined ? png : cropImage(png, opts.region);
    return toChannels(img, opts.channels);
  }
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
