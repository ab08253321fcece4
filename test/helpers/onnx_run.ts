// Runs an exported ONNX model with onnxruntime-node and compares it with our forward pass.
import * as ort from 'onnxruntime-node';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AnyModule } from '../../src/nn/index.js';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { Tensor } from '../../src/tensor/tensor.js';

export async function runOrt(model: Uint8Array | string, x: Float32Array, shape: readonly number[], threads = 1): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'basic' };
  const sess = typeof model === 'string' ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(model, opts);
  try {
    const r = await sess.run({ image: new ort.Tensor('float32', x, [...shape]) });
    const out = r['logits']!;
    return { data: out.data as Float32Array, dims: out.dims };
  } finally {
    await sess.release();
  }
}

/** A deterministic input different from the traced one. */
export function testInput(shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.cos(0.017 * i) * 1.2);
}

export function oursForward(model: AnyModule, x: Float32Array, shape: readonly number[]): Float32Array {
  model.eval();
  return noGrad(() => (model.forward(new Tensor(Float32Array.from(x), [...shape])) as Tensor).values);
}

/** max |a - b| / max |a| */
export function relToMax(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < ours.length; i++) {
    d = Math.max(d, Math.abs(ours[i]! - theirs[i]!));
    m = Math.max(m, Math.abs(ours[i]!));
  }
  return m === 0 ? d : d / m;
}

let gcFn: (() => void) | undefined;
/**
 * A full garbage collection now, so gigabytes of dropped weights are gone before onnxruntime loads its own
 * copy (the test runner starts node without --expose-gc; the flag set at run time exposes gc to a new context).
 */
export function collectGarbage(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}
