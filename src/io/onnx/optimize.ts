// Graph clean-ups after tracing: drop nodes the output does not depend on, and fold an
// inference BatchNormalization into the Conv that alone feeds it (W' = W*s, b' = b*s + t with
// s = gamma/sqrt(var+eps), t = beta - mean*s, computed in float64 and rounded once).
import type { OnnxGraph, OnnxInitializer, OnnxNode } from './graph.js';

export function removeDeadNodes(g: OnnxGraph): void {
  const producer = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const live = new Set<OnnxNode>();
  const stack = g.outputs.map((o) => o.name);
  while (stack.length > 0) {
    const name = stack.pop()!;
    const n = producer.get(name);
    if (n === undefined || live.has(n)) continue;
    live.add(n);
    stack.push(...n.inputs);
  }
  g.nodes = g.nodes.filter((n) => live.has(n));
  const used = new Set<string>();
  for (const n of g.nodes) for (const i of n.inputs) used.add(i);
  for (const name of [...g.initializers.keys()]) if (!used.has(name)) g.initializers.delete(name);
}

type FloatInit = OnnxInitializer & { data: Float32Array };

function floatInit(g: OnnxGraph, name: string): FloatInit | null {
  const t = g.initializers.get(name);
  return t !== undefined && t.data instanceof Float32Array ? (t as FloatInit) : null;
}

/** Folds every BatchNormalization whose input is a Conv output used nowhere else; returns how many. */
export function foldBatchNorms(g: OnnxGraph): number {
  const producer = new Map<string, OnnxNode>();
  const uses = new Map<string, number>();
  for (const n of g.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  for (const o of g.outputs) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const wUses = uses;
  const removed = new Set<OnnxNode>();
  let folded = 0;
  for (const bn of g.nodes) {
    if (bn.opType !== 'BatchNormalization') continue;
    const conv = producer.get(bn.inputs[0]!);
    if (conv === undefined || conv.opType !== 'Conv' || uses.get(bn.inputs[0]!) !== 1) continue;
    const w = floatInit(g, conv.inputs[1]!);
    if (w === null || wUses.get(w.name) !== 1) continue; // a shared weight cannot be rescaled
    const [gamma, beta, mean, variance] = bn.inputs.slice(1).map((n) => floatInit(g, n));
    if (!gamma || !beta || !mean || !variance) continue;
    const bias = conv.inputs[2] !== undefined ? floatInit(g, conv.inputs[2]) : null;
    if (conv.inputs[2] !== undefined && bias === null) continue;
    const eps = bn.attrs['epsilon']?.kind === 'float' ? bn.attrs['epsilon'].value : 1e-5;
    const k = w.dims[0]!;
    const per = w.data.length / k;
    const wData = w.data as Float32Array;
    const newW = new Float32Array(wData.length);
    const newB = new Float32Array(k);
    for (let c = 0; c < k; c++) {
      const s = gamma.data[c]! / Math.sqrt(variance.data[c]! + eps);
      const t = beta.data[c]! - mean.data[c]! * s;
      for (let i = 0; i < per; i++) newW[c * per + i] = wData[c * per + i]! * s;
      newB[c] = (bias ? bias.data[c]! : 0) * s + t;
    }
    g.initializers.set(w.name, { name: w.name, dims: w.dims, data: newW });
    const biasName = `${beta.name}@folded`;
    g.initializers.set(biasName, { name: biasName, dims: [k], data: newB });
    conv.inputs = [conv.inputs[0]!, w.name, biasName];
    conv.outputs = [bn.outputs[0]!];
    removed.add(bn);
    folded++;
  }
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  removeDeadNodes(g);
  return folded;
}
