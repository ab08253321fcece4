// Flags in the seed's spelling, parsed as Paddle's argparse setup accepts them:
//   --batch_size=256, --batch_size 256, --use_mixup=True (strtobool values), --step_epochs 30 60 90,
//   --image_shape 3,224,224 or 3 224 224; kebab-case (--batch-size) is accepted too.
// A bare boolean flag (--use_mixup) means true, which Paddle rejected; nothing else is looser.
// Every error is one UserError line naming the flag.
import { UserError } from '../util/errors.js';

export type FlagType = 'str' | 'int' | 'float' | 'bool' | 'int_list' | 'float_list' | 'str_list';

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly default: string | number | boolean | readonly number[] | readonly string[] | null;
  readonly help: string;
  readonly choices?: readonly string[];
  /** Accepted and ignored with a note (e.g. use_gpu on a CPU-only engine). */
  readonly note?: string;
  /** Integer/float lower bound (inclusive). */
  readonly min?: number;
  /** Other spellings (Paddle's older or newer names). */
  readonly aliases?: readonly string[];
}

export type FlagValue = string | number | boolean | number[] | string[] | null;
export type FlagValues = Record<string, FlagValue>;

export interface ParsedFlags {
  values: FlagValues;
  /** Names the user set explicitly (so presets and saved configs only fill the rest). */
  explicit: Set<string>;
  positionals: string[];
  notes: string[];
}

const TRUE = new Set(['y', 'yes', 't', 'true', 'on', '1']);
const FALSE = new Set(['n', 'no', 'f', 'false', 'off', '0']);

function normalise(name: string): string {
  return name.replace(/-/g, '_');
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

export function closest(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(name.toLowerCase(), c.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function parseNumber(flag: string, raw: string, integer: boolean, min: number | undefined): number {
  const v = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UserError(`--${flag}: expected ${integer ? 'an integer' : 'a number'}, got '${raw}'`);
  if (integer && !Number.isInteger(v)) throw new UserError(`--${flag}: expected an integer, got '${raw}'`);
  if (min !== undefined && v < min) throw new UserError(`--${flag}: must be at least ${min}, got ${raw}`);
  return v;
}

function convert(spec: FlagSpec, raws: string[]): FlagValue {
  const flag = spec.name;
  const one = (): string => {
    if (raws.length !== 1) throw new UserError(`--${flag}: expected one value, got ${raws.length === 0 ? 'none' : raws.length}`);
    return raws[0]!;
  };
  switch (spec.type) {
    case 'str': {
      const v = one();
      if (spec.choices && !spec.choices.includes(v)) {
        const near = closest(v, spec.choices);
        throw new UserError(`--${flag}: '${v}' is not one of ${spec.choices.join(', ')}${near ? ` (did you mean '${near}'?)` : ''}`);
      }
      return v;
    }
    case 'int':
      return parseNumber(flag, one(), true, spec.min);
    case 'float':
      return parseNumber(flag, one(), false, spec.min);
    case 'bool': {
      if (raws.length === 0) return true;
      const v = one().toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      throw new UserError(`--${flag}: expected a boolean (True/False, 1/0, yes/no), got '${raws[0]}'`);
    }
    case 'int_list':
    case 'float_list': {
      const parts = raws.flatMap((r) => r.split(',')).filter((p) => p.trim() !== '');
      if (parts.length === 0) throw new UserError(`--${flag}: expected one or more numbers`);
      return parts.map((p) => parseNumber(flag, p, spec.type === 'int_list', spec.min));
    }
    case 'str_list': {
      const parts = raws.flatMap((r) => r.split(',')).map((p) => p.trim()).filter((p) => p !== '');
      if (parts.length === 0) throw new UserError(`--${flag}: expected one or more values`);
      return parts;
    }
  }
}

function isFlagToken(tok: string): boolean {
  return tok.startsWith('--') && tok.length > 2;
}

/** Parses argv against specs. Unknown flags are errors (with the closest known name). */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], command: string): ParsedFlags {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    for (const a of s.aliases ?? []) byName.set(normalise(a), s);
  }
  const values: FlagValues = {};
  for (const s of specs) values[s.name] = Array.isArray(s.default) ? [...(s.default as unknown[])] as number[] : (s.default as FlagValue);
  const explicit = new Set<string>();
  const positionals: string[] = [];
  const notes: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!isFlagToken(tok)) {
      if (tok.startsWith('-') && tok.length > 1 && Number.isNaN(Number(tok))) throw new UserError(`${command}: unknown option '${tok}' (flags are written --name=value)`);
      positionals.push(tok);
      continue;
    }
    const eq = tok.indexOf('=');
    const rawName = normalise(eq >= 0 ? tok.slice(2, eq) : tok.slice(2));
    const spec = byName.get(rawName);
    if (!spec) {
      const near = closest(rawName, [...byName.keys()]);
      throw new UserError(`${command}: unknown flag --${rawName}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    const raws: string[] = [];
    if (eq >= 0) {
      raws.push(tok.slice(eq + 1));
    } else if (spec.type.endsWith('_list')) {
      while (i + 1 < argv.length && !isFlagToken(argv[i + 1]!)) raws.push(argv[++i]!);
    } else if (spec.type === 'bool') {
      const next = argv[i + 1];
      if (next !== undefined && (TRUE.has(next.toLowerCase()) || FALSE.has(next.toLowerCase()))) raws.push(argv[++i]!);
    } else {
      const next = argv[i + 1];
      if (next === undefined || isFlagToken(next)) throw new UserError(`--${spec.name}: missing value`);
      raws.push(argv[++i]!);
    }
    values[spec.name] = convert(spec, raws);
    explicit.add(spec.name);
    if (spec.note) notes.push(`--${spec.name}: ${spec.note}`);
  }
  return { values, explicit, positionals, notes };
}

/** `--help` text: one line per flag with its default. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const fmt = (v: FlagSpec['default']): string => (v === null ? 'None' : Array.isArray(v) ? (v.length > 0 ? v.join(' ') : 'none') : String(v));
  return specs.map((s) => `  --${s.name.padEnd(36)} ${s.help} (default: ${fmt(s.default)})`).join('\n');
}

/** Typed accessors: the specs guarantee the type, these only narrow it for TypeScript. */
export function str(v: FlagValues, name: string): string {
  const x = v[name];
  if (typeof x !== 'string') throw new UserError(`--${name} is required`);
  return x;
}
export function optStr(v: FlagValues, name: string): string | null {
  const x = v[name];
  return typeof x === 'string' && x !== '' ? x : null;
}
export function num(v: FlagValues, name: string): number {
  const x = v[name];
  if (typeof x !== 'number') throw new UserError(`--${name} is required`);
  return x;
}
export function optNum(v: FlagValues, name: string): number | null {
  const x = v[name];
  return typeof x === 'number' ? x : null;
}
export function bool(v: FlagValues, name: string): boolean {
  return v[name] === true;
}
export function nums(v: FlagValues, name: string): number[] {
  const x = v[name];
  if (!Array.isArray(x)) throw new UserError(`--${name} is required`);
  return x as number[];
}
export function strs(v: FlagValues, name: string): string[] {
  const x = v[name];
  return Array.isArray(x) ? (x as string[]) : [];
}
