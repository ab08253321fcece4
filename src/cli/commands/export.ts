// `imcls export --format onnx|paddle|safetensors --model NAME [--pretrained_model P] [--class_dim K] --output PATH`
import { runExport, type ExportFormat } from '../../programs/export.js';
import { UserError } from '../../util/errors.js';
import { flagHelp, parseFlags, type FlagSpec } from '../flags.js';

const exportFlags: FlagSpec[] = [
  { name: 'format', type: 'str', default: 'onnx', choices: ['onnx', 'paddle', 'safetensors'], help: 'onnx (+ F.preprocess.json), paddle (per-variable directory) or safetensors' },
  { name: 'model', type: 'str', default: null, help: 'zoo model name' },
  { name: 'pretrained_model', type: 'str', default: null, help: 'weights to export (our safetensors, a checkpoint, a Paddle directory/.tar); random init if omitted' },
  { name: 'class_dim', type: 'int', default: null, min: 1, help: 'classes of the classifier (default: from the weights, else 1000)' },
  { name: 'output', type: 'str', default: null, help: 'output file (onnx, safetensors) or directory (paddle)' },
  { name: 'fold_bn', type: 'bool', default: true, help: 'ONNX: fold batch norm into the preceding convolutions' },
  { name: 'image_shape', type: 'int_list', default: null, help: 'ONNX: traced input C,H,W (default: the model\'s input size)' },
  { name: 'json', type: 'bool', default: false, help: 'print the result as JSON' },
];

export async function exportCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: imcls export --format onnx|paddle|safetensors --model NAME --output PATH [flags]\n\n${flagHelp(exportFlags)}`);
    return 0;
  }
  const p = parseFlags(argv, exportFlags, 'export');
  if (p.positionals.length > 0) throw new UserError(`export: unexpected argument '${p.positionals[0]}'`);
  const v = p.values;
  if (typeof v['model'] !== 'string') throw new UserError('export: --model is required');
  if (typeof v['output'] !== 'string') throw new UserError('export: --output is required');
  const shape = v['image_shape'];
  if (Array.isArray(shape) && shape.length !== 3) throw new UserError(`--image_shape: expected C,H,W (3 numbers), got ${shape.length}`);
  const r = runExport({
    format: v['format'] as ExportFormat,
    model: v['model'],
    pretrainedModel: typeof v['pretrained_model'] === 'string' ? v['pretrained_model'] : null,
    classDim: typeof v['class_dim'] === 'number' ? v['class_dim'] : null,
    output: v['output'],
    foldBn: v['fold_bn'] !== false,
    imageShape: Array.isArray(shape) ? (shape as [number, number, number]) : null,
  });
  if (v['json'] === true) console.log(JSON.stringify(r));
  else {
    const extra = r.onnxNodes !== undefined ? `, ${r.onnxNodes} nodes, ${r.foldedBatchNorms} BN folded` : '';
    console.log(`exported ${r.model} (class_dim ${r.classDim}, ${r.tensors} tensors${extra}): ${r.files.join(', ')}`);
  }
  return 0;
}
