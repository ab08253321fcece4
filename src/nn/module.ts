// The Module: a tree of layers owning Parameters (trainable) and buffers (BN running
// statistics), all registered under their FULL Paddle names. Paddle names are unique per model
// and are what Paddle's weight files and this engine's checkpoints are keyed by, so the state
// dict is a flat name → tensor map rather than dotted paths.
//
// Order: every registration takes a ticket from one process-wide counter, and stateDict() sorts
// by it. That makes the order the order in which tensors were created (Paddle's program order,
// which the manifest lists) whatever the nesting, e.g. when a parent registers a child only after
// the child has created its weights.
import { Tensor, type Shape } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { Parameter } from './parameter.js';

let registrationCounter = 0;
/** Bumped by every registration anywhere: invalidates the cached flattened entry lists. */
let structureVersion = 0;

interface Entry {
  readonly name: string;
  readonly tensor: Tensor;
  readonly kind: 'parameter' | 'buffer';
  readonly ticket: number;
}

export interface ShapeMismatch {
  readonly name: string;
  readonly expected: readonly number[];
  readonly got: readonly number[];
}

export interface LoadReport {
  /** model names absent from the map (left unchanged) */
  readonly missing: string[];
  /** map names the model does not have (ignored) */
  readonly unexpected: string[];
  /** names present in both with different shapes (or a non-float32 source); left unchanged */
  readonly mismatched: ShapeMismatch[];
}

// Methods (not function properties) are bivariant in their parameters, so a Module<[Tensor]>
// is usable wherever an AnyModule is expected.
export type AnyModule = Module<any[], unknown>;

export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** Training mode: BN uses batch statistics and updates running ones; dropout drops. */
  training = true;
  private readonly ownEntries: Entry[] = [];
  private readonly children = new Map<string, AnyModule>();
  // entries() runs every training step (zeroGrad) and on large models; it is cached until any
  // module registers something (a tree can only change through register*()).
  private cachedEntries: Entry[] | null = null;
  private cachedVersion = -1;

  abstract forward(...args: In): Out;

  /** Registers a trainable (or frozen) parameter under its global Paddle name. */
  registerParameter<P extends Parameter>(paddleName: string, p: P): P {
    this.addEntry(paddleName, p, 'parameter');
    p.name = paddleName;
    return p;
  }

  /** Registers state that is saved and loaded but not trained (e.g. BN running mean/variance). */
  registerBuffer<T extends Tensor>(paddleName: string, t: T): T {
    if (t.dtype !== 'float32') throw new TypeError(`buffer ${paddleName}: only float32 buffers are supported`);
    this.addEntry(paddleName, t, 'buffer');
    return t;
  }

  /** Adds a child module under a local key (keys only need to be unique within this module). */
  registerModule<M extends AnyModule>(key: string, m: M): M {
    if (this.children.has(key)) throw new Error(`${this.constructor.name}: a child module "${key}" is already registered`);
    if ((m as AnyModule) === (this as AnyModule)) throw new Error('a module cannot be its own child');
    this.children.set(key, m);
    structureVersion++;
    return m;
  }

  private addEntry(name: string, tensor: Tensor, kind: Entry['kind']): void {
    if (name.length === 0) throw new Error(`${this.constructor.name}: a ${kind} needs a non-empty Paddle name`);
    if (this.ownEntries.some((e) => e.name === name)) throw new Error(`duplicate ${kind} name "${name}" in ${this.constructor.name}`);
    this.ownEntries.push({ name, tensor, kind, ticket: registrationCounter++ });
    structureVersion++;
  }

  /** This module and all descendants, depth-first in registration order (each module once). */
  *modules(): Generator<AnyModule> {
    const seen = new Set<AnyModule>();
    const stack: AnyModule[] = [this as AnyModule];
    while (stack.length > 0) {
      const m = stack.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      yield m;
      const kids = [...m.children.values()];
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
    }
  }

  /** Direct children with their local keys. */
  namedChildren(): [string, AnyModule][] {
    return [...this.children.entries()];
  }

  /** Every parameter and buffer of the tree in creation order; throws on a name used twice. */
  private entries(): readonly Entry[] {
    if (this.cachedEntries !== null && this.cachedVersion === structureVersion) return this.cachedEntries;
    const all: Entry[] = [];
    const byName = new Map<string, Tensor>();
    for (const m of this.modules()) {
      for (const e of m.ownEntries) {
        const prev = byName.get(e.name);
        if (prev !== undefined) {
          if (prev === e.tensor) continue; // the same tensor shared by two layers
          throw new Error(`duplicate Paddle name "${e.name}": two different tensors are registered under it in one model`);
        }
        byName.set(e.name, e.tensor);
        all.push(e);
      }
    }
    all.sort((a, b) => a.ticket - b.ticket);
    this.cachedEntries = all;
    this.cachedVersion = structureVersion;
    return all;
  }

  /** Trainable parameters in creation order. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** [Paddle name, parameter] of the trainable parameters (all parameters with { all: true }). */
  namedParameters(opts: { all?: boolean } = {}): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const e of this.entries()) {
      if (e.kind !== 'parameter') continue;
      const p = e.tensor as Parameter;
      if (opts.all === true || p.trainable) out.push([e.name, p]);
    }
    return out;
  }

  /** [Paddle name, buffer] pairs. */
  namedBuffers(): [string, Tensor][] {
    return this.entries().filter((e) => e.kind === 'buffer').map((e) => [e.name, e.tensor]);
  }

  /**
   * Paddle name → tensor for every parameter and buffer, in creation order. The tensors are the
   * live ones (no copy): clone them to snapshot.
   */
  stateDict(): Map<string, Tensor> {
    const sd = new Map<string, Tensor>();
    for (const e of this.entries()) sd.set(e.name, e.tensor);
    return sd;
  }

  /**
   * Copies values from map into the model's tensors by name. Non-strict: loads every name whose
   * shape matches and reports the rest. Strict (default): changes nothing and throws a UserError
   * listing every problem if any name is missing, unexpected or mismatched.
   */
  loadStateDict(map: ReadonlyMap<string, Tensor>, opts: { strict?: boolean } = {}): LoadReport {
    const strict = opts.strict ?? true;
    const own = this.entries();
    const missing: string[] = [];
    const mismatched: ShapeMismatch[] = [];
    const toLoad: [Tensor, Tensor][] = [];
    const ownNames = new Set<string>();
    for (const e of own) {
      ownNames.add(e.name);
      const src = map.get(e.name);
      if (src === undefined) {
        missing.push(e.name);
      } else if (src.dtype !== 'float32' || !sameShape(src.shape, e.tensor.shape)) {
        mismatched.push({ name: e.name, expected: [...e.tensor.shape], got: [...src.shape] });
      } else {
        toLoad.push([e.tensor, src]);
      }
    }
    const unexpected = [...map.keys()].filter((k) => !ownNames.has(k));
    const report: LoadReport = { missing, unexpected, mismatched };
    if (strict && (missing.length > 0 || unexpected.length > 0 || mismatched.length > 0)) {
      throw new UserError(describeLoadProblems(report));
    }
    for (const [dst, src] of toLoad) if (dst !== src) dst.assign(src);
    return report;
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's accumulated gradient (its buffer goes back to the pool). */
  zeroGrad(): void {
    const all = this.entries();
    for (let i = 0; i < all.length; i++) {
      const e = all[i]!;
      if (e.kind === 'parameter' && e.tensor.grad !== null) e.tensor.zeroGrad();
    }
  }

  /** Number of parameter elements (trainable and frozen; buffers are not parameters). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const [, p] of this.namedParameters({ all: opts.trainableOnly !== true })) n += p.size;
    return n;
  }
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const LIST_LIMIT = 10;

function list(names: readonly string[]): string {
  const shown = names.slice(0, LIST_LIMIT).join(', ');
  return names.length > LIST_LIMIT ? `${shown}, ... (${names.length} in all)` : shown;
}

/** One line naming what did not match, for the strict error and for CLI warnings. */
export function describeLoadProblems(r: LoadReport): string {
  const parts: string[] = [];
  if (r.missing.length > 0) parts.push(`missing ${r.missing.length}: ${list(r.missing)}`);
  if (r.unexpected.length > 0) parts.push(`unexpected ${r.unexpected.length}: ${list(r.unexpected)}`);
  if (r.mismatched.length > 0) {
    parts.push(`shape mismatch ${r.mismatched.length}: ${list(r.mismatched.map((m) => `${m.name} (model [${m.expected.join(', ')}], file [${m.got.join(', ')}])`))}`);
  }
  return `state dict does not match the model: ${parts.join('; ')}`;
}
