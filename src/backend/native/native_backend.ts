// The C++ kernels. Each method calls one addon function over whole buffers. A kernel the addon
// does not export (yet) falls through to the reference implementation inherited here, so the
// native backend is always complete and gets faster kernel by kernel.
import type { Backend } from '../backend.js';
import { ReferenceBackend } from '../reference/reference_backend.js';
import type { NativeAddon } from './addon.js';

type Fn = (...args: unknown[]) => unknown;

export class NativeBackend extends ReferenceBackend implements Backend {
  override readonly name: 'reference' | 'native' = 'native';
  readonly addon: NativeAddon;

  constructor(addon: NativeAddon) {
    super();
    this.addon = addon;
    const a = addon as Record<string, Fn | undefined>;
    const gemm = a['gemm'];
    if (gemm) {
      this.gemm = (transA, transB, m, n, k, alpha, av, lda, bv, ldb, beta, cv, ldc) => {
        gemm(transA, transB, m, n, k, alpha, av, lda, bv, ldb, beta, cv, ldc);
      };
    }
    const convF = a['conv2dForward'];
    if (convF) this.conv2dForward = (g, x, w, bias, y) => { convF(g, x, w, bias, y); };
    const convD = a['conv2dBackwardData'];
    if (convD) this.conv2dBackwardData = (g, dy, w, dx) => { convD(g, dy, w, dx); };
    const convW = a['conv2dBackwardWeight'];
    if (convW) this.conv2dBackwardWeight = (g, x, dy, dw, db) => { convW(g, x, dy, dw, db); };
  }
}
