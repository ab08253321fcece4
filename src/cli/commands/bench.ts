// `imcls bench <name> [--json] [--batch N] [--reps N]`: kernel benchmarks, one line per subcommand.
import { runConvBench } from '../../../bench/conv.js';
import { runDataBench } from '../../../bench/data.js';
import { gemmBenchCommand } from '../../../bench/gemm.js';
import { modelBenchCommand } from '../../../bench/model.js';
import { ttaBenchCommand } from '../../../bench/tta.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../util/errors.js';

// argv: the flags after the benchmark name, for benchmarks that parse their own (gemm --size N).
interface BenchOptions { json: boolean; batch?: number; reps?: number; argv: string[] }

// One line per benchmark (keep sorted).
const benches: Record<string, { run: (o: BenchOptions) => Promise<unknown>; help: string }> = {
  conv: { run: (o) => runConvBench(o), help: 'ResNet50 convolutions (fwd + bwd-data + bwd-weight), batch 16, vs PyTorch' },
  data: { run: (o) => runDataBench({ ...o, ...(intFlag(o.argv, '--workers') !== undefined ? { workers: intFlag(o.argv, '--workers')! } : {}) }), help: 'data pipeline images/s (JPEG decode, random crop 224, flip, normalise) vs torchvision DataLoader ([--workers N] [--json])' },
  gemm: { run: (o) => gemmBenchCommand(o.argv), help: 'SGEMM GFLOP/s vs peak and torch.mm (--size N [--threads T] [--shape MxNxK] [--json])' },
  memory: { run: async (o) => runMemoryBench(o.argv), help: 'RSS of 1000 training steps of a small CNN: growth between step 100 and 1000 under 5% ([--steps=N] [--warmup=N])' },
  model: { run: (o) => modelBenchCommand(o.argv), help: 'whole-model images/s (--model NAME --mode infer|train --batch_size N [--vs onnxruntime|torch] [--json])' },
  tta: { run: (o) => ttaBenchCommand(o.argv), help: 'time to 91% Fashion-MNIST test accuracy, imcls train vs the same recipe in PyTorch ([--target F] [--epochs N] [--json])' },
};

// The memory bench runs in its own process with V8's young generation pinned at 1 MB semi-spaces:
// left alone, V8 grows them (1 -> 8 MB, each counted twice in RSS) over the first thousand steps of
// any program that allocates steadily, which alone is ~8% of this 80 MB process and says nothing
// about whether our tensors, gradients and pools are recycled (external and pool bytes are printed
// separately and must stay flat).
function runMemoryBench(argv: string[]): void {
  const script = fileURLToPath(new URL('../../../bench/memory.js', import.meta.url));
  const r = spawnSync(process.execPath, ['--max-semi-space-size=1', script, ...argv], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

function intFlag(argv: string[], name: string): number | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new UserError(`${name} needs a positive integer`);
  return v;
}

export async function benchCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const list = Object.entries(benches).map(([n, b]) => `  ${n.padEnd(8)} ${b.help}`).join('\n');
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(`usage: imcls bench <name> [--json] [--batch N] [--reps N]\n\nbenchmarks:\n${list}`);
    return name === undefined ? 2 : 0;
  }
  const b = benches[name];
  if (!b) throw new UserError(`unknown benchmark '${name}' (try: ${Object.keys(benches).join(', ')})`);
  const opts: BenchOptions = { json: rest.includes('--json'), argv: rest };
  const batch = intFlag(rest, '--batch');
  const reps = intFlag(rest, '--reps');
  if (batch !== undefined) opts.batch = batch;
  if (reps !== undefined) opts.reps = reps;
  await b.run(opts);
  return 0;
}
