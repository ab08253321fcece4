// The differentiable ops: forward through backend kernels, backward recorded on the tape.
export { add, sub, mul, div, neg, scale, addScalar, exp, log, sqrt, square, abs, maximum, minimum } from './elementwise.js';
export { relu, relu6, leakyRelu, sigmoid, tanh, swish, hardSwish, hardSigmoid } from './activation.js';
export { matmul, linear } from './linalg.js';
