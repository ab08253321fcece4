// A dataset is plain data that can be handed to reader threads: either image files with labels
// (file lists, image folders) or decoded 8-bit pixels in memory (IDX, CIFAR), shared with the
// threads without copying.

export interface FileDataset {
  readonly kind: 'files';
  /** Where it came from (list file or folder), for messages. */
  readonly name: string;
  readonly paths: readonly string[];
  readonly labels: Int32Array;
  /** Class names by id when known (image folders, label files). */
  readonly classNames: readonly string[] | null;
}

export interface PixelDataset {
  readonly kind: 'pixels';
  readonly name: string;
  /** N x H x W x C uint8, preferably backed by a SharedArrayBuffer. */
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly labels: Int32Array;
  readonly classNames: readonly string[] | null;
}

export type Dataset = FileDataset | PixelDataset;

export function datasetSize(d: Dataset): number {
  return d.labels.length;
}

/** How a sample is named in messages: its path, or `<dataset>[i]`. */
export function sampleName(d: Dataset, i: number): string {
  return d.kind === 'files' ? (d.paths[i] ?? `${d.name}[${i}]`) : `${d.name}[${i}]`;
}

/** Copies bytes into a SharedArrayBuffer so reader threads can read them without a copy each. */
export function toShared(src: Uint8Array): Uint8Array {
  if (src.buffer instanceof SharedArrayBuffer) return src;
  const out = new Uint8Array(new SharedArrayBuffer(src.length));
  out.set(src);
  return out;
}

/** The largest label + 1, or 0 for an empty dataset. */
export function inferClassDim(d: Dataset): number {
  let m = -1;
  for (const y of d.labels) if (y > m) m = y;
  return m + 1;
}
