#!/usr/bin/python3
"""timm import parity fixtures (run with /usr/bin/python3: torch 1.13; timm itself is not installable here).

timm is not packaged for this machine, so this file defines, in plain PyTorch, modules whose state-dict
keys, shapes, registration order and forward computation are those of timm's models (written from
reading timm's models/resnet.py, models/senet.py and layers/squeeze_excite.py; names must stay exactly
timm's, since the point is to check our key maps against them):

  resnet50d / resnet50c     timm.models.resnet.ResNet, stem_type='deep' (conv1.0/1/3/4/6 + bn1), stem_width 32;
                            'd' adds avg_down: downsample = Sequential(AvgPool2d(2, ceil_mode, count_include_pad=False)
                            or Identity at stride 1, Conv2d 1x1, BatchNorm2d) -> downsample.1 conv, downsample.2 bn
  resnext50d_32x4d          the 'd' stem and shortcuts with cardinality 32, base_width 4
  seresnext50_32x4d         timm.models.resnet.ResNet, cardinality 32, base_width 4, block attn_layer='se':
                            Bottleneck.se = SEModule(fc1 Conv2d 1x1 + bias, bn Identity, act ReLU, fc2 Conv2d 1x1 + bias,
                            sigmoid gate), rd channels = C/16 rounded to a multiple of 8; 7x7 stem, max pool 3/2 pad 1
  legacy_seresnext50_32x4d  timm.models.senet.SENet (Cadene's port): layer0.{conv1,bn1,relu1}, pool0 =
                            MaxPool2d(3, 2, ceil_mode=True) (padding 0), SEResNeXtBottleneck.{conv1..bn3, se_module.fc1/fc2,
                            downsample.0/1}, last_linear

Every state-dict tensor (num_batches_tracked skipped) gets the contract's parity formula (tools/parity_common.py)
with k = its index in the timm state-dict order and the role of its owning module; a Linear weight is generated in
Paddle's [in, out] layout and transposed to PyTorch's [out, in] (as tools/make_torchvision_parity.py). The eval logits of
the two parity images [2, 3, 80, 80] are written with the key list (name, shape, role) to
test/fixtures/timm_parity/<arch>.json; test/interop_timm.test.ts rebuilds the same timm-layout safetensors file in
TypeScript, imports it with `imcls import --from timm` and compares. 80x80 makes ResNet-D's last avg-down pool
see a 5x5 map, so the ceil-mode partial window (count_include_pad=False) is exercised.

Deeper variants (resnet101d/152d/200d, resnet101c/152c, seresnext101_32x4d) get key lists only (no logits): the
tests check that the key maps cover them with the right shapes.

The legacy SENet is checked for the record: the tool asserts that with pool0 replaced by timm ResNet's
MaxPool2d(3, 2, padding=1) it gives seresnext50_32x4d's logits exactly (same keys in the same order, so the same
weights) -- i.e. the stem pool is the only difference -- and stores how far its real logits are from them.
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import FORMULA_VERSION, ROOT, formula, input_dependence, parity_images, rounded  # noqa: E402

H = W = 80
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'timm_parity')


# ---- timm.models.resnet (module names as timm's) ----

def rd_channels(channels, ratio=1.0 / 16, divisor=8):
    """timm's SE reduction width: channels * ratio rounded to the nearest multiple of divisor (at least divisor)."""
    v = channels * ratio
    return max(divisor, int(v + divisor / 2) // divisor * divisor)


class SEModule(nn.Module):
    def __init__(self, channels):
        super().__init__()
        rd = rd_channels(channels)
        self.fc1 = nn.Conv2d(channels, rd, kernel_size=1, bias=True)
        self.bn = nn.Identity()
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(rd, channels, kernel_size=1, bias=True)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = self.fc2(self.act(self.bn(self.fc1(s))))
        return x * self.gate(s)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride, downsample, cardinality, base_width, se):
        super().__init__()
        width = int(planes * (base_width / 64)) * cardinality
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=cardinality, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.drop_block = nn.Identity()
        self.act2 = nn.ReLU(inplace=True)
        self.aa = nn.Identity()
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.se = SEModule(out) if se else None
        self.act3 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        y = self.act1(self.bn1(self.conv1(x)))
        y = self.aa(self.act2(self.drop_block(self.bn2(self.conv2(y)))))
        y = self.bn3(self.conv3(y))
        if self.se is not None:
            y = self.se(y)
        s = x if self.downsample is None else self.downsample(x)
        return self.act3(y + s)


def downsample(inplanes, out, stride, avg_down):
    if not avg_down:
        return nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))
    pool = nn.Identity() if stride == 1 else nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
    return nn.Sequential(pool, nn.Conv2d(inplanes, out, 1, stride=1, bias=False), nn.BatchNorm2d(out))


class TimmResNet(nn.Module):
    def __init__(self, layers, cardinality=1, base_width=64, stem_width=64, stem_type='', avg_down=False, se=False):
        super().__init__()
        deep = stem_type == 'deep'
        inplanes = stem_width * 2 if deep else 64
        if deep:
            self.conv1 = nn.Sequential(
                nn.Conv2d(3, stem_width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(stem_width), nn.ReLU(inplace=True),
                nn.Conv2d(stem_width, stem_width, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(stem_width), nn.ReLU(inplace=True),
                nn.Conv2d(stem_width, inplanes, 3, stride=1, padding=1, bias=False))
        else:
            self.conv1 = nn.Conv2d(3, inplanes, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            out = planes * Bottleneck.expansion
            ds = downsample(inplanes, out, stride, avg_down) if stride != 1 or inplanes != out else None
            blocks = []
            for b in range(n):
                blocks.append(Bottleneck(inplanes, planes, stride if b == 0 else 1, ds if b == 0 else None, cardinality, base_width, se))
                inplanes = out
            self.add_module('layer%d' % (i + 1), nn.Sequential(*blocks))
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, 1000)

    def forward(self, x):
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.global_pool(x), 1))


# ---- timm.models.senet (legacy_*) ----

class LegacySEModule(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, kernel_size=1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(channels // reduction, channels, kernel_size=1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        s = self.sigmoid(self.fc2(self.relu(self.fc1(x.mean((2, 3), keepdim=True)))))
        return x * s


class SEResNeXtBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, groups, reduction, stride=1, downsample=None, base_width=4):
        super().__init__()
        width = int(planes * (base_width / 64)) * groups
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.se_module = LegacySEModule(planes * 4, reduction)
        self.downsample = downsample

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        s = x if self.downsample is None else self.downsample(x)
        return self.relu(self.se_module(y) + s)


class LegacySENet(nn.Module):
    def __init__(self, layers, groups=32, reduction=16):
        super().__init__()
        self.layer0 = nn.Sequential(OrderedDict([
            ('conv1', nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)), ('bn1', nn.BatchNorm2d(64)), ('relu1', nn.ReLU(inplace=True))]))
        # timm keeps Caffe's pooling for weight compatibility: no padding, ceil mode
        self.pool0 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        inplanes = 64
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            out = planes * 4
            ds = None
            if stride != 1 or inplanes != out:
                ds = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride, padding=0, bias=False), nn.BatchNorm2d(out))
            blocks = [SEResNeXtBottleneck(inplanes, planes, groups, reduction, stride, ds)]
            inplanes = out
            blocks += [SEResNeXtBottleneck(inplanes, planes, groups, reduction) for _ in range(1, n)]
            self.add_module('layer%d' % (i + 1), nn.Sequential(*blocks))
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.last_linear = nn.Linear(inplanes, 1000)

    def forward(self, x):
        x = self.pool0(self.layer0(x))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.last_linear(torch.flatten(self.global_pool(x), 1))


D50, D101, D152, D200 = (3, 4, 6, 3), (3, 4, 23, 3), (3, 8, 36, 3), (3, 12, 48, 3)
ARCHS = {
    'resnet50d': lambda: TimmResNet(D50, stem_width=32, stem_type='deep', avg_down=True),
    'resnet50c': lambda: TimmResNet(D50, stem_width=32, stem_type='deep'),
    'resnext50d_32x4d': lambda: TimmResNet(D50, cardinality=32, base_width=4, stem_width=32, stem_type='deep', avg_down=True),
    'seresnext50_32x4d': lambda: TimmResNet(D50, cardinality=32, base_width=4, se=True),
    'legacy_seresnext50_32x4d': lambda: LegacySENet(D50),
}
KEYS_ONLY = {
    'resnet101d': lambda: TimmResNet(D101, stem_width=32, stem_type='deep', avg_down=True),
    'resnet152d': lambda: TimmResNet(D152, stem_width=32, stem_type='deep', avg_down=True),
    'resnet200d': lambda: TimmResNet(D200, stem_width=32, stem_type='deep', avg_down=True),
    'resnet101c': lambda: TimmResNet(D101, stem_width=32, stem_type='deep'),
    'resnet152c': lambda: TimmResNet(D152, stem_width=32, stem_type='deep'),
    'seresnext101_32x4d': lambda: TimmResNet(D101, cardinality=32, base_width=4, se=True),
}


def roles_of(model):
    roles = {}
    for mname, m in model.named_modules():
        p = mname + '.' if mname else ''
        if isinstance(m, nn.BatchNorm2d):
            roles.update({p + 'weight': 'bn_scale', p + 'bias': 'bn_offset', p + 'running_mean': 'bn_mean', p + 'running_var': 'bn_var'})
        elif isinstance(m, nn.Conv2d):
            roles[p + 'weight'] = 'weight'
            if m.bias is not None:
                roles[p + 'bias'] = 'bias'
        elif isinstance(m, nn.Linear):
            roles[p + 'weight'] = 'linear_weight'
            roles[p + 'bias'] = 'bias'
    return roles


def key_list(model):
    roles = roles_of(model)
    return [{'name': n, 'shape': list(t.shape), 'role': roles[n]} for n, t in model.state_dict().items() if not n.endswith('num_batches_tracked')]


def fill(model):
    """Parity formula, k = index in the state-dict order (num_batches_tracked skipped)."""
    sd = model.state_dict()
    with torch.no_grad():
        for k, key in enumerate(key_list(model)):
            shape = key['shape']
            if key['role'] == 'linear_weight':
                v = formula('fc_weight', [shape[1], shape[0]], k).T.copy()
            else:
                v = formula(key['role'], shape, k)
            sd[key['name']].copy_(torch.from_numpy(v))


def logits_of(model, x):
    """[2, classes] eval logits of the two parity images."""
    with torch.no_grad():
        return model(x).double().numpy()


def write(arch, doc):
    path = os.path.join(OUT_DIR, arch + '.json')
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print('wrote', os.path.relpath(path, ROOT), len(doc['keys']), 'keys')


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    x = parity_images(3, H, W)
    results = {}
    for arch, build in ARCHS.items():
        model = build().eval()
        fill(model)
        results[arch] = (model, logits_of(model, x))
    # The legacy SENet differs from seresnext50_32x4d only in its stem pool: prove it, then record how much that changes.
    legacy, legacy_logits = results['legacy_seresnext50_32x4d']
    se_logits = results['seresnext50_32x4d'][1]
    legacy.pool0 = nn.MaxPool2d(3, stride=2, padding=1)
    swapped = logits_of(legacy, x)
    if np.abs(swapped - se_logits).max() > 1e-5 * np.abs(se_logits).max():
        raise SystemExit('legacy SENet with a padded pool should equal seresnext50_32x4d')
    legacy_rel = float(np.abs(legacy_logits - se_logits).max() / np.abs(se_logits).max())
    print('legacy_seresnext50_32x4d vs seresnext50_32x4d: max rel diff %.3g (pool0 only)' % legacy_rel)
    for arch, (model, logits) in results.items():
        if input_dependence(logits) < 0.01:
            raise SystemExit('%s: logits hardly depend on the image (%.3g)' % (arch, input_dependence(logits)))
        doc = OrderedDict([
            ('_about', 'tools/make_timm_parity.py: timm %s layout (plain-PyTorch definition) with parity-formula weights in its '
                       'state-dict order (k = index, num_batches_tracked skipped; linear_weight = formula on [in, out] then '
                       'transposed); eval logits of the two parity images [2, 3, %d, %d]' % (arch, H, W)),
            ('arch', arch), ('formula_version', FORMULA_VERSION), ('torch', torch.__version__),
            ('input_shape', [2, 3, H, W]), ('keys', key_list(model)), ('logits', rounded(logits)),
        ])
        if arch == 'legacy_seresnext50_32x4d':
            doc['vs_seresnext50_32x4d_max_rel'] = legacy_rel
        write(arch, doc)
    for arch, build in KEYS_ONLY.items():
        model = build()
        write(arch, OrderedDict([('_about', 'tools/make_timm_parity.py: timm %s state-dict keys (no weights, no logits)' % arch),
                                 ('arch', arch), ('keys', key_list(model))]))


if __name__ == '__main__':
    main()
