import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { backendsUnderTest, expectNative } from './helpers/backends.js';
import { nativeBackend } from '../src/backend/index.js';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { randomArray, relError } from './helpers/random.js';

// Naive float64 oracle, independent of every backend.
function oracle(tA: boolean, tB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number,
  b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): Float32Array {
  const out = c.slice();
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let p = 0; p < k; p++) acc += (tA ? a[p * lda + i]! : a[i * lda + p]!) * (tB ? b[j * ldb + p]! : b[p * ldb + j]!);
    out[i * ldc + j] = alpha * acc + (beta === 0 ? 0 : beta * c[i * ldc + j]!);
  }
  return out;
}

test('native addon loads when not disabled', () => {
  if (expectNative()) assert.ok(nativeBackend(), 'native backend should load in a normal install');
});

const shapes: [number, number, number][] = [[1, 1, 1], [7, 5, 3], [33, 17, 65], [64, 64, 64], [129, 70, 257], [5, 300, 2], [250, 3, 40]];
for (const be of backendsUnderTest()) {
  for (const [m, n, k] of shapes) {
    for (const tA of [false, true]) for (const tB of [false, true]) for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]] as const) {
      test(`${be.name} gemm m=${m} n=${n} k=${k} tA=${tA} tB=${tB} alpha=${alpha} beta=${beta}`, () => {
        const lda = (tA ? m : k) + 3, ldb = (tB ? k : n) + 1, ldc = n + 2;
        const a = randomArray((tA ? k : m) * lda, 1), b = randomArray((tB ? n : k) * ldb, 2), c = randomArray(m * ldc, 3);
        const want = oracle(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        const got = c.slice();
        be.gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc);
        assert.ok(relError(got, want) < 1e-5, `rel error ${relError(got, want)}`);
      });
    }
  }
}

// Shapes that cross the blocked kernel's boundaries: m > MC (144), k > KC (256), n not a multiple
// of NR, n > NC (4064 / 4080), tall-skinny and short-wide, plus odd strides; and m <= 4 rows against a
// wide B (the streamed path of a batch-1 fc layer, threaded above 2^20 multiply-adds). Sized so the
// float64 oracle stays fast.
const blockShapes: [number, number, number][] = [[150, 40, 260], [7, 4100, 9], [2000, 3, 20], [1, 300, 513], [97, 33, 1],
  [1, 1100, 1000], [3, 4100, 100], [4, 70, 33]];
for (const be of backendsUnderTest()) {
  for (const [m, n, k] of blockShapes) {
    for (const tA of [false, true]) for (const tB of [false, true]) for (const [alpha, beta] of [[1, 0], [0.75, -1.5]] as const) {
      test(`${be.name} gemm blocks m=${m} n=${n} k=${k} tA=${tA} tB=${tB} alpha=${alpha} beta=${beta}`, () => {
        const lda = (tA ? m : k) + 5, ldb = (tB ? k : n) + 3, ldc = n + 1;
        const a = randomArray((tA ? k : m) * lda, 11), b = randomArray((tB ? n : k) * ldb, 12), c = randomArray(m * ldc, 13);
        const want = oracle(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        const got = c.slice();
        be.gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc);
        assert.ok(relError(got, want) < 1e-5, `rel error ${relError(got, want)}`);
      });
    }
  }

  test(`${be.name} gemm beta=0 ignores NaN in C, and leaves the padding between rows alone`, () => {
    const m = 40, n = 50, k = 300, ldc = n + 4;
    const a = randomArray(m * k, 21), b = randomArray(k * n, 22);
    const c = new Float32Array(m * ldc).fill(Number.NaN);
    for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) c[i * ldc + j] = 7;
    be.gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, ldc);
    const want = oracle(false, false, m, n, k, 1, a, k, b, n, 0, new Float32Array(m * ldc), ldc);
    for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) { want[i * ldc + j] = 7; }
    assert.ok(relError(c, want) < 1e-5, `rel error ${relError(c, want)}`);
  });

  test(`${be.name} gemm alpha=0 or k=0 only scales C by beta`, () => {
    const m = 9, n = 11, a = randomArray(m * 4, 31), b = randomArray(4 * n, 32), c0 = randomArray(m * n, 33);
    const c1 = c0.slice();
    be.gemm(false, false, m, n, 4, 0, a, 4, b, n, 0.5, c1, n);
    assert.deepEqual(Array.from(c1), Array.from(c0, (v) => Math.fround(v * 0.5)));
    const c2 = c0.slice();
    be.gemm(false, false, m, n, 0, 1, a, 1, b, n, 0, c2, n);
    assert.ok(c2.every((v) => v === 0));
  });
}

// Every ISA path this CPU can run, each in a child process (the path is chosen once at load):
// IMCLS_ISA lowers it. The child checks a few shapes (one large enough to use the thread pool)
// against a float64 oracle and reports the kernel it ran plus the worst relative error.
const childScript = (backendUrl: string, addonUrl: string): string => `
import { nativeBackend } from ${JSON.stringify(backendUrl)};
import { loadNativeAddon } from ${JSON.stringify(addonUrl)};
const be = nativeBackend();
const addon = loadNativeAddon().addon;
let s = 7;
const rnd = (n) => Float32Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2147483648 - 1; });
let worst = 0;
for (const [m, n, k, tA, tB, beta] of [[37, 45, 300, false, false, 0], [150, 20, 70, true, false, 1], [13, 29, 5, false, true, -0.5], [240, 230, 260, true, true, 0.25]]) {
  const lda = tA ? m : k, ldb = tB ? k : n;
  const a = rnd(m * k), b = rnd(k * n), c = rnd(m * n), got = c.slice();
  be.gemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, beta, got, n);
  let d = 0, sc = 1;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let p = 0; p < k; p++) acc += (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]);
    const w = 1.5 * acc + (beta === 0 ? 0 : beta * c[i * n + j]);
    d = Math.max(d, Math.abs(got[i * n + j] - w)); sc = Math.max(sc, Math.abs(w));
  }
  worst = Math.max(worst, d / sc);
}
console.log(JSON.stringify({ isa: addon.info().isa, kernel: addon.gemmInfo().kernel, worst }));
`;

const detected = loadNativeAddon().addon?.info().detectedIsa;
const isaPaths = detected === 'avx512' ? ['baseline', 'avx2', 'avx512'] : detected === 'avx2' ? ['baseline', 'avx2'] : ['baseline'];
for (const isa of isaPaths) {
  test(`native gemm under IMCLS_ISA=${isa} (child process)`, { skip: detected === undefined ? 'native addon not loaded' : false }, () => {
    const script = childScript(new URL('../src/backend/index.js', import.meta.url).href,
      new URL('../src/backend/native/addon.js', import.meta.url).href);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, IMCLS_ISA: isa, IMCLS_BACKEND: 'native' }, encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { isa: string; kernel: string; worst: number };
    assert.equal(out.isa, isa);
    assert.equal(out.kernel, isa);
    assert.ok(out.worst < 1e-5, `${isa}: rel error ${out.worst}`);
  });
}

// Pre-packed A (the convolution-weights path of gemm.h): pack once, multiply several B, threaded
// and not; shapes cross the MC/KC blocks and an m-split (m > 2 * MR) under the pool.
test('native gemm with pre-packed A matches the oracle', { skip: loadNativeAddon().addon ? false : 'native addon not loaded' }, () => {
  const addon = loadNativeAddon().addon! as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [m, n, k, tA, tB] of [[150, 70, 600, false, false], [13, 200, 300, true, false], [400, 90, 50, false, true]] as const) {
    const lda = (tA ? m : k) + 2, ldb = (tB ? k : n) + 1;
    const a = randomArray((tA ? k : m) * lda, 41);
    const packed = new Float32Array(addon['gemmPackedASize']!(m, k) as number);
    addon['gemmPackA']!(tA, m, k, a, lda, packed);
    for (const threaded of [true, false]) {
      const b = randomArray((tB ? n : k) * ldb, threaded ? 42 : 43), c = randomArray(m * n, 44);
      const want = oracle(tA, tB, m, n, k, 0.5, a, lda, b, ldb, 2, c, n);
      const got = c.slice();
      addon['gemmPackedA']!(m, n, k, 0.5, packed, tB, b, ldb, 2, got, n, threaded);
      assert.ok(relError(got, want) < 1e-5, `m=${m} n=${n} k=${k} threaded=${threaded}: rel error ${relError(got, want)}`);
    }
  }
});
