// `imcls bench conv`: forward + backward-data + backward-weight over the 53 convolutions of
// ResNet50 (v1.5: stride on the 3x3) at 224x224, timed on the active backend and, when the
// Debian python has torch, on PyTorch (oneDNN) with the same thread count in the same run.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Backend, Conv2dGeometry } from '../src/backend/backend.js';
import { getBackend } from '../src/backend/index.js';
import { loadNativeAddon } from '../src/backend/native/addon.js';

export interface ConvShape {
  c: number; k: number; h: number; kernel: number; stride: number; pad: number;
}

/** The 53 convolutions of ResNet50 v1.5 at 224x224, in network order (repeats included). */
export function resnet50Convs(): ConvShape[] {
  const list: ConvShape[] = [{ c: 3, k: 64, h: 224, kernel: 7, stride: 2, pad: 3 }];
  let inC = 64;
  let h = 56;
  const stages: [number, number, number][] = [[64, 3, 1], [128, 4, 2], [256, 6, 2], [512, 3, 2]];
  for (const [width, blocks, stageStride] of stages) {
    const outC = width * 4;
    for (let b = 0; b < blocks; b++) {
      const s = b === 0 ? stageStride : 1;
      list.push({ c: inC, k: width, h, kernel: 1, stride: 1, pad: 0 });
      list.push({ c: width, k: width, h, kernel: 3, stride: s, pad: 1 });
      const oh = Math.floor((h + 2 - 3) / s) + 1;
      list.push({ c: width, k: outC, h: oh, kernel: 1, stride: 1, pad: 0 });
      if (b === 0) list.push({ c: inC, k: outC, h, kernel: 1, stride: s, pad: 0 });
      inC = outC;
      h = oh;
    }
  }
  return list;
}

function geometry(s: ConvShape, n: number): Conv2dGeometry {
  const o = Math.floor((s.h + 2 * s.pad - s.kernel) / s.stride) + 1;
  return {
    n, c: s.c, h: s.h, w: s.h, k: s.k, kh: s.kernel, kw: s.kernel, strideH: s.stride, strideW: s.stride,
    padTop: s.pad, padBottom: s.pad, padLeft: s.pad, padRight: s.pad, dilationH: 1, dilationW: 1, groups: 1, oh: o, ow: o,
  };
}

/** Multiply-adds x 2 of one pass (forward, backward-data and backward-weight each cost this). */
function passFlops(g: Conv2dGeometry): number {
  return 2 * g.n * g.k * g.oh * g.ow * (g.c / g.groups) * g.kh * g.kw;
}

interface PhaseTimes { forward: number; backwardData: number; backwardWeight: number }

function filled(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(0.37 * i + seed) * 0.5;
  return a;
}

/** One timed sweep over all convolutions on `be`; buffers are shared at the largest size. */
function sweep(be: Backend, geoms: Conv2dGeometry[], buf: Record<'x' | 'w' | 'y' | 'dx' | 'dw' | 'db', Float32Array>): PhaseTimes {
  const t: PhaseTimes = { forward: 0, backwardData: 0, backwardWeight: 0 };
  for (const g of geoms) {
    const x = buf.x.subarray(0, g.n * g.c * g.h * g.w);
    const w = buf.w.subarray(0, g.k * g.c * g.kh * g.kw);
    const y = buf.y.subarray(0, g.n * g.k * g.oh * g.ow);
    const dx = buf.dx.subarray(0, x.length);
    const dw = buf.dw.subarray(0, w.length);
    let t0 = performance.now();
    be.conv2dForward(g, x, w, null, y);
    let t1 = performance.now();
    t.forward += t1 - t0;
    // y doubles as dy: its values are finite and of a realistic spread.
    t0 = performance.now();
    be.conv2dBackwardData(g, y, w, dx);
    t1 = performance.now();
    t.backwardData += t1 - t0;
    t0 = performance.now();
    be.conv2dBackwardWeight(g, x, y, dw, null);
    t1 = performance.now();
    t.backwardWeight += t1 - t0;
  }
  return { forward: t.forward / 1000, backwardData: t.backwardData / 1000, backwardWeight: t.backwardWeight / 1000 };
}

const TORCH_SCRIPT = String.raw`
import json, sys, time
import torch
import torch.nn.functional as F
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
n = cfg["batch"]
convs = []
for s in cfg["convs"]:
    x = torch.randn(n, s["c"], s["h"], s["h"]).requires_grad_()
    w = (torch.randn(s["k"], s["c"], s["kernel"], s["kernel"]) * 0.05).requires_grad_()
    convs.append((x, w, s["stride"], s["pad"]))
def sweep():
    t = [0.0, 0.0]
    for x, w, st, p in convs:
        t0 = time.perf_counter()
        y = F.conv2d(x, w, None, st, p)
        t1 = time.perf_counter()
        gx, gw = torch.autograd.grad(y, (x, w), y.detach())
        t2 = time.perf_counter()
        t[0] += t1 - t0
        t[1] += t2 - t1
        del y, gx, gw
    return t
sweep()
best = None
best_cpu = None
for _ in range(cfg["reps"]):
    c0 = time.process_time()
    t = sweep()
    cpu = time.process_time() - c0
    if best_cpu is None or cpu < best_cpu:
        best_cpu = cpu
    if best is None or sum(t) < sum(best):
        best = t
print(json.dumps({"seconds": sum(best), "cpu_seconds": best_cpu, "forward": best[0], "backward": best[1],
                  "mkldnn": torch.backends.mkldnn.is_available(), "version": torch.__version__}))
`;

interface TorchResult { seconds: number; cpu_seconds: number; forward: number; backward: number; version: string }

function runTorch(shapes: ConvShape[], batch: number, threads: number, reps: number): TorchResult | { error: string } {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { error: 'torch not available to /usr/bin/python3' };
  // The same 53 shapes in the same order, so the two sweeps match conv for conv.
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, JSON.stringify({ convs: shapes, batch, threads, reps })], {
    encoding: 'utf8', maxBuffer: 1 << 20,
  });
  if (r.status !== 0) return { error: `torch run failed: ${(r.stderr || '').trim().split('\n').pop() ?? ''}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as TorchResult;
  } catch {
    return { error: 'torch run printed no result' };
  }
}

export interface ConvBenchResult {
  op: 'conv';
  batch: number;
  seconds: number;
  torch_seconds: number | null;
  ratio: number | null;
  gflops: number;
  torch_gflops: number | null;
  convs: number;
  gflop_per_pass: number;
  backend: string;
  threads: number;
  phases: PhaseTimes;
  torch_phases: { forward: number; backward: number } | null;
  /** CPU seconds (all threads) of the timed sweep: less sensitive than wall time to other load on the machine. */
  cpu_seconds: number;
  torch_cpu_seconds: number | null;
  torch_error?: string;
}

export async function runConvBench(opts: { json?: boolean; batch?: number; reps?: number; torch?: boolean } = {}): Promise<ConvBenchResult> {
  const batch = opts.batch ?? 16;
  const reps = Math.max(1, opts.reps ?? 2);
  const be = getBackend();
  const threads = loadNativeAddon().addon?.info().threads ?? 1;
  const shapes = resnet50Convs();
  const geoms = shapes.map((s) => geometry(s, batch));
  let maxX = 0, maxW = 0, maxY = 0, maxK = 0;
  for (const g of geoms) {
    maxX = Math.max(maxX, g.n * g.c * g.h * g.w);
    maxW = Math.max(maxW, g.k * g.c * g.kh * g.kw);
    maxY = Math.max(maxY, g.n * g.k * g.oh * g.ow);
    maxK = Math.max(maxK, g.k);
  }
  const buf = {
    x: filled(maxX, 0.1), w: filled(maxW, 0.7).map((v) => v * 0.05), y: new Float32Array(maxY), dx: new Float32Array(maxX),
    dw: new Float32Array(maxW), db: new Float32Array(maxK),
  };
  const flop = geoms.reduce((s, g) => s + passFlops(g), 0) * 3;

  sweep(be, geoms, buf); // warm-up: scratch buffers, page faults, GEMM packing buffers
  let best: PhaseTimes | undefined;
  let cpuSeconds = Infinity;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t = sweep(be, geoms, buf);
    const c1 = process.cpuUsage(c0);
    cpuSeconds = Math.min(cpuSeconds, (c1.user + c1.system) / 1e6);
    const total = t.forward + t.backwardData + t.backwardWeight;
    if (!best || total < best.forward + best.backwardData + best.backwardWeight) best = t;
  }
  const phases = best!;
  const seconds = phases.forward + phases.backwardData + phases.backwardWeight;

  const torch = opts.torch === false ? { error: 'skipped' } : runTorch(shapes, batch, threads, reps);
  const torchSeconds = 'seconds' in torch ? torch.seconds : null;
  const result: ConvBenchResult = {
    op: 'conv',
    batch,
    seconds,
    torch_seconds: torchSeconds,
    ratio: torchSeconds !== null ? torchSeconds / seconds : null,
    gflops: flop / seconds / 1e9,
    torch_gflops: torchSeconds !== null ? flop / torchSeconds / 1e9 : null,
    convs: geoms.length,
    gflop_per_pass: flop / 3 / 1e9,
    backend: be.name,
    threads,
    phases,
    torch_phases: 'seconds' in torch ? { forward: torch.forward, backward: torch.backward } : null,
    cpu_seconds: cpuSeconds,
    torch_cpu_seconds: 'seconds' in torch ? torch.cpu_seconds : null,
    ...('error' in torch ? { torch_error: torch.error } : {}),
  };
  if (opts.json) {
    console.log(JSON.stringify(result));
  } else {
    const f = (v: number): string => v.toFixed(3);
    console.log(`conv bench: ResNet50, ${geoms.length} convolutions, batch ${batch}, 224x224, ${threads} threads, backend ${be.name}`);
    console.log(`  work:    ${(flop / 1e9).toFixed(1)} GFLOP (forward + backward-data + backward-weight)`);
    console.log(`  imcls:   ${f(seconds)} s  (${result.gflops.toFixed(1)} GFLOP/s; fwd ${f(phases.forward)}, bwd-data ${f(phases.backwardData)}, bwd-weight ${f(phases.backwardWeight)})`);
    if (torchSeconds !== null && result.torch_phases) {
      console.log(`  pytorch: ${f(torchSeconds)} s  (${result.torch_gflops!.toFixed(1)} GFLOP/s; fwd ${f(result.torch_phases.forward)}, bwd ${f(result.torch_phases.backward)})`);
      console.log(`  ratio:   ${result.ratio!.toFixed(2)} (pytorch time / imcls time; > 1 means imcls is faster)`);
      console.log(`  cpu:     imcls ${f(cpuSeconds)} cpu-s, pytorch ${f(result.torch_cpu_seconds!)} cpu-s (robust to other load)`);
    } else {
      console.log(`  pytorch: n/a (${result.torch_error ?? 'unavailable'})`);
    }
  }
  return result;
}
