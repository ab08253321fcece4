// ResNet*_vc (models/resnet_vc.py): ResNet with the deep 3×3 stem (conv1_1/2/3, BN bnv1_*) and plain 1×1
// shortcuts. Same parameter names and shapes as the vd variants.
import { ResNet, resnetSpec } from './resnet.js';
import { registerModel } from './registry.js';

for (const layers of [50, 101, 152]) {
  registerModel({
    name: `ResNet${layers}_vc`,
    family: 'resnet_vc',
    create: (o) => new ResNet(resnetSpec(layers, 'vc'), o?.classDim ?? 1000),
  });
}
