// The data loader: a pool of reader threads (Paddle's reader_thread) decoding and augmenting whole
// batches in parallel, a bounded prefetch window (reader_buf_size samples), batches yielded in
// order as float32 NCHW + int32 label tensors whose buffers were transferred, not copied.
//
//   const loader = new DataLoader({ dataset, transform, batchSize: 64, shuffle: true, dropLast: true, seed: 0, workers: 2 });
//   for await (const batch of loader.epoch(e)) { ... }
//   await loader.close();
//
// Order and augmentations depend only on (seed, epoch): a shuffle by Rng(seed, epoch), and per-sample
// draws keyed by position. Breaking out of an epoch or an error leaves nothing running that keeps
// the process alive; close() ends the threads.
import { Worker } from 'node:worker_threads';
import { Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { processBatch, type BatchContext, type BatchResult, type BatchTask, type OnBadImage } from './batch.js';
import { datasetSize, type Dataset } from './dataset.js';
import { DEFAULT_MAX_PIXELS } from './decode.js';
import { Rng, STREAM_SHUFFLE } from './rng.js';
import type { MixSpec } from './targets.js';
import type { TransformConfig } from './transforms.js';

export interface LoaderOptions {
  dataset: Dataset;
  transform: TransformConfig;
  batchSize: number;
  /** Reshuffle every epoch (training). */
  shuffle?: boolean;
  /** Drop a partial last batch (training); evaluation keeps the full list. */
  dropLast?: boolean;
  seed?: number;
  /** reader_thread: worker threads; 0 processes on the calling thread. */
  workers?: number;
  /** reader_buf_size: samples prepared ahead (at least one batch per worker). */
  bufferSize?: number;
  onBadImage?: OnBadImage;
  mix?: MixSpec | null;
  maxPixels?: number;
}

export interface Batch {
  /** Index of the batch in its epoch. */
  index: number;
  images: Tensor;
  labels: Tensor;
  /** Mixup/CutMix partner labels, else null. */
  labelsB: Tensor | null;
  /** Mixing weight of `labels` (1 without mixing). */
  lam: number;
  /** Samples of this batch skipped as bad images. */
  skipped: number;
}

interface Pending {
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
}

class ReaderThread {
  readonly worker: Worker;
  readonly queue: Pending[] = [];
  dead: Error | null = null;

  constructor(ctx: BatchContext) {
    this.worker = new Worker(new URL('./loader_worker.js', import.meta.url), { workerData: ctx });
    this.worker.unref();
    this.worker.on('message', (r: BatchResult) => {
      const p = this.queue.shift();
      if (this.queue.length === 0) this.worker.unref();
      p?.resolve(r);
    });
    const fail = (e: Error): void => {
      this.dead ??= e;
      for (const p of this.queue.splice(0)) p.reject(e);
      this.worker.unref();
    };
    this.worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    this.worker.on('exit', (code) => fail(new Error(`reader thread exited (code ${code})`)));
  }

  /** Tasks sent and not yet answered. */
  readonly inflight = new Set<Promise<BatchResult>>();

  run(task: BatchTask): Promise<BatchResult> {
    if (this.dead) return Promise.reject(this.dead);
    const p = new Promise<BatchResult>((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.worker.ref();
      const transfer = [task.indices.buffer as ArrayBuffer, task.labels.buffer as ArrayBuffer];
      this.worker.postMessage(task, transfer);
    });
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }
}

export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  readonly workers: number;
  readonly bufferSize: number;
  private readonly ctx: BatchContext;
  private threads: ReaderThread[] = [];
  private closed = false;
  /** Bad images skipped so far (on_bad_image=skip), with the first few reasons. */
  readonly skipped = { count: 0, examples: [] as string[] };

  constructor(opts: LoaderOptions) {
    this.dataset = opts.dataset;
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.seed = opts.seed ?? 0;
    this.workers = opts.workers ?? 0;
    this.bufferSize = opts.bufferSize ?? 2048;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new UserError(`batch size must be a positive integer, got ${this.batchSize}`);
    if (!Number.isInteger(this.workers) || this.workers < 0) throw new UserError(`--reader_thread must be a non-negative integer, got ${this.workers}`);
    const n = datasetSize(this.dataset);
    if (n === 0) throw new UserError(`${this.dataset.name}: the dataset is empty`);
    if (this.dropLast && n < this.batchSize) throw new UserError(`${this.dataset.name}: ${n} samples is fewer than the batch size ${this.batchSize}`);
    const d = this.dataset;
    this.ctx = {
      transform: opts.transform,
      seed: this.seed,
      onBadImage: opts.onBadImage ?? 'error',
      mix: opts.mix ?? null,
      maxPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS,
      pixels: d.kind === 'pixels' ? { pixels: d.pixels, width: d.width, height: d.height, channels: d.channels } : null,
      generation: new Int32Array(new SharedArrayBuffer(4)),
    };
  }

  get size(): number {
    return datasetSize(this.dataset);
  }

  get numBatches(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  /** The dataset indices of an epoch, in the order they are served. */
  order(epoch: number): Int32Array {
    if (this.shuffle) return new Rng(this.seed, STREAM_SHUFFLE, epoch).permutation(this.size);
    const o = new Int32Array(this.size);
    for (let i = 0; i < o.length; i++) o[i] = i;
    return o;
  }

  private task(epoch: number, order: Int32Array, b: number): BatchTask {
    const start = b * this.batchSize;
    const indices = order.slice(start, Math.min(start + this.batchSize, order.length));
    const labels = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) labels[k] = this.dataset.labels[indices[k]!]!;
    const d = this.dataset;
    const paths = d.kind === 'files' ? Array.from(indices, (i) => d.paths[i]!) : null;
    return { epoch, batchIndex: b, firstPosition: start, indices, labels, paths, generation: Atomics.load(this.ctx.generation!, 0) };
  }

  private dispatch(task: BatchTask): Promise<BatchResult> {
    if (this.workers === 0) return processBatch(task, this.ctx);
    if (this.threads.length === 0) for (let i = 0; i < this.workers; i++) this.threads.push(new ReaderThread(this.ctx));
    // Replace threads that died (their pending tasks were already rejected).
    this.threads = this.threads.map((t) => (t.dead ? (void t.worker.terminate(), new ReaderThread(this.ctx)) : t));
    let best = this.threads[0]!;
    for (const t of this.threads) if (t.queue.length < best.queue.length) best = t;
    return best.run(task);
  }

  /** Batches of one epoch, in order. */
  async *epoch(epoch: number): AsyncGenerator<Batch, void, undefined> {
    if (this.closed) throw new Error('DataLoader is closed');
    // A new generation: tasks still queued from an abandoned epoch are dropped by the threads.
    Atomics.add(this.ctx.generation!, 0, 1);
    const order = this.order(epoch);
    const nb = this.numBatches;
    const ahead = Math.max(1, this.workers, Math.floor(this.bufferSize / this.batchSize));
    const inflight = new Map<number, Promise<BatchResult>>();
    const cfg = this.ctx.transform;
    let next = 0;
    try {
      for (let want = 0; want < nb; want++) {
        while (next < nb && next - want < ahead) {
          const p = this.dispatch(this.task(epoch, order, next));
          p.catch(() => undefined);
          inflight.set(next, p);
          next++;
        }
        const r = await inflight.get(want)!;
        inflight.delete(want);
        if (r.error !== null) throw new UserError(r.error);
        if (r.skipped.length > 0) {
          this.skipped.count += r.skipped.length;
          for (const s of r.skipped) if (this.skipped.examples.length < 20) this.skipped.examples.push(s);
        }
        if (r.count === 0) continue;
        yield {
          index: r.batchIndex,
          images: new Tensor(r.images, [r.count, cfg.channels, cfg.size, cfg.size]),
          labels: new Tensor(r.labels, [r.count]),
          labelsB: r.labelsB ? new Tensor(r.labelsB, [r.count]) : null,
          lam: r.lam,
          skipped: r.skipped.length,
        };
      }
    } finally {
      // Tasks not yet started are skipped by the threads; results still in flight are dropped when
      // they arrive; idle threads do not keep the process alive.
      if (inflight.size > 0) Atomics.add(this.ctx.generation!, 0, 1);
      inflight.clear();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // Queued tasks are dropped, so only the batch each thread is working on is waited for.
    Atomics.add(this.ctx.generation!, 0, 1);
    const threads = this.threads;
    this.threads = [];
    // Let the batches a thread is decoding finish first: terminating a worker inside a sharp
    // (libvips) call never completes. ref() so the wait keeps the event loop alive.
    await Promise.all(threads.map(async (t) => {
      t.worker.ref();
      await Promise.allSettled([...t.inflight]);
      await t.worker.terminate();
    }));
  }
}
