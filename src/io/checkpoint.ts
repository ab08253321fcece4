// Training checkpoints: `model_save_dir/<model>/<epoch>/` holding model.safetensors,
// optimizer.safetensors and state.json (epoch, step, learning-rate schedule position, RNG
// state, args, preprocessing). The directory is built under a temp name and renamed into place
// with a COMPLETE marker written last that lists every file and its size, so a crash at any
// point leaves either the previous checkpoint or a complete new one — never a partial
// directory that a resume would trust.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { COMPLETE_MARKER, writeDirAtomic, writeFileAtomic } from './atomic.js';
import { readSafetensors, saveSafetensors } from './safetensors.js';
import type { TensorCollection } from './tensor_data.js';

export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'state.json';
export const CHECKPOINT_FORMAT = 'imcls-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** What state.json holds. Extra fields are kept as they are. */
export interface CheckpointState {
  /** The model name (e.g. 'ResNet50_vd'). */
  model?: string;
  /** The epoch this checkpoint ends (0-based, as Paddle's directories). */
  epoch: number;
  /** Optimizer steps taken so far. */
  step: number;
  /** Where the learning-rate schedule stands (its step counter, and the rate it gave). */
  lr?: { schedule?: string; position: number; value?: number };
  /** The random generators' state, so a resumed run draws the same numbers. */
  rng?: unknown;
  /** The training arguments (flags) of the run. */
  args?: Record<string, unknown>;
  /** Preprocessing the weights expect (resize_short, crop, mean, std, interpolation). */
  preprocessing?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface CheckpointContents {
  model: TensorCollection;
  optimizer: TensorCollection;
  state: CheckpointState;
}

export interface LoadedCheckpoint {
  dir: string;
  model: Map<string, Tensor>;
  optimizer: Map<string, Tensor>;
  state: CheckpointState;
}

interface Marker {
  format: string;
  version: number;
  files: Record<string, { bytes: number }>;
}

export function checkpointDir(modelSaveDir: string, model: string, epoch: number): string {
  return join(modelSaveDir, model, String(epoch));
}

function validateState(s: unknown, where: string): CheckpointState {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new UserError(`${where}: not a JSON object`);
  const st = s as Record<string, unknown>;
  for (const k of ['epoch', 'step']) {
    const v = st[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new UserError(`${where}: "${k}" must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  if (st['lr'] !== undefined) {
    const lr = st['lr'] as Record<string, unknown> | null;
    if (typeof lr !== 'object' || lr === null || typeof lr['position'] !== 'number') throw new UserError(`${where}: "lr" must be an object with a numeric "position"`);
  }
  return st as CheckpointState;
}

export interface SaveCheckpointOptions {
  /** Called after each file is written inside the temp directory (tests use it to simulate a crash). */
  afterFile?: (file: string) => void;
}

/** Writes a checkpoint directory atomically (replacing one that exists). */
export function saveCheckpoint(dir: string, c: CheckpointContents, opts: SaveCheckpointOptions = {}): void {
  const state = validateState(JSON.parse(JSON.stringify(c.state)), `${dir}/${STATE_FILE}`);
  const files: Record<string, { bytes: number }> = {};
  const marker: Marker = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, files };
  const meta: Record<string, string> = { format: CHECKPOINT_FORMAT, epoch: String(state.epoch) };
  if (typeof state.model === 'string') meta['model'] = state.model;
  writeDirAtomic(
    dir,
    (tmp) => {
      files[MODEL_FILE] = { bytes: saveSafetensors(join(tmp, MODEL_FILE), c.model, meta) };
      opts.afterFile?.(MODEL_FILE);
      files[OPTIMIZER_FILE] = { bytes: saveSafetensors(join(tmp, OPTIMIZER_FILE), c.optimizer, meta) };
      opts.afterFile?.(OPTIMIZER_FILE);
      files[STATE_FILE] = { bytes: writeFileAtomic(join(tmp, STATE_FILE), JSON.stringify(state, null, 2) + '\n') };
      opts.afterFile?.(STATE_FILE);
    },
    marker,
  );
}

/**
 * Checks a checkpoint directory without reading the tensors: the marker exists and every file
 * it lists is there with the recorded size. Returns the problem, or null when complete.
 */
export function checkpointProblem(dir: string): string | null {
  if (!existsSync(dir)) return `${dir}: no such checkpoint directory`;
  if (!statSync(dir).isDirectory()) return `${dir}: not a directory`;
  const markerPath = join(dir, COMPLETE_MARKER);
  if (!existsSync(markerPath)) return `${dir}: incomplete checkpoint (no ${COMPLETE_MARKER} marker: its write was interrupted, or it is not an imcls checkpoint)`;
  let marker: Marker;
  try {
    marker = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker;
  } catch (e) {
    return `${markerPath}: corrupt marker (${(e as Error).message})`;
  }
  if (marker?.format !== CHECKPOINT_FORMAT || typeof marker.files !== 'object' || marker.files === null) return `${markerPath}: not an imcls checkpoint marker`;
  if (marker.version !== CHECKPOINT_VERSION) return `${markerPath}: checkpoint format version ${marker.version} is not supported (expected ${CHECKPOINT_VERSION})`;
  for (const f of [MODEL_FILE, OPTIMIZER_FILE, STATE_FILE]) {
    const rec = marker.files[f];
    const p = join(dir, f);
    if (!rec) return `${markerPath}: does not list ${f}`;
    if (!existsSync(p)) return `${p}: missing from the checkpoint`;
    const size = statSync(p).size;
    if (size !== rec.bytes) return `${p}: ${size} bytes, but the checkpoint recorded ${rec.bytes} (truncated or modified)`;
  }
  return null;
}

export function isCompleteCheckpoint(dir: string): boolean {
  return checkpointProblem(dir) === null;
}

/** Loads and validates a checkpoint; a problem names the file that is wrong. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const problem = checkpointProblem(dir);
  if (problem) throw new UserError(problem);
  const statePath = join(dir, STATE_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (e) {
    throw new UserError(`${statePath}: not valid JSON (${(e as Error).message})`);
  }
  const state = validateState(raw, statePath);
  const model = readSafetensors(join(dir, MODEL_FILE)).tensors;
  const optimizer = readSafetensors(join(dir, OPTIMIZER_FILE)).tensors;
  return { dir, model, optimizer, state };
}

/**
 * The complete checkpoint with the highest epoch under `modelDir` (= model_save_dir/<model>),
 * or null. Incomplete and temp directories are skipped.
 */
export function latestCheckpoint(modelDir: string): { dir: string; epoch: number } | null {
  if (!existsSync(modelDir) || !statSync(modelDir).isDirectory()) return null;
  let best: { dir: string; epoch: number } | null = null;
  for (const ent of readdirSync(modelDir, { withFileTypes: true })) {
    if (!ent.isDirectory() || !/^(0|[1-9]\d*)$/.test(ent.name)) continue;
    const epoch = Number(ent.name);
    if (!Number.isSafeInteger(epoch) || (best && epoch <= best.epoch)) continue;
    const dir = join(modelDir, ent.name);
    if (isCompleteCheckpoint(dir)) best = { dir, epoch };
  }
  return best;
}
