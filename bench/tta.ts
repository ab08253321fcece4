// `imcls bench tta`: time to accuracy on real Fashion-MNIST. One fixed recipe (the demo's: a zoo
// ResNet18 on 28x28, batch 128, SGD momentum, cosine with warm-up, label smoothing, flips; the
// random crop's scale and ratio ranges are the recipe's, whole-image by default) runs through
// `imcls train` as a user would run it, and, when the Debian python has torchvision, the same
// recipe in PyTorch (torchvision resnet18, DataLoader with the same number of workers,
// RandomResizedCrop on the same scale and ratio ranges) in the same run. Each
// side evaluates on the 10,000 test images after every epoch and stops at the first epoch whose
// top-1 reaches the target; the time is wall-clock from launch to the end of that evaluation
// (process start-up, data loading and evaluation included on both sides).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { flagHelp, parseFlags, type FlagSpec } from '../src/cli/flags.js';
import { demoTrainArgs } from '../src/programs/demo.js';
import { DEFAULT_SOURCES, prepareDataset } from '../src/programs/prepare.js';
import type { TrainArgs } from '../src/programs/train_args.js';
import { UserError } from '../src/util/errors.js';

const flags: FlagSpec[] = [
  { name: 'target', type: 'float', default: 0.91, min: 0, help: 'test top-1 accuracy to reach' },
  { name: 'epochs', type: 'int', default: 4, min: 1, help: 'epochs of the recipe (its cosine schedule spans them; each side stops early at the target)' },
  { name: 'model', type: 'str', default: 'ResNet18', help: 'zoo model (the PyTorch side needs the same torchvision architecture: ResNet18)' },
  { name: 'batch_size', type: 'int', default: 128, min: 1, help: 'training batch size' },
  { name: 'lr', type: 'float', default: 0.1, min: 0, help: 'peak learning rate' },
  { name: 'workers', type: 'int', default: 2, min: 1, help: 'data-loading threads (imcls) and DataLoader workers (PyTorch)' },
  { name: 'data', type: 'str', default: null, help: 'raw Fashion-MNIST directory (default /usr/share/datasets/fashion-mnist)' },
  { name: 'work_dir', type: 'str', default: null, help: 'where the prepared images go (default: a temporary directory, removed at the end)' },
  { name: 'vs', type: 'str', default: 'torch', choices: ['torch', 'none'], help: 'also run the PyTorch side' },
  { name: 'max_iter', type: 'int', default: 0, min: 0, help: 'stop each epoch after this many batches on both sides (a quick smoke run; 0: off)' },
  { name: 'json', type: 'bool', default: false, help: 'print one JSON object' },
];

/** One side's run: per-epoch test accuracy with the wall time at the end of each evaluation. */
export interface TtaSide {
  epochs: { epoch: number; test_acc1: number; seconds: number }[];
  /** Seconds to the first epoch at or above the target, or null when it was never reached. */
  seconds_to_target: number | null;
  error?: string;
}

export interface TtaResult {
  target: number;
  recipe: Partial<TrainArgs>;
  imcls: TtaSide;
  torch: TtaSide | null;
  /** imcls time / PyTorch time (both reached the target); < 1 means imcls got there sooner. */
  ratio: number | null;
}

/** TrainArgs as `imcls train` flags, written as a Paddle user writes them. */
export function trainArgsToFlags(args: Partial<TrainArgs>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'boolean') out.push(`--${k}=${v ? 'True' : 'False'}`);
    else if (Array.isArray(v)) out.push(`--${k}=${v.join(',')}`);
    else out.push(`--${k}=${String(v)}`);
  }
  return out;
}

/** `[End pass 3] ... test_acc1 0.91230 ...` -> [3, 0.9123]. */
export function parseEndPass(line: string): [number, number] | null {
  const m = /^\[End pass (\d+)\].*\btest_acc1 ([0-9.]+)/.exec(line);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Runs a child, calls onLine for each stdout line; onLine returning true stops the child. */
function runUntil(cmd: string, args: string[], onLine: (line: string) => boolean, env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let buf = '';
    let stderr = '';
    let stopped = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!stopped && onLine(line)) {
          stopped = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code: stopped ? 0 : code, stderr }));
  });
}

async function runImcls(recipe: Partial<TrainArgs>, target: number): Promise<TtaSide> {
  const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const side: TtaSide = { epochs: [], seconds_to_target: null };
  const t0 = performance.now();
  const r = await runUntil(process.execPath, [main, 'train', ...trainArgsToFlags(recipe), '--no_progress'], (line) => {
    const e = parseEndPass(line);
    if (e === null) return false;
    const seconds = (performance.now() - t0) / 1000;
    side.epochs.push({ epoch: e[0], test_acc1: e[1], seconds });
    if (e[1] >= target && side.seconds_to_target === null) side.seconds_to_target = seconds;
    return side.seconds_to_target !== null;
  });
  if (r.code !== 0) side.error = `imcls train exited with ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return side;
}

// The same recipe in PyTorch: flags of demoTrainArgs mapped one to one (see the file comment).
const TORCH_SCRIPT = `
import json, math, os, sys, time
t0 = time.perf_counter()
import torch, torchvision
from torchvision import transforms as T
from PIL import Image
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
root = cfg["data_dir"]
def read_list(name):
    out = []
    for line in open(os.path.join(root, name)):
        parts = line.split()
        if parts: out.append((os.path.join(root, " ".join(parts[:-1])), int(parts[-1])))
    return out
class Files(torch.utils.data.Dataset):
    def __init__(self, items, tf): self.items, self.tf = items, tf
    def __len__(self): return len(self.items)
    def __getitem__(self, i):
        p, y = self.items[i]
        return self.tf(Image.open(p).convert("RGB")), y
size = cfg["size"]
norm = T.Normalize(cfg["mean"], cfg["std"])
train_tf = T.Compose([T.RandomResizedCrop(size, scale=(cfg["lower_scale"], 1.0), ratio=(cfg["lower_ratio"], cfg["upper_ratio"])), T.RandomHorizontalFlip(), T.ToTensor(), norm])
test_tf = T.Compose([T.ToTensor(), norm])
train = torch.utils.data.DataLoader(Files(read_list("train_list.txt"), train_tf), batch_size=cfg["batch_size"], shuffle=True, drop_last=True, num_workers=cfg["workers"], persistent_workers=True)
test = torch.utils.data.DataLoader(Files(read_list("val_list.txt"), test_tf), batch_size=cfg["test_batch_size"], num_workers=cfg["workers"])
model = torchvision.models.resnet18(num_classes=cfg["class_dim"])
opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["l2_decay"])
steps = len(train)
warm = cfg["warm_up_epochs"] * steps
total = cfg["epochs"] * steps
def lr_at(g):
    if g < warm: return cfg["lr"] * g / warm
    return cfg["lr"] * (math.cos(min((g - warm) / (total - warm), 1.0) * math.pi) + 1) / 2
loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=cfg["label_smoothing"])
g = 0
for epoch in range(cfg["epochs"]):
    model.train()
    for it, (x, y) in enumerate(train):
        if cfg["max_iter"] and it >= cfg["max_iter"]: break
        for group in opt.param_groups: group["lr"] = lr_at(g)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        g += 1
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in test:
            correct += (model(x).argmax(1) == y).sum().item()
            n += y.numel()
    print(json.dumps({"epoch": epoch, "test_acc1": correct / n, "seconds": time.perf_counter() - t0}), flush=True)
`;

async function runTorch(recipe: Partial<TrainArgs>, epochs: number, target: number, threads: number): Promise<TtaSide> {
  const side: TtaSide = { epochs: [], seconds_to_target: null };
  const cfg = {
    data_dir: recipe.data_dir, size: recipe.image_shape![2], mean: recipe.image_mean, std: recipe.image_std,
    lower_scale: recipe.lower_scale, lower_ratio: recipe.lower_ratio, upper_ratio: recipe.upper_ratio,
    batch_size: recipe.batch_size, test_batch_size: recipe.test_batch_size, workers: recipe.reader_thread,
    class_dim: recipe.class_dim, lr: recipe.lr, momentum: recipe.momentum_rate, l2_decay: recipe.l2_decay,
    warm_up_epochs: recipe.warm_up_epochs, epochs, label_smoothing: recipe.label_smoothing_epsilon, threads,
    max_iter: recipe.max_iter ?? 0,
  };
  const t0 = performance.now();
  const r = await runUntil('/usr/bin/python3', ['-c', TORCH_SCRIPT, JSON.stringify(cfg)], (line) => {
    if (!line.startsWith('{')) return false;
    const e = JSON.parse(line) as { epoch: number; test_acc1: number };
    const seconds = (performance.now() - t0) / 1000;
    side.epochs.push({ epoch: e.epoch, test_acc1: e.test_acc1, seconds });
    if (e.test_acc1 >= target && side.seconds_to_target === null) side.seconds_to_target = seconds;
    return side.seconds_to_target !== null;
  });
  if (r.code !== 0) side.error = `python exited with ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return side;
}

function describe(name: string, s: TtaSide, target: number): string {
  const per = s.epochs.map((e) => `epoch ${e.epoch}: ${(e.test_acc1 * 100).toFixed(2)}% at ${e.seconds.toFixed(0)} s`).join('; ');
  const reached = s.seconds_to_target === null ? `did not reach ${(target * 100).toFixed(1)}%` : `reached ${(target * 100).toFixed(1)}% in ${s.seconds_to_target.toFixed(0)} s`;
  return `  ${name.padEnd(8)} ${reached}${per ? ` (${per})` : ''}${s.error ? `\n           error: ${s.error}` : ''}`;
}

export async function ttaBenchCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: imcls bench tta [--target 0.91] [--epochs 3] [--vs torch|none] [--json]\n\n${flagHelp(flags)}`);
    return;
  }
  const v = parseFlags(argv, flags, 'bench tta').values;
  const target = Number(v['target']);
  if (!(target > 0 && target <= 1)) throw new UserError(`--target: expected a fraction in (0, 1], got ${target}`);
  const src = (v['data'] as string | null) ?? DEFAULT_SOURCES['fashion-mnist']!;
  const tmp = v['work_dir'] === null ? mkdtempSync(join(tmpdir(), 'imcls-tta-')) : null;
  const workDir = resolve((v['work_dir'] as string | null) ?? tmp!);
  try {
    const dataDir = join(workDir, 'fashion-mnist');
    await prepareDataset({ dataset: 'fashion-mnist', src, out: dataDir });
    const epochs = Number(v['epochs']);
    const workers = Number(v['workers']);
    const recipe: Partial<TrainArgs> = {
      ...demoTrainArgs({ data: src, workDir, model: String(v['model']), epochs, batchSize: Number(v['batch_size']), lr: Number(v['lr']), threads: workers }, dataDir),
      print_step: 1000000,
      max_iter: Number(v['max_iter']),
    };
    if (v['json'] !== true) console.log(`time to ${(target * 100).toFixed(1)}% Fashion-MNIST test top-1: ${recipe.model}, 3x28x28, batch ${recipe.batch_size}, ${epochs}-epoch cosine recipe, ${workers} data workers`);
    const imcls = await runImcls(recipe, target);
    if (v['json'] !== true) console.log(describe('imcls', imcls, target));
    let torch: TtaSide | null = null;
    if (v['vs'] === 'torch') {
      const threads = Number(process.env['IMCLS_NUM_THREADS'] ?? 0) || (await import('node:os')).availableParallelism();
      torch = await runTorch(recipe, epochs, target, threads);
      if (v['json'] !== true) console.log(describe('pytorch', torch, target));
    }
    const ratio = torch?.seconds_to_target && imcls.seconds_to_target ? imcls.seconds_to_target / torch.seconds_to_target : null;
    const result: TtaResult = { target, recipe, imcls, torch, ratio };
    if (v['json'] === true) console.log(JSON.stringify(result));
    else if (ratio !== null) console.log(`  ratio    ${ratio.toFixed(2)} (imcls time / PyTorch time; < 1 means imcls is faster)`);
  } finally {
    if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
  }
}
