// ResNet*_vd (models/resnet_vd.py): deep stem plus the avgpool downsampling shortcut outside the first stage.
// ResNet50_vd_v2 (distilled weights) is an alias of ResNet50_vd (src/models/aliases.ts).
import { ResNet, resnetSpec } from './resnet.js';
import { registerModel } from './registry.js';

for (const layers of [18, 34, 50, 101, 152, 200]) {
  registerModel({
    name: `ResNet${layers}_vd`,
    family: 'resnet_vd',
    create: (o) => new ResNet(resnetSpec(layers, 'vd'), o?.classDim ?? 1000),
  });
}
