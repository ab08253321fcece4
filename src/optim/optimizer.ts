// The optimizer base: named parameters split into weight-decay groups, per-parameter state slots
// (velocity, moments, ...) keyed "<paddle name>@<slot>" so a checkpoint can save and restore them
// by name, a step counter (Paddle's @LR_DECAY_COUNTER@: 0 on the first iteration), and an optional
// learning-rate schedule evaluated at that counter. Each update is one fused backend kernel per
// parameter (backend.sgdMomentum / adam / rmsprop).
import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/index.js';
import { Module } from '../nn/module.js';
import type { AnyModule } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import { tensor, zeros, type Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';

/** Learning rate as a function of the global step (0 on the first iteration). */
export type LrSchedule = (globalStep: number) => number;

export interface OptimizerOptions {
  /** A constant learning rate, or a schedule of the global step. */
  lr: number | LrSchedule;
  /**
   * Weight-decay coefficient (Paddle's L2Decay: added to the gradient, g += c·p, for SGD, RMSProp
   * and Adam; decoupled p -= lr·c·p for AdamW). Default 0.
   */
  weightDecay?: number;
  /**
   * Parameters for which this returns true get no weight decay. Paddle applies L2 to every
   * parameter (BN scale/offset and biases too); excludeBnAndBias(model) (weight_decay.ts) gives the common
   * alternative.
   */
  excludeFromWeightDecay?: (name: string, param: Parameter) => boolean;
}

export interface ParamGroup {
  readonly weightDecay: number;
  readonly params: readonly (readonly [string, Parameter])[];
}

export type NamedParams = Module | AnyModule | Iterable<readonly [string, Parameter]>;

function namedParams(src: NamedParams): [string, Parameter][] {
  if (src instanceof Module) return src.namedParameters();
  const out: [string, Parameter][] = [];
  const seen = new Set<string>();
  for (const [name, p] of src) {
    if (seen.has(name)) throw new Error(`optimizer: parameter name "${name}" appears twice`);
    seen.add(name);
    out.push([name, p]);
  }
  return out;
}

export interface OptimizerLoadReport {
  readonly missing: string[];
  readonly unexpected: string[];
  readonly mismatched: { name: string; expected: number[]; got: number[] }[];
}

export const STEP_KEY = '@step';

export abstract class Optimizer {
  readonly groups: readonly ParamGroup[];
  /** Updates done so far = the global step of the next update (0 before the first). */
  stepCount = 0;
  /** The learning rate used by the most recent step (NaN before the first). */
  lastLr = Number.NaN;
  private readonly lrSource: number | LrSchedule;
  /** name@slot -> state tensor, in parameter order then slot order. */
  protected readonly state = new Map<string, Tensor>();
  protected readonly byName = new Map<string, Parameter>();

  protected constructor(params: NamedParams, opts: OptimizerOptions, slots: readonly string[]) {
    this.lrSource = opts.lr;
    const wd = opts.weightDecay ?? 0;
    if (!(wd >= 0)) throw new RangeError(`weight decay must be >= 0, got ${wd}`);
    const decayed: [string, Parameter][] = [];
    const exempt: [string, Parameter][] = [];
    for (const [name, p] of namedParams(params)) {
      if (!p.trainable) continue;
      this.byName.set(name, p);
      (opts.excludeFromWeightDecay?.(name, p) === true ? exempt : decayed).push([name, p]);
      for (const s of slots) this.state.set(`${name}@${s}`, zeros(p.shape));
    }
    const groups: ParamGroup[] = [];
    if (decayed.length > 0) groups.push({ weightDecay: wd, params: decayed });
    if (exempt.length > 0) groups.push({ weightDecay: 0, params: exempt });
    this.groups = groups;
  }

  /** The learning rate the next step() will use. */
  currentLr(): number {
    return typeof this.lrSource === 'number' ? this.lrSource : this.lrSource(this.stepCount);
  }

  /**
   * Updates every parameter that has a gradient (parameters without one are skipped: nothing
   * reached them this step), then advances the step counter.
   */
  step(): void {
    const lr = this.currentLr();
    if (!Number.isFinite(lr)) throw new RangeError(`learning rate at step ${this.stepCount} is ${lr}`);
    const be = getBackend();
    for (const g of this.groups) {
      for (const [name, p] of g.params) {
        if (p.grad === null) continue;
        this.update(be, name, p, p.grad.values, lr, g.weightDecay);
      }
    }
    this.lastLr = lr;
    this.stepCount++;
  }

  /** One parameter's fused update. */
  protected abstract update(be: Backend, name: string, p: Parameter, grad: Float32Array, lr: number, weightDecay: number): void;

  protected slot(name: string, s: string): Float32Array {
    const t = this.state.get(`${name}@${s}`);
    if (t === undefined) throw new Error(`optimizer: no state slot ${name}@${s}`);
    return t.values;
  }

  /** Frees the gradients of every optimised parameter. */
  zeroGrad(): void {
    for (const p of this.byName.values()) p.zeroGrad();
  }

  /** Optimizer state (live tensors: clone to snapshot), keyed "<param>@<slot>", plus "@step". */
  stateDict(): Map<string, Tensor> {
    const sd = new Map<string, Tensor>(this.state);
    // float32 holds every integer up to 2^24 exactly: far beyond any realistic step count.
    sd.set(STEP_KEY, tensor([this.stepCount], [1]));
    return sd;
  }

  /** Restores state saved by stateDict(). Strict (default): throws a UserError and changes nothing on any mismatch. */
  loadStateDict(map: ReadonlyMap<string, Tensor>, opts: { strict?: boolean } = {}): OptimizerLoadReport {
    const strict = opts.strict ?? true;
    const missing: string[] = [];
    const mismatched: OptimizerLoadReport['mismatched'] = [];
    const toLoad: [Tensor, Tensor][] = [];
    for (const [key, dst] of this.state) {
      const src = map.get(key);
      if (src === undefined) missing.push(key);
      else if (src.dtype !== 'float32' || src.size !== dst.size || src.ndim !== dst.ndim) mismatched.push({ name: key, expected: [...dst.shape], got: [...src.shape] });
      else toLoad.push([dst, src]);
    }
    const stepT = map.get(STEP_KEY);
    if (stepT === undefined) missing.push(STEP_KEY);
    else if (stepT.size !== 1 || stepT.dtype !== 'float32' || !Number.isInteger(stepT.values[0]) || stepT.values[0]! < 0) {
      mismatched.push({ name: STEP_KEY, expected: [1], got: [...stepT.shape] });
    }
    const unexpected = [...map.keys()].filter((k) => k !== STEP_KEY && !this.state.has(k));
    const report: OptimizerLoadReport = { missing, unexpected, mismatched };
    if (strict && (missing.length > 0 || unexpected.length > 0 || mismatched.length > 0)) {
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`missing ${missing.length}: ${missing.slice(0, 10).join(', ')}`);
      if (unexpected.length > 0) parts.push(`unexpected ${unexpected.length}: ${unexpected.slice(0, 10).join(', ')}`);
      if (mismatched.length > 0) parts.push(`mismatched ${mismatched.length}: ${mismatched.slice(0, 10).map((m) => m.name).join(', ')}`);
      throw new UserError(`optimizer state does not match the parameters: ${parts.join('; ')}`);
    }
    for (const [dst, src] of toLoad) dst.assign(src);
    if (stepT !== undefined && !mismatched.some((m) => m.name === STEP_KEY)) this.stepCount = stepT.values[0]!;
    return report;
  }
}
