// A direct decoder for plain PNGs (8-bit gray, gray+alpha, RGB, RGBA; not interlaced): for the
// small images of MNIST-like datasets the set-up of a libvips pipeline (about 0.7 ms) costs a
// hundred times the decoding, and the reader's time per 28x28 image was almost all of it.
// Anything else — palette, 16-bit, interlaced, transparency or colour-profile chunks, unknown
// chunks, a bad CRC or zlib stream — returns null and sharp decodes the file as before, so damaged
// files get sharp's verdict and the pixels this returns are always those sharp returns (tested).
import * as zlib from 'node:zlib';
import type { Image } from './image.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(buf: Uint8Array): boolean {
  if (buf.length < 8) return false;
  for (let i = 0; i < 8; i++) if (buf[i] !== SIGNATURE[i]) return false;
  return true;
}

// Ancillary chunks that do not change the pixels sharp returns (text, time, resolution, and the
// sRGB intent, which names the colour space the pixels already are in).
const HARMLESS = new Set(['tEXt', 'zTXt', 'iTXt', 'tIME', 'pHYs', 'sRGB']);

const crc32: ((data: Uint8Array) => number) | undefined = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** The image with its alpha channel dropped (as sharp's removeAlpha), or null: let sharp decode. */
export function decodePlainPng(buf: Uint8Array, maxPixels: number): Image | null {
  if (!isPng(buf) || crc32 === undefined) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (p + 12 <= buf.length) {
    const len = dv.getUint32(p);
    if (p + 12 + len > buf.length) return null;
    const type = String.fromCharCode(buf[p + 4]!, buf[p + 5]!, buf[p + 6]!, buf[p + 7]!);
    if (crc32(buf.subarray(p + 4, p + 8 + len)) !== dv.getUint32(p + 8 + len)) return null;
    const data = buf.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      if (p !== 8 || len !== 13) return null;
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      const [depth, colorType, compression, filter, interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || compression !== 0 || filter !== 0 || interlace !== 0) return null;
      channels = colorType === 0 ? 1 : colorType === 4 ? 2 : colorType === 2 ? 3 : colorType === 6 ? 4 : 0;
      if (channels === 0 || width === 0 || height === 0 || width * height > maxPixels) return null;
    } else if (type === 'IDAT') {
      if (channels === 0) return null;
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
      break;
    } else if (!HARMLESS.has(type)) {
      return null;
    }
    p += 12 + len;
  }
  if (!ended || channels === 0 || idat.length === 0) return null;
  const stride = width * channels;
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat), { maxOutputLength: (stride + 1) * height + 1 });
  } catch {
    return null;
  }
  if (raw.length !== (stride + 1) * height) return null;
  const px = new Uint8Array(stride * height);
  const bpp = channels;
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const s = y * (stride + 1) + 1;
    const d = y * stride;
    const up = d - stride;
    switch (f) {
      case 0:
        px.set(raw.subarray(s, s + stride), d);
        break;
      case 1:
        for (let i = 0; i < stride; i++) px[d + i] = raw[s + i]! + (i >= bpp ? px[d + i - bpp]! : 0);
        break;
      case 2:
        for (let i = 0; i < stride; i++) px[d + i] = raw[s + i]! + (y > 0 ? px[up + i]! : 0);
        break;
      case 3:
        for (let i = 0; i < stride; i++) px[d + i] = raw[s + i]! + (((i >= bpp ? px[d + i - bpp]! : 0) + (y > 0 ? px[up + i]! : 0)) >> 1);
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? px[d + i - bpp]! : 0;
          const b = y > 0 ? px[up + i]! : 0;
          const c = i >= bpp && y > 0 ? px[up + i - bpp]! : 0;
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          px[d + i] = raw[s + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        return null;
    }
  }
  if (channels === 1 || channels === 3) return { data: px, width, height, channels };
  // Drop alpha.
  const keep = channels - 1;
  const n = width * height;
  const out = new Uint8Array(n * keep);
  for (let i = 0; i < n; i++) for (let k = 0; k < keep; k++) out[i * keep + k] = px[i * channels + k]!;
  return { data: out, width, height, channels: keep };
}
