// The model zoo registry: one entry per canonical (manifest) model name, each family file registering its
// variants. Names are the seed's, case-sensitive; older spellings from the seed and its issues are aliases.
import type { Module } from '../nn/index.js';
import { UserError } from '../util/errors.js';
import { PUBLISHED } from './published.js';
import { countMacs } from './macs.js';
import { withInitialization } from './init_mode.js';

export interface ModelOptions {
  /** number of classes of the final classifier (Paddle's class_dim); default 1000 */
  classDim?: number;
  /** run the random initialisers (default true); false leaves parameters zero (shape-only build) */
  initialize?: boolean;
}

/** Eval-time preprocessing a model expects (PADDLE_REFERENCE §2.5/§2.6). */
export interface ModelConfig {
  /** [C, H, W] of the network input */
  inputSize: [number, number, number];
  resizeShort: number;
  crop: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** cv2 interpolation flag, or null for Paddle's default (INTER_LINEAR) */
  interpolation: number | null;
}

export interface ModelEntry {
  /** canonical name, as in the parameter manifest */
  name: string;
  aliases: string[];
  family: string;
  create(opts?: ModelOptions): Module;
  config: ModelConfig;
  /** seed README numbers (percent); null when the README does not publish this variant */
  published: { top1: number; top5: number } | null;
  /** pretrained archive name in the seed README, or null when none is published */
  pretrained: string | null;
}

/** What a family file passes: published/pretrained default to the seed table, config fields to 224/256. */
export interface ModelRegistration {
  name: string;
  aliases?: string[];
  family: string;
  create(opts?: ModelOptions): Module;
  config?: Partial<ModelConfig>;
  published?: { top1: number; top5: number } | null;
  pretrained?: string | null;
}

export interface ModelInfo {
  name: string;
  aliases: string[];
  family: string;
  /** trainable parameter count at classDim 1000 */
  params: number;
  /** multiply-accumulates of one image at the default input (convs and fully connected layers) */
  macs: number;
  inputSize: [number, number, number];
  resizeShort: number;
  crop: number;
  mean: [number, number, number];
  std: [number, number, number];
  interpolation: number | null;
  top1: number | null;
  top5: number | null;
  pretrained: string | null;
}

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

const entries = new Map<string, ModelEntry>();
/** alias -> canonical name */
const aliasOf = new Map<string, string>();
/** An alias with its own published numbers/weights (ResNet50_vd_v2: distilled ResNet50_vd). */
const aliasVariant = new Set<string>(['ResNet50_vd_v2']);

export function registerModel(reg: ModelRegistration): ModelEntry {
  if (entries.has(reg.name) || aliasOf.has(reg.name)) throw new Error(`model '${reg.name}' registered twice`);
  const crop = reg.config?.inputSize?.[1] ?? reg.config?.crop ?? 224;
  const config: ModelConfig = {
    inputSize: reg.config?.inputSize ?? [3, crop, crop],
    resizeShort: reg.config?.resizeShort ?? 256,
    crop,
    mean: reg.config?.mean ?? IMAGENET_MEAN,
    std: reg.config?.std ?? IMAGENET_STD,
    interpolation: reg.config?.interpolation ?? null,
  };
  const seed = PUBLISHED[reg.name];
  const entry: ModelEntry = {
    name: reg.name,
    aliases: [...(reg.aliases ?? [])],
    family: reg.family,
    create: reg.create,
    config,
    published: reg.published !== undefined ? reg.published : seed ? { top1: seed.top1, top5: seed.top5 } : null,
    pretrained: reg.pretrained !== undefined ? reg.pretrained : (seed?.pretrained ?? null),
  };
  entries.set(entry.name, entry);
  for (const a of [...entry.aliases]) addAlias(a, entry.name);
  // aliases declared before the model registered (src/models/aliases.ts may load first)
  for (const [a, c] of aliasOf) if (c === entry.name && !entry.aliases.includes(a)) entry.aliases.push(a);
  return entry;
}

/** Adds an alias for an already (or later) registered canonical name. */
export function addAlias(alias: string, canonical: string): void {
  if (entries.has(alias)) throw new Error(`alias '${alias}' collides with a model name`);
  const prev = aliasOf.get(alias);
  if (prev !== undefined && prev !== canonical) throw new Error(`alias '${alias}' already points to '${prev}'`);
  aliasOf.set(alias, canonical);
  const e = entries.get(canonical);
  if (e && !e.aliases.includes(alias)) e.aliases.push(alias);
}

/** The entry for a name or alias (case-sensitive); throws a UserError naming close matches. */
export function getModelEntry(name: string): ModelEntry {
  const e = entries.get(name) ?? entries.get(aliasOf.get(name) ?? '');
  if (e) return e;
  const all = [...entries.keys(), ...aliasOf.keys()];
  const close = closeNames(name, all);
  const hint = close.length > 0 ? `; did you mean ${close.join(', ')}?` : '';
  throw new UserError(`unknown model '${name}'${hint} (see 'imcls models' for the ${entries.size} models)`);
}

export function hasModel(name: string): boolean {
  return entries.has(name) || aliasOf.has(name);
}

/** Builds a model by name or alias. */
export function createModel(name: string, opts: ModelOptions = {}): Module {
  const e = getModelEntry(name);
  const classDim = opts.classDim ?? 1000;
  if (!Number.isInteger(classDim) || classDim < 1) throw new UserError(`class_dim must be a positive integer, got ${classDim}`);
  return withInitialization(opts.initialize ?? true, () => e.create({ classDim }));
}

/** Canonical model names (registration order), optionally filtered by a substring or /regex/. */
export function listModels(pattern?: string | RegExp): string[] {
  const names = [...entries.keys()];
  if (pattern === undefined || pattern === '') return names;
  const re =
    pattern instanceof RegExp
      ? pattern
      : /^\/.*\/[a-z]*$/.test(pattern)
        ? new RegExp(pattern.slice(1, pattern.lastIndexOf('/')), pattern.slice(pattern.lastIndexOf('/') + 1))
        : null;
  if (re) return names.filter((n) => re.test(n) || (entries.get(n)?.aliases ?? []).some((a) => re.test(a)));
  const p = String(pattern).toLowerCase();
  return names.filter((n) => n.toLowerCase().includes(p) || (entries.get(n)?.aliases ?? []).some((a) => a.toLowerCase().includes(p)));
}

/** All aliases, alias -> canonical. */
export function listAliases(): Map<string, string> {
  return new Map(aliasOf);
}

/** Precomputed { params, macs } (src/models/model_stats.ts) so listing does not build 3 GB models. */
let statsTable: Readonly<Record<string, { params: number; macs: number }>> = {};
export function setModelStatsTable(t: Readonly<Record<string, { params: number; macs: number }>>): void {
  statsTable = t;
}

const computed = new Map<string, { params: number; macs: number }>();

/** Builds the model once and counts its parameters and MACs (shape-only pass); memoised. */
export function computeModelStats(name: string): { params: number; macs: number } {
  const e = getModelEntry(name);
  const hit = computed.get(e.name);
  if (hit) return hit;
  const model = withInitialization(false, () => e.create({ classDim: 1000 }));
  let params = 0;
  for (const p of model.parameters()) params += p.size;
  const macs = countMacs(model, e.config.inputSize);
  const s = { params, macs };
  computed.set(e.name, s);
  return s;
}

export function modelInfo(name: string, opts: { compute?: boolean } = {}): ModelInfo {
  const e = getModelEntry(name);
  const stats = (opts.compute ? undefined : statsTable[e.name]) ?? computeModelStats(e.name);
  const variant = aliasVariant.has(name) ? PUBLISHED[name] : undefined;
  const published = variant ? { top1: variant.top1, top5: variant.top5 } : e.published;
  return {
    name: e.name,
    aliases: [...e.aliases],
    family: e.family,
    params: stats.params,
    macs: stats.macs,
    inputSize: [...e.config.inputSize],
    resizeShort: e.config.resizeShort,
    crop: e.config.crop,
    mean: [...e.config.mean],
    std: [...e.config.std],
    interpolation: e.config.interpolation,
    top1: published?.top1 ?? null,
    top5: published?.top5 ?? null,
    pretrained: variant ? variant.pretrained : e.pretrained,
  };
}

/** Names within edit distance 3 (case-insensitive) or sharing a prefix, best first, at most 5. */
function closeNames(name: string, all: string[]): string[] {
  const q = name.toLowerCase();
  const scored = all
    .map((n) => {
      const l = n.toLowerCase();
      let d = editDistance(q, l);
      if (l.startsWith(q) || q.startsWith(l)) d = Math.min(d, 1);
      else if (q.length >= 4 && l.includes(q)) d = Math.min(d, 2);
      return { n, d };
    })
    .filter((s) => s.d <= Math.max(3, Math.floor(q.length / 4)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  return scored.slice(0, 5).map((s) => s.n);
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
