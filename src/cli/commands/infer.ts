// `imcls infer`: infer.py's flags → programs/infer; one JSON line per image (or a readable line).
import { flagHelp, parseFlags } from '../flags.js';
import { inferFlags } from '../../programs/eval_flags.js';
import { inferProgram } from '../../programs/infer.js';
import { UserError } from '../../util/errors.js';

export async function inferCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: imcls infer --pretrained_model=WEIGHTS --image_path=FILE|DIR|LIST [flags]\n\n${flagHelp(inferFlags)}`);
    return 0;
  }
  const parsed = parseFlags(argv, inferFlags, 'infer');
  if (parsed.positionals.length > 0) throw new UserError(`infer: unexpected argument '${parsed.positionals[0]}'`);
  if (parsed.values['save_inference'] === true) {
    const { saveInferenceBundle } = await import('../../programs/inference_bundle.js');
    const dir = await saveInferenceBundle(parsed.values, parsed.explicit);
    console.log(`Saved the inference bundle to ${dir}`);
    return 0;
  }
  await inferProgram(parsed.values, parsed.explicit, (p) => console.log(JSON.stringify(p)));
  return 0;
}
