// Flags of Paddle's eval.py and infer.py (PADDLE_REFERENCE §1.3, §1.4), sharing train's common ones.
import type { FlagSpec } from '../cli/flags.js';
import { commonFlags } from './train_flags.js';

const weightsFlag: FlagSpec = { name: 'pretrained_model', type: 'str', default: null, help: 'weights: a .safetensors file, a checkpoint or bundle directory, or Paddle parameters (directory or .tar)' };

export const evalFlags: FlagSpec[] = [
  ...commonFlags.map((f) => (f.name === 'model' ? { ...f, default: null, help: 'zoo model name (default: the one saved with the weights, else ResNet50)' } : f)),
  weightsFlag,
  { name: 'batch_size', type: 'int', default: 256, min: 1, help: 'evaluation batch size' },
  { name: 'save_json_path', type: 'str', default: null, help: 'also write {"Test_loss","test_acc1","test_acc5"} to this file' },
  { name: 'print_step', type: 'int', default: 10, min: 1, help: 'log every N batches' },
];

export const inferFlags: FlagSpec[] = [
  ...commonFlags.map((f) => (f.name === 'model' ? { ...f, default: null, help: 'zoo model name (default: the one saved with the weights, else ResNet50)' } : f)),
  weightsFlag,
  { name: 'image_path', type: 'str', default: null, help: 'an image file, a folder of images, or a text file listing image paths (default: data_dir/val_list.txt)' },
  { name: 'batch_size', type: 'int', default: 8, min: 1, help: 'images per forward pass' },
  { name: 'topk', type: 'int', default: 1, min: 1, help: 'classes reported per image' },
  { name: 'label_path', type: 'str', default: null, aliases: ['class_map_path'], help: '"<id> <names>" per line (default: the labels saved with the weights, else ImageNet-1k)' },
  { name: 'save_json_path', type: 'str', default: null, help: 'also write the JSON lines to this file' },
  { name: 'save_inference', type: 'bool', default: false, help: 'write an inference bundle (weights + preprocessing [+ ONNX]) to ./<model>/ or --output, then exit' },
  { name: 'output', type: 'str', default: null, help: 'directory for --save_inference' },
];
