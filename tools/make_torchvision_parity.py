#!/usr/bin/python3
"""torchvision ResNet50 import parity fixture (run with /usr/bin/python3: torch 1.13, torchvision 0.14).

Builds torchvision's resnet50, fills every state-dict tensor (num_batches_tracked skipped) by the
contract's parity formula with k = its index in torchvision's state-dict order and roles from the
owning module (Conv2d weight / Linear weight+bias / BatchNorm2d scale, offset, mean, var); the
Linear weight is generated in Paddle's [in, out] layout and transposed to PyTorch's [out, in].
Runs the parity input [1, 3, 64, 64] in eval mode and writes test/fixtures/torchvision_resnet50_logits.json:
the key list (name, shape, role, k) so the TS test can regenerate the same weights, and the logits.
With --weights_out PATH it also writes the weights as a safetensors file (for manual checks; never commit it).
"""
import argparse
import json
import math
import os
import struct

import numpy as np
import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
H = W = 64


def formula(role, shape, k):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    if role == 'bn_mean':
        v = 0.1 * np.sin(0.37 * i + 0.11 * k)
    elif role == 'bn_var':
        v = 1.0 + 0.25 * np.sin(0.53 * i + 0.07 * k)
    elif role == 'bn_scale':
        v = 1.0 + 0.1 * np.sin(0.71 * i + 0.13 * k)
    elif role == 'bn_offset':
        v = 0.1 * np.sin(0.29 * i + 0.17 * k)
    elif role == 'bias':
        v = 0.05 * np.sin(1.3 * i + 1.0 * k)
    elif role == 'weight':
        fan_in = shape[1] * shape[2] * shape[3] if len(shape) == 4 else shape[0]
        v = math.sqrt(3.0 / fan_in) * np.sin(0.9 * i + 0.3 * k + 0.5)
    else:
        raise ValueError(role)
    return v.astype(np.float32).reshape(shape)


def roles_of(model):
    roles = {}
    for mname, m in model.named_modules():
        p = mname + '.' if mname else ''
        if isinstance(m, torch.nn.BatchNorm2d):
            roles.update({p + 'weight': 'bn_scale', p + 'bias': 'bn_offset', p + 'running_mean': 'bn_mean', p + 'running_var': 'bn_var'})
        elif isinstance(m, torch.nn.Conv2d):
            roles[p + 'weight'] = 'weight'
            if m.bias is not None:
                roles[p + 'bias'] = 'bias'
        elif isinstance(m, torch.nn.Linear):
            roles[p + 'weight'] = 'linear_weight'
            roles[p + 'bias'] = 'bias'
    return roles


def write_safetensors(path, tensors):
    header = {}
    offset = 0
    blobs = []
    for name, arr in tensors:
        b = np.ascontiguousarray(arr, dtype='<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights_out', default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = torchvision.models.resnet50()
    model.eval()
    roles = roles_of(model)
    sd = model.state_dict()
    keys = []
    tensors = []
    k = 0
    for name, t in sd.items():
        if name.endswith('num_batches_tracked'):
            continue
        role = roles[name]
        shape = list(t.shape)
        if role == 'linear_weight':
            v = formula('weight', [shape[1], shape[0]], k).T.copy()
        else:
            v = formula(role, shape, k)
        with torch.no_grad():
            t.copy_(torch.from_numpy(v))
        keys.append({'name': name, 'shape': shape, 'role': role})
        tensors.append((name, v))
        k += 1
    i = np.arange(3 * H * W, dtype=np.float64)
    x = torch.from_numpy((np.sin(0.013 * i + 0.5) * 1.5).astype(np.float32).reshape(1, 3, H, W))
    with torch.no_grad():
        logits = model(x)[0].double().numpy()
    out = {
        '_about': 'tools/make_torchvision_parity.py: torchvision 0.14 resnet50 with parity-formula weights in its state-dict order (k = index, '
                  'num_batches_tracked skipped; linear_weight = formula on [in, out] then transposed); logits of the parity input [1, 3, %d, %d]' % (H, W),
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'input_shape': [1, 3, H, W],
        'keys': keys,
        'logits': [float(v) for v in logits],
    }
    path = os.path.join(ROOT, 'test', 'fixtures', 'torchvision_resnet50_logits.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    if args.weights_out:
        write_safetensors(args.weights_out, tensors)
    print('wrote', path, 'keys', len(keys), 'logit[0:3]', logits[:3])


if __name__ == '__main__':
    main()
