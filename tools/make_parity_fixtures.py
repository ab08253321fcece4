#!/usr/bin/python3
"""Writes test/fixtures/parity/<Model>.json: PyTorch eval-mode logits of a zoo architecture filled with the
deterministic parity weights (tools/parity_common.py) on the two deterministic images at the model's
default resolution. test/models_parity.test.ts rebuilds the same model in TypeScript, fills the same weights and
compares. Only outputs are stored (no weights, no inputs).

Run with Debian's python (torch 1.13, torchvision 0.14):
    /usr/bin/python3 tools/make_parity_fixtures.py [Model ...]      # default: every model in MODEL_BUILDERS

MODEL_BUILDERS maps a manifest name to a zero-argument function returning a torch.nn.Module whose
state dict (minus BN's num_batches_tracked) lists the Paddle manifest's tensors in the same order and
shapes (torch Linear weights are the transposes of Paddle's [in, out]); forward(x) returns the logits.
torchvision is used where its network is identical to Paddle's (resnet50, resnext50_32x4d, densenet121 —
their state-dict orders already match Paddle's creation order); explicit modules follow Paddle's structure
otherwise. More builders come from tools/parity_models_b.py (optional: its MODEL_BUILDERS or BUILDERS_B dict is
merged).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import (FORMULA_VERSION, ROOT, PaddleDropout, fill_parity_weights, input_dependence,  # noqa: E402
                           load_manifest, parity_images, rounded)


def conv_bn(cin, cout, k, stride=1, groups=1):
    """Paddle conv_bn_layer: bias-free conv with padding (k-1)//2, then batch norm (act applied by caller)."""
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout))


class Residual(nn.Module):
    """convs (each conv_bn, relu flag) then add the shortcut and relu (elementwise_add(act='relu'))."""

    def __init__(self, convs, relus, shortcut, post_relu=True):
        super().__init__()
        self.convs = nn.ModuleList(convs)
        self.relus = relus
        self.short = shortcut
        self.post_relu = post_relu

    def forward(self, x):
        y = x
        for c, r in zip(self.convs, self.relus):
            y = c(y)
            if r:
                y = F.relu(y)
        s = x if self.short is None else self.short(x)
        y = s + y
        return F.relu(y) if self.post_relu else y


class PaddleResNet(nn.Module):
    """resnet.py / resnet_vd.py (basic or bottleneck; 7×7 or deep stem; vd avgpool shortcut)."""

    def __init__(self, depth, bottleneck, deep_stem, avg_down):
        super().__init__()
        if deep_stem:
            self.stem = nn.ModuleList([conv_bn(3, 32, 3, 2), conv_bn(32, 32, 3), conv_bn(32, 64, 3)])
        else:
            self.stem = nn.ModuleList([conv_bn(3, 64, 7, 2)])
        widths = [64, 128, 256, 512]
        blocks = []
        ch = 64
        for stage, n in enumerate(depth):
            for i in range(n):
                stride = 2 if i == 0 and stage != 0 else 1
                w = widths[stage]
                out = w * 4 if bottleneck else w
                if bottleneck:
                    convs = [conv_bn(ch, w, 1), conv_bn(w, w, 3, stride), conv_bn(w, out, 1)]
                    relus = [True, True, False]
                else:
                    convs = [conv_bn(ch, out, 3, stride), conv_bn(out, out, 3)]
                    relus = [True, False]
                first = stage == 0 and i == 0
                short = None
                if ch != out or stride != 1 or (first and (not bottleneck or avg_down)):
                    if avg_down and stage != 0:
                        short = nn.Sequential(nn.AvgPool2d(2, 2, 0, ceil_mode=True), conv_bn(ch, out, 1))
                    else:
                        short = conv_bn(ch, out, 1, stride)
                blocks.append(Residual(convs, relus, short))
                ch = out
        self.blocks = nn.ModuleList(blocks)
        self.fc = nn.Linear(ch, 1000)

    def forward(self, x):
        for s in self.stem:
            x = F.relu(s(x))
        x = F.max_pool2d(x, 3, 2, 1)
        for b in self.blocks:
            x = b(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class SEBlock(nn.Module):
    def __init__(self, cin, width, out, stride, groups, reduction, avg_down):
        super().__init__()
        self.x1 = conv_bn(cin, width, 1)
        self.x2 = conv_bn(width, width, 3, stride, groups)
        self.x3 = conv_bn(width, out, 1)
        self.sqz = nn.Linear(out, out // reduction)
        self.exc = nn.Linear(out // reduction, out)
        self.prj = None
        if cin != out or stride != 1:
            if avg_down:
                self.prj = nn.Sequential(nn.AvgPool2d(2, 2, 0, ceil_mode=True), conv_bn(cin, out, 1))
            else:
                self.prj = conv_bn(cin, out, 1, stride)

    def forward(self, x):
        y = self.x3(F.relu(self.x2(F.relu(self.x1(x)))))
        s = torch.sigmoid(self.exc(F.relu(self.sqz(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)))))
        y = y * s[:, :, None, None]
        short = x if self.prj is None else self.prj(x)
        return F.relu(short + y)


class PaddleSEResNeXt(nn.Module):
    """se_resnext.py, 50/101 (7×7 stem conv1, cardinality 32, widths [128..1024], out 2×, dropout 0.5)."""

    def __init__(self, depth):
        super().__init__()
        self.stem = conv_bn(3, 64, 7, 2)
        widths = [128, 256, 512, 1024]
        blocks = []
        ch = 64
        for stage, n in enumerate(depth):
            for i in range(n):
                stride = 2 if i == 0 and stage != 0 else 1
                blocks.append(SEBlock(ch, widths[stage], widths[stage] * 2, stride, 32, 16, False))
                ch = widths[stage] * 2
        self.blocks = nn.ModuleList(blocks)
        self.drop = PaddleDropout(0.5)
        self.fc = nn.Linear(ch, 1000)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        for b in self.blocks:
            x = b(x)
        return self.fc(self.drop(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)))


class PaddleDarkNet53(nn.Module):
    """darknet.py: conv+BN+ReLU everywhere; residual add without activation."""

    def __init__(self):
        super().__init__()
        layers = [conv_bn(3, 32, 3), conv_bn(32, 64, 3, 2)]
        kinds = ['c', 'c']
        ch = 64
        stages = [1, 2, 8, 8, 4]
        for i, n in enumerate(stages):
            w = 32 * 2 ** i
            for _ in range(n):
                layers.append(Residual([conv_bn(ch, w, 1), conv_bn(w, 2 * w, 3)], [True, True], None, post_relu=False))
                kinds.append('r')
                ch = 2 * w
            if i < len(stages) - 1:
                layers.append(conv_bn(ch, 2 * ch, 3, 2))
                kinds.append('c')
                ch *= 2
        self.layers = nn.ModuleList(layers)
        self.kinds = kinds
        self.fc = nn.Linear(ch, 1000)

    def forward(self, x):
        for layer, kind in zip(self.layers, self.kinds):
            x = F.relu(layer(x)) if kind == 'c' else layer(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


MODEL_BUILDERS = {
    'ResNet50': lambda: tvm.resnet50(),
    'ResNet18': lambda: PaddleResNet([2, 2, 2, 2], bottleneck=False, deep_stem=False, avg_down=False),
    'ResNet50_vd': lambda: PaddleResNet([3, 4, 6, 3], bottleneck=True, deep_stem=True, avg_down=True),
    'ResNeXt50_32x4d': lambda: tvm.resnext50_32x4d(),
    'SE_ResNeXt50_32x4d': lambda: PaddleSEResNeXt([3, 4, 6, 3]),
    'DenseNet121': lambda: tvm.densenet121(),
    'DarkNet53': lambda: PaddleDarkNet53(),
}

try:  # model-zoo part B's builders (same contract as MODEL_BUILDERS; callable with no arguments)
    import parity_models_b  # noqa: E402
    MODEL_BUILDERS.update(getattr(parity_models_b, 'MODEL_BUILDERS', None) or getattr(parity_models_b, 'BUILDERS_B', {}))
except ModuleNotFoundError as e:
    if e.name != 'parity_models_b':
        raise


def heads_of(model, x):
    """[logits] or, for GoogLeNet, [logits, aux1, aux2] in eval mode."""
    with torch.no_grad():
        out = model.heads(x) if hasattr(model, 'heads') else model(x)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def make_fixture(name, manifest, out_dir):
    """Eval logits of both parity images; refuses weights that leave the logits image-independent or an
    ill-conditioned network (torch float32 vs float64 beyond 3e-5 of the logits: a float32 port would have
    no margin under the tests' 1e-4)."""
    entry = manifest[name]
    c, h, w = entry['input']
    model = MODEL_BUILDERS[name]()
    fill_parity_weights(model, entry['params'])
    model.eval()
    x = parity_images(c, h, w)
    outs = [o.numpy() for o in heads_of(model, x)]
    exact = [o.numpy() for o in heads_of(model.double(), x.double())]
    logits = outs[0]
    if logits.shape != (2, 1000):
        raise ValueError('%s: outputs of shape %s' % (name, logits.shape))
    f32_error = max(float(np.abs(o - e).max() / np.abs(e).max()) for o, e in zip(outs, exact))
    dependence = [input_dependence(o) for o in outs]
    if f32_error > 3e-5 or min(dependence) < 0.01:
        raise SystemExit('%s: float32 error %.3g, input dependence %s: not a usable fixture' % (name, f32_error, dependence))
    doc = {
        'model': name,
        'input_shape': [2, c, h, w],
        'formula_version': FORMULA_VERSION,
        'torch': torch.__version__,
        'torch_float32_vs_float64': float('%.3g' % f32_error),
        'logits': rounded(logits),
    }
    if len(outs) > 1:
        doc['aux'] = [rounded(o) for o in outs[1:]]
    path = os.path.join(out_dir, name + '.json')
    with open(path, 'w') as f:
        json.dump(doc, f)
        f.write('\n')
    print('%s: max|logit| %.4g, input dependence %s, f32 vs f64 %.2g -> %s' % (
        name, np.abs(logits).max(), ' '.join('%.3g' % d for d in dependence), f32_error, os.path.relpath(path, ROOT)))


def main():
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest = load_manifest()
    out_dir = os.path.join(ROOT, 'test', 'fixtures', 'parity')
    os.makedirs(out_dir, exist_ok=True)
    names = sys.argv[1:] or list(MODEL_BUILDERS)
    for name in names:
        if name not in MODEL_BUILDERS:
            raise SystemExit('no builder for %s (have: %s)' % (name, ', '.join(MODEL_BUILDERS)))
        make_fixture(name, manifest, out_dir)


if __name__ == '__main__':
    main()
