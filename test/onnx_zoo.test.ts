// Every zoo model exports to ONNX and onnxruntime-node reproduces our logits (max abs diff / max
// abs logit < 1e-4) at a small valid resolution, with the contract's parity weights (fast to
// fill, unlike the random initialisers). The large models (VGG13/16/19, the WSL giants beyond
// 32x8d: 0.5 to 3.3 GB of weights) get the same formula through its fast recurrence, and are
// exported with external data to a temporary directory (protobuf cannot hold the 48d's 3.3 GB),
// which onnxruntime reads from disk after our copy is dropped; if the disk or memory is too short
// for one, the test is skipped with the space it needs. Two images run as one batch: besides
// check 1, the difference of their logits (the part the image controls) must match within 1e-2
// wherever it is above float noise. On the reference backend a representative subset runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, statfsSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnx, onnxBytes, writeOnnxFile, type OnnxExport } from '../src/io/onnx/export.js';
import { createModel } from '../src/models/index.js';
import type { Module } from '../src/nn/index.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectNative } from './helpers/backends.js';
import { loadManifest, manifestNames } from './helpers/manifest.js';
import { fillParityWeights } from './helpers/parity_weights.js';
import { collectGarbage, oursForward, relToMax, runOrt, testInput } from './helpers/onnx_run.js';

const CLASSES = 10;
/** Smallest tested resolution per model (fully connected heads fix AlexNet/VGG, ShuffleNet's final pool needs 224). */
function resolution(name: string): number {
  if (/^(AlexNet|VGG|ShuffleNetV2)/.test(name)) return 224;
  if (name === 'GoogLeNet') return 64;
  if (name === 'InceptionV4') return 96;
  return 32;
}
const LARGE = /^(VGG13|VGG16|VGG19|ResNeXt101_32x(16|32|48)d_wsl|Fix_ResNeXt101_32x48d_wsl)$/;
/** Above this, weights go to a side file even under protobuf's limit: no 2 GB in-memory copy of the model for ORT. */
const EXTERNAL_ABOVE = 512 * 2 ** 20;
const GB = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GB`;

/** Why a large model cannot run here (disk for the side file, memory for ours + the folded copy + ORT's), or null. */
function lackOfSpace(name: string): string | null {
  const bytes = loadManifest()[name]!.total_elems * 4;
  if (bytes <= EXTERNAL_ABOVE) return null;
  const fs = statfsSync(tmpdir());
  const disk = fs.bavail * fs.bsize;
  if (disk < bytes * 1.05 + 2 ** 28) return `needs ${GB(bytes * 1.05 + 2 ** 28)} free in ${tmpdir()} for the external weights, has ${GB(disk)}`;
  // peak: our weights + their BN-folded copy during export (collected before ORT loads its own)
  if (freemem() < bytes * 2.2) return `needs ${GB(bytes * 2.2)} of free memory (our weights + their BN-folded copy), has ${GB(freemem())}`;
  return null;
}

/** Runs the export in onnxruntime: from memory, or from a temporary directory when the weights are external. */
async function runExport(name: string, take: () => OnnxExport, x: Float32Array, shape: number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  let e: OnnxExport | null = take();
  if (e.external === null) return runOrt(onnxBytes(e), x, shape);
  const dir = mkdtempSync(join(tmpdir(), 'imcls-onnx-'));
  try {
    const path = join(dir, `${name}.onnx`);
    const [, side] = writeOnnxFile(path, e);
    let weightBytes = 0;
    for (const t of e.graph.initializers.values()) weightBytes += t.data.byteLength;
    assert.ok(statSync(side!).size >= weightBytes * 0.99, `${name}: the side file holds the weights`);
    assert.ok(statSync(path).size < 2 ** 24, `${name}: the .onnx itself holds only the graph`);
    // the caller has dropped the model: collect it and the export, so ORT's copy is the only one in memory
    e = null;
    collectGarbage();
    return await runOrt(path, x, shape);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const REFERENCE_SUBSET = new Set(['ResNet50_vd', 'MobileNetV1_x0_25', 'MobileNetV2_x0_25', 'ShuffleNetV2_x0_5_swish', 'SqueezeNet1_1', 'DenseNet121', 'GoogLeNet', 'SE_ResNeXt50_vd_32x4d', 'Xception41', 'DarkNet53', 'InceptionV4', 'AlexNet']);

const names = manifestNames();
const native = expectNative();

test('the manifest lists the 75 zoo models', () => {
  assert.equal(names.length, 75);
});

for (const name of names) {
  const large = LARGE.test(name);
  const skip = !native && !REFERENCE_SUBSET.has(name) ? 'reference backend: representative subset only' : false;
  test(`${name}: ONNX export matches onnxruntime${large ? ' (large: external data)' : ''}`, { skip }, async (t) => {
    const h = resolution(name);
    const room = large ? lackOfSpace(name) : null;
    if (room !== null) {
      t.skip(`${name}: ${room}`);
      return;
    }
    let model: Module | null = createModel(name, { classDim: CLASSES, initialize: false });
    fillParityWeights(model);
    // two different images in one batch (dynamic batch): see the input-dependent check below
    const shape = [2, 3, h, h];
    const x = testInput(shape);
    const ours = oursForward(model, x, shape);
    let convs = 0;
    let external = false;
    const r = await runExport(
      name,
      () => {
        const m = model!;
        model = null;
        let bytes = 0;
        for (const p of m.stateDict().values()) bytes += p.values.byteLength;
        const e = exportOnnx(m, { imageShape: [3, h, h], externalData: bytes > EXTERNAL_ABOVE ? 'always' : 'auto', externalDataLocation: `${name}.onnx.data` });
        convs = e.graph.nodes.filter((n) => n.opType === 'Conv').length;
        external = e.external !== null;
        return e;
      },
      x,
      shape,
    );
    assert.ok(convs > 0);
    if (/_wsl$/.test(name) && !/32x8d/.test(name)) assert.ok(external, `${name}: weights stored externally`);
    assert.deepEqual([...r.dims], [2, CLASSES]);
    const rel = relToMax(ours, r.data);
    assert.ok(rel < 1e-4, `${name}: max |ours - ort| / max |ours| = ${rel}`);
    // Check 1 is dominated by the largest logits; the difference between the two images' logits is what
    // the input controls, so it must match too (an export whose early layers differ slightly, a pool's
    // padding say, would pass check 1 alone). The parity weights make that difference at least ~3e-3 of
    // the logits for every zoo model, well above float32 noise.
    const dOurs = Array.from({ length: CLASSES }, (_, i) => ours[i]! - ours[CLASSES + i]!);
    const dOrt = Array.from({ length: CLASSES }, (_, i) => r.data[i]! - r.data[CLASSES + i]!);
    const dep = relToMax(dOurs, dOrt);
    const maxAbs = (v: ArrayLike<number>): number => Array.from(v).reduce((m, a) => Math.max(m, Math.abs(a)), 0);
    const depScale = maxAbs(dOurs) / maxAbs(ours);
    t.diagnostic(`rel ${rel.toExponential(2)}, input-dependent part ${depScale.toExponential(2)} of the logits, its rel error ${dep.toExponential(2)}`);
    assert.ok(depScale > 1e-3, `${name}: the logits hardly depend on the image (${depScale})`);
    assert.ok(dep < 1e-2, `${name}: the input-dependent part of the logits differs by ${dep} (relative)`);
    // sanity: the logits are not degenerate
    assert.ok(noGrad(() => new Tensor(ours, [2, CLASSES])).values.some((v) => Math.abs(v) > 1e-6));
  });
}
