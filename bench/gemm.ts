// `imcls bench gemm`: SGEMM throughput of the active backend, next to the machine's peak and to
// PyTorch's torch.mm measured in the same run (same shape, same thread count).
//
// Peak = the selected micro-kernel's best single-core throughput with its operands in L1
// (native gemmKernelPeak) x threads: the ceiling the blocked GEMM can approach on this machine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getBackend } from '../src/backend/index.js';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { UserError } from '../src/util/errors.js';

export interface GemmBenchOptions {
  /** Square problem size N (m = n = k = N) unless `shape` is given. */
  size: number;
  /** Pool threads; a different count than this process's pool re-runs the bench in a child. */
  threads?: number;
  json: boolean;
  /** Non-square problem [m, n, k] (e.g. a convolution's im2col GEMM). */
  shape?: [number, number, number];
  /** Skip the PyTorch comparison. */
  noTorch?: boolean;
}

export interface GemmBenchResult {
  op: 'gemm';
  size: number;
  threads: number;
  gflops: number;
  torch_gflops: number | null;
  ratio: number | null;
  peak_gflops: number | null;
  peak_source: string;
  median_gflops: number;
  reps: number;
  m: number;
  n: number;
  k: number;
  backend: string;
  kernel: string | null;
  torch_note: string;
}

interface GemmInfo { kernel: string; mr: number; nr: number; mc: number; kc: number; nc: number; threads: number }

const PEAK_SOURCE = 'selected micro-kernel, operands in L1, best single-core GFLOP/s x threads';

function filled(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2147483648 - 1;
  }
  return a;
}

/** Times fn after two warm-up calls: enough reps for ~1 s (3..50); best and median seconds. */
function timeIt(fn: () => void): { best: number; median: number; reps: number } {
  fn();
  fn();
  const t0 = performance.now();
  fn();
  const once = Math.max(1e-6, (performance.now() - t0) / 1000);
  const reps = Math.max(3, Math.min(50, Math.round(1.0 / once)));
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((x, y) => x - y);
  return { best: times[0]!, median: times[Math.floor(times.length / 2)]!, reps };
}

export function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
}

/** torch.mm GFLOP/s (best of several reps after warm-up) for an m x k by k x n product on `threads` threads. */
export function torchGemmGflops(m: number, n: number, k: number, threads: number): number | null {
  const script = [
    'import json, time, torch',
    `torch.set_num_threads(${threads})`,
    `m, n, k = ${m}, ${n}, ${k}`,
    'a = torch.randn(m, k); b = torch.randn(k, n); c = torch.empty(m, n)',
    'torch.mm(a, b, out=c); torch.mm(a, b, out=c)',
    't = time.perf_counter(); torch.mm(a, b, out=c); once = max(time.perf_counter() - t, 1e-6)',
    'best = 1e9',
    'for _ in range(max(3, min(50, round(1.0 / once)))):',
    '    t = time.perf_counter(); torch.mm(a, b, out=c); best = min(best, time.perf_counter() - t)',
    'print(json.dumps({"gflops": 2.0 * m * n * k / best / 1e9}))',
  ].join('\n');
  const t = String(threads);
  // BLAS libraries behind torch.mm (OpenBLAS, MKL, OpenMP) read these at start-up.
  const env = { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t };
  const r = spawnSync('/usr/bin/python3', ['-c', script], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return null;
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(line) as { gflops: number }).gflops;
  } catch {
    return null;
  }
}

function nativeGemmInfo(): GemmInfo | null {
  const { addon } = loadNativeAddon();
  const f = addon?.['gemmInfo'];
  return f ? (f() as GemmInfo) : null;
}

function poolThreads(): number {
  return loadNativeAddon().addon?.info().threads ?? 1;
}

/** Re-runs the bench in a child whose pool has `threads` threads (the pool size is fixed at load). */
function runInChild(opts: GemmBenchOptions, threads: number): GemmBenchResult {
  const self = fileURLToPath(import.meta.url);
  const childOpts = { ...opts, json: true };
  delete childOpts.threads;
  const script = `import { runGemmBench } from ${JSON.stringify(new URL(import.meta.url).href)};\n` +
    `await runGemmBench(${JSON.stringify(childOpts)});`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, IMCLS_NUM_THREADS: String(threads) },
    encoding: 'utf8',
    timeout: 3_600_000,
  });
  if (r.status !== 0) throw new Error(`bench child (${self}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as GemmBenchResult;
}

function report(res: GemmBenchResult, info: GemmInfo | null): void {
  const f = (x: number): string => x.toFixed(1);
  const shape = res.m === res.n && res.n === res.k ? `${res.m}^3` : `m=${res.m} n=${res.n} k=${res.k}`;
  console.log(`gemm ${shape}, ${res.threads} thread(s), backend ${res.backend}` +
    (info ? `, kernel ${info.kernel} ${info.mr}x${info.nr} (MC/KC/NC ${info.mc}/${info.kc}/${info.nc})` : ''));
  const pct = res.peak_gflops ? ` = ${f((100 * res.gflops) / res.peak_gflops)}% of peak` : '';
  console.log(`imcls: ${f(res.gflops)} GFLOP/s (best of ${res.reps} after warm-up; median ${f(res.median_gflops)})${pct}`);
  if (res.peak_gflops !== null) console.log(`peak:  ${f(res.peak_gflops)} GFLOP/s (${res.peak_source})`);
  if (res.torch_gflops !== null) {
    console.log(`torch: ${f(res.torch_gflops)} GFLOP/s (torch.mm, same shape and threads)  imcls/torch = ${res.ratio!.toFixed(2)}x`);
  } else {
    console.log(`torch: n/a (${res.torch_note})`);
  }
}

export async function runGemmBench(opts: GemmBenchOptions): Promise<GemmBenchResult> {
  const have = poolThreads();
  if (opts.threads !== undefined && opts.threads !== have && loadNativeAddon().addon) {
    const res = runInChild(opts, opts.threads);
    if (opts.json) console.log(JSON.stringify(res));
    else report(res, nativeGemmInfo());
    return res;
  }
  const threads = have;
  const [m, n, k] = opts.shape ?? [opts.size, opts.size, opts.size];
  const flops = 2 * m * n * k;
  const a = filled(m * k, 1), b = filled(k * n, 2), c = new Float32Array(m * n);
  const backend = getBackend();
  const run = (): void => backend.gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
  // Alternate imcls and torch twice and keep each side's best, so a burst of background load
  // does not land on one side only.
  let best = Infinity, median = Infinity, reps = 0;
  let torch: number | null = null;
  const wantTorch = !opts.noTorch && torchAvailable();
  for (let round = 0; round < (wantTorch ? 2 : 1); round++) {
    const t = timeIt(run);
    best = Math.min(best, t.best);
    median = Math.min(median, t.median);
    reps += t.reps;
    if (wantTorch) {
      const g = torchGemmGflops(m, n, k, threads);
      if (g !== null) torch = Math.max(torch ?? 0, g);
    }
  }
  const peakFn = loadNativeAddon().addon?.['gemmKernelPeak'];
  const peak = backend.name === 'native' && peakFn ? (peakFn(300) as number) * threads : null;
  const gflops = flops / best / 1e9;
  const res: GemmBenchResult = {
    op: 'gemm',
    size: opts.shape ? Math.round(Math.cbrt(m * n * k)) : opts.size,
    threads,
    gflops: round1(gflops),
    torch_gflops: torch === null ? null : round1(torch),
    ratio: torch === null ? null : Math.round((gflops / torch) * 1000) / 1000,
    peak_gflops: peak === null ? null : round1(peak),
    peak_source: PEAK_SOURCE,
    median_gflops: round1(flops / median / 1e9),
    reps,
    m,
    n,
    k,
    backend: backend.name,
    kernel: nativeGemmInfo()?.kernel ?? null,
    torch_note: opts.noTorch ? 'skipped (--no-torch)' : !wantTorch ? '/usr/bin/python3 cannot import torch' : torch === null ? 'torch run failed' : 'torch.mm',
  };
  if (opts.json) console.log(JSON.stringify(res));
  else report(res, backend.name === 'native' ? nativeGemmInfo() : null);
  return res;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function positiveInt(flag: string, v: string): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1) throw new UserError(`--${flag} must be a positive integer, got '${v}'`);
  return x;
}

export const gemmBenchHelp =
  'imcls bench gemm [--size N] [--threads T] [--shape MxNxK] [--no-torch] [--json]\n' +
  '  SGEMM GFLOP/s (2*m*n*k / best time), % of peak, and torch.mm in the same run.';

/** CLI entry for `imcls bench gemm ...`. */
export async function gemmBenchCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        size: { type: 'string', default: '2048' },
        threads: { type: 'string' },
        shape: { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-torch': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UserError(`bench gemm: ${(e as Error).message}`);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(gemmBenchHelp);
    return 0;
  }
  const opts: GemmBenchOptions = { size: positiveInt('size', v.size), json: v.json, noTorch: v['no-torch'] };
  if (v.threads !== undefined) opts.threads = positiveInt('threads', v.threads);
  if (v.shape !== undefined) {
    const parts = v.shape.split('x');
    if (parts.length !== 3) throw new UserError(`--shape must look like MxNxK, got '${v.shape}'`);
    opts.shape = [positiveInt('shape', parts[0]!), positiveInt('shape', parts[1]!), positiveInt('shape', parts[2]!)];
  }
  await runGemmBench(opts);
  return 0;
}
