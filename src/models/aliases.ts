// Older and README spellings of zoo names (PADDLE_REFERENCE §6.0 and the seed README), mapped to the canonical
// manifest name. Case-sensitive, exactly as the seed spells them. Re-declaring an alias with the same target is
// harmless, so family files may list the same aliases.
import { addAlias } from './registry.js';

const ALIASES: ReadonlyArray<readonly [string, string]> = [
  // bare class names default to scale 1.0 (§6.0)
  ['MobileNet', 'MobileNetV1_x1_0'],
  ['MobileNetV1', 'MobileNetV1_x1_0'],
  ['MobileNetV2', 'MobileNetV2_x1_0'],
  ['ShuffleNetV2', 'ShuffleNetV2_x1_0'],
  ['ShuffleNetV2_swish', 'ShuffleNetV2_x1_0_swish'],
  // [S] spellings renamed by "Unify model name"
  ['SE_154_vd', 'SENet154_vd'],
  ['SENet_154_vd', 'SENet154_vd'],
  ['SE_ResNeXt50_32x4d_vd', 'SE_ResNeXt50_vd_32x4d'],
  ['SE_ResNeXt101_32x4d_vd', 'SE_ResNeXt101_vd_32x4d'],
  ['Xception_41', 'Xception41'],
  ['Xception_65', 'Xception65'],
  ['Xception_71', 'Xception71'],
  // distilled ResNet50_vd weights: same architecture (modelInfo reports its own published numbers)
  ['ResNet50_vd_v2', 'ResNet50_vd'],
];

for (const [alias, canonical] of ALIASES) addAlias(alias, canonical);
