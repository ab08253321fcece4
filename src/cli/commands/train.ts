// `imcls train`: train.py's flags → programs/train. Ctrl-C asks for a checkpoint at the end of
// the current step; a second Ctrl-C exits at once.
import { flagHelp, parseFlags } from '../flags.js';
import { createProgress } from '../progress.js';
import { trainFlags } from '../../programs/train_flags.js';
import { train, type TrainControl } from '../../programs/train.js';
import type { TrainArgs } from '../../programs/train_args.js';
import { UserError } from '../../util/errors.js';

export async function trainCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: imcls train --model=NAME --data_dir=DIR [flags]\n\n${flagHelp(trainFlags)}`);
    return 0;
  }
  const parsed = parseFlags(argv, trainFlags, 'train');
  if (parsed.positionals.length > 0) throw new UserError(`train: unexpected argument '${parsed.positionals[0]}' (flags are written --name=value)`);
  for (const n of parsed.notes) console.log(`note: ${n}`);
  const v = parsed.values;
  const json = v['json'] === true;
  const progress = createProgress(v['no_progress'] !== true && !json);
  const control: TrainControl = { stopRequested: false };
  const onSigint = (): void => {
    if (control.stopRequested) process.exit(130);
    control.stopRequested = true;
    progress.log('Ctrl-C: saving a checkpoint at the end of this step (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await train(v as unknown as Partial<TrainArgs>, { log: json ? () => {} : (l) => progress.log(l), progress }, control, parsed.explicit);
    const summary = {
      model: v['model'],
      epochs: result.epochs,
      steps: result.steps,
      seconds: Number(result.seconds.toFixed(2)),
      train_loss: result.finalTrainLoss,
      test_loss: result.final?.loss ?? null,
      test_acc1: result.final?.acc1 ?? null,
      test_acc5: result.final?.acc5 ?? null,
      checkpoint: result.lastCheckpoint,
      plot: result.plotPath,
      metrics: result.metricsPath,
      interrupted: result.interrupted,
    };
    if (json) console.log(JSON.stringify(summary));
    else console.log(`Done in ${summary.seconds} s. Checkpoint: ${summary.checkpoint ?? 'none'}. Plot: ${summary.plot}`);
    return result.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
