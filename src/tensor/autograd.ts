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

export function runBackward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward(): this tensor does not require gradients (no input on its path requires them)');
  if (root.gradNode !== null && root.gradNode.backward === null) throw new Error('backward(): the graph was already consumed by an earlier backward()');
  if (grad === undefined && root.size !== 1) throw new Error(`backward(): a gradient is needed for a non-scalar output (shape [${root.shape.join(', ')}])`);
  if (grad !== undefined && grad.size !== root.size) throw new RangeError('backward(): gradient size differs from the output');
  const be = getBackend();
  const order = topoOrder(root);
  // Gradients waiting to be consumed, one per tensor. A gradient buffer may wait in several
  // slots at once (add hands the same one to both inputs), so buffers made during this backward
  // are reference-counted by the slots holding them: one held once may be accumulated into in
  // place, and one held by nobody goes back to the pool at once. Buffers not counted (a caller's
  // explicit output gradient) are never written or freed.
  const grads = new Map<Tensor, Tensor>();
  const holders = new Map<Tensor, number>();
  const release = (g: Tensor): void => {
    const r = holders.get(g);
    if (r === undefined) return;
    if (r <= 1) {
      holders.delete(g);
      g.free();
    } else {
      holders.set(g, r - 1);
    }
  };
  const rootGrad = grad ?? ones(root.shape);
  grads.set(root, rootGrad);
  if (grad === undefined) holders.set(rootGrad, 1);

  // Adds g, whose holder count already includes this slot, to t's pending gradient.
  const accumulate = (t: Tensor, g: Tensor): void => {
    const prev = grads.get(t);
    if (prev === undefined) {
      grads.set(t, g);
    } else if (holders.get(prev) === 1) {
      be.axpby(1, g.values, 1, prev.values);
      release(g);
    } else if (holders.get(g) === 1) {
      be.axpby(1, prev.values, 1, g.values);
      grads.set(t, g);
      release(prev);
    } else {
      const sum = prev.clone();
      be.axpby(1, g.values, 1, sum.values);
      holders.set(sum, 1);
      grads.set(t, sum);
      release(prev);
      release(g);
    }
  };

  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t);
    grads.delete(t);
    if (g === undefined) continue;
    const node = t.gradNode;
    if (node === null) {
      // A leaf: accumulate into .grad (handing the buffer over when nothing else holds it).
      if (t.grad !== null) {
        be.axpby(1, g.values, 1, t.grad.values);
        release(g);
      } else if (holders.get(g) === 1) {
        holders.delete(g);
        t.grad = g;
      } else {
        t.grad = g.clone();
        release(g);
      }
      continue;
    }
    const fn = node.backward;
    if (fn === null) throw new Error('backward(): the graph was already consumed by an earlier backward()');
    node.backward = null;
    const inGrads = fn(g);
    const inputs = node.inputs;
    if (inGrads.length !== inputs.length) throw new Error(`backward of ${node.op} returned ${inGrads.length} gradients for ${inputs.length} inputs`);
    // Count the slots each returned buffer is about to fill before any is accumulated into, so
    // a buffer bound for two inputs is never modified in place. Fresh buffers start at zero
    // holders; g itself (passed through) keeps its current count.
    for (let j = 0; j < inGrads.length; j++) {
      const gi = inGrads[j];
      if (!gi) continue;
      const input = inputs[j]!;
      if (input.requiresGrad && gi.size !== input.size) throw new Error(`backward of ${node.op}: gradient for input ${j} has ${gi.size} elements, input has ${input.size}`);
      const r = holders.get(gi);
      if (gi === g) {
        if (r !== undefined && input.requiresGrad) holders.set(gi, r + 1);
      } else {
        holders.set(gi, (r ?? 0) + (input.requiresGrad ? 1 : 0));
      }
    }
    release(g); // t's slot no longer holds it
    for (let j = 0; j < inGrads.length; j++) {
      const gi = inGrads[j];
      if (gi && inputs[j]!.requiresGrad) accumulate(inputs[j]!, gi);
    }
    // Fresh gradients for inputs that need none.
    for (let j = 0; j < inGrads.length; j++) {
      const gi = inGrads[j];
      if (gi && gi !== g && holders.get(gi) === 0) {
        holders.delete(gi);
        gi.free();
      }
    }
    // The output's buffer is no longer needed by anyone on the tape.
    if (t !== root && !t.kept) t.free();
    // Drop the inputs (so the graph can be collected) but remember the node was consumed: a
    // second backward() through it must throw rather than treat it as a fresh leaf.
    t.gradNode = { op: node.op, inputs: [], backward: null };
  }
}
