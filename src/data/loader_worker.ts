// A reader thread (Paddle's reader_thread): processes batch tasks one at a time, in arrival order,
// and hands each result back by transferring its buffers (no copy).
import { parentPort, workerData } from 'node:worker_threads';
import { processBatch, type BatchContext, type BatchResult, type BatchTask } from './batch.js';

const ctx = workerData as BatchContext;
const port = parentPort!;
let chain: Promise<void> = Promise.resolve();

port.on('message', (task: BatchTask) => {
  chain = chain.then(async () => {
    let r: BatchResult;
    try {
      r = await processBatch(task, ctx);
    } catch (e) {
      r = { batchIndex: task.batchIndex, images: new Float32Array(0), labels: new Int32Array(0), labelsB: null, lam: 1, count: 0, skipped: [], error: `reader thread failed: ${(e as Error).stack ?? String(e)}` };
    }
    const transfer: ArrayBuffer[] = [r.images.buffer as ArrayBuffer, r.labels.buffer as ArrayBuffer];
    if (r.labelsB) transfer.push(r.labelsB.buffer as ArrayBuffer);
    port.postMessage(r, transfer);
  });
});
