// `imcls prepare fashion-mnist|mnist|cifar10 [--src DIR] [--out DIR] [--force] [--json]`.
import type { FlagSpec } from '../flags.js';
import { bool, optStr, parseFlags } from '../flags.js';
import { UserError } from '../../util/errors.js';
import { DEFAULT_SOURCES, PREPARABLE, prepareDataset, type PrepareOptions } from '../../programs/prepare.js';

const specs: readonly FlagSpec[] = [
  { name: 'src', type: 'str', default: null, help: 'directory with the raw files (fashion-mnist: /usr/share/datasets/fashion-mnist)' },
  { name: 'out', type: 'str', default: null, help: 'output directory (default ./data/<dataset>)' },
  { name: 'force', type: 'bool', default: false, help: 'rewrite even if the output is already complete' },
  { name: 'json', type: 'bool', default: false, help: 'print a JSON report' },
];

export async function prepareCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: imcls prepare <${PREPARABLE.join('|')}> [--src DIR] [--out DIR] [--force] [--json]\n\n` +
      'Writes PNG images, train_list.txt, val_list.txt and label_list.txt in the seed layout.\n' +
      `default --src: ${Object.entries(DEFAULT_SOURCES).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    return 0;
  }
  const f = parseFlags(argv, specs, 'prepare');
  const [dataset, ...extra] = f.positionals;
  if (dataset === undefined) throw new UserError(`prepare: name a dataset (${PREPARABLE.join(', ')})`);
  if (extra.length > 0) throw new UserError(`prepare: unexpected argument '${extra[0]}'`);
  const json = bool(f.values, 'json');
  const out = optStr(f.values, 'out') ?? `./data/${dataset}`;
  const tty = process.stderr.isTTY && !json;
  const opts: PrepareOptions = { dataset, src: optStr(f.values, 'src'), out, force: bool(f.values, 'force') };
  if (tty) opts.onProgress = (d, t) => process.stderr.write(`\rprepare ${dataset}: ${d}/${t} images`);
  const report = await prepareDataset(opts);
  if (tty && !report.alreadyComplete) process.stderr.write('\n');
  if (json) console.log(JSON.stringify(report));
  else if (report.alreadyComplete) console.log(`${out}: already complete (${report.train} train, ${report.val} val, ${report.classes} classes); --force rewrites it`);
  else console.log(`${report.out}: wrote ${report.train} train and ${report.val} val images, ${report.classes} classes in ${report.seconds.toFixed(1)} s`);
  return 0;
}
