// `imcls import --from paddle|torchvision|timm --model NAME --input PATH --output FILE.safetensors`
import { runImport, type ImportSource } from '../../programs/import.js';
import { UserError } from '../../util/errors.js';
import { flagHelp, parseFlags, type FlagSpec } from '../flags.js';

const importFlags: FlagSpec[] = [
  { name: 'from', type: 'str', default: null, choices: ['paddle', 'torchvision', 'timm'], help: 'source framework of the weights' },
  { name: 'model', type: 'str', default: null, help: 'zoo model name' },
  { name: 'input', type: 'str', default: null, help: 'paddle: directory, .tar or combined params file; torchvision/timm: .safetensors or *.safetensors.index.json' },
  { name: 'output', type: 'str', default: null, help: 'the safetensors file to write' },
  { name: 'class_dim', type: 'int', default: null, min: 1, help: 'classes of the classifier (default: from the weights)' },
  { name: 'json', type: 'bool', default: false, help: 'print the result as JSON' },
];

export async function importCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: imcls import --from paddle|torchvision|timm --model NAME --input PATH --output FILE.safetensors\n\n${flagHelp(importFlags)}`);
    return 0;
  }
  const p = parseFlags(argv, importFlags, 'import');
  if (p.positionals.length > 0) throw new UserError(`import: unexpected argument '${p.positionals[0]}'`);
  const v = p.values;
  for (const f of ['from', 'model', 'input', 'output']) if (typeof v[f] !== 'string') throw new UserError(`import: --${f} is required`);
  const r = runImport({
    from: v['from'] as ImportSource,
    model: v['model'] as string,
    input: v['input'] as string,
    output: v['output'] as string,
    classDim: typeof v['class_dim'] === 'number' ? v['class_dim'] : null,
  });
  if (v['json'] === true) console.log(JSON.stringify(r));
  else console.log(`imported ${r.model} (class_dim ${r.classDim}, ${r.tensors} tensors) from ${String(v['from'])}: ${r.output}`);
  return 0;
}
