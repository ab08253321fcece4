// Reference row-wise softmax, its backward, cross-entropy on logits, and top-k.

export function softmaxRef(rows: number, cols: number, x: Float32Array, y: Float32Array, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[o + j]!);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[o + j]! - m);
    const ls = Math.log(s);
    for (let j = 0; j < cols; j++) y[o + j] = log ? x[o + j]! - m - ls : Math.exp(x[o + j]! - m) / s;
  }
}

export function softmaxBackwardRef(rows: number, cols: number, y: Float32Array, dy: Float32Array, dx: Float32Array, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += dy[o + j]!;
      for (let j = 0; j < cols; j++) dx[o + j] = dy[o + j]! - Math.exp(y[o + j]!) * s;
    } else {
      for (let j = 0; j < cols; j++) s += dy[o + j]! * y[o + j]!;
      for (let j = 0; j < cols; j++) dx[o + j] = y[o + j]! * (dy[o + j]! - s);
    }
  }
}

export function softmaxCrossEntropyRef(rows: number, cols: number, logits: Float32Array, target: Int32Array | Float32Array, loss: Float32Array, prob: Float32Array): void {
  const hard = target instanceof Int32Array;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, logits[o + j]!);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(logits[o + j]! - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < cols; j++) prob[o + j] = Math.exp(logits[o + j]! - lse);
    if (hard) {
      const t = target[r]!;
      if (!(t >= 0 && t < cols)) throw new RangeError(`cross-entropy: label ${t} in row ${r} is outside [0, ${cols})`);
      loss[r] = lse - logits[o + t]!;
    } else {
      let l = 0;
      for (let j = 0; j < cols; j++) {
        const t = target[o + j]!;
        if (t !== 0) l += t * (lse - logits[o + j]!);
      }
      loss[r] = l;
    }
  }
}

export function topkRef(rows: number, cols: number, x: Float32Array, k: number, values: Float32Array, indices: Int32Array): void {
  const order = new Array<number>(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) order[j] = j;
    order.sort((a, b) => x[o + b]! - x[o + a]! || a - b);
    for (let i = 0; i < k; i++) {
      indices[r * k + i] = order[i]!;
      values[r * k + i] = x[o + order[i]!]!;
    }
  }
}
