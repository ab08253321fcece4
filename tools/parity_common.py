"""Shared pieces of the PyTorch parity fixtures (tools/make_parity_fixtures.py, tools/parity_models_b.py,
tools/make_torchvision_parity.py, tools/make_timm_parity.py).

The deterministic weight formula, version 2 (mirrored in test/helpers/parity_weights.ts). For a state dict in
its order (Paddle manifest order for our models), tensor index k, flat element index i (Paddle layout: fc
weights [in, out]), a hashed value s in [-1, 1) computed in exact uint32 arithmetic:
  x = (i * 2654435761 + k * 40503 + 12345) mod 2^32; three rounds of x ^= x >> 16 with
  x = (x * 0x45d9f3b) mod 2^32 between them; s = 2 x / 2^32 - 1 (float64), and then, rounded to float32:
  weight    s * sqrt(6 / fanIn), fanIn = shape[1]*shape[2]*shape[3] (conv [out, in/groups, kh, kw])
  fc_weight s * sqrt(0.06 / fanIn), fanIn = shape[0] (fc [in, out]): a tenth of a conv's gain, so that the
            squeeze-excitation gates of the deep SE nets see logits of O(10), not O(1e3) (eval-mode BN with
            formula statistics does not normalise, so the residual stream grows with depth); at O(1e3) the
            sigmoid's near-threshold channels amplify float32 rounding about 2x per block and SE_ResNeXt101's
            logits lose every digit (torch float32 vs float64: 0.15 relative)
  bias      0.05 s            bn_scale 1 + 0.1 s         bn_offset 0.1 s
  bn_mean   0.1 s             bn_var   1 + 0.25 s
Roles come from the owning layer (Conv2d / Linear / BatchNorm2d), never from names.
Version 1 used smooth sines (sin(0.9 i + ...)); on smooth inputs those weights cancel, so the logits of most
networks hardly depended on the image (GoogLeNet's not at all) and a parity test could not see the network.
Hashed weights are uncorrelated, keep every layer's activations O(1) and make the logits input-dependent.

Inputs: a batch of two images [2, C, H, W], flat per-image index i:
  image a: 1.5 * sin(0.013 i + 0.5)      image b: 1.2 * cos(0.017 i)
Fixtures store the logits of both; tests check that they differ (the network, not the biases, decides them).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn

FORMULA_VERSION = 2
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def load_manifest():
    with open(os.path.join(ROOT, 'test', 'fixtures', 'paddle_param_manifest.json')) as f:
        m = json.load(f)
    m.pop('_about', None)
    return m


def hash_signed(k, n):
    """s in [-1, 1) for flat indices 0..n-1 of tensor k (exact uint32 arithmetic, then float64)."""
    m = np.uint64(0xffffffff)
    x = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(k * 40503 + 12345)) & m
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x45d9f3b)) & m
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x45d9f3b)) & m
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 2147483648.0 - 1.0


# role -> (base, amplitude); weights scale by sqrt(6 / fanIn) instead
AFFINE = {'bias': (0.0, 0.05), 'bn_scale': (1.0, 0.1), 'bn_offset': (0.0, 0.1), 'bn_mean': (0.0, 0.1), 'bn_var': (1.0, 0.25)}


def formula(role, shape, k):
    """Values for one tensor of Paddle shape `shape` at state-dict index k (float32 numpy, row-major)."""
    n = int(np.prod(shape)) if len(shape) else 1
    s = hash_signed(k, n)
    if role == 'weight' and len(shape) == 4:
        v = s * math.sqrt(6.0 / (shape[1] * shape[2] * shape[3]))
    elif role == 'fc_weight' and len(shape) == 2:
        v = s * math.sqrt(0.06 / shape[0])
    elif role in AFFINE:
        base, amp = AFFINE[role]
        v = base + amp * s
    else:
        raise ValueError('%s of shape %s' % (role, shape))
    return v.astype(np.float32).reshape(shape)


def parity_images(c, h, w):
    """The two parity images as a [2, c, h, w] float32 batch (a: 1.5 sin(0.013 i + 0.5), b: 1.2 cos(0.017 i))."""
    i = np.arange(c * h * w, dtype=np.float64)
    a = np.sin(0.013 * i + 0.5) * 1.5
    b = np.cos(0.017 * i) * 1.2
    return torch.from_numpy(np.stack([a, b]).astype(np.float32).reshape(2, c, h, w))


def input_dependence(logits):
    """max |logits_a - logits_b| / max |logits| for a [2, classes] array: how much the image decides the output."""
    logits = np.asarray(logits, dtype=np.float64)
    return float(np.abs(logits[0] - logits[1]).max() / np.abs(logits).max())


def rounded(rows):
    """Nested lists of 9-significant-digit floats for JSON."""
    return [[float('%.9g' % v) for v in row] for row in np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)]


MANIFEST_ROLE = {'conv': 'weight', 'fc': 'fc_weight', 'conv_bias': 'bias', 'fc_bias': 'bias',
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
            owner[id(mod.weight)] = ('fc_weight', True)
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
