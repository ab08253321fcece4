// The differentiable ops: forward through backend kernels, backward recorded on the tape.
export { add, addAct, sub, mul, div, neg, scale, addScalar, exp, log, sqrt, square, abs, maximum, minimum } from './elementwise.js';
export { relu, relu6, leakyRelu, sigmoid, tanh, swish, hardSwish, hardSigmoid } from './activation.js';
export { matmul, linear } from './linalg.js';
export { conv2d, conv2dGeometry, convOutputSize, type Conv2dOpOptions } from './conv.js';
export { batchNorm, batchNormAct, type BatchNormOptions, type BatchNormActOptions } from './batchnorm.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, adaptiveAvgPool2d, pool2dGeometry, poolOutputSize, type Pool2dOpOptions, type AvgPool2dOpOptions } from './pool.js';
export { softmax, logSoftmax } from './softmax.js';
export { crossEntropy, type CrossEntropyOptions } from './loss.js';
export { reshape, flatten, transpose, permute, slice, concat, split, pad } from './shape.js';
export { sum, mean, max } from './reduce.js';
export { argmax, topk, accuracy } from './metrics.js';
export { dropout, type DropoutOptions } from './dropout.js';
