// A trainable tensor owned by a Module. It carries its Paddle name (names are global per model,
// e.g. "res2a_branch2a_weights"), which is what state dicts, checkpoints and optimizer slots
// are keyed by.
import { Tensor, type Shape } from '../tensor/tensor.js';
import { allocF32 } from '../tensor/buffer_pool.js';
import { shapeSize } from '../tensor/tensor.js';

export class Parameter extends Tensor {
  /** Whether the optimizer updates it (and gradients flow to it). */
  private _trainable: boolean;
  /** The Paddle name given at registration ('' until registered). */
  name = '';

  constructor(data: Float32Array, shape: Shape, opts: { trainable?: boolean; name?: string } = {}) {
    super(data, shape);
    this._trainable = opts.trainable ?? true;
    if (opts.name !== undefined) this.name = opts.name;
    this.requiresGrad = this._trainable;
  }

  get trainable(): boolean {
    return this._trainable;
  }

  set trainable(value: boolean) {
    this._trainable = value;
    this.requiresGrad = value;
    if (!value) this.zeroGrad();
  }

  /** A zero-filled parameter of the given shape (initialisers then fill it). */
  static zeros(shape: Shape, opts: { trainable?: boolean; name?: string } = {}): Parameter {
    const buf = allocF32(shapeSize(shape));
    buf.fill(0);
    return new Parameter(buf, shape, opts);
  }

  override toString(): string {
    return `Parameter(${this.name || '<unnamed>'}, [${this.shape.join(', ')}]${this._trainable ? '' : ', frozen'})`;
  }
}
