// A small BMP decoder: sharp (libvips) does not read BMP. Handles the BITMAPINFOHEADER family
// (40/52/56/108/124-byte headers), 1/4/8-bit palettes, 16/24/32-bit BI_RGB and BI_BITFIELDS,
// bottom-up and top-down rows. RLE-compressed BMPs are rejected with a clear message.
import type { Image } from './image.js';

export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

function maskShift(mask: number): { shift: number; bits: number } {
  if (mask === 0) return { shift: 0, bits: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits++;
  return { shift, bits };
}

export function decodeBmp(buf: Uint8Array, maxPixels = Infinity): Image {
  if (!isBmp(buf) || buf.length < 26) throw new Error('not a BMP file');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (n: number): void => {
    if (n > buf.length) throw new Error('truncated BMP file');
  };
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  need(14 + Math.max(headerSize, 12));
  let width: number;
  let height: number;
  let bpp: number;
  let compression = 0;
  let colorsUsed = 0;
  if (headerSize === 12) {
    width = dv.getUint16(18, true);
    height = dv.getInt16(20, true);
    bpp = dv.getUint16(24, true);
  } else if (headerSize >= 40) {
    width = dv.getInt32(18, true);
    height = dv.getInt32(22, true);
    bpp = dv.getUint16(28, true);
    compression = dv.getUint32(30, true);
    colorsUsed = dv.getUint32(46, true);
  } else {
    throw new Error(`unsupported BMP header size ${headerSize}`);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height <= 0) throw new Error(`BMP has an empty size ${width}x${height}`);
  if (width * height > maxPixels) throw new Error(`BMP of ${width}x${height} pixels exceeds the pixel limit (${maxPixels})`);
  if (compression !== 0 && compression !== 3 && compression !== 6) throw new Error(`compressed BMP (compression ${compression}) is not supported`);
  let masks: [number, number, number, number] = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
  if (compression === 3 || compression === 6) {
    const at = headerSize >= 52 ? 54 : 14 + headerSize;
    need(at + 12);
    masks = [dv.getUint32(at, true), dv.getUint32(at + 4, true), dv.getUint32(at + 8, true), 0];
  }
  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const n = colorsUsed || 1 << bpp;
    const entry = headerSize === 12 ? 3 : 4;
    const at = 14 + headerSize;
    need(at + n * entry);
    palette = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      palette[3 * i] = buf[at + i * entry + 2]!;
      palette[3 * i + 1] = buf[at + i * entry + 1]!;
      palette[3 * i + 2] = buf[at + i * entry]!;
    }
  } else if (bpp !== 16 && bpp !== 24 && bpp !== 32) {
    throw new Error(`unsupported BMP bit depth ${bpp}`);
  }
  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  need(dataOffset + stride * (height - 1) + Math.ceil((width * bpp) / 8));
  const out = new Uint8Array(width * height * 3);
  const ch = masks.map(maskShift);
  const scale = (v: number, bits: number): number => (bits === 0 ? 0 : bits >= 8 ? v >>> (bits - 8) : Math.round((v * 255) / ((1 << bits) - 1)));
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    const o = y * width * 3;
    for (let x = 0; x < width; x++) {
      let r: number, g: number, b: number;
      if (palette !== null) {
        const bit = x * bpp;
        const byte = buf[row + (bit >> 3)]!;
        const idx = bpp === 8 ? byte : (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (3 * idx + 2 >= palette.length) throw new Error(`BMP palette index ${idx} out of range`);
        r = palette[3 * idx]!;
        g = palette[3 * idx + 1]!;
        b = palette[3 * idx + 2]!;
      } else if (bpp === 24 && compression === 0) {
        const p = row + 3 * x;
        b = buf[p]!;
        g = buf[p + 1]!;
        r = buf[p + 2]!;
      } else {
        const v = bpp === 16 ? dv.getUint16(row + 2 * x, true) : bpp === 32 ? dv.getUint32(row + 4 * x, true) : (buf[row + 3 * x]! | (buf[row + 3 * x + 1]! << 8) | (buf[row + 3 * x + 2]! << 16)) >>> 0;
        r = scale((v & masks[0]) >>> ch[0]!.shift, ch[0]!.bits);
        g = scale((v & masks[1]) >>> ch[1]!.shift, ch[1]!.bits);
        b = scale((v & masks[2]) >>> ch[2]!.shift, ch[2]!.bits);
      }
      out[o + 3 * x] = r;
      out[o + 3 * x + 1] = g;
      out[o + 3 * x + 2] = b;
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** Writes a 24-bit bottom-up BMP (for tests and tools). */
export function encodeBmp24(img: Image): Uint8Array {
  const { width, height } = img;
  const stride = Math.floor((width * 24 + 31) / 32) * 4;
  const size = 54 + stride * height;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  dv.setUint32(2, size, true);
  dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, width, true);
  dv.setInt32(22, height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, 24, true);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * img.channels;
      const r = img.data[s]!;
      const g = img.channels >= 3 ? img.data[s + 1]! : r;
      const b = img.channels >= 3 ? img.data[s + 2]! : r;
      out[row + 3 * x] = b;
      out[row + 3 * x + 1] = g;
      out[row + 3 * x + 2] = r;
    }
  }
  return out;
}
