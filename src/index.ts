// The public API.
export { Tensor, tensor, intTensor, zeros, ones, full, empty, shapeSize } from './tensor/tensor.js';
export type { DType, Shape } from './tensor/tensor.js';
export { noGrad, enableGrad, isGradEnabled } from './tensor/grad_mode.js';
export { getBackend, setBackend, referenceBackend, nativeBackend } from './backend/index.js';
export * from './tensor/ops/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './models/index.js';
export * from './io/index.js';
