// Reference optimizer steps, Paddle's update rules (PADDLE_REFERENCE §3); L2 is added to the gradient.

export function sgdMomentumRef(p: Float32Array, g: Float32Array, v: Float32Array, lr: number, momentum: number, l2: number, nesterov: boolean): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! + l2 * p[i]!;
    const vi = momentum * v[i]! + gi;
    v[i] = vi;
    p[i] = p[i]! - lr * (nesterov ? gi + momentum * vi : vi);
  }
}

export function adamRef(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, step: number, l2: number, wd: number): void {
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! + l2 * p[i]!;
    const mi = beta1 * m[i]! + (1 - beta1) * gi;
    const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! - lr * wd * p[i]! - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
  }
}

export function rmspropRef(p: Float32Array, g: Float32Array, ms: Float32Array, mom: Float32Array, lr: number, rho: number, eps: number, momentum: number, l2: number): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! + l2 * p[i]!;
    const msi = rho * ms[i]! + (1 - rho) * gi * gi;
    ms[i] = msi;
    const mi = momentum * mom[i]! + (lr * gi) / Math.sqrt(msi + eps);
    mom[i] = mi;
    p[i] = p[i]! - mi;
  }
}
