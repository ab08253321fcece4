// Every zoo model exports to ONNX and onnxruntime-node reproduces our logits (max abs diff / max
// abs logit < 1e-4) at a small valid resolution, with the contract's parity weights (fast to
// fill, unlike the random initialisers). VGG13/16/19 and the WSL giants beyond 32x8d are checked
// for structure only (their FC layers / backbones make a numeric run slow); on the reference
// backend a representative subset runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportOnnx, onnxBytes } from '../src/io/onnx/export.js';
import { traceModel } from '../src/io/onnx/tracer.js';
import { createModel } from '../src/models/index.js';
import type { Module } from '../src/nn/index.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectNative } from './helpers/backends.js';
import { manifestNames } from './helpers/manifest.js';
import { fillParityWeights } from './helpers/parity_weights.js';
import { oursForward, relToMax, runOrt, testInput } from './helpers/onnx_run.js';

const CLASSES = 10;
/** Smallest tested resolution per model (fully connected heads fix AlexNet/VGG, ShuffleNet's final pool needs 224). */
function resolution(name: string): number {
  if (/^(AlexNet|VGG|ShuffleNetV2)/.test(name)) return 224;
  if (name === 'GoogLeNet') return 64;
  if (name === 'InceptionV4') return 96;
  return 32;
}
const STRUCTURE_ONLY = /^(VGG13|VGG16|VGG19|ResNeXt101_32x(16|32|48)d_wsl|Fix_ResNeXt101_32x48d_wsl)$/;
const REFERENCE_SUBSET = new Set(['ResNet50_vd', 'MobileNetV1_x0_25', 'MobileNetV2_x0_25', 'ShuffleNetV2_x0_5_swish', 'SqueezeNet1_1', 'DenseNet121', 'GoogLeNet', 'SE_ResNeXt50_vd_32x4d', 'Xception41', 'DarkNet53', 'InceptionV4', 'AlexNet']);

const names = manifestNames();
const native = expectNative();

test('the manifest lists the 75 zoo models', () => {
  assert.equal(names.length, 75);
});

for (const name of names) {
  const structure = STRUCTURE_ONLY.test(name);
  const skip = !native && !REFERENCE_SUBSET.has(name) ? 'reference backend: representative subset only' : false;
  test(`${name}: ONNX export ${structure ? 'structure' : 'matches onnxruntime'}`, { skip }, async () => {
    const h = resolution(name);
    let model: Module | null = createModel(name, { classDim: CLASSES, initialize: false });
    if (structure) {
      // Trace only: the graph must contain every parameter as an initializer and produce [N, classes].
      const { graph, output } = traceModel(model, { imageShape: [3, h, h] });
      assert.deepEqual(output.shape, [2, CLASSES]);
      const names = new Set(graph.initializers.keys());
      for (const p of model.stateDict().keys()) assert.ok(names.has(p), `${p} is an initializer`);
      assert.ok(graph.nodes.some((n) => n.outputs.includes('logits')));
      model = null;
      return;
    }
    fillParityWeights(model);
    const e = exportOnnx(model, { imageShape: [3, h, h] });
    const convs = e.graph.nodes.filter((n) => n.opType === 'Conv').length;
    assert.ok(convs > 0);
    const shape = [1, 3, h, h];
    const x = testInput(shape);
    const ours = oursForward(model, x, shape);
    const r = await runOrt(onnxBytes(e), x, shape);
    assert.deepEqual([...r.dims], [1, CLASSES]);
    const rel = relToMax(ours, r.data);
    assert.ok(rel < 1e-4, `${name}: max |ours - ort| / max |ours| = ${rel}`);
    // sanity: the logits are not degenerate
    assert.ok(noGrad(() => new Tensor(ours, [1, CLASSES])).values.some((v) => Math.abs(v) > 1e-6));
  });
}
