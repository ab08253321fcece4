// Steady-state memory of a training loop (issue acceptance: RSS growth under 5% between step 100
// and step 1000). Trains a small CNN built from nn layers on random 32x32 batches of 32 with
// Momentum + L2, and prints RSS at steps 100 and 1000 and the growth. Exits 1 when growth >= 5%.
//
//   imcls bench memory [--steps=1000] [--warmup=100] [--every=100]
// (runs `node --max-semi-space-size=1 dist/bench/memory.js ...`: see src/cli/commands/bench.ts for why)
//
// Nothing here calls the garbage collector: the point is that intermediates, gradients and
// optimizer state are recycled deterministically (backward() frees, buffer pool reuses), so the
// footprint is flat without GC help.
import { getBackend } from '../src/backend/index.js';
import { BatchNorm2d } from '../src/nn/batchnorm.js';
import { Flatten, Sequential } from '../src/nn/container.js';
import { Conv2d } from '../src/nn/conv.js';
import { Dropout } from '../src/nn/dropout.js';
import { Linear } from '../src/nn/linear.js';
import { GlobalAvgPool2d, MaxPool2d } from '../src/nn/pool.js';
import { RandomGenerator, manualSeed } from '../src/nn/random.js';
import { SGD } from '../src/optim/sgd.js';
import { bufferPoolStats } from '../src/tensor/buffer_pool.js';
import { crossEntropy } from '../src/tensor/ops/index.js';
import { Tensor } from '../src/tensor/tensor.js';

function flag(name: string, dflt: number): number {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.slice(name.length + 3));
}

function bnNames(p: string): { scale: string; offset: string; mean: string; variance: string } {
  return { scale: `${p}_scale`, offset: `${p}_offset`, mean: `${p}_mean`, variance: `${p}_variance` };
}

function buildNet(classes: number): Sequential {
  return new Sequential(
    new Conv2d({ inChannels: 3, outChannels: 8, kernel: 3, padding: 1, weightName: 'conv1_weights' }),
    new BatchNorm2d({ channels: 8, names: bnNames('bn1'), act: 'relu' }),
    new MaxPool2d({ kernel: 2, stride: 2 }),
    new Conv2d({ inChannels: 8, outChannels: 16, kernel: 3, padding: 1, weightName: 'conv2_weights' }),
    new BatchNorm2d({ channels: 16, names: bnNames('bn2'), act: 'relu' }),
    new MaxPool2d({ kernel: 2, stride: 2 }),
    new Conv2d({ inChannels: 16, outChannels: 32, kernel: 3, padding: 1, weightName: 'conv3_weights' }),
    new BatchNorm2d({ channels: 32, names: bnNames('bn3'), act: 'relu6' }),
    new GlobalAvgPool2d(),
    new Flatten(),
    new Dropout({ p: 0.2 }),
    new Linear({ inFeatures: 32, outFeatures: classes, weightName: 'fc_weights', biasName: 'fc_offset' }),
  );
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function main(): number {
  const steps = flag('steps', 1000);
  const warm = flag('warmup', 100);
  const report = flag('every', 100);
  const batch = 32;
  const classes = 10;
  manualSeed(0);
  const net = buildNet(classes);
  const opt = new SGD(net, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  const data = new RandomGenerator(1);
  // One input and one label buffer, refilled every step (a data loader would hand over its own).
  const x = new Tensor(new Float32Array(batch * 3 * 32 * 32), [batch, 3, 32, 32]);
  const labels = new Tensor(new Int32Array(batch), [batch]);
  // RSS after every step: a single sample can land on either side of a GC or an allocator trim
  // (a few MB either way), so the verdict compares the mean over the 50 steps ending at each mark;
  // the single samples at the marks are printed too.
  const rss = new Float64Array(steps + 1);
  const retained = new Map<number, number>();
  const gc = (globalThis as { gc?: () => void }).gc;
  let loss0 = Number.NaN;
  let lossLast = Number.NaN;
  const t0 = Date.now();
  console.log(`memory bench: ${steps} steps, batch ${batch}, 3x32x32, backend ${getBackend().name}`);
  for (let step = 1; step <= steps; step++) {
    data.fillUniform(x.values, -1, 1);
    const lv = labels.indices;
    for (let i = 0; i < lv.length; i++) lv[i] = Math.floor(data.random() * classes);
    const loss = crossEntropy(net.forward(x), labels, { reduction: 'mean' });
    const value = loss.item();
    loss.backward();
    loss.free(); // the root is not freed by backward()
    opt.step();
    net.zeroGrad();
    if (step === 1) loss0 = value;
    lossLast = value;
    rss[step] = process.memoryUsage.rss();
    if (step % report === 0 || step === warm) {
      const m = process.memoryUsage();
      console.log(`step ${step}: rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)} MB (array buffers ${mb(m.arrayBuffers)}), pool ${mb(bufferPoolStats().pooledBytes)} MB, loss ${value.toFixed(4)}`);
    }
    if (gc !== undefined && (step === warm || step === steps)) {
      // Diagnostic only (node --expose-gc): the JS heap that survives a full collection.
      gc();
      retained.set(step, process.memoryUsage().heapUsed);
    }
  }
  const msPerStep = (Date.now() - t0) / steps;
  const window = Math.min(50, warm);
  const meanOver = (end: number): number => {
    let s = 0;
    for (let i = end - window + 1; i <= end; i++) s += rss[i]!;
    return s / window;
  };
  let peak = 0;
  for (let i = warm; i <= steps; i++) peak = Math.max(peak, rss[i]!);
  const at = rss[warm]!;
  const end = rss[steps]!;
  const meanWarm = meanOver(warm);
  const meanEnd = meanOver(steps);
  const pointGrowth = ((end - at) / at) * 100;
  const growth = ((meanEnd - meanWarm) / meanWarm) * 100;
  console.log(`rss at step ${warm}: ${mb(at)} MB; at step ${steps}: ${mb(end)} MB; point growth ${pointGrowth.toFixed(2)}%`);
  console.log(`rss mean over steps ${warm - window + 1}-${warm}: ${mb(meanWarm)} MB; over ${steps - window + 1}-${steps}: ${mb(meanEnd)} MB; peak after step ${warm}: ${mb(peak)} MB`);
  if (retained.size > 0) console.log(`JS heap after full GC: step ${warm} ${mb(retained.get(warm) ?? 0)} MB, step ${steps} ${mb(retained.get(steps) ?? 0)} MB`);
  console.log(`loss first ${loss0.toFixed(4)}, last ${lossLast.toFixed(4)}; ${msPerStep.toFixed(1)} ms/step`);
  console.log(`RSS growth ${growth.toFixed(2)}% (limit 5%): ${growth < 5 ? 'PASS' : 'FAIL'}`);
  if (!Number.isFinite(lossLast)) {
    console.error('loss is not finite');
    return 1;
  }
  return growth < 5 ? 0 : 1;
}

process.exit(main());
