import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendsUnderTest, expectNative } from './helpers/backends.js';
import { nativeBackend } from '../src/backend/index.js';
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
