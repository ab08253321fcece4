#!/usr/bin/env node
// imcls command line: a table of commands, each a thin function over programs/.
// A command returns its exit code; user errors print one line (no stack trace) and exit non-zero.
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { infoCommand } from './commands/info.js';
import { inferCommand } from './commands/infer.js';
import { modelsCommand } from './commands/models.js';
import { prepareCommand } from './commands/prepare.js';
import { trainCommand } from './commands/train.js';
import { UserError } from '../util/errors.js';

type Command = (argv: string[]) => Promise<number>;

// One line per command (keep sorted).
const commands: Record<string, { run: Command; help: string }> = {
  bench: { run: benchCommand, help: 'kernel benchmarks against PyTorch (imcls bench conv [--json])' },
  demo: { run: demoCommand, help: 'the main job: train a zoo model on real Fashion-MNIST, evaluate, predict (imcls demo --help)' },
  eval: { run: evalCommand, help: 'loss, top-1, top-5 and images/s over data_dir/val_list.txt (imcls eval --help)' },
  export: { run: exportCommand, help: 'a model as ONNX (+ preprocess.json), a Paddle parameter directory or safetensors (imcls export --help)' },
  import: { run: importCommand, help: 'Paddle / torchvision / timm weights into our safetensors, checked to load exactly (imcls import --help)' },
  info: { run: infoCommand, help: 'version, backend, selected ISA path, threads' },
  models: { run: modelsCommand, help: 'the model zoo: params, GMACs, input size, published top-1/top-5 ([pattern] [--json])' },
  infer: { run: inferCommand, help: 'top-k classes for images, a folder or a list (imcls infer --help)' },
  prepare: { run: prepareCommand, help: 'convert fashion-mnist|mnist|cifar10 raw files into image lists (PNG + train_list.txt)' },
  train: { run: trainCommand, help: 'train a zoo model with train.py\'s flags (imcls train --help)' },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.help}`);
  return `usage: imcls <command> [flags]\n\ncommands:\n${lines.join('\n')}`;
}

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage());
    return cmd === undefined ? 2 : 0;
  }
  const c = commands[cmd];
  if (!c) {
    console.error(`imcls: unknown command '${cmd}' (try: ${Object.keys(commands).join(', ')})`);
    return 2;
  }
  return c.run(rest);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UserError) {
      console.error(`imcls: ${err.message}`);
      process.exitCode = 2;
    } else {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    }
  },
);
