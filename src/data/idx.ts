// IDX files (MNIST, Fashion-MNIST), gzipped or not: magic 0x00 0x00 <type> <ndims>, big-endian
// uint32 dims, then the data. Only unsigned-byte data (type 0x08) is used by these datasets.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../util/errors.js';
import { toShared, type PixelDataset } from './dataset.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function readMaybeGzip(path: string): Uint8Array {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return gunzipSync(buf);
    } catch (e) {
      throw new UserError(`${path}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  return buf;
}

export function parseIdx(buf: Uint8Array, name: string): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new UserError(`${name}: not an IDX file (bad magic)`);
  if (buf[2] !== 0x08) throw new UserError(`${name}: IDX data type 0x${buf[2]!.toString(16)} is not unsigned byte`);
  const nd = buf[3]!;
  if (buf.length < 4 + 4 * nd) throw new UserError(`${name}: truncated IDX header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let n = 1;
  for (let i = 0; i < nd; i++) {
    const d = dv.getUint32(4 + 4 * i);
    dims.push(d);
    n *= d;
  }
  const start = 4 + 4 * nd;
  if (buf.length < start + n) throw new UserError(`${name}: truncated IDX data (${buf.length - start} of ${n} bytes)`);
  return { dims, data: buf.subarray(start, start + n) };
}

export function readIdx(path: string): IdxArray {
  return parseIdx(readMaybeGzip(path), path);
}

/** An images file (N x H x W) and a labels file (N) as a 1-channel pixel dataset. */
export function readIdxDataset(imagesPath: string, labelsPath: string, classNames: readonly string[] | null = null): PixelDataset {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.dims.length !== 3) throw new UserError(`${imagesPath}: expected a 3-D IDX images file, got ${images.dims.length}-D`);
  if (labels.dims.length !== 1) throw new UserError(`${labelsPath}: expected a 1-D IDX labels file, got ${labels.dims.length}-D`);
  if (labels.dims[0] !== images.dims[0]) throw new UserError(`${labelsPath}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${imagesPath}`);
  return {
    kind: 'pixels',
    name: imagesPath,
    pixels: toShared(images.data),
    width: images.dims[2]!,
    height: images.dims[1]!,
    channels: 1,
    labels: Int32Array.from(labels.data),
    classNames,
  };
}
