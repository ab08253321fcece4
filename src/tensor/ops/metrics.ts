// Non-differentiable index results: argmax, top-k along the last axis, and top-k accuracy.
import { getBackend } from '../../backend/index.js';
import { allocF32, releaseF32 } from '../buffer_pool.js';
import { Tensor } from '../tensor.js';
import { assertFloat, emptyLike, normAxis, splitAround } from './util.js';

/** Index of the maximum along axis (first one on ties), as an int32 tensor without that axis. */
export function argmax(x: Tensor, axis = -1): Tensor {
  assertFloat(x, 'argmax');
  const ax = normAxis(axis, x.ndim);
  const { outer, axis: len, inner } = splitAround(x.shape, ax);
  const scratch = allocF32(outer * inner);
  const idx = new Int32Array(outer * inner);
  getBackend().reduceAxis('max', outer, len, inner, x.values, scratch, idx);
  releaseF32(scratch);
  return new Tensor(idx, x.shape.filter((_, i) => i !== ax));
}

/** The k largest values along the last axis, largest first (ties: lower index first), and their indices. */
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  assertFloat(x, 'topk');
  if (x.ndim === 0) throw new RangeError('topk: scalar input');
  const cols = x.shape[x.ndim - 1]!;
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new RangeError(`topk: k = ${k} is outside [1, ${cols}]`);
  const rows = x.size / cols;
  const shape = [...x.shape.slice(0, -1), k];
  const values = emptyLike(shape);
  const indices = new Int32Array(rows * k);
  getBackend().topk(rows, cols, x.values, k, values.values, indices);
  return { values, indices: new Tensor(indices, shape) };
}

/** Fraction of rows of logits [N, K] whose label is among the k highest scores. */
export function accuracy(logits: Tensor, labels: Tensor, k = 1): number {
  if (logits.ndim !== 2) throw new RangeError('accuracy: logits must be [N, K]');
  const rows = logits.shape[0]!;
  if (labels.size !== rows) throw new RangeError(`accuracy: ${labels.size} labels for ${rows} rows`);
  if (rows === 0) return 0;
  const { values, indices } = topk(logits, Math.min(k, logits.shape[1]!));
  values.free();
  const idx = indices.indices;
  const lab = labels.dtype === 'int32' ? labels.indices : Int32Array.from(labels.values);
  const kk = idx.length / rows;
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < kk; j++) {
      if (idx[r * kk + j] === lab[r]) {
        hits++;
        break;
      }
    }
  }
  return hits / rows;
}
