// Multiply-accumulate count of one forward pass, by a shape-only pass: the model runs on a stand-in backend
// whose kernels do no arithmetic and only tally conv and GEMM work from their geometry. Every op still checks
// and propagates shapes, so the count follows the real forward (residual branches, concats, pools) exactly.
import type { Backend, Conv2dGeometry } from '../backend/backend.js';
import { getBackend, setBackend } from '../backend/index.js';
import type { Module } from '../nn/index.js';
import { empty } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../tensor/grad_mode.js';

function countingBackend(real: Backend, tally: { macs: number }): Backend {
  const noop = (): void => {};
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'conv2dForward') {
        return (g: Conv2dGeometry): void => {
          tally.macs += g.n * g.k * g.oh * g.ow * (g.c / g.groups) * g.kh * g.kw;
        };
      }
      // No packed-weight convs here: the inference path then takes conv2dForward, counted above.
      if (prop === 'conv2dPackWeights' || prop === 'conv2dForwardPacked') return undefined;
      if (prop === 'gemm') {
        return (_ta: boolean, _tb: boolean, m: number, n: number, k: number): void => {
          tally.macs += m * n * k;
        };
      }
      // tensors still need their buffers: the allocator is no kernel
      if (prop === 'allocFloat32') return target.allocFloat32?.bind(target);
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? noop : v;
    },
  });
}

/** MACs of a batch-1 eval forward at input [C, H, W]. */
export function countMacs(model: Module, inputSize: readonly [number, number, number]): number {
  const tally = { macs: 0 };
  const prev = setBackend(countingBackend(getBackend(), tally));
  const wasTraining = model.training;
  try {
    model.eval();
    const x = empty([1, ...inputSize]);
    noGrad(() => (model as unknown as { forward(x: Tensor): unknown }).forward(x));
  } finally {
    setBackend(prev);
    model.train(wasTraining);
  }
  return tally.macs;
}
