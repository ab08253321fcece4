// Reference GEMM, row-major, accumulating in float64. Loop orders keep the inner loop on
// contiguous memory: i-p-j (streaming rows of B and C) when B is not transposed, and a dot
// product over p (rows of A and of B^T are both contiguous) when it is.
export function gemmRef(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
): void {
  const store = (co: number, j: number, v: number): void => {
    c[co + j] = beta === 0 ? alpha * v : alpha * v + beta * c[co + j]!;
  };
  if (transB && !transA) {
    for (let i = 0; i < m; i++) {
      const ao = i * lda;
      const co = i * ldc;
      for (let j = 0; j < n; j++) {
        const bo = j * ldb;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ao + p]! * b[bo + p]!;
        store(co, j, s);
      }
    }
    return;
  }
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
    for (let j = 0; j < n; j++) store(co, j, acc[j]!);
  }
}
