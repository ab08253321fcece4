// ONNX export: the protobuf encoder's bytes, every traced op against onnxruntime, BN folding,
// the dynamic batch dimension, and refusals (train mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeModel, type OnnxGraph } from '../src/io/onnx/graph.js';
import { ProtoWriter } from '../src/io/onnx/proto_writer.js';
import { exportOnnx, onnxBytes } from '../src/io/onnx/export.js';
import { AvgPool2d, BatchNorm2d, Conv2d, Dropout, Linear, MaxPool2d, Module } from '../src/nn/index.js';
import { manualSeed } from '../src/nn/random.js';
import { concat, flatten, hardSigmoid, hardSwish, leakyRelu, pad, relu6, reshape, sigmoid, slice, softmax, split, swish, tanh, transpose, mul, add, globalAvgPool2d, scale, addScalar } from '../src/tensor/ops/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { oursForward, relToMax, runOrt, testInput } from './helpers/onnx_run.js';

test('proto writer: varints, floats, strings and nested messages encode as protobuf does', () => {
  const inner = new ProtoWriter().varint(1, 150);
  const w = new ProtoWriter().varint(1, 1).string(2, 'ab').message(3, inner).float(4, 1).packedInt64(5, [1, 300]).varint(6, -1);
  assert.deepEqual([...w.finish()], [
    0x08, 0x01, // field 1 varint 1
    0x12, 0x02, 0x61, 0x62, // field 2 "ab"
    0x1a, 0x03, 0x08, 0x96, 0x01, // field 3 { field 1: 150 }
    0x25, 0x00, 0x00, 0x80, 0x3f, // field 4 fixed32 1.0f
    0x2a, 0x03, 0x01, 0xac, 0x02, // field 5 packed [1, 300]
    0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // field 6 int64 -1 (10 bytes)
  ]);
  assert.equal(w.length, w.finish().length);
});

test('encodeModel: a one-node Relu model runs in onnxruntime with a dynamic batch', async () => {
  const g: OnnxGraph = {
    name: 'relu',
    nodes: [{ opType: 'Relu', inputs: ['image'], outputs: ['logits'], attrs: {}, name: 'r' }],
    initializers: new Map(),
    inputs: [{ name: 'image', dims: ['N', 4] }],
    outputs: [{ name: 'logits', dims: ['N', 4] }],
  };
  const bytes = encodeModel(g, { producerVersion: 'test' }).finish();
  const x = Float32Array.from([-1, 2, -3, 4, 5, -6, 7, -8]);
  const r = await runOrt(bytes, x, [2, 4]);
  assert.deepEqual([...r.data], [0, 2, 0, 4, 5, 0, 7, 0]);
  assert.deepEqual([...r.dims], [2, 4]);
});

/** One module exercising every op the tracer maps, with Paddle's pooling and dropout semantics. */
class OpZoo extends Module {
  readonly c1 = this.registerModule('c1', new Conv2d({ inChannels: 3, outChannels: 8, kernel: 3, stride: 2, padding: [1, 0, 2, 1], weightName: 'c1_w', biasName: 'c1_b' }));
  readonly bn1 = this.registerModule('bn1', new BatchNorm2d({ channels: 8, names: { scale: 'bn1_s', offset: 'bn1_o', mean: 'bn1_m', variance: 'bn1_v' }, act: 'relu6' }));
  readonly dw = this.registerModule('dw', new Conv2d({ inChannels: 8, outChannels: 8, kernel: 3, padding: 2, dilation: 2, groups: 8, weightName: 'dw_w' }));
  readonly bn2 = this.registerModule('bn2', new BatchNorm2d({ channels: 8, names: { scale: 'bn2_s', offset: 'bn2_o', mean: 'bn2_m', variance: 'bn2_v' }, act: 'swish' }));
  readonly bn3 = this.registerModule('bn3', new BatchNorm2d({ channels: 16, names: { scale: 'bn3_s', offset: 'bn3_o', mean: 'bn3_m', variance: 'bn3_v' } }));
  readonly maxp = this.registerModule('maxp', new MaxPool2d({ kernel: 3, stride: 2, padding: 1, ceilMode: true }));
  readonly avgp = this.registerModule('avgp', new AvgPool2d({ kernel: 2, stride: 2, ceilMode: true }));
  readonly avgpPad = this.registerModule('avgpPad', new AvgPool2d({ kernel: 3, stride: 1, padding: 1 }));
  readonly drop = this.registerModule('drop', new Dropout({ p: 0.3 }));
  readonly fc = this.registerModule('fc', new Linear({ inFeatures: 16, outFeatures: 6, weightName: 'fc_w', biasName: 'fc_b' }));

  forward(x: Tensor): Tensor {
    let y = this.bn1.forward(this.c1.forward(x)); // Conv (asymmetric pads) + BN folded + Clip
    const z = this.bn2.forward(this.dw.forward(y)); // depthwise dilated conv + BN + swish
    y = add(y, mul(z, sigmoid(z)));
    y = this.maxp.forward(y); // ceil mode
    const [a, b] = split(y, 2, 1) as [Tensor, Tensor];
    const n = y.shape[0]!;
    const [, c, h, w] = y.shape as [number, number, number, number];
    // channel shuffle (ShuffleNet): reshape / transpose / reshape
    let s = concat([hardSwish(a), tanh(leakyRelu(b, 0.1))], 1);
    s = reshape(transpose(reshape(s, [n, 2, c / 2, h, w]), [0, 2, 1, 3, 4]), [n, c, h, w]);
    s = pad(s, [0, 0, 0, 0, 1, 0, 0, 1], 0.5);
    s = this.avgpPad.forward(this.avgp.forward(s)); // exclusive averages, ceil mode
    s = hardSigmoid(addScalar(scale(s, 2), -0.25), 0.25, 0.4);
    s = concat([s, slice(s, [0, 0, 0, 0], [n, c, h, w])], 1);
    s = swish(this.bn3.forward(s)); // BN without a conv before it
    const pooled = this.drop.forward(flatten(globalAvgPool2d(s), 1));
    return softmax(this.fc.forward(pooled), -1);
  }
}

function filled(m: Module): Module {
  // Non-trivial BN statistics so folding is really tested.
  for (const [name, t] of m.stateDict()) {
    const v = t.values;
    for (let i = 0; i < v.length; i++) {
      const s = Math.sin(0.7 * i + name.length);
      v[i] = name.endsWith('_v') ? 0.5 + 0.4 * s * s : name.endsWith('_s') ? 1 + 0.2 * s : name.endsWith('_m') || name.endsWith('_o') ? 0.2 * s : v[i]!;
    }
  }
  return m;
}

for (const foldBn of [true, false]) {
  test(`every traced op matches onnxruntime (fold_bn ${foldBn}), batch 1 and 3`, async () => {
    manualSeed(7);
    const m = filled(new OpZoo());
    const e = exportOnnx(m, { imageShape: [3, 23, 19], foldBn });
    const ops = new Set(e.graph.nodes.map((n) => n.opType));
    for (const op of ['Conv', 'Clip', 'Sigmoid', 'Mul', 'Add', 'MaxPool', 'Slice', 'Concat', 'HardSwish', 'LeakyRelu', 'Tanh', 'Reshape', 'Transpose', 'Pad', 'AveragePool', 'HardSigmoid', 'GlobalAveragePool', 'Gemm', 'Softmax', 'BatchNormalization']) {
      assert.ok(ops.has(op), `${op} in the graph (have ${[...ops].join(', ')})`);
    }
    assert.equal(e.foldedBatchNorms, foldBn ? 2 : 0, 'bn1 and bn2 fold, bn3 (after a concat) stays');
    const bytes = onnxBytes(e);
    for (const n of [1, 3]) {
      const shape = [n, 3, 23, 19];
      const x = testInput(shape);
      const ours = oursForward(m, x, shape);
      const r = await runOrt(bytes, x, shape);
      assert.deepEqual([...r.dims], [n, 6]);
      const rel = relToMax(ours, r.data);
      assert.ok(rel < 1e-5, `batch ${n}: relative difference ${rel}`);
    }
  });
}

test('export refuses a model that runs in training mode', () => {
  class TrainOnly extends Module {
    readonly bn = this.registerModule('bn', new BatchNorm2d({ channels: 3, names: { scale: 's', offset: 'o', mean: 'm', variance: 'v' } }));
    forward(x: Tensor): Tensor {
      this.bn.train();
      return this.bn.forward(x);
    }
  }
  assert.throws(() => exportOnnx(new TrainOnly(), { imageShape: [3, 4, 4] }), /eval mode/);
});

test('external data: weights in a side file (as for models over 2 GiB) load in onnxruntime with the same result', async () => {
  const { mkdtempSync, rmSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { writeOnnxFile } = await import('../src/io/onnx/export.js');
  const dir = mkdtempSync(join(tmpdir(), 'imcls-onnx-'));
  try {
    manualSeed(3);
    const m = filled(new OpZoo());
    const inline = exportOnnx(m, { imageShape: [3, 23, 19] });
    const e = exportOnnx(m, { imageShape: [3, 23, 19], externalData: 'always', externalDataLocation: 'zoo.onnx.data' });
    assert.ok(e.external !== null && e.external.length > 0);
    const files = writeOnnxFile(join(dir, 'zoo.onnx'), e);
    assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), ['zoo.onnx', 'zoo.onnx.data']);
    assert.ok(statSync(files[0]!).size < inline.proto.length, 'the big weights left the model file');
    const shape = [2, 3, 23, 19];
    const x = testInput(shape);
    const a = await runOrt(join(dir, 'zoo.onnx'), x, shape);
    const b = await runOrt(onnxBytes(inline), x, shape);
    assert.deepEqual([...a.data], [...b.data]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
