// The define-by-run tape. An op that produced a tensor from inputs needing gradients sets
// out.gradNode = { inputs, backward }. backward() walks the graph once in reverse topological
// order; each node's backward closure runs exactly once and is then dropped, and every
// intermediate buffer is returned to the pool as soon as nothing later can need it, so a
// training loop's memory does not depend on the garbage collector.
import { getBackend } from '../backend/index.js';
import { isGradEnabled } from './grad_mode.js';
import { Tensor, ones } from './tensor.js';

export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /**
   * Given the gradient of the output, returns one gradient per input (null where the input
   * needs none). It may return gy itself (pass-through); it must not keep gy.
   */
  backward: ((gy: Tensor) => readonly (Tensor | null)[]) | null;
}

/**
 * Records out on the tape when grad mode is on and an input requires gradients.
 * Returns out, for chaining. backward receives the output gradient; it is called at most once.
 */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: (gy: Tensor) => readonly (Tensor | null)[]): Tensor {
  if (!isGradEnabled()) return out;
  let needed = false;
  for (const t of inputs) if (t.requiresGrad) needed = true;
  if (!needed) return out;
  out.requiresGrad = true;
  out.gradNode = { op, inputs, backward };
  return out;
}

/** Whether any input needs a gradient under the current grad mode (ops use it to skip saving state). */
export function needsGrad(...inputs: Tensor[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.t.gradNode?.inputs ?? [];
    if (top.next < inputs.length) {
      const child = inputs[top.next++]!;
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push({ t: child, next: 0 });
      }
    } else {
      order.push(top.t);
      stack.pop();
    }
  }
  return order; // inputs before outputs
}

/**
 * How many inputs that need a gradient receive the gradient object gi from one backward call.
 * A gradient object may come back for several inputs (pass-through): it is handed over (owned,
 * so accumulable in place and freeable) only when it goes to exactly one input. A loop rather
 * than a Map per node: nodes have a handful of inputs, and this runs for every node every step.
 */
function useCount(inGrads: readonly (Tensor | null)[], inputs: readonly Tensor[], gi: Tensor): number {
  let c = 0;
  for (let j = 0; j < inGrads.length; j++) if (inGrads[j] === gi && inputs[j]!.requiresGrad) c++;
  return c;
}

export function runBackward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward(): this tensor does not require gradients (no input on its path requires them)');
  if (root.gradNode !== null && root.gradNode.backward === null) throw new Error('backward(): the graph was already consumed by an earlier backward()');
  if (grad === undefined && root.size !== 1) throw new Error(`backward(): a gradient is needed for a non-scalar output (shape [${root.shape.join(', ')}])`);
  if (grad !== undefined && grad.size !== root.size) throw new RangeError('backward(): gradient size differs from the output');
  const be = getBackend();
  const order = topoOrder(root);
  // Gradients waiting to be consumed; `owned` marks those whose buffer nobody else holds,
  // which may therefore be accumulated into in place and freed once consumed.
  const grads = new Map<Tensor, Tensor>();
  const owned = new Set<Tensor>();
  grads.set(root, grad ?? ones(root.shape));
  if (grad === undefined) owned.add(grads.get(root)!);

  const accumulate = (t: Tensor, g: Tensor, gIsFresh: boolean): void => {
    const prev = grads.get(t);
    if (prev === undefined) {
      grads.set(t, g);
      if (gIsFresh) owned.add(g);
      return;
    }
    if (owned.has(prev)) {
      be.axpby(1, g.values, 1, prev.values);
      if (gIsFresh) g.free();
    } else {
      const sum = prev.clone();
      be.axpby(1, g.values, 1, sum.values);
      grads.set(t, sum);
      owned.add(sum);
      if (gIsFresh) g.free();
    }
  };

  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t);
    grads.delete(t);
    if (g === undefined) continue;
    const node = t.gradNode;
    if (node === null) {
      // A leaf: accumulate into .grad.
      if (t.grad === null) {
        t.grad = owned.has(g) ? g : g.clone();
        owned.delete(g);
      } else {
        be.axpby(1, g.values, 1, t.grad.values);
        if (owned.delete(g)) g.free();
      }
      continue;
    }
    const fn = node.backward;
    if (fn === null) throw new Error('backward(): the graph was already consumed by an earlier backward()');
    node.backward = null;
    const inGrads = fn(g);
    if (inGrads.length !== node.inputs.length) throw new Error(`backward of ${node.op} returned ${inGrads.length} gradients for ${node.inputs.length} inputs`);
    for (let j = 0; j < inGrads.length; j++) {
      const gi = inGrads[j];
      const input = node.inputs[j]!;
      if (!gi) continue;
      if (!input.requiresGrad) {
        if (gi !== g && useCount(inGrads, node.inputs, gi) === 0) gi.free();
        continue;
      }
      if (gi.size !== input.size) throw new Error(`backward of ${node.op}: gradient for input ${j} has ${gi.size} elements, input has ${input.size}`);
      const transferable = useCount(inGrads, node.inputs, gi) === 1 && (gi !== g || owned.has(g));
      if (gi === g) owned.delete(g);
      accumulate(input, gi, transferable);
    }
    if (useCount(inGrads, node.inputs, g) === 0 && owned.delete(g)) g.free();
    // The output's buffer is no longer needed by anyone on the tape.
    if (t !== root && !t.kept) t.free();
    // Drop the inputs (so the graph can be collected) but remember the node was consumed: a
    // second backward() through it must throw rather than treat it as a fresh leaf.
    t.gradNode = { op: node.op, inputs: [], backward: null };
  }
}
