// Reference GEMM: row-major, i-p-j loop order so the inner loop streams rows of B and C.
export function gemmRef(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
): void {
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const av = transA ? a[p * lda + i]! : a[i * lda + p]!;
      if (av === 0) continue;
      if (transB) for (let j = 0; j < n; j++) acc[j] = acc[j]! + av * b[j * ldb + p]!;
      else {
        const bo = p * ldb;
        for (let j = 0; j < n; j++) acc[j] = acc[j]! + av * b[bo + j]!;
      }
    }
    const co = i * ldc;
    if (beta === 0) for (let j = 0; j < n; j++) c[co + j] = alpha * acc[j]!;
    else for (let j = 0; j < n; j++) c[co + j] = alpha * acc[j]! + beta * c[co + j]!;
  }
}
