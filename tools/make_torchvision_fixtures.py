#!/usr/bin/python3
"""Writes test/fixtures/torchvision_keys/<arch>.json: the (key, shape) list of a torchvision
state dict, in state-dict order, WITHOUT weights. The TypeScript key-map tests check that these
keys map onto every tensor of /work/shared/paddle_param_manifest.json with matching shapes, so the
tests need neither Python nor weight files.

It also copies, from the shared Paddle parameter manifest (--manifest, default
../shared/paddle_param_manifest.json next to the repo), the (name, shape) lists of the Paddle models
the key maps target into paddle_manifest_subset.json, so the tests do not depend on that file.

Run with Debian's python (torch 1.13, torchvision 0.14): /usr/bin/python3 tools/make_torchvision_fixtures.py
Models are built on the meta device where possible, so nothing large is allocated or downloaded.
"""
import json
import os
import sys

import torch
import torchvision.models as tvm

ARCHS = [
    'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152',
    'resnext50_32x4d', 'resnext101_32x8d', 'resnext101_64x4d',
    'densenet121', 'densenet161', 'densenet169', 'densenet201',
    'shufflenet_v2_x0_5', 'shufflenet_v2_x1_0', 'shufflenet_v2_x1_5', 'shufflenet_v2_x2_0',
    'squeezenet1_0', 'squeezenet1_1', 'alexnet',
    'vgg11', 'vgg13', 'vgg16', 'vgg19',
    'mobilenet_v2',
]

# Paddle models whose key maps the tests check against the manifest.
PADDLE_MODELS = [
    'ResNet18', 'ResNet50', 'ResNet101', 'ResNet152', 'ResNet50_vc', 'ResNet50_vd', 'ResNet200_vd',
    'ResNeXt50_32x4d', 'ResNeXt101_32x4d', 'ResNeXt101_64x4d', 'ResNeXt101_32x8d_wsl',
    'DenseNet121', 'DenseNet161', 'DenseNet169', 'DenseNet201', 'DenseNet264',
    'ShuffleNetV2_x0_5', 'ShuffleNetV2_x1_0', 'ShuffleNetV2_x1_5', 'ShuffleNetV2_x2_0',
    'SqueezeNet1_0', 'SqueezeNet1_1', 'AlexNet', 'VGG11', 'VGG13', 'VGG16', 'VGG19', 'MobileNetV2_x1_0',
]


def keys_of(arch):
    builder = getattr(tvm, arch)
    try:
        with torch.device('meta'):  # torch >= 2.0
            model = builder(weights=None)
    except (AttributeError, TypeError):
        # torch 1.13 has no device context manager; skip the (slow) random init instead.
        torch.nn.init.kaiming_normal_ = lambda t, *a, **k: t
        torch.nn.init.normal_ = lambda t, *a, **k: t
        torch.nn.init.uniform_ = lambda t, *a, **k: t
        torch.nn.init.constant_ = lambda t, *a, **k: t
        torch.nn.init.kaiming_uniform_ = lambda t, *a, **k: t
        model = builder(weights=None)
    return [[k, list(v.shape)] for k, v in model.state_dict().items()]


def write_manifest_subset(manifest_path, out_dir):
    with open(manifest_path) as f:
        manifest = json.load(f)
    path = os.path.join(out_dir, 'paddle_manifest_subset.json')
    with open(path, 'w') as f:
        f.write('{"_about": "(name, shape) per model, in manifest order, copied from paddle_param_manifest.json by tools/make_torchvision_fixtures.py",\n')
        lines = ['%s: %s' % (json.dumps(m), json.dumps([[p[0], p[1]] for p in manifest[m]['params']], separators=(',', ':')))
                 for m in PADDLE_MODELS]
        f.write(',\n'.join(lines))
        f.write('\n}\n')
    print('manifest subset', len(PADDLE_MODELS))


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    out_dir = os.path.join(root, 'test', 'fixtures', 'torchvision_keys')
    os.makedirs(out_dir, exist_ok=True)
    args = sys.argv[1:]
    manifest = os.path.join(root, '..', 'shared', 'paddle_param_manifest.json')
    if '--manifest' in args:
        i = args.index('--manifest')
        manifest = args[i + 1]
        del args[i:i + 2]
    if os.path.exists(manifest):
        write_manifest_subset(manifest, out_dir)
    else:
        print('manifest not found at %s: paddle_manifest_subset.json not rewritten' % manifest)
    archs = args or ARCHS
    for arch in archs:
        keys = keys_of(arch)
        path = os.path.join(out_dir, arch + '.json')
        with open(path, 'w') as f:
            # One entry per line keeps the committed diff readable.
            f.write('{"arch": %s, "source": "torchvision", "keys": [\n' % json.dumps(arch))
            f.write(',\n'.join(json.dumps(k) for k in keys))
            f.write('\n]}\n')
        print(arch, len(keys))


if __name__ == '__main__':
    main()
