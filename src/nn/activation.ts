// Activation layers (stateless wrappers over the ops, so they can sit in a Sequential).
import { hardSigmoid, hardSwish, leakyRelu, relu, relu6, sigmoid, swish, tanh } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** x * sigmoid(x) (β = 1, as ShuffleNetV2_swish). */
export class Swish extends Module {
  forward(x: Tensor): Tensor {
    return swish(x);
  }
}

export class LeakyReLU extends Module {
  /** Fluid's leaky_relu default alpha is 0.02. */
  constructor(readonly slope = 0.02) {
    super();
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.slope);
  }
}

export class HardSwish extends Module {
  forward(x: Tensor): Tensor {
    return hardSwish(x);
  }
}

export class HardSigmoid extends Module {
  /** Fluid's hard_sigmoid defaults: slope 0.2, offset 0.5. */
  constructor(readonly slope = 0.2, readonly offset = 0.5) {
    super();
  }

  forward(x: Tensor): Tensor {
    return hardSigmoid(x, this.slope, this.offset);
  }
}
