#!/usr/bin/python3
"""torchvision ResNet50 import parity fixture (run with /usr/bin/python3: torch 1.13, torchvision 0.14).

Builds torchvision's resnet50, fills every state-dict tensor (num_batches_tracked skipped) by the
contract's parity formula with k = its index in torchvision's state-dict order and roles from the
owning module (Conv2d weight / Linear weight+bias / BatchNorm2d scale, offset, mean, var); the
Linear weight is generated in Paddle's [in, out] layout and transposed to PyTorch's [out, in].
Runs the two parity images [2, 3, 64, 64] in eval mode and writes test/fixtures/torchvision_resnet50_logits.json:
the key list (name, shape, role, k) so the TS test can regenerate the same weights, and the logits.
With --weights_out PATH it also writes the weights as a safetensors file (for manual checks; never commit it).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import FORMULA_VERSION, ROOT, formula, input_dependence, parity_images, rounded  # noqa: E402

H = W = 64


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
            v = formula('fc_weight', [shape[1], shape[0]], k).T.copy()
        else:
            v = formula(role, shape, k)
        with torch.no_grad():
            t.copy_(torch.from_numpy(v))
        keys.append({'name': name, 'shape': shape, 'role': role})
        tensors.append((name, v))
        k += 1
    with torch.no_grad():
        logits = model(parity_images(3, H, W)).double().numpy()
    if input_dependence(logits) < 0.01:
        raise SystemExit('logits hardly depend on the image (%.3g)' % input_dependence(logits))
    out = {
        '_about': 'tools/make_torchvision_parity.py: torchvision 0.14 resnet50 with parity-formula weights in its state-dict order (k = index, '
                  'num_batches_tracked skipped; linear_weight = formula on [in, out] then transposed); eval logits of the two parity images [2, 3, %d, %d]' % (H, W),
        'formula_version': FORMULA_VERSION,
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'input_shape': [2, 3, H, W],
        'keys': keys,
        'logits': rounded(logits),
    }
    path = os.path.join(ROOT, 'test', 'fixtures', 'torchvision_resnet50_logits.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    if args.weights_out:
        write_safetensors(args.weights_out, tensors)
    print('wrote', path, 'keys', len(keys), 'input dependence %.3g' % input_dependence(logits))


if __name__ == '__main__':
    main()
