"""Shared pieces of the PyTorch parity fixtures (tools/make_parity_fixtures.py, tools/parity_models_b.py).

The deterministic weight formula (notes/CONTRACT.md, "Deterministic parity weights"; mirrored in
test/helpers/parity_weights.ts). For a model's state dict at class_dim 1000 in Paddle manifest order, tensor
index k, flat element index i, computed in float64 and rounded to float32:
  bn_mean   0.1 * sin(0.37 i + 0.11 k)         bn_var    1.0 + 0.25 * sin(0.53 i + 0.07 k)
  bn_scale  1.0 + 0.1 * sin(0.71 i + 0.13 k)   bn_offset 0.1 * sin(0.29 i + 0.17 k)
  bias      0.05 * sin(1.3 i + 1.0 k)
  weight    sqrt(3 / fanIn) * sin(0.9 i + 0.3 k + 0.5), fanIn = shape[1]*shape[2]*shape[3] (4-D conv) or
            shape[0] (2-D fc in Paddle's [in, out] layout; the torch Linear gets the transpose).
Roles come from the owning layer (Conv2d / Linear / BatchNorm2d), never from names.
Input: x[i] = 1.5 * sin(0.013 i + 0.5) over the flat NCHW index of a [1, 3, H, W] tensor.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn

FORMULA_VERSION = 1
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def load_manifest():
    with open(os.path.join(ROOT, 'test', 'fixtures', 'paddle_param_manifest.json')) as f:
        m = json.load(f)
    m.pop('_about', None)
    return m


def formula(role, shape, k):
    """Values for one tensor of Paddle shape `shape` at manifest index k (float32 numpy, row-major)."""
    n = int(np.prod(shape)) if len(shape) else 1
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
        if len(shape) == 4:
            fan_in = shape[1] * shape[2] * shape[3]
        elif len(shape) == 2:
            fan_in = shape[0]
        else:
            raise ValueError('weight of rank %d' % len(shape))
        v = math.sqrt(3.0 / fan_in) * np.sin(0.9 * i + 0.3 * k + 0.5)
    else:
        raise ValueError(role)
    return v.astype(np.float32).reshape(shape)


def parity_input(c, h, w):
    i = np.arange(c * h * w, dtype=np.float64)
    return torch.from_numpy((np.sin(0.013 * i + 0.5) * 1.5).astype(np.float32).reshape(1, c, h, w))


MANIFEST_ROLE = {'conv': 'weight', 'fc': 'weight', 'conv_bias': 'bias', 'fc_bias': 'bias',
                 'bn_scale': 'bn_scale', 'bn_offset': 'bn_offset', 'bn_mean': 'bn_mean', 'bn_var': 'bn_var'}


def ordered_tensors(model):
    """(tensor, role, is_linear_weight) for every parameter/buffer of `model` in state-dict order, skipping
    BN's num_batches_tracked. A model may define paddle_order() returning that list itself when its torch
    registration order differs from Paddle's creation order."""
    if hasattr(model, 'paddle_order'):
        return model.paddle_order()
    owner = {}
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            owner[id(mod.weight)] = ('bn_scale', False)
            owner[id(mod.bias)] = ('bn_offset', False)
            owner[id(mod.running_mean)] = ('bn_mean', False)
            owner[id(mod.running_var)] = ('bn_var', False)
        elif isinstance(mod, nn.Conv2d):
            owner[id(mod.weight)] = ('weight', False)
            if mod.bias is not None:
                owner[id(mod.bias)] = ('bias', False)
        elif isinstance(mod, nn.Linear):
            owner[id(mod.weight)] = ('weight', True)
            if mod.bias is not None:
                owner[id(mod.bias)] = ('bias', False)
    out = []
    seen = set()
    for name, t in model.state_dict(keep_vars=True).items():
        if name.endswith('num_batches_tracked'):
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        if id(t) not in owner:
            raise KeyError('no owning Conv2d/Linear/BatchNorm2d for %s' % name)
        role, is_linear = owner[id(t)]
        out.append((t, role, is_linear))
    return out


def fill_parity_weights(model, manifest_params):
    """Fills the torch model in place; checks order, shapes and roles against the Paddle manifest."""
    tensors = ordered_tensors(model)
    if len(tensors) != len(manifest_params):
        raise ValueError('torch model has %d tensors, manifest %d' % (len(tensors), len(manifest_params)))
    with torch.no_grad():
        for k, ((t, role, is_linear), (pname, pshape, kind)) in enumerate(zip(tensors, manifest_params)):
            if MANIFEST_ROLE[kind] != role:
                raise ValueError('#%d %s: torch role %s, manifest kind %s' % (k, pname, role, kind))
            want = list(pshape)
            got = list(t.shape)[::-1] if is_linear else list(t.shape)
            if got != want:
                raise ValueError('#%d %s: torch shape %s (paddle layout), manifest %s' % (k, pname, got, want))
            v = formula(role, want, k)
            if is_linear:
                v = v.T.copy()
            t.copy_(torch.from_numpy(v))


class PaddleDropout(nn.Module):
    """Fluid dropout, downgrade_in_infer: identity-with-mask in training, x * (1 - p) at inference."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            raise RuntimeError('parity fixtures run in eval mode only')
        return x * (1.0 - self.p)
