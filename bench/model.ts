// `imcls bench model --model NAME --mode infer|train --batch_size N [--image_shape 3,H,W] [--vs onnxruntime|torch] [--json]`:
// whole-model throughput of this engine, and in the same run onnxruntime-node on our ONNX export
// (same thread count, timed in alternating blocks with ours) or PyTorch on the torchvision model
// of the same architecture.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { getBackend } from '../src/backend/index.js';
import { flagHelp, parseFlags, type FlagSpec } from '../src/cli/flags.js';
import { exportOnnx, writeOnnxFile } from '../src/io/onnx/export.js';
import { createModel, getModelEntry } from '../src/models/index.js';
import type { Module } from '../src/nn/module.js';
import { crossEntropy } from '../src/tensor/ops/index.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { intTensor, Tensor } from '../src/tensor/tensor.js';
import { UserError } from '../src/util/errors.js';

const flags: FlagSpec[] = [
  { name: 'model', type: 'str', default: 'ResNet50', help: 'zoo model name' },
  { name: 'mode', type: 'str', default: 'infer', choices: ['infer', 'train'], help: 'infer (eval forward) or train (forward + backward)' },
  { name: 'batch_size', type: 'int', default: 1, min: 1, help: 'images per batch' },
  { name: 'image_shape', type: 'int_list', default: null, help: 'C,H,W (default: the model\'s input size)' },
  { name: 'vs', type: 'str', default: null, choices: ['onnxruntime', 'torch', 'none'], help: 'also time onnxruntime-node (on our ONNX export) or PyTorch (torchvision equivalent)' },
  { name: 'reps', type: 'int', default: null, min: 1, help: 'timed batches (default: enough for ~3 s, at least 3)' },
  { name: 'json', type: 'bool', default: false, help: 'print one JSON object' },
];

export interface ModelBenchResult {
  model: string;
  mode: 'infer' | 'train';
  batch_size: number;
  image_shape: number[];
  backend: string;
  threads: number;
  images_per_sec: number;
  ms_per_batch: number;
  ort_images_per_sec: number | null;
  ort_ms_per_batch: number | null;
  torch_images_per_sec: number | null;
  torch_ms_per_batch: number | null;
  torch_arch: string | null;
  note: string | null;
}

/** torchvision architectures equal (in layers and cost) to zoo models. */
const TORCHVISION: Record<string, string> = {
  ResNet18: 'resnet18', ResNet34: 'resnet34', ResNet50: 'resnet50', ResNet101: 'resnet101', ResNet152: 'resnet152',
  ResNeXt50_32x4d: 'resnext50_32x4d', ResNeXt101_32x8d_wsl: 'resnext101_32x8d',
  MobileNetV2_x1_0: 'mobilenet_v2', ShuffleNetV2_x1_0: 'shufflenet_v2_x1_0', ShuffleNetV2_x0_5: 'shufflenet_v2_x0_5',
  VGG11: 'vgg11', VGG13: 'vgg13', VGG16: 'vgg16', VGG19: 'vgg19', AlexNet: 'alexnet',
  DenseNet121: 'densenet121', DenseNet161: 'densenet161', DenseNet169: 'densenet169', DenseNet201: 'densenet201',
  SqueezeNet1_0: 'squeezenet1_0', SqueezeNet1_1: 'squeezenet1_1',
};

/** The median of times (the upper of the middle two for an even count). */
function median(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

/** Runs per timing: reps, or enough for ~5 s of `once`-long runs (5..50). */
function repsFor(once: number, reps: number | null): number {
  return reps ?? Math.max(5, Math.min(50, Math.ceil(5000 / Math.max(once, 1))));
}

/**
 * Warm-up runs of fn: at least three (the first packs weights; the next still grow the buffer
 * pool and fault pages in) and WARM_UP_MS in all, since V8 compiles the model's JavaScript on
 * background threads for its first second or so, which took CPU from our pool's worker: a
 * MobileNetV2 batch-1 forward took 2.9-3.2 ms for that second, 2.3-2.5 ms after. Returns the
 * last run's ms.
 */
const WARM_UP_MS = 1500;
async function warmUp(fn: () => void | Promise<void>): Promise<number> {
  const start = performance.now();
  let last = 0;
  for (let i = 0; i < 3 || performance.now() - start < WARM_UP_MS; i++) {
    const t = performance.now();
    await fn();
    last = performance.now() - t;
  }
  return last;
}

/** Times fn: warm-up (warmUp), then reps runs (or enough for ~5 s); ms per run (median). */
async function timeIt(fn: () => void | Promise<void>, reps: number | null): Promise<number> {
  return median(await timedRuns(fn, repsFor(await warmUp(fn), reps)));
}

async function timedRuns(fn: () => void | Promise<void>, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times;
}

function input(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(0.013 * i + 0.5) * 1.5);
}

/** One batch of this engine: eval forward, or forward + backward in training mode. */
function ourStep(model: Module, mode: 'infer' | 'train', shape: number[]): () => void {
  const x = new Tensor(input(shape), shape);
  if (mode === 'infer') {
    model.eval();
    return () => noGrad(() => model.forward(x).free());
  }
  model.train();
  const labels = intTensor(Array.from({ length: shape[0]! }, (_, i) => i % 10), [shape[0]!]);
  return () => {
    const loss = crossEntropy(model.forward(x), labels);
    loss.backward();
    model.zeroGrad();
    loss.free();
  };
}

/**
 * Ours and onnxruntime-node on our ONNX export of the same model (same threads): ms per batch of
 * each (medians). Timed in alternating blocks, ours then ORT, up to six rounds, so drift in this
 * machine's speed reaches both; each ORT block has its own session, released before our next
 * block, because ORT's pool threads keep spinning between runs while a session lives and slowed
 * our runs by up to a fifth when the two were interleaved.
 */
async function benchWithOrt(model: Module, shape: number[], threads: number, reps: number | null): Promise<[number, number]> {
  const ort = await import('onnxruntime-node').catch(() => null);
  if (ort === null) throw new UserError('bench model --vs onnxruntime: onnxruntime-node is not installed (it is a devDependency: npm ci)');
  const dir = mkdtempSync(join(tmpdir(), 'imcls-bench-'));
  try {
    const path = join(dir, 'model.onnx');
    writeOnnxFile(path, exportOnnx(model, { imageShape: shape.slice(1) as [number, number, number] }));
    const feeds = { image: new ort.Tensor('float32', input(shape), shape) };
    const ours = ourStep(model, 'infer', shape);
    const n = repsFor(await warmUp(ours), reps);
    const oursTimes: number[] = [], ortTimes: number[] = [];
    // up to 6 rounds of at least 5 runs each: the finer the alternation, the closer the two
    // medians come to the same moments of a machine whose speed drifts minute to minute
    const rounds = Math.max(1, Math.min(6, Math.floor(n / 5)));
    for (let i = 0; i < rounds; i++) {
      const runs = Math.floor((n * (i + 1)) / rounds) - Math.floor((n * i) / rounds);
      ours();
      oursTimes.push(...(await timedRuns(ours, runs)));
      const sess = await ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      const theirs = async (): Promise<void> => { await sess.run(feeds); };
      await theirs();
      await theirs();
      ortTimes.push(...(await timedRuns(theirs, runs)));
      await sess.release();
    }
    return [median(oursTimes), median(ortTimes)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TORCH_SCRIPT = `
import json, sys, time
import torch, torchvision
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
m = getattr(torchvision.models, cfg["arch"])(num_classes=cfg["classes"])
x = torch.randn(*cfg["shape"])
y = torch.randint(0, cfg["classes"], (cfg["shape"][0],))
def step():
    if cfg["mode"] == "infer":
        with torch.no_grad():
            m(x)
    else:
        out = m(x)
        out = out.logits if hasattr(out, "logits") else out
        torch.nn.functional.cross_entropy(out, y).backward()
        m.zero_grad()
if cfg["mode"] == "infer": m.eval()
else: m.train()
step()
t = time.perf_counter(); step(); once = (time.perf_counter() - t) * 1000
n = cfg["reps"] or max(3, min(50, int(3000 / max(once, 1)) + 1))
ts = []
for _ in range(n):
    t = time.perf_counter(); step(); ts.append((time.perf_counter() - t) * 1000)
ts.sort()
print(json.dumps({"ms": ts[len(ts) // 2]}))
`;

function benchTorch(arch: string, mode: string, shape: number[], classes: number, threads: number, reps: number | null): number | { error: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, JSON.stringify({ arch, mode, shape, classes, threads, reps })], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return { error: (r.stderr || 'python failed').trim().split('\n').pop() ?? 'python failed' };
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number }).ms;
}

export async function runModelBench(o: { model: string; mode: 'infer' | 'train'; batch: number; imageShape: number[] | null; vs: 'onnxruntime' | 'torch' | null; reps: number | null }): Promise<ModelBenchResult> {
  const entry = getModelEntry(o.model);
  const chw = o.imageShape ?? [...entry.config.inputSize];
  const shape = [o.batch, ...chw];
  const threads = loadNativeAddon().addon?.info().threads ?? 1;
  const model = createModel(entry.name);
  const ips = (b: number, t: number): number => (b * 1000) / t;
  const withOrt = o.vs === 'onnxruntime' && o.mode === 'infer';
  const [ms, ortMs] = withOrt ? await benchWithOrt(model, shape, threads, o.reps) : [await timeIt(ourStep(model, o.mode, shape), o.reps), null];
  const result: ModelBenchResult = {
    model: entry.name, mode: o.mode, batch_size: o.batch, image_shape: chw, backend: getBackend().name, threads,
    images_per_sec: ips(o.batch, ms), ms_per_batch: ms,
    ort_images_per_sec: ortMs === null ? null : ips(o.batch, ortMs), ort_ms_per_batch: ortMs,
    torch_images_per_sec: null, torch_ms_per_batch: null, torch_arch: null, note: null,
  };
  if (o.vs === 'onnxruntime') {
    if (o.mode !== 'infer') result.note = 'onnxruntime runs inference only';
  } else if (o.vs === 'torch') {
    const arch = TORCHVISION[entry.name];
    if (arch === undefined) result.note = `no torchvision architecture equal to ${entry.name}`;
    else {
      const t = benchTorch(arch, o.mode, shape, 1000, threads, o.reps);
      if (typeof t === 'number') {
        result.torch_arch = `torchvision.models.${arch}`;
        result.torch_ms_per_batch = t;
        result.torch_images_per_sec = ips(o.batch, t);
      } else result.note = `torch: ${t.error}`;
    }
  }
  return result;
}

export async function modelBenchCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: imcls bench model --model NAME --mode infer|train --batch_size N [--image_shape 3,H,W] [--vs onnxruntime|torch] [--json]\n\n${flagHelp(flags)}`);
    return;
  }
  const p = parseFlags(argv, flags, 'bench model');
  const v = p.values;
  const shape = v['image_shape'];
  if (Array.isArray(shape) && shape.length !== 3) throw new UserError(`--image_shape: expected C,H,W, got ${shape.length} numbers`);
  const vs = v['vs'] === 'none' || v['vs'] === null ? null : (v['vs'] as 'onnxruntime' | 'torch');
  const r = await runModelBench({
    model: String(v['model']),
    mode: v['mode'] as 'infer' | 'train',
    batch: Number(v['batch_size']),
    imageShape: Array.isArray(shape) ? (shape as number[]) : null,
    vs,
    reps: typeof v['reps'] === 'number' ? v['reps'] : null,
  });
  if (v['json'] === true) {
    console.log(JSON.stringify(r));
    return;
  }
  const f = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
  console.log(`${r.model} ${r.mode} batch ${r.batch_size} ${r.image_shape.join('x')} (${r.backend}, ${r.threads} threads)`);
  console.log(`  imcls:        ${f(r.images_per_sec)} images/s, ${r.ms_per_batch.toFixed(1)} ms/batch`);
  if (r.ort_images_per_sec !== null) console.log(`  onnxruntime:  ${f(r.ort_images_per_sec)} images/s, ${f(r.ort_ms_per_batch)} ms/batch`);
  if (r.torch_images_per_sec !== null) console.log(`  torch:        ${f(r.torch_images_per_sec)} images/s, ${f(r.torch_ms_per_batch)} ms/batch (${r.torch_arch})`);
  if (r.note) console.log(`  note: ${r.note}`);
}
