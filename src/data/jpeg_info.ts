// Reads a JPEG's size and EXIF orientation from its header without decoding it, so a training
// crop can be chosen first and only that region decoded (libvips then stops after its last row).
export interface JpegInfo {
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
}

function exifOrientation(buf: Uint8Array, start: number, end: number): number {
  // "Exif\0\0" then a TIFF header.
  if (end - start < 14 || buf[start] !== 0x45 || buf[start + 1] !== 0x78 || buf[start + 2] !== 0x69 || buf[start + 3] !== 0x66) return 1;
  const t = start + 6;
  const little = buf[t] === 0x49;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u16 = (o: number): number => (o + 2 <= end ? dv.getUint16(o, little) : 0);
  const u32 = (o: number): number => (o + 4 <= end ? dv.getUint32(o, little) : 0);
  const ifd = t + u32(t + 4);
  const n = u16(ifd);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + 12 * i;
    if (e + 12 > end) break;
    if (u16(e) === 0x0112) return u16(e + 8) || 1;
  }
  return 1;
}

export function jpegInfo(buf: Uint8Array): JpegInfo | null {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let orientation = 1;
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) return null;
    const marker = buf[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    const len = (buf[p + 2]! << 8) | buf[p + 3]!;
    if (len < 2 || p + 2 + len > buf.length) return null;
    if (marker === 0xe1) orientation = exifOrientation(buf, p + 4, p + 2 + len);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (len < 7) return null;
      const height = (buf[p + 5]! << 8) | buf[p + 6]!;
      const width = (buf[p + 7]! << 8) | buf[p + 8]!;
      if (width === 0 || height === 0) return null;
      // APP1 comes before SOF in practice; an orientation after it would be unusual.
      return { width, height, orientation };
    }
    if (marker === 0xda) return null;
    p += 2 + len;
  }
  return null;
}
