// `imcls demo`: the README's main job (programs/demo).
import { availableParallelism } from 'node:os';
import { flagHelp, parseFlags, type FlagSpec } from '../flags.js';
import { createProgress } from '../progress.js';
import { runDemo } from '../../programs/demo.js';
import type { TrainControl } from '../../programs/train.js';
import { UserError } from '../../util/errors.js';

const demoFlags: FlagSpec[] = [
  { name: 'data', type: 'str', default: null, help: 'raw Fashion-MNIST directory (default /usr/share/datasets/fashion-mnist)' },
  { name: 'work_dir', type: 'str', default: './imcls-demo', help: 'where the prepared images, checkpoints and plot go' },
  { name: 'model', type: 'str', default: 'ResNet18', help: 'zoo model to train' },
  { name: 'epochs', type: 'int', default: 4, min: 1, help: 'training epochs' },
  { name: 'batch_size', type: 'int', default: 128, min: 1, help: 'batch size' },
  { name: 'lr', type: 'float', default: 0.1, min: 0, help: 'peak learning rate' },
  { name: 'reader_thread', type: 'int', default: Math.max(1, Math.min(2, availableParallelism())), min: 1, help: 'decoding threads' },
  { name: 'json', type: 'bool', default: false, help: 'print a final {"test_acc1": ...} line' },
  { name: 'no_progress', type: 'bool', default: false, help: 'plain log lines even on a TTY' },
];

export async function demoCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: imcls demo [flags]\n\n${flagHelp(demoFlags)}`);
    return 0;
  }
  const p = parseFlags(argv, demoFlags, 'demo');
  if (p.positionals.length > 0) throw new UserError(`demo: unexpected argument '${p.positionals[0]}'`);
  const v = p.values;
  const progress = createProgress(v['no_progress'] !== true);
  const control: TrainControl = { stopRequested: false };
  const onSigint = (): void => {
    if (control.stopRequested) process.exit(130);
    control.stopRequested = true;
  };
  process.on('SIGINT', onSigint);
  try {
    const r = await runDemo({
      data: typeof v['data'] === 'string' ? v['data'] : null,
      workDir: String(v['work_dir']),
      model: String(v['model']),
      epochs: Number(v['epochs']),
      batchSize: Number(v['batch_size']),
      lr: Number(v['lr']),
      threads: Number(v['reader_thread']),
    }, { log: (l) => progress.log(l), progress }, control);
    if (v['json'] === true) console.log(JSON.stringify({ test_acc1: r.testAcc1, test_acc5: r.testAcc5, test_loss: r.testLoss, train_seconds: r.trainSeconds, checkpoint: r.checkpoint, plot: r.plot }));
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
