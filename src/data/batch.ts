// One batch of work for a reader thread: decode, augment and normalise each sample into one
// float32 NCHW buffer, then mix the batch (mixup/CutMix) if asked. Runs the same in a worker and
// on the main thread (reader_thread=0). A sample's random draws come from Rng(seed, epoch, its
// position in the epoch), so the output does not depend on which thread did the work.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';
import { decodeImage } from './decode.js';
import { toChannels, type Image } from './image.js';
import { Rng, STREAM_BATCH, STREAM_SAMPLE } from './rng.js';
import { mixBatch, type MixSpec } from './targets.js';
import { normalizeTables, trainCropBox, transformInto, type TransformConfig } from './transforms.js';
import { jpegInfo } from './jpeg_info.js';

export type OnBadImage = 'error' | 'skip';

export interface PixelSource {
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** What a reader thread is given once. */
export interface BatchContext {
  transform: TransformConfig;
  seed: number;
  onBadImage: OnBadImage;
  mix: MixSpec | null;
  maxPixels: number;
  /** In-memory datasets; file datasets send paths with each task instead. */
  pixels: PixelSource | null;
  /**
   * Shared cell [0] = the loader's current epoch generation. A task of an older generation (its
   * epoch was abandoned by a break or an error) is dropped instead of processed.
   */
  generation: Int32Array | null;
}

export interface BatchTask {
  epoch: number;
  batchIndex: number;
  /** Positions of the samples in the epoch's order (keys of their random streams). */
  firstPosition: number;
  /** Dataset indices. */
  indices: Int32Array;
  labels: Int32Array;
  /** File datasets: the files to read. */
  paths: string[] | null;
  /** The epoch generation this task belongs to (see BatchContext.generation). */
  generation: number;
}

export interface BatchResult {
  batchIndex: number;
  images: Float32Array;
  labels: Int32Array;
  labelsB: Int32Array | null;
  lam: number;
  count: number;
  /** `name: reason` of each sample skipped (on_bad_image=skip). */
  skipped: string[];
  /** Set when a sample failed and on_bad_image=error. */
  error: string | null;
}

interface Loaded {
  img: Image;
  rng: Rng;
  /** img is already the training crop (drawn from rng). */
  precropped: boolean;
}

async function loadSample(task: BatchTask, k: number, ctx: BatchContext): Promise<Loaded> {
  const cfg = ctx.transform;
  const channels = cfg.channels;
  const rng = new Rng(ctx.seed, STREAM_SAMPLE, task.epoch, task.firstPosition + k);
  if (ctx.pixels !== null) {
    const p = ctx.pixels;
    const sz = p.width * p.height * p.channels;
    const i = task.indices[k]!;
    const img: Image = { data: p.pixels.subarray(i * sz, (i + 1) * sz), width: p.width, height: p.height, channels: p.channels };
    return { img: toChannels(img, channels), rng, precropped: false };
  }
  const path = task.paths![k]!;
  let buf: Buffer;
  try {
    // A reader thread blocks on its own reads: fs.promises.readFile costs four thread-pool round
    // trips per file, which was most of the time per image for small images. The main thread
    // (reader_thread=0) keeps the asynchronous read.
    buf = isMainThread ? await readFile(path) : readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? String(e)})`);
  }
  if (cfg.mode === 'train' && !cfg.rotate) {
    // JPEG training samples: draw the crop from the header's size and decode only that region.
    const info = jpegInfo(buf);
    if (info !== null && info.orientation === 1 && info.width * info.height <= ctx.maxPixels) {
      const box = trainCropBox(info.height, info.width, cfg, rng);
      const img = await decodeImage(buf, { channels, maxPixels: ctx.maxPixels, region: box });
      if (img.width !== box.w || img.height !== box.h) throw new Error(`decoded region ${img.width}x${img.height}, expected ${box.w}x${box.h}`);
      return { img, rng, precropped: true };
    }
  }
  return { img: await decodeImage(buf, { channels, maxPixels: ctx.maxPixels }), rng, precropped: false };
}

function sampleLabel(task: BatchTask, k: number): string {
  return task.paths?.[k] ?? `sample ${task.indices[k]}`;
}

function cancelled(task: BatchTask, ctx: BatchContext): boolean {
  return ctx.generation !== null && Atomics.load(ctx.generation, 0) !== task.generation;
}

export async function processBatch(task: BatchTask, ctx: BatchContext): Promise<BatchResult> {
  const cfg = ctx.transform;
  if (cancelled(task, ctx)) {
    return { batchIndex: task.batchIndex, images: new Float32Array(0), labels: new Int32Array(0), labelsB: null, lam: 1, count: 0, skipped: [], error: null };
  }
  const n = task.indices.length;
  const sz = cfg.channels * cfg.size * cfg.size;
  const images = new Float32Array(n * sz);
  const labels = new Int32Array(n);
  const tables = normalizeTables(cfg.mean, cfg.std);
  const skipped: string[] = [];
  let count = 0;
  // Decode the next sample (libuv thread) while this thread augments the current one.
  const start = (k: number): Promise<Loaded> => {
    const p = loadSample(task, k, ctx);
    p.catch(() => undefined);
    return p;
  };
  let pending: Promise<Loaded> | null = n > 0 ? start(0) : null;
  for (let k = 0; k < n; k++) {
    const cur = pending!;
    pending = k + 1 < n ? start(k + 1) : null;
    try {
      const { img, rng, precropped } = await cur;
      transformInto(img, cfg, rng, tables, images, count * sz, precropped);
    } catch (e) {
      const msg = `${sampleLabel(task, k)}: cannot load image: ${(e as Error).message}`;
      if (ctx.onBadImage === 'error') {
        if (pending !== null) await pending.catch(() => undefined);
        return { batchIndex: task.batchIndex, images: new Float32Array(0), labels: new Int32Array(0), labelsB: null, lam: 1, count: 0, skipped, error: msg };
      }
      skipped.push(msg);
      continue;
    }
    labels[count] = task.labels[k]!;
    count++;
  }
  let outImages = count === n ? images : images.slice(0, count * sz);
  const outLabels = count === n ? labels : labels.slice(0, count);
  let labelsB: Int32Array | null = null;
  let lam = 1;
  if (ctx.mix !== null && count > 0) {
    const rng = new Rng(ctx.seed, STREAM_BATCH, task.epoch, task.batchIndex);
    const m = mixBatch(outImages, outLabels, [cfg.channels, cfg.size, cfg.size], ctx.mix, rng);
    outImages = m.images;
    labelsB = m.labelsB;
    lam = m.lam;
  }
  return { batchIndex: task.batchIndex, images: outImages, labels: outLabels, labelsB, lam, count, skipped, error: null };
}
