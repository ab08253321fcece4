// `imcls bench data`: images/s of the ImageNet training pipeline (decode a ~500x375 JPEG, Paddle's
// random crop to 224, flip, normalise into float32 NCHW batches) with N reader threads, and, when
// the Debian python has torchvision, PyTorch's DataLoader with RandomResizedCrop(224), flip,
// ToTensor and Normalize on the same files with the same N workers, in the same run.
// The JPEGs are made here from scikit-image's sample photos (or synthetic pictures without them).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { DataLoader } from '../src/data/loader.js';
import type { FileDataset } from '../src/data/dataset.js';
import { DEFAULT_PREPROCESS, trainTransform } from '../src/data/transforms.js';

const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png', 'hubble_deep_field.jpg', 'immunohistochemistry.png', 'retina.jpg', 'brick.png', 'grass.png', 'gravel.png', 'camera.png'];

export interface DataBenchOptions {
  json?: boolean;
  /** Batch size (default 32). */
  batch?: number;
  /** Images timed = reps x the 32 generated files (default 16, i.e. 512 images). */
  reps?: number;
  workers?: number;
}

export interface DataBenchResult {
  images_per_sec: number;
  torch_images_per_sec: number | null;
  workers: number;
  ratio: number | null;
  images: number;
  /** CPU milliseconds per image over all threads/processes (less sensitive to a busy machine). */
  cpu_ms_per_image: number;
  torch_cpu_ms_per_image: number | null;
  torch_error?: string;
}

/** Writes `count` JPEGs of 500x375 into dir (quality 90, 4:2:0 as cameras do). */
export async function makeBenchJpegs(dir: string, count = 32): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const sources = existsSync(SKIMAGE) ? PHOTOS.map((p) => join(SKIMAGE, p)).filter((p) => existsSync(p)) : [];
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `img_${String(i).padStart(3, '0')}.jpg`);
    files.push(path);
    if (existsSync(path)) continue;
    let img: sharp.Sharp;
    if (sources.length > 0) {
      // Different crops and flips of the photos so the files differ.
      img = sharp(sources[i % sources.length]!).resize(500 + (i % 5) * 40, 375 + (i % 3) * 30, { fit: 'cover', position: ['centre', 'north', 'south', 'east', 'west'][i % 5]! }).resize(500, 375, { fit: 'fill' });
      if (i % 2 === 1) img = img.flop();
    } else {
      const raw = Buffer.alloc(500 * 375 * 3);
      for (let p = 0; p < 500 * 375; p++) {
        const x = p % 500;
        const y = Math.floor(p / 500);
        raw[3 * p] = (x + i * 17) & 255;
        raw[3 * p + 1] = (y * 2 + ((x * y) >> 7)) & 255;
        raw[3 * p + 2] = ((x ^ y) + i * 31) & 255;
      }
      img = sharp(raw, { raw: { width: 500, height: 375, channels: 3 } });
    }
    writeFileSync(path, await img.removeAlpha().toColourspace('srgb').jpeg({ quality: 90 }).toBuffer());
  }
  return files;
}

const TORCH_SCRIPT = String.raw`
import json, sys, time
import torch
from torch.utils.data import Dataset, DataLoader
from torchvision import transforms as T
from PIL import Image
cfg = json.loads(sys.argv[1])
torch.set_num_threads(1)
files = cfg['files'] * cfg['reps']
tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(),
                T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
class Files(Dataset):
    def __len__(self): return len(files)
    def __getitem__(self, i): return tf(Image.open(files[i]).convert('RGB')), i % 10
torch.manual_seed(0)
import resource
def cpu():
    s = resource.getrusage(resource.RUSAGE_SELF); c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
c0 = cpu()
dl = DataLoader(Files(), batch_size=cfg['batch'], shuffle=True, num_workers=cfg['workers'], drop_last=True)
it = iter(dl)
first = next(it)[0].shape[0]  # worker start-up excluded from the rate, as for imcls
t = time.time(); n = 0
for x, y in it: n += x.shape[0]
rate = n / (time.time() - t)
del it, dl  # joins the workers, so their CPU time is counted
print(json.dumps({"images_per_sec": rate, "cpu_ms_per_image": (cpu() - c0) * 1000 / (n + first)}))
`;

function torchRun(files: string[], reps: number, batch: number, workers: number): { ips: number; cpuMs: number } | { error: string } {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torchvision'], { encoding: 'utf8' });
  if (probe.status !== 0) return { error: 'torchvision not available to /usr/bin/python3' };
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, JSON.stringify({ files, reps, batch, workers })], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { error: `torch run failed: ${(r.stderr || '').trim().split('\n').pop() ?? ''}` };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const j = JSON.parse(line) as { images_per_sec: number; cpu_ms_per_image: number };
  return { ips: j.images_per_sec, cpuMs: j.cpu_ms_per_image };
}

async function imclsRun(files: string[], reps: number, batch: number, workers: number): Promise<{ ips: number; cpuMs: number }> {
  const paths: string[] = [];
  for (let r = 0; r < reps; r++) paths.push(...files);
  const dataset: FileDataset = { kind: 'files', name: 'bench', paths, labels: Int32Array.from(paths, (_, i) => i % 10), classNames: null };
  const loader = new DataLoader({ dataset, transform: trainTransform(DEFAULT_PREPROCESS), batchSize: batch, shuffle: true, dropLast: true, seed: 0, workers });
  // CPU time of the whole process (all threads, start-up included): a load-independent measure.
  const c0 = process.cpuUsage();
  try {
    const it = loader.epoch(0)[Symbol.asyncIterator]();
    const first = await it.next(); // worker start-up excluded from the rate
    const t0 = performance.now();
    let n = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) n += r.value.images.shape[0]!;
    const ips = n / ((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    return { ips, cpuMs: (c.user + c.system) / 1000 / (n + (first.done ? 0 : first.value.images.shape[0]!)) };
  } finally {
    await loader.close();
  }
}

export async function runDataBench(opts: DataBenchOptions = {}): Promise<DataBenchResult> {
  const batch = opts.batch ?? 32;
  const reps = opts.reps ?? 16;
  const workers = opts.workers ?? Number(process.env['IMCLS_BENCH_WORKERS'] ?? 2);
  const dir = join(tmpdir(), 'imcls-bench-data-v1');
  const files = await makeBenchJpegs(dir);
  for (const f of readdirSync(dir)) if (!files.includes(join(dir, f))) rmSync(join(dir, f), { force: true });
  const ours = await imclsRun(files, reps, batch, workers);
  const ips = ours.ips;
  const torch = torchRun(files, reps, batch, workers);
  const result: DataBenchResult = {
    images_per_sec: ips,
    torch_images_per_sec: 'ips' in torch ? torch.ips : null,
    workers,
    ratio: 'ips' in torch ? ips / torch.ips : null,
    images: files.length * reps - batch,
    cpu_ms_per_image: ours.cpuMs,
    torch_cpu_ms_per_image: 'ips' in torch ? torch.cpuMs : null,
  };
  if ('error' in torch) result.torch_error = torch.error;
  if (opts.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`data bench: decode 500x375 JPEG, random crop 224, flip, normalise; batch ${batch}, ${workers} workers, ${result.images} images`);
    console.log(`  imcls:   ${ips.toFixed(1)} images/s (${ours.cpuMs.toFixed(2)} CPU ms/image)`);
    if (result.torch_images_per_sec !== null) {
      console.log(`  pytorch: ${result.torch_images_per_sec.toFixed(1)} images/s (${result.torch_cpu_ms_per_image!.toFixed(2)} CPU ms/image; DataLoader, RandomResizedCrop, flip, ToTensor, Normalize)`);
      console.log(`  ratio:   ${result.ratio!.toFixed(2)} (imcls / pytorch; > 1 means imcls is faster)`);
    } else {
      console.log(`  pytorch: n/a (${result.torch_error ?? 'unavailable'})`);
    }
  }
  return result;
}
