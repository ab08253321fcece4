// The kernel interface. Every backend implements all of it; tensor/ops call only these.
// Kernels work on whole contiguous buffers (never per element across the JS/C++ boundary),
// write into caller-provided outputs, and never allocate tensors themselves.

/** Geometry of one 2-D convolution, NCHW input, OIHW weights (I = C / groups). */
export interface Conv2dGeometry {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  /** output channels */
  readonly k: number;
  readonly kh: number;
  readonly kw: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly groups: number;
  readonly oh: number;
  readonly ow: number;
}

/** Geometry of one 2-D pooling window sweep, NCHW. */
export interface Pool2dGeometry {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly kh: number;
  readonly kw: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
  readonly oh: number;
  readonly ow: number;
  /** average pooling: divide by the number of valid (unpadded) cells (Paddle's default) */
  readonly exclusive: boolean;
}

export type UnaryOp =
  | 'relu'
  | 'relu6'
  | 'leaky_relu'
  | 'sigmoid'
  | 'tanh'
  | 'swish'
  | 'hard_swish'
  | 'hard_sigmoid'
  | 'exp'
  | 'log'
  | 'neg'
  | 'sqrt'
  | 'square'
  | 'abs';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';

/** Activation fused into inference batch norm / conv epilogues. */
export type FusedActivation = 'none' | 'relu' | 'relu6';

/** Activation a convolution epilogue applies with the bias (leaky_relu uses the alpha slope). */
export type ConvActivation = 'none' | 'relu' | 'relu6' | 'leaky_relu';

/**
 * Convolution weights packed once for many forward calls (inference). Only the backend that
 * packed them may read `data` (its layout belongs to that backend and this process); the
 * geometry fields the layout depends on are kept so a mismatched use fails loudly.
 */
export interface PackedConvWeights {
  readonly backend: 'reference' | 'native';
  /** which forward reads it: conv2dForwardPacked (NCHW, the default) or convNhwcForward */
  readonly layout?: 'nchw' | 'nhwc';
  readonly k: number;
  readonly c: number;
  readonly kh: number;
  readonly kw: number;
  readonly groups: number;
  readonly data: Float32Array;
}

/**
 * Piecewise-linear activations fused into training kernels. For each, the derivative at x is
 * readable from the output (x > 0 ⇔ act(x) > 0; relu6 also x < 6 ⇔ act(x) < 6; leaky_relu needs
 * slope alpha >= 0), so a fused backward needs only the output, never the pre-activation.
 */
export type RectifierActivation = ConvActivation;

/** One conv of Backend.invertedResidualNhwc: its geometry, channels-last packed weights, bias and activation. */
export interface NhwcConvStep {
  readonly g: Conv2dGeometry;
  readonly packed: PackedConvWeights;
  readonly bias: Float32Array | null;
  readonly act: 'none' | 'relu' | 'relu6';
}

export interface Backend {
  readonly name: 'reference' | 'native';

  /**
   * A zero-filled Float32Array of n floats whose data is aligned for the kernels' vector loads
   * (a view into its own, slightly larger ArrayBuffer; optional: without it tensors are plain
   * `new Float32Array`).
   */
  allocFloat32?(n: number): Float32Array;

  /** Row-major C = alpha * op(A) * op(B) + beta * C; op(A) is m x k, op(B) is k x n. */
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
  ): void;

  conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void;
  /**
   * Inference fast path: pack w (OIHW) once for every later conv2dForwardPacked with the same
   * k, c, kh, kw, groups (any n, h, w, stride, padding, dilation).
   */
  conv2dPackWeights?(g: Conv2dGeometry, w: Float32Array): PackedConvWeights;
  /**
   * y = act(conv(x, packed) + bias + residual), the bias, the residual (shaped like y: a residual
   * block's shortcut) and the activation fused into the output tiles.
   */
  conv2dForwardPacked?(
    g: Conv2dGeometry, x: Float32Array, packed: PackedConvWeights, bias: Float32Array | null, y: Float32Array,
    act: ConvActivation, alpha: number, residual?: Float32Array | null,
  ): void;
  /**
   * Channels-last inference (optional: the native backend). x, y and residual are NHWC buffers
   * of the geometry's NCHW shapes; groups 1 or depthwise with multiplier 1 (convNhwcSupports).
   * y = act(conv(x, packed) + bias + residual), fused as conv2dForwardPacked.
   */
  convNhwcSupports?(g: Conv2dGeometry): boolean;
  convNhwcPackWeights?(g: Conv2dGeometry, w: Float32Array): PackedConvWeights;
  convNhwcForward?(
    g: Conv2dGeometry, x: Float32Array, packed: PackedConvWeights, bias: Float32Array | null, y: Float32Array,
    act: ConvActivation, alpha: number, residual?: Float32Array | null,
  ): void;
  /**
   * MobileNetV2's inverted residual unit in one call (optional: the native backend): y =
   * project(depthwise(expand(x))) + residual, each step a convNhwcForward with its bias and act
   * (none, relu or relu6), the same values, but the expanded rows never go to memory. The
   * geometries chain: 1x1 expand, depthwise, 1x1 project; y overlaps neither x nor residual.
   */
  invertedResidualNhwc?(expand: NhwcConvStep, depthwise: NhwcConvStep, project: NhwcConvStep, x: Float32Array, residual: Float32Array | null, y: Float32Array): void;
  /** Pools over NHWC buffers: the values maxPool2dForward / avgPool2dForward give (no argmax). */
  maxPool2dNhwc?(g: Pool2dGeometry, x: Float32Array, y: Float32Array): void;
  avgPool2dNhwc?(g: Pool2dGeometry, x: Float32Array, y: Float32Array): void;
  /** Layout copies between [n][c][hw] and [n][hw][c]. */
  nchwToNhwc?(n: number, c: number, hw: number, src: Float32Array, dst: Float32Array): void;
  nhwcToNchw?(n: number, c: number, hw: number, src: Float32Array, dst: Float32Array): void;
  /** dx is overwritten. */
  conv2dBackwardData(g: Conv2dGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  /** dw (and db when given) are overwritten. */
  conv2dBackwardWeight(g: Conv2dGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null): void;

  /** argmax receives, per output cell, the flat input index (within its n,c plane) of the max; -1 if the window is all padding. */
  maxPool2dForward(g: Pool2dGeometry, x: Float32Array, y: Float32Array, argmax: Int32Array): void;
  /** dx is overwritten. */
  maxPool2dBackward(g: Pool2dGeometry, dy: Float32Array, argmax: Int32Array, dx: Float32Array): void;
  avgPool2dForward(g: Pool2dGeometry, x: Float32Array, y: Float32Array): void;
  /** dx is overwritten. */
  avgPool2dBackward(g: Pool2dGeometry, dy: Float32Array, dx: Float32Array): void;

  /**
   * Training batch norm over [n, c, hw]: y = gamma * (x - mean) * invStd + beta with batch statistics.
   * Writes the batch mean and 1/sqrt(biased var + eps) per channel into saveMean / saveInvStd, and the
   * biased batch variance into batchVar (for the running-statistics update).
   */
  batchNormTrainForward(
    n: number, c: number, hw: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number,
    y: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, batchVar: Float32Array,
  ): void;
  /** dx, dgamma, dbeta overwritten. */
  batchNormBackward(
    n: number, c: number, hw: number, x: Float32Array, dy: Float32Array, gamma: Float32Array,
    saveMean: Float32Array, saveInvStd: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
  ): void;
  /**
   * batchNormTrainForward followed by y = act(y) in the same pass (alpha: leaky_relu slope).
   * Same statistics and rounding as the unfused pair.
   */
  batchNormActTrainForward(
    n: number, c: number, hw: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number,
    act: RectifierActivation, alpha: number, y: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, batchVar: Float32Array,
  ): void;
  /**
   * Backward of batchNormActTrainForward: dy is taken through the activation (its mask read from
   * the fused output y) and then through batch norm. dx, dgamma, dbeta overwritten.
   */
  batchNormActBackward(
    n: number, c: number, hw: number, x: Float32Array, y: Float32Array, dy: Float32Array, gamma: Float32Array,
    saveMean: Float32Array, saveInvStd: Float32Array, act: RectifierActivation, alpha: number,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
  ): void;
  /** Inference: y = act(x * scale[c] + shift[c]) over [n, c, hw] (scale/shift folded from BN statistics). */
  channelAffine(n: number, c: number, hw: number, x: Float32Array, scale: Float32Array, shift: Float32Array, act: FusedActivation, y: Float32Array): void;

  /** y = op(x); alpha is the leaky_relu slope (ignored elsewhere). */
  unary(op: UnaryOp, x: Float32Array, y: Float32Array, alpha: number): void;
  /** dx = dy * op'(x) (y = op(x) is given too, for ops whose derivative is cheaper from it). dx overwritten. */
  unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, alpha: number): void;

  /** out = a op b with numpy broadcasting; shapes are given with equal rank (padded with leading 1s). */
  binary(op: BinaryOp, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], out: Float32Array, outShape: readonly number[]): void;
  /** out = act(a + b) over equal-length buffers (a residual join); its backward is unaryBackward on out. */
  addAct(a: Float32Array, b: Float32Array, act: RectifierActivation, alpha: number, out: Float32Array): void;
  /** y = a * x + b * y elementwise (scalars a, b); used for gradient accumulation and scaling. */
  axpby(a: number, x: Float32Array, b: number, y: Float32Array): void;
  fill(y: Float32Array, value: number): void;

  /** Sums src (shape srcShape) into dst (shape dstShape, same rank, each dim 1 or equal): the adjoint of broadcasting. dst overwritten. */
  sumToShape(src: Float32Array, srcShape: readonly number[], dst: Float32Array, dstShape: readonly number[]): void;
  /** Reduces [outer, axis, inner] over the axis: sum | mean | max (max also writes argmax indices along the axis). */
  reduceAxis(op: 'sum' | 'mean' | 'max', outer: number, axis: number, inner: number, x: Float32Array, y: Float32Array, argmax: Int32Array | null): void;

  /** Generic strided copy (permute, slice, concat, pad, split all lower to this). */
  stridedCopy(
    src: Float32Array, srcOffset: number, srcStrides: readonly number[],
    dst: Float32Array, dstOffset: number, dstStrides: readonly number[], shape: readonly number[],
  ): void;

  /** Row-wise softmax (or log-softmax) of a [rows, cols] matrix. */
  softmax(rows: number, cols: number, x: Float32Array, y: Float32Array, log: boolean): void;
  /** dx for softmax (log=false) or log-softmax (log=true) given its output y and dy. dx overwritten. */
  softmaxBackward(rows: number, cols: number, y: Float32Array, dy: Float32Array, dx: Float32Array, log: boolean): void;
  /**
   * Cross-entropy on logits, per row: hard labels (Int32Array of class ids) or soft targets
   * (Float32Array [rows, cols], rows summing to 1). Writes per-row losses and the softmax
   * probabilities (kept for backward: dlogits = (prob - target) * dloss).
   */
  softmaxCrossEntropy(rows: number, cols: number, logits: Float32Array, target: Int32Array | Float32Array, loss: Float32Array, prob: Float32Array): void;

  /** Per row, the indices of the k largest values, largest first (ties: lower index first). */
  topk(rows: number, cols: number, x: Float32Array, k: number, values: Float32Array, indices: Int32Array): void;

  /** Optimizer steps, in place over one parameter (fused so an update is one pass over memory). */
  sgdMomentum(p: Float32Array, g: Float32Array, v: Float32Array, lr: number, momentum: number, l2: number, nesterov: boolean): void;
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, step: number, l2: number, decoupledWeightDecay: number): void;
  rmsprop(p: Float32Array, g: Float32Array, ms: Float32Array, mom: Float32Array, lr: number, rho: number, eps: number, momentum: number, l2: number): void;
}
