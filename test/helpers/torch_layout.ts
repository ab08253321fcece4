// State dicts in PyTorch names and layouts, filled with the parity formula from a fixture's key list
// (tools/make_torchvision_parity.py, tools/make_timm_parity.py): tensor k gets the formula with index k;
// a 'linear_weight' [out, in] is the fc_weight formula on Paddle's [in, out] transposed, as the tools do.
import { Tensor } from '../../src/tensor/tensor.js';
import { parityValues, type ParityRole } from './parity_weights.js';

export interface TorchKey {
  name: string;
  shape: number[];
  role: Exclude<ParityRole, 'fc_weight'> | 'linear_weight';
}

export function torchLayoutTensors(keys: readonly TorchKey[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  keys.forEach((key, k) => {
    const n = key.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    if (key.role === 'linear_weight') {
      const [o, i] = key.shape as [number, number];
      const paddle = new Float32Array(n);
      parityValues('fc_weight', [i, o], k, paddle);
      for (let r = 0; r < i; r++) for (let c = 0; c < o; c++) v[c * i + r] = paddle[r * o + c]!;
    } else parityValues(key.role, key.shape, k, v);
    out.set(key.name, new Tensor(v, key.shape));
  });
  return out;
}
