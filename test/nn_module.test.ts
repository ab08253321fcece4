// Module bookkeeping: Paddle-named state dict in creation order, load reports, modes, counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Module } from '../src/nn/module.js';
import { Parameter } from '../src/nn/parameter.js';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { UserError } from '../src/util/errors.js';

/** A layer with one weight, optional bias and a buffer, like a tiny BN/conv. */
class Leaf extends Module {
  readonly w: Parameter;
  readonly b: Parameter | null;
  readonly stat: Tensor | null;
  constructor(prefix: string, n: number, opts: { bias?: boolean; buffer?: boolean } = {}) {
    super();
    this.w = this.registerParameter(`${prefix}_weights`, new Parameter(new Float32Array(n).fill(1), [n]));
    this.b = opts.bias === true ? this.registerParameter(`${prefix}_bias`, new Parameter(new Float32Array(n), [n])) : null;
    this.stat = opts.buffer === true ? this.registerBuffer(`${prefix}_mean`, new Tensor(new Float32Array(n), [n])) : null;
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

class Net extends Module {
  readonly a: Leaf;
  readonly head: Parameter;
  readonly b: Leaf;
  constructor() {
    super();
    // Created before the parent's own parameter but registered after it: creation order wins.
    const a = new Leaf('conv1', 2, { buffer: true });
    this.head = this.registerParameter('fc_w', new Parameter(new Float32Array(6), [2, 3]));
    this.a = this.registerModule('a', a);
    this.b = this.registerModule('b', new Leaf('conv2', 3, { bias: true }));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

test('stateDict is keyed by the Paddle names in creation order, buffers interleaved', () => {
  const net = new Net();
  assert.deepEqual([...net.stateDict().keys()], ['conv1_weights', 'conv1_mean', 'fc_w', 'conv2_weights', 'conv2_bias']);
  assert.deepEqual(net.namedParameters().map(([n]) => n), ['conv1_weights', 'fc_w', 'conv2_weights', 'conv2_bias']);
  assert.deepEqual(net.namedBuffers().map(([n]) => n), ['conv1_mean']);
  assert.equal(net.parameters().length, 4);
  assert.equal(net.numParameters(), 2 + 6 + 3 + 3);
  assert.equal(net.head.name, 'fc_w');
  // the state dict holds the live tensors
  assert.equal(net.stateDict().get('fc_w'), net.head);
});

test('frozen parameters are in the state dict and counted, but not in parameters()', () => {
  const net = new Net();
  net.b.w.trainable = false;
  assert.equal(net.parameters().length, 3);
  assert.equal(net.numParameters(), 14);
  assert.equal(net.numParameters({ trainableOnly: true }), 11);
  assert.equal(net.stateDict().size, 5);
  assert.equal(net.b.w.requiresGrad, false);
});

test('duplicate names: within one module at registration, across the model at traversal', () => {
  class Dup extends Module {
    constructor() {
      super();
      this.registerParameter('x', new Parameter(new Float32Array(1), [1]));
      this.registerBuffer('x', new Tensor(new Float32Array(1), [1]));
    }
    forward(t: Tensor): Tensor {
      return t;
    }
  }
  assert.throws(() => new Dup(), /duplicate/);
  class Twice extends Module {
    constructor() {
      super();
      this.registerModule('p', new Leaf('same', 1));
      this.registerModule('q', new Leaf('same', 1));
    }
    forward(t: Tensor): Tensor {
      return t;
    }
  }
  const m = new Twice();
  assert.throws(() => m.stateDict(), /duplicate Paddle name "same_weights"/);
  assert.throws(() => m.registerModule('p', new Leaf('z', 1)), /already registered/);
});

test('a module shared by two parents contributes its tensors once', () => {
  const shared = new Leaf('s', 2);
  class Tied extends Module {
    constructor() {
      super();
      this.registerModule('x', shared);
      this.registerModule('y', shared);
    }
    forward(t: Tensor): Tensor {
      return t;
    }
  }
  const m = new Tied();
  assert.deepEqual([...m.stateDict().keys()], ['s_weights']);
  assert.equal([...m.modules()].length, 2);
});

test('loadStateDict non-strict loads matches and reports missing, unexpected, mismatched', () => {
  const net = new Net();
  const src = new Map<string, Tensor>([
    ['conv1_weights', tensor([5, 6])],
    ['conv1_mean', tensor([0.5, -0.5])],
    ['fc_w', tensor([1, 2, 3, 4, 5, 6], [3, 2])], // wrong shape
    ['conv2_bias', tensor([7, 8, 9])],
    ['extra', tensor([1])],
  ]);
  const r = net.loadStateDict(src, { strict: false });
  assert.deepEqual(r.missing, ['conv2_weights']);
  assert.deepEqual(r.unexpected, ['extra']);
  assert.deepEqual(r.mismatched, [{ name: 'fc_w', expected: [2, 3], got: [3, 2] }]);
  assert.deepEqual(net.a.w.toArray(), [5, 6]);
  assert.deepEqual(net.a.stat!.toArray(), [0.5, -0.5]);
  assert.deepEqual(net.b.b!.toArray(), [7, 8, 9]);
  assert.deepEqual(net.head.toArray(), [0, 0, 0, 0, 0, 0]);
  // copies, not aliases
  src.get('conv1_weights')!.values[0] = 100;
  assert.equal(net.a.w.values[0], 5);
});

test('loadStateDict strict (default) throws a UserError naming the problems and changes nothing', () => {
  const net = new Net();
  const src = new Map<string, Tensor>([['conv1_weights', tensor([5, 6])], ['extra', tensor([1])]]);
  assert.throws(
    () => net.loadStateDict(src),
    (e: unknown) => e instanceof UserError && /missing 4/.test(e.message) && /conv2_bias/.test(e.message) && /unexpected 1: extra/.test(e.message),
  );
  assert.deepEqual(net.a.w.toArray(), [1, 1]);
  // a full round trip loads cleanly
  const other = new Net();
  other.a.w.values.set([3, 4]);
  const snap = new Map([...other.stateDict()].map(([k, v]) => [k, v.clone()] as const));
  const r = net.loadStateDict(snap);
  assert.deepEqual(r, { missing: [], unexpected: [], mismatched: [] });
  assert.deepEqual(net.a.w.toArray(), [3, 4]);
});

test('train()/eval() switch every descendant; modules() is depth-first in registration order', () => {
  const net = new Net();
  assert.equal(net.training, true);
  net.eval();
  for (const m of net.modules()) assert.equal(m.training, false);
  net.train();
  for (const m of net.modules()) assert.equal(m.training, true);
  const mods = [...net.modules()];
  assert.deepEqual(mods, [net, net.a, net.b]);
});

test('zeroGrad drops every parameter gradient', () => {
  const net = new Net();
  for (const p of net.parameters()) p.grad = tensor(new Float32Array(p.size).fill(1), p.shape);
  net.zeroGrad();
  for (const p of net.parameters()) assert.equal(p.grad, null);
});
