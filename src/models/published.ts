// The seed README's model table: published ImageNet top-1/top-5 (%) and pretrained archive names, keyed by
// the canonical (manifest) model name. The README spells some models differently (MobileNetV1, SENet_154_vd,
// Xception_41, ShuffleNetV2_swish); those are mapped here to the canonical name they denote.
// ResNet50_vd_v2 (distilled weights, same architecture as ResNet50_vd) is a variant with its own numbers.

export interface Published {
  top1: number;
  top5: number;
  pretrained: string;
}

const tar = (n: string): string => `${n}_pretrained.tar`;

export const PUBLISHED: Readonly<Record<string, Published>> = {
  AlexNet: { top1: 56.72, top5: 79.17, pretrained: tar('AlexNet') },
  SqueezeNet1_0: { top1: 59.6, top5: 81.66, pretrained: tar('SqueezeNet1_0') },
  SqueezeNet1_1: { top1: 60.08, top5: 81.85, pretrained: tar('SqueezeNet1_1') },
  VGG11: { top1: 69.28, top5: 89.09, pretrained: tar('VGG11') },
  VGG13: { top1: 70.02, top5: 89.42, pretrained: tar('VGG13') },
  VGG16: { top1: 72.0, top5: 90.69, pretrained: tar('VGG16') },
  VGG19: { top1: 72.56, top5: 90.93, pretrained: tar('VGG19') },
  MobileNetV1_x1_0: { top1: 70.99, top5: 89.68, pretrained: tar('MobileNetV1') },
  MobileNetV2_x1_0: { top1: 72.15, top5: 90.65, pretrained: tar('MobileNetV2') },
  MobileNetV2_x0_25: { top1: 53.21, top5: 76.52, pretrained: tar('MobileNetV2_x0_25') },
  MobileNetV2_x0_5: { top1: 65.03, top5: 85.72, pretrained: tar('MobileNetV2_x0_5') },
  MobileNetV2_x1_5: { top1: 74.12, top5: 91.67, pretrained: tar('MobileNetV2_x1_5') },
  MobileNetV2_x2_0: { top1: 75.23, top5: 92.58, pretrained: tar('MobileNetV2_x2_0') },
  ShuffleNetV2_x1_0: { top1: 68.8, top5: 88.45, pretrained: tar('ShuffleNetV2') },
  ShuffleNetV2_x0_25: { top1: 49.9, top5: 73.79, pretrained: tar('ShuffleNetV2_x0_25') },
  ShuffleNetV2_x0_33: { top1: 53.73, top5: 77.05, pretrained: tar('ShuffleNetV2_x0_33') },
  ShuffleNetV2_x0_5: { top1: 60.32, top5: 82.26, pretrained: tar('ShuffleNetV2_x0_5') },
  ShuffleNetV2_x1_5: { top1: 71.63, top5: 90.15, pretrained: tar('ShuffleNetV2_x1_5') },
  ShuffleNetV2_x2_0: { top1: 73.15, top5: 91.2, pretrained: tar('ShuffleNetV2_x2_0') },
  ShuffleNetV2_x1_0_swish: { top1: 70.03, top5: 89.17, pretrained: tar('ShuffleNetV2_swish') },
  ResNet18: { top1: 70.98, top5: 89.92, pretrained: tar('ResNet18') },
  ResNet34: { top1: 74.57, top5: 92.14, pretrained: tar('ResNet34') },
  ResNet50: { top1: 76.5, top5: 93.0, pretrained: tar('ResNet50') },
  ResNet50_vc: { top1: 78.35, top5: 94.03, pretrained: tar('ResNet50_vc') },
  ResNet50_vd: { top1: 79.12, top5: 94.44, pretrained: tar('ResNet50_vd') },
  ResNet50_vd_v2: { top1: 79.84, top5: 94.93, pretrained: tar('ResNet50_vd_v2') },
  ResNet101: { top1: 77.56, top5: 93.64, pretrained: tar('ResNet101') },
  ResNet101_vd: { top1: 80.17, top5: 94.97, pretrained: tar('ResNet101_vd') },
  ResNet152: { top1: 78.26, top5: 93.96, pretrained: tar('ResNet152') },
  ResNet152_vd: { top1: 80.59, top5: 95.3, pretrained: tar('ResNet152_vd') },
  ResNet200_vd: { top1: 80.93, top5: 95.33, pretrained: tar('ResNet200_vd') },
  ResNeXt50_32x4d: { top1: 77.75, top5: 93.82, pretrained: tar('ResNeXt50_32x4d') },
  ResNeXt50_vd_32x4d: { top1: 79.56, top5: 94.62, pretrained: tar('ResNeXt50_vd_32x4d') },
  ResNeXt50_64x4d: { top1: 78.43, top5: 94.13, pretrained: tar('ResNeXt50_64x4d') },
  ResNeXt50_vd_64x4d: { top1: 80.12, top5: 94.86, pretrained: tar('ResNeXt50_vd_64x4d') },
  ResNeXt101_32x4d: { top1: 78.65, top5: 94.19, pretrained: tar('ResNeXt101_32x4d') },
  // The README row repeats ResNeXt50_64x4d's numbers and links its archive (a copy-paste slip: the shapes
  // differ). The numbers are kept as published; the archive name follows the naming convention instead.
  ResNeXt101_64x4d: { top1: 78.43, top5: 94.13, pretrained: tar('ResNeXt101_64x4d') },
  ResNeXt101_vd_64x4d: { top1: 80.78, top5: 95.2, pretrained: tar('ResNeXt101_vd_64x4d') },
  ResNeXt152_32x4d: { top1: 78.98, top5: 94.33, pretrained: tar('ResNeXt152_32x4d') },
  ResNeXt152_64x4d: { top1: 79.51, top5: 94.71, pretrained: tar('ResNeXt152_64x4d') },
  DenseNet121: { top1: 75.66, top5: 92.58, pretrained: tar('DenseNet121') },
  DenseNet161: { top1: 78.57, top5: 94.14, pretrained: tar('DenseNet161') },
  DenseNet169: { top1: 76.81, top5: 93.31, pretrained: tar('DenseNet169') },
  DenseNet201: { top1: 77.63, top5: 93.66, pretrained: tar('DenseNet201') },
  DenseNet264: { top1: 77.96, top5: 93.85, pretrained: tar('DenseNet264') },
  SE_ResNeXt50_32x4d: { top1: 78.44, top5: 93.96, pretrained: tar('SE_ResNeXt50_32x4d') },
  SE_ResNeXt101_32x4d: { top1: 79.12, top5: 94.2, pretrained: tar('SE_ResNeXt101_32x4d') },
  SENet154_vd: { top1: 81.4, top5: 95.48, pretrained: tar('SENet_154_vd') },
  GoogLeNet: { top1: 70.7, top5: 89.66, pretrained: tar('GoogLeNet') },
  Xception41: { top1: 79.3, top5: 94.53, pretrained: tar('Xception_41') },
  InceptionV4: { top1: 80.77, top5: 95.26, pretrained: tar('InceptionV4') },
  DarkNet53: { top1: 78.04, top5: 94.05, pretrained: 'DarkNet53_ImageNet1k_pretrained.tar' },
  ResNeXt101_32x8d_wsl: { top1: 82.55, top5: 96.74, pretrained: tar('ResNeXt101_32x8d_wsl') },
  ResNeXt101_32x16d_wsl: { top1: 84.24, top5: 97.26, pretrained: tar('ResNeXt101_32x16d_wsl') },
  ResNeXt101_32x32d_wsl: { top1: 84.97, top5: 97.59, pretrained: tar('ResNeXt101_32x32d_wsl') },
  ResNeXt101_32x48d_wsl: { top1: 85.37, top5: 97.69, pretrained: tar('ResNeXt101_32x48d_wsl') },
  Fix_ResNeXt101_32x48d_wsl: { top1: 86.26, top5: 97.97, pretrained: tar('Fix_ResNeXt101_32x48d_wsl') },
};
