#!/usr/bin/python3
"""PyTorch equivalents of the model-zoo part B families, for the parity fixtures.

Imported by tools/make_parity_fixtures.py (run with Debian's /usr/bin/python3: torch 1.13, torchvision 0.14),
which fills each model's tensors with the contract's deterministic formula in Paddle manifest order and
records the logits. Every model here is built so that its state_dict order (num_batches_tracked aside) IS
the Paddle manifest order: a BatchNorm contributes (weight, bias, running_mean, running_var) = Paddle's
(scale, offset, mean, variance), and fc weights are stored PyTorch-style [out, in] (the fixture script
generates them in Paddle's [in, out] layout and transposes).

torchvision is used where its network is structurally identical to Paddle's:
  * AlexNet: torchvision.models.alexnet, with its two Dropouts replaced by Paddle's downgrade_in_infer
    dropout (inference multiplies by 1 - p; torchvision's dropout is the identity at inference). Its
    AdaptiveAvgPool2d((6, 6)) is the identity on the 6x6 map of a 224 input.
  * ShuffleNetV2_x1_0: torchvision.models.shufflenet_v2_x1_0 (same split/branch/shuffle structure, same
    creation order: branch1 = Paddle conv4, conv5; branch2 = conv1..3; its final mean over H, W equals Paddle's
    fixed 7x7 average pool at 224).
The others differ from torchvision in ways that change the numbers (VGG: bias-free convs; SqueezeNet1_1:
padding 1 on conv1, floor-mode pools, ReLU on the logits; MobileNetV2: expand conv at t=1, no round-to-8;
GoogLeNet: no conv biases/activations, ReLU after concat; and there is no torchvision MobileNetV1,
InceptionV4 or Xception), so they are written out here following Paddle's models/*.py.

Pooling: Paddle's pool2d sizes use truncating division; for non-negative numerators this is PyTorch's
floor mode (ceil_mode=False). Paddle's average pools exclude padding (count_include_pad=False).
GoogLeNet's 7x7/7 average pool on its 6x6 map is a mean over the whole map (Paddle clips the window).

Run directly (/usr/bin/python3 tools/parity_models_b.py [Model ...]) to write this part's fixtures,
test/fixtures/parity/<Model>.json, through tools/make_parity_fixtures.py's make_fixture() (GoogLeNet's with
all three heads).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm


class DowngradeDropout(nn.Module):
    """Fluid's dropout (downgrade_in_infer): train x*mask, inference x*(1-p)."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            return x * (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * (1.0 - self.p)


class ConvBN(nn.Module):
    """Bias-free conv + BatchNorm2d(eps 1e-5) + optional activation (Paddle's conv_bn_layer)."""

    def __init__(self, cin, cout, k, stride=1, padding=0, groups=1, act='relu'):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.act = act

    def forward(self, x):
        y = self.bn(self.conv(x))
        if self.act == 'relu':
            return F.relu(y)
        if self.act == 'relu6':
            return F.relu6(y)
        if self.act == 'swish':
            return y * torch.sigmoid(y)
        return y


# ---------------------------------------------------------------------------------------------- AlexNet

def alexnet(class_dim=1000):
    m = tvm.alexnet(num_classes=class_dim)
    m.classifier[0] = DowngradeDropout(0.5)
    m.classifier[3] = DowngradeDropout(0.5)
    return m


# ---------------------------------------------------------------------------------------------- VGG

class VGG(nn.Module):
    SPEC = {11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2], 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4]}

    def __init__(self, depth, class_dim=1000):
        super().__init__()
        layers = []
        c = 3
        for n, w in zip(self.SPEC[depth], [64, 128, 256, 512, 512]):
            for _ in range(n):
                layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.ReLU()]
                c = w
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.fc6 = nn.Linear(512 * 7 * 7, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.fc8 = nn.Linear(4096, class_dim)
        self.drop6 = DowngradeDropout(0.5)
        self.drop7 = DowngradeDropout(0.5)

    def forward(self, x):
        y = torch.flatten(self.features(x), 1)
        y = self.drop6(F.relu(self.fc6(y)))
        y = self.drop7(F.relu(self.fc7(y)))
        return self.fc8(y)


# ---------------------------------------------------------------------------------------------- SqueezeNet

class Fire(nn.Module):
    def __init__(self, cin, s, e1, e3):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, s, 1)
        self.expand1x1 = nn.Conv2d(s, e1, 1)
        self.expand3x3 = nn.Conv2d(s, e3, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1x1(x)), F.relu(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    def __init__(self, version, class_dim=1000):
        super().__init__()
        P = 'pool'
        if version == '1.0':
            self.conv1 = nn.Conv2d(3, 96, 7, stride=2)
            layout = [P, 2, 3, 4, P, 5, 6, 7, 8, P, 9]
        else:
            self.conv1 = nn.Conv2d(3, 64, 3, stride=2, padding=1)
            layout = [P, 2, 3, P, 4, 5, P, 6, 7, 8, 9]
        widths = {2: (16, 64, 64), 3: (16, 64, 64), 4: (32, 128, 128), 5: (32, 128, 128),
                  6: (48, 192, 192), 7: (48, 192, 192), 8: (64, 256, 256), 9: (64, 256, 256)}
        mods = []
        c = self.conv1.out_channels
        for item in layout:
            if item == P:
                mods.append(nn.MaxPool2d(3, 2, ceil_mode=False))  # Paddle: floor mode
            else:
                s, e1, e3 = widths[item]
                mods.append(Fire(c, s, e1, e3))
                c = e1 + e3
        self.features = nn.Sequential(*mods)
        self.drop = DowngradeDropout(0.5)
        self.conv10 = nn.Conv2d(c, class_dim, 1)

    def forward(self, x):
        y = self.features(F.relu(self.conv1(x)))
        y = F.relu(self.conv10(self.drop(y)))  # Paddle: ReLU on the classifier conv
        return torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)


# ---------------------------------------------------------------------------------------------- MobileNetV1

class MobileNetV1(nn.Module):
    BLOCKS = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2),
              (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 1024, 2),
              (1024, 1024, 1)]

    def __init__(self, scale=1.0, class_dim=1000):
        super().__init__()
        s = lambda c: int(c * scale)  # noqa: E731
        layers = [ConvBN(3, s(32), 3, 2, 1)]
        for dw, pw, stride in self.BLOCKS:
            layers.append(ConvBN(s(dw), s(dw), 3, stride, 1, groups=s(dw)))
            layers.append(ConvBN(s(dw), s(pw), 1, 1, 0))
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(s(1024), class_dim)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


# ---------------------------------------------------------------------------------------------- MobileNetV2

class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, t, stride, shortcut):
        super().__init__()
        mid = int(round(cin * t))
        self.expand = ConvBN(cin, mid, 1, act='relu6')  # present even when t == 1 (Paddle)
        self.dwise = ConvBN(mid, mid, 3, stride, 1, groups=mid, act='relu6')
        self.linear = ConvBN(mid, cout, 1, act=None)
        self.shortcut = shortcut

    def forward(self, x):
        y = self.linear(self.dwise(self.expand(x)))
        return x + y if self.shortcut else y


class MobileNetV2(nn.Module):
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1)]

    def __init__(self, scale=1.0, class_dim=1000):
        super().__init__()
        c = int(32 * scale)
        layers = [ConvBN(3, c, 3, 2, 1, act='relu6')]
        for t, cb, n, s in self.SETTINGS:
            cout = int(cb * scale)  # no round-to-8 (Paddle)
            for i in range(n):
                layers.append(InvertedResidual(c if i == 0 else cout, cout, t, s if i == 0 else 1, i > 0))
            c = cout
        last = int(1280 * scale) if scale > 1.0 else 1280
        layers.append(ConvBN(c, last, 1, act='relu6'))
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(last, class_dim)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


# ---------------------------------------------------------------------------------------------- ShuffleNetV2

def shufflenet_v2_x1_0(class_dim=1000):
    return tvm.shufflenet_v2_x1_0(num_classes=class_dim)


# ---------------------------------------------------------------------------------------------- GoogLeNet

def _gconv(cin, cout, k, stride=1):
    """Paddle GoogLeNet conv_layer: no bias, no activation, padding (k-1)//2."""
    return nn.Conv2d(cin, cout, k, stride=stride, padding=(k - 1) // 2, bias=False)


class Inception(nn.Module):
    def __init__(self, cin, f1, f3r, f3, f5r, f5, proj):
        super().__init__()
        self.b1 = _gconv(cin, f1, 1)
        self.b3r = _gconv(cin, f3r, 1)
        self.b3 = _gconv(f3r, f3, 3)
        self.b5r = _gconv(cin, f5r, 1)
        self.b5 = _gconv(f5r, f5, 5)
        self.proj = _gconv(cin, proj, 1)

    def forward(self, x):
        p = F.max_pool2d(x, 3, 1, 1)
        return F.relu(torch.cat([self.b1(x), self.b3(self.b3r(x)), self.b5(self.b5r(x)), self.proj(p)], 1))


class AuxHead(nn.Module):
    def __init__(self, cin, class_dim):
        super().__init__()
        self.conv = _gconv(cin, 128, 1)
        self.fc = nn.Linear(1152, 1024)
        self.drop = DowngradeDropout(0.7)
        self.out = nn.Linear(1024, class_dim)

    def forward(self, x):
        y = self.conv(F.avg_pool2d(x, 5, 3))
        y = F.relu(self.fc(torch.flatten(y, 1)))
        return self.out(self.drop(y))


class GoogLeNet(nn.Module):
    SPEC = [(64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64), (192, 96, 208, 16, 48, 64),
            (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64), (112, 144, 288, 32, 64, 64),
            (256, 160, 320, 32, 128, 128), (256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128)]

    def __init__(self, class_dim=1000):
        super().__init__()
        self.conv1 = _gconv(3, 64, 7, 2)
        self.conv2a = _gconv(64, 64, 1)
        self.conv2b = _gconv(64, 192, 3)
        blocks = []
        c = 192
        for f1, f3r, f3, f5r, f5, proj in self.SPEC:
            blocks.append(Inception(c, f1, f3r, f3, f5r, f5, proj))
            c = f1 + f3 + f5 + proj
        self.ince = nn.ModuleList(blocks)
        self.drop = DowngradeDropout(0.4)
        self.out = nn.Linear(1024, class_dim)
        self.aux1 = AuxHead(512, class_dim)
        self.aux2 = AuxHead(528, class_dim)

    def heads(self, x):
        mp = lambda t: F.max_pool2d(t, 3, 2)  # noqa: E731
        y = mp(self.conv1(x))
        y = mp(self.conv2b(self.conv2a(y)))
        y = mp(self.ince[1](self.ince[0](y)))
        i4a = self.ince[2](y)
        i4d = self.ince[5](self.ince[4](self.ince[3](i4a)))
        y = mp(self.ince[6](i4d))
        y = self.ince[8](self.ince[7](y))
        # Paddle's avg pool 7 s7 on the 6x6 map: one window clipped to the map = the mean of the map.
        assert y.shape[2] <= 13 and y.shape[3] <= 13
        y = y.mean(dim=(2, 3))
        logits = self.out(self.drop(y))
        return logits, self.aux1(i4a), self.aux2(i4d)

    def forward(self, x):
        return self.heads(x)[0]


# ---------------------------------------------------------------------------------------------- InceptionV4

def _cbr(cin, cout, k, stride=1, padding=0):
    return ConvBN(cin, cout, k, stride, padding)


class InceptionV4(nn.Module):
    def __init__(self, class_dim=1000):
        super().__init__()
        # stem (module creation order = Paddle's parameter order)
        self.stem_trunk = nn.Sequential(_cbr(3, 32, 3, 2), _cbr(32, 32, 3), _cbr(32, 64, 3, 1, 1))
        self.stem1 = _cbr(64, 96, 3, 2)
        self.stem2a = nn.Sequential(_cbr(160, 64, 1), _cbr(64, 96, 3))
        self.stem2b = nn.Sequential(_cbr(160, 64, 1), _cbr(64, 64, (7, 1), 1, (3, 0)),
                                    _cbr(64, 64, (1, 7), 1, (0, 3)), _cbr(64, 96, 3))
        self.stem3 = _cbr(192, 192, 3, 2)
        self.a = nn.ModuleList([nn.ModuleList([
            _cbr(384, 96, 1),                                                  # pool branch 1x1
            _cbr(384, 96, 1),                                                  # 1x1_2
            nn.Sequential(_cbr(384, 64, 1), _cbr(64, 96, 3, 1, 1)),
            nn.Sequential(_cbr(384, 64, 1), _cbr(64, 96, 3, 1, 1), _cbr(96, 96, 3, 1, 1)),
        ]) for _ in range(4)])
        self.red_a = nn.ModuleList([
            _cbr(384, 384, 3, 2),
            nn.Sequential(_cbr(384, 192, 1), _cbr(192, 224, 3, 1, 1), _cbr(224, 256, 3, 2)),
        ])
        self.b = nn.ModuleList([nn.ModuleList([
            _cbr(1024, 128, 1),
            _cbr(1024, 384, 1),
            nn.Sequential(_cbr(1024, 192, 1), _cbr(192, 224, (1, 7), 1, (0, 3)), _cbr(224, 256, (7, 1), 1, (3, 0))),
            nn.Sequential(_cbr(1024, 192, 1), _cbr(192, 192, (1, 7), 1, (0, 3)), _cbr(192, 224, (7, 1), 1, (3, 0)),
                          _cbr(224, 224, (1, 7), 1, (0, 3)), _cbr(224, 256, (7, 1), 1, (3, 0))),
        ]) for _ in range(7)])
        self.red_b = nn.ModuleList([
            nn.Sequential(_cbr(1024, 192, 1), _cbr(192, 192, 3, 2)),
            nn.Sequential(_cbr(1024, 256, 1), _cbr(256, 256, (1, 7), 1, (0, 3)), _cbr(256, 320, (7, 1), 1, (3, 0)),
                          _cbr(320, 320, 3, 2)),
        ])
        self.c = nn.ModuleList([nn.ModuleList([
            _cbr(1536, 256, 1),
            _cbr(1536, 256, 1),
            _cbr(1536, 384, 1),
            _cbr(384, 256, (1, 3), 1, (0, 1)),
            _cbr(384, 256, (3, 1), 1, (1, 0)),
            nn.Sequential(_cbr(1536, 384, 1), _cbr(384, 448, (1, 3), 1, (0, 1)), _cbr(448, 512, (3, 1), 1, (1, 0))),
            _cbr(512, 256, (1, 3), 1, (0, 1)),
            _cbr(512, 256, (3, 1), 1, (1, 0)),
        ]) for _ in range(3)])
        self.drop = DowngradeDropout(0.2)
        self.fc = nn.Linear(1536, class_dim)

    @staticmethod
    def _avg(x):
        return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)

    def forward(self, x):
        t = self.stem_trunk(x)
        c1 = torch.cat([F.max_pool2d(t, 3, 2), self.stem1(t)], 1)
        c2 = torch.cat([self.stem2a(c1), self.stem2b(c1)], 1)
        y = torch.cat([self.stem3(c2), F.max_pool2d(c2, 3, 2)], 1)
        for m in self.a:
            y = torch.cat([m[0](self._avg(y)), m[1](y), m[2](y), m[3](y)], 1)
        y = torch.cat([F.max_pool2d(y, 3, 2), self.red_a[0](y), self.red_a[1](y)], 1)
        for m in self.b:
            y = torch.cat([m[0](self._avg(y)), m[1](y), m[2](y), m[3](y)], 1)
        y = torch.cat([F.max_pool2d(y, 3, 2), self.red_b[0](y), self.red_b[1](y)], 1)
        for m in self.c:
            b3 = m[2](y)
            b4 = m[5](y)
            y = torch.cat([m[0](self._avg(y)), m[1](y), m[3](b3), m[4](b3), m[6](b4), m[7](b4)], 1)
        y = torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)
        return self.fc(self.drop(y))


# ---------------------------------------------------------------------------------------------- Xception

class SeparableConv(nn.Module):
    """Paddle's separable_conv: pointwise 1x1 + BN, THEN depthwise 3x3 + BN; no activation."""

    def __init__(self, cin, cout):
        super().__init__()
        self.pw = ConvBN(cin, cout, 1, act=None)
        self.dw = ConvBN(cout, cout, 3, 1, 1, groups=cout, act=None)

    def forward(self, x):
        return self.dw(self.pw(x))


class DownBlock(nn.Module):
    def __init__(self, cin, mid, cout, stride, relu_first):
        super().__init__()
        self.short = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)  # no BN on the shortcut
        self.sep_a = SeparableConv(cin, mid)
        self.sep_b = SeparableConv(mid, cout)
        self.stride = stride
        self.relu_first = relu_first

    def forward(self, x):
        s = self.short(x)
        a = self.sep_a(F.relu(x) if self.relu_first else x)
        b = F.max_pool2d(self.sep_b(F.relu(a)), 3, self.stride, 1)
        return s + b


class MiddleBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.seps = nn.ModuleList([SeparableConv(c, c) for _ in range(3)])

    def forward(self, x):
        y = x
        for s in self.seps:
            y = s(F.relu(y))
        return x + y


class Xception(nn.Module):
    SPECS = {41: ([128, 256, 728], [2, 2, 2], 8), 65: ([128, 256, 728], [2, 2, 2], 16),
             71: ([128, 256, 256, 728, 728], [2, 1, 2, 1, 2], 16)}

    def __init__(self, depth, class_dim=1000):
        super().__init__()
        filters, strides, middle = self.SPECS[depth]
        self.conv1 = ConvBN(3, 32, 3, 2, 1)
        self.conv2 = ConvBN(32, 64, 3, 1, 1)
        blocks = []
        c = 64
        for i, (f, s) in enumerate(zip(filters, strides)):
            blocks.append(DownBlock(c, f, f, s, i > 0))
            c = f
        blocks += [MiddleBlock(c) for _ in range(middle)]
        blocks.append(DownBlock(c, 728, 1024, 2, True))
        self.blocks = nn.Sequential(*blocks)
        self.sep2 = SeparableConv(1024, 1536)
        self.sep3 = SeparableConv(1536, 2048)
        self.fc = nn.Linear(2048, class_dim)

    def forward(self, x):
        y = self.blocks(self.conv2(self.conv1(x)))
        y = F.relu(self.sep3(F.relu(self.sep2(y))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


# ---------------------------------------------------------------------------------------------- registry

# Paddle model name -> builder(class_dim) returning a torch.nn.Module whose state_dict order is the manifest's.
BUILDERS_B = {
    'AlexNet': alexnet,
    'VGG11': lambda class_dim=1000: VGG(11, class_dim),
    'SqueezeNet1_1': lambda class_dim=1000: SqueezeNet('1.1', class_dim),
    'MobileNetV1_x1_0': lambda class_dim=1000: MobileNetV1(1.0, class_dim),
    'MobileNetV2_x1_0': lambda class_dim=1000: MobileNetV2(1.0, class_dim),
    'ShuffleNetV2_x1_0': shufflenet_v2_x1_0,
    'GoogLeNet': lambda class_dim=1000: GoogLeNet(class_dim),
    'InceptionV4': lambda class_dim=1000: InceptionV4(class_dim),
    'Xception41': lambda class_dim=1000: Xception(41, class_dim),
}


def _root():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import make_parity_fixtures as mpf
    from parity_common import load_manifest
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest = load_manifest()
    parity_dir = os.path.join(_root(), 'test', 'fixtures', 'parity')
    os.makedirs(parity_dir, exist_ok=True)
    for name in sys.argv[1:] or list(BUILDERS_B):
        mpf.make_fixture(name, manifest, parity_dir)


if __name__ == '__main__':
    main()
