// ResNeXt and ResNeXt_vd (models/resnext.py, resnext_vd.py): the ResNet bottleneck with a grouped 3×3.
// 64x4d: widths = outs = [256, 512, 1024, 2048]; 32x4d: widths [128, 256, 512, 1024], outs twice that.
// Stem conv res_conv1 (BN bn_conv1); vd: deep stem conv1_1/2/3 and the avgpool shortcut. fc: fc_weights/fc_offset.
import { RESNET_DEPTHS, ResNet } from './resnet.js';
import type { ResNetSpec } from './resnet.js';
import { registerModel } from './registry.js';

function resnextSpec(layers: number, cardinality: 32 | 64, vd: boolean): ResNetSpec {
  const widths = cardinality === 64 ? [256, 512, 1024, 2048] : [128, 256, 512, 1024];
  return {
    depth: RESNET_DEPTHS[layers]!,
    block: 'bottleneck',
    widths,
    outs: cardinality === 64 ? widths : widths.map((w) => w * 2),
    cardinality,
    stem: vd ? 'deep' : 'res_conv1',
    avgDown: vd,
    numberedRes4: layers >= 101,
    fcNames: ['fc_weights', 'fc_offset'],
  };
}

for (const vd of [false, true]) {
  for (const layers of [50, 101, 152]) {
    for (const cardinality of [32, 64] as const) {
      const name = `ResNeXt${layers}${vd ? '_vd' : ''}_${cardinality}x4d`;
      registerModel({
        name,
        family: vd ? 'resnext_vd' : 'resnext',
        create: (o) => new ResNet(resnextSpec(layers, cardinality, vd), o?.classDim ?? 1000),
      });
    }
  }
}
