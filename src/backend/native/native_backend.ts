// The C++ kernels. Each method calls one addon function over whole buffers. A kernel the addon
// does not export (yet) falls through to the reference implementation inherited here, so the
// native backend is always complete and gets faster kernel by kernel.
import type { Backend, Conv2dGeometry, ConvActivation } from '../backend.js';
import { checkPackedConvWeights } from '../reference/conv.js';
import { ReferenceBackend } from '../reference/reference_backend.js';
import type { NativeAddon } from './addon.js';

type Fn = (...args: unknown[]) => unknown;

/**
 * g's fields in the order the addon reads an Int32Array geometry (native/conv/conv.cc). The hot
 * inference calls pass this instead of the object: eighteen named property reads through
 * Node-API were half the cost of a small layer's call. Scratch arrays serve every call (the
 * addon reads them before returning): slot 0, and 1 and 2 for the calls that take three.
 */
const geomScratch = [new Int32Array(18), new Int32Array(18), new Int32Array(18)] as const;
function geomInts(g: Conv2dGeometry, slot: 0 | 1 | 2 = 0): Int32Array {
  const s = geomScratch[slot];
  s[0] = g.n; s[1] = g.c; s[2] = g.h; s[3] = g.w; s[4] = g.k; s[5] = g.kh; s[6] = g.kw;
  s[7] = g.strideH; s[8] = g.strideW; s[9] = g.padTop; s[10] = g.padBottom; s[11] = g.padLeft; s[12] = g.padRight;
  s[13] = g.dilationH; s[14] = g.dilationW; s[15] = g.groups; s[16] = g.oh; s[17] = g.ow;
  return s;
}

/** Floats in one 2 MB page. */
const HUGE_PAGE_FLOATS = (2 << 20) / 4;

/** The addon's numbering of conv epilogue activations. */
const CONV_ACT: Record<ConvActivation, number> = { none: 0, relu: 1, relu6: 2, leaky_relu: 3 };

export class NativeBackend extends ReferenceBackend implements Backend {
  override readonly name: 'reference' | 'native' = 'native';
  readonly addon: NativeAddon;
  // Channels-last inference: native only (assigned below when the addon has the kernels; `declare`
  // so that absent stays absent rather than an own property holding undefined).
  declare allocFloat32?: NonNullable<Backend['allocFloat32']>;
  declare convNhwcSupports?: NonNullable<Backend['convNhwcSupports']>;
  declare convNhwcPackWeights?: NonNullable<Backend['convNhwcPackWeights']>;
  declare convNhwcForward?: NonNullable<Backend['convNhwcForward']>;
  declare invertedResidualNhwc?: NonNullable<Backend['invertedResidualNhwc']>;
  declare maxPool2dNhwc?: NonNullable<Backend['maxPool2dNhwc']>;
  declare avgPool2dNhwc?: NonNullable<Backend['avgPool2dNhwc']>;
  declare nchwToNhwc?: NonNullable<Backend['nchwToNhwc']>;
  declare nhwcToNchw?: NonNullable<Backend['nhwcToNchw']>;

  constructor(addon: NativeAddon) {
    super();
    this.addon = addon;
    const a = addon as Record<string, Fn | undefined>;
    const alignOffset = a['alignOffset'];
    // malloc's 16-byte alignment would split every 64-byte vector access across two cache lines:
    // 64 bytes more, viewed from the first aligned one (native/aligned_array.cc)
    if (alignOffset) {
      this.allocFloat32 = (n) => {
        const ab = new ArrayBuffer(n * 4 + 64);
        return new Float32Array(ab, alignOffset(ab) as number, n);
      };
    }
    const alloc = (n: number): Float32Array => this.allocFloat32?.(n) ?? new Float32Array(n);
    // Packed weights of a whole huge page or more: in 2 MB pages (native/huge_pages.cc), since a
    // batch-1 forward streams them all from memory.
    const hugePageOffset = a['hugePageOffset'];
    const allocWeights = (n: number): Float32Array => {
      if (n < HUGE_PAGE_FLOATS || !hugePageOffset) return alloc(n);
      const ab = new ArrayBuffer(n * 4 + HUGE_PAGE_FLOATS * 4);
      return new Float32Array(ab, hugePageOffset(ab, n * 4) as number, n);
    };
    const gemm = a['gemm'];
    if (gemm) {
      this.gemm = (transA, transB, m, n, k, alpha, av, lda, bv, ldb, beta, cv, ldc) => {
        gemm(transA, transB, m, n, k, alpha, av, lda, bv, ldb, beta, cv, ldc);
      };
    }
    const convF = a['conv2dForward'];
    if (convF) this.conv2dForward = (g, x, w, bias, y) => { convF(g, x, w, bias, y); };
    const convSize = a['conv2dPackedWeightsSize'];
    const convPack = a['conv2dPackWeights'];
    const convFP = a['conv2dForwardPacked'];
    if (convSize && convPack && convFP) {
      this.conv2dPackWeights = (g, w) => {
        const data = allocWeights(convSize(g) as number);
        convPack(g, w, data);
        return { backend: 'native', k: g.k, c: g.c, kh: g.kh, kw: g.kw, groups: g.groups, data };
      };
      this.conv2dForwardPacked = (g, x, packed, bias, y, act, alpha, residual = null) => {
        checkPackedConvWeights(g, packed, 'native', 'nchw');
        convFP(geomInts(g), x, packed.data, bias, y, CONV_ACT[act], alpha, residual);
      };
    }
    const nhwcOk = a['convNhwcSupports'];
    const nhwcSize = a['convNhwcPackedSize'];
    const nhwcPack = a['convNhwcPack'];
    const nhwcF = a['convNhwcForward'];
    if (nhwcOk && nhwcSize && nhwcPack && nhwcF) {
      this.convNhwcSupports = (g) => nhwcOk(g) as boolean;
      this.convNhwcPackWeights = (g, w) => {
        const data = allocWeights(nhwcSize(g) as number);
        nhwcPack(g, w, data);
        return { backend: 'native', layout: 'nhwc', k: g.k, c: g.c, kh: g.kh, kw: g.kw, groups: g.groups, data };
      };
      this.convNhwcForward = (g, x, packed, bias, y, act, alpha, residual = null) => {
        checkPackedConvWeights(g, packed, 'native', 'nhwc');
        nhwcF(geomInts(g), x, packed.data, bias, y, CONV_ACT[act], alpha, residual);
      };
    }
    const irN = a['invertedResidualNhwc'];
    if (irN && this.convNhwcForward) {
      this.invertedResidualNhwc = (e, d, p, x, residual, y) => {
        for (const s of [e, d, p]) checkPackedConvWeights(s.g, s.packed, 'native', 'nhwc');
        irN(geomInts(e.g, 0), geomInts(d.g, 1), geomInts(p.g, 2), x, e.packed.data, e.bias, CONV_ACT[e.act], d.packed.data, d.bias,
          CONV_ACT[d.act], p.packed.data, p.bias, CONV_ACT[p.act], residual, y);
      };
    }
    const mpN = a['maxPool2dNhwc'];
    if (mpN) this.maxPool2dNhwc = (g, x, y) => { mpN(g, x, y); };
    const apN = a['avgPool2dNhwc'];
    if (apN) this.avgPool2dNhwc = (g, x, y) => { apN(g, x, y); };
    const toNhwc = a['nchwToNhwc'];
    if (toNhwc) this.nchwToNhwc = (n, c, hw, src, dst) => { toNhwc(n, c, hw, src, dst); };
    const toNchw = a['nhwcToNchw'];
    if (toNchw) this.nhwcToNchw = (n, c, hw, src, dst) => { toNchw(n, c, hw, src, dst); };
    const convD = a['conv2dBackwardData'];
    if (convD) this.conv2dBackwardData = (g, dy, w, dx) => { convD(g, dy, w, dx); };
    const convW = a['conv2dBackwardWeight'];
    if (convW) this.conv2dBackwardWeight = (g, x, dy, dw, db) => { convW(g, x, dy, dw, db); };
    // Pools, batch norm, elementwise, softmax/cross-entropy, top-k, optimizers (native/kernels/*.cc).
    const mpF = a['maxPool2dForward'];
    if (mpF) this.maxPool2dForward = (g, x, y, am) => { mpF(g, x, y, am); };
    const mpB = a['maxPool2dBackward'];
    if (mpB) this.maxPool2dBackward = (g, dy, am, dx) => { mpB(g, dy, am, dx); };
    const apF = a['avgPool2dForward'];
    if (apF) this.avgPool2dForward = (g, x, y) => { apF(g, x, y); };
    const apB = a['avgPool2dBackward'];
    if (apB) this.avgPool2dBackward = (g, dy, dx) => { apB(g, dy, dx); };
    const bnF = a['batchNormTrainForward'];
    if (bnF) {
      this.batchNormTrainForward = (n, c, hw, x, gamma, beta, eps, y, sm, si, bv) => { bnF(n, c, hw, x, gamma, beta, eps, y, sm, si, bv); };
    }
    const bnB = a['batchNormBackward'];
    if (bnB) {
      this.batchNormBackward = (n, c, hw, x, dy, gamma, sm, si, dx, dg, db) => { bnB(n, c, hw, x, dy, gamma, sm, si, dx, dg, db); };
    }
    const bnaF = a['batchNormActTrainForward'];
    if (bnaF) {
      this.batchNormActTrainForward = (n, c, hw, x, gamma, beta, eps, act, alpha, y, sm, si, bv) => { bnaF(n, c, hw, x, gamma, beta, eps, act, alpha, y, sm, si, bv); };
    }
    const bnaB = a['batchNormActBackward'];
    if (bnaB) {
      this.batchNormActBackward = (n, c, hw, x, y, dy, gamma, sm, si, act, alpha, dx, dg, db) => { bnaB(n, c, hw, x, y, dy, gamma, sm, si, act, alpha, dx, dg, db); };
    }
    const addAct = a['addAct'];
    if (addAct) this.addAct = (av, bv, act, alpha, out) => { addAct(av, bv, act, alpha, out); };
    const aff = a['channelAffine'];
    if (aff) this.channelAffine = (n, c, hw, x, scale, shift, act, y) => { aff(n, c, hw, x, scale, shift, act, y); };
    const un = a['unary'];
    if (un) this.unary = (op, x, y, alpha) => { un(op, x, y, alpha); };
    const unB = a['unaryBackward'];
    if (unB) this.unaryBackward = (op, x, y, dy, dx, alpha) => { unB(op, x, y, dy, dx, alpha); };
    const bin = a['binary'];
    if (bin) this.binary = (op, av, as, bv, bs, out, os) => { bin(op, av, as, bv, bs, out, os); };
    const axpby = a['axpby'];
    if (axpby) {
      this.axpby = (s, x, t, y) => {
        if (x.length !== y.length) throw new RangeError(`axpby: lengths ${x.length} and ${y.length} differ`);
        axpby(s, x, t, y);
      };
    }
    const fill = a['fill'];
    if (fill) this.fill = (y, v) => { if (y.length < 4096) y.fill(v); else fill(y, v); };
    const sts = a['sumToShape'];
    if (sts) this.sumToShape = (src, ss, dst, ds) => { sts(src, ss, dst, ds); };
    const red = a['reduceAxis'];
    if (red) this.reduceAxis = (op, outer, axis, inner, x, y, am) => { red(op, outer, axis, inner, x, y, am); };
    const sc = a['stridedCopy'];
    if (sc) this.stridedCopy = (src, so, ss, dst, dof, ds, shape) => { sc(src, so, ss, dst, dof, ds, shape); };
    const smx = a['softmax'];
    if (smx) this.softmax = (rows, cols, x, y, log) => { smx(rows, cols, x, y, log); };
    const smxB = a['softmaxBackward'];
    if (smxB) this.softmaxBackward = (rows, cols, y, dy, dx, log) => { smxB(rows, cols, y, dy, dx, log); };
    const xent = a['softmaxCrossEntropy'];
    if (xent) this.softmaxCrossEntropy = (rows, cols, logits, t, loss, prob) => { xent(rows, cols, logits, t, loss, prob); };
    const topk = a['topk'];
    if (topk) this.topk = (rows, cols, x, k, values, indices) => { topk(rows, cols, x, k, values, indices); };
    const sgd = a['sgdMomentum'];
    if (sgd) this.sgdMomentum = (p, g, v, lr, mu, l2, nesterov) => { sgd(p, g, v, lr, mu, l2, nesterov); };
    const adam = a['adam'];
    if (adam) this.adam = (p, g, m, v, lr, b1, b2, eps, step, l2, wd) => { adam(p, g, m, v, lr, b1, b2, eps, step, l2, wd); };
    const rms = a['rmsprop'];
    if (rms) this.rmsprop = (p, g, ms, mom, lr, rho, eps, mu, l2) => { rms(p, g, ms, mom, lr, rho, eps, mu, l2); };
  }
}
