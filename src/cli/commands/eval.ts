// `imcls eval`: eval.py's flags → programs/eval.
import { flagHelp, parseFlags } from '../flags.js';
import { evalFlags } from '../../programs/eval_flags.js';
import { evalProgram } from '../../programs/eval.js';
import { UserError } from '../../util/errors.js';

export async function evalCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: imcls eval --pretrained_model=WEIGHTS --data_dir=DIR [flags]\n\n${flagHelp(evalFlags)}`);
    return 0;
  }
  const parsed = parseFlags(argv, evalFlags, 'eval');
  if (parsed.positionals.length > 0) throw new UserError(`eval: unexpected argument '${parsed.positionals[0]}'`);
  const json = parsed.values['json'] === true;
  const r = await evalProgram(parsed.values, parsed.explicit, json ? () => {} : console.log);
  if (json) console.log(JSON.stringify({ model: r.model, Test_loss: r.loss, test_acc1: r.acc1, test_acc5: r.acc5, samples: r.samples, images_per_sec: r.imagesPerSec }));
  return 0;
}
