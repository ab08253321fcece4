// `imcls models [pattern] [--json]`: the model zoo as a table like the seed README's (name, parameters,
// GMACs at the default input, input size / resize_short, published top-1/top-5 and aliases).
// JSON: an array of {"name","aliases","params","macs","input_size","resize_short","top1","top5"}.
import { listModels, modelInfo } from '../../models/index.js';
import type { ModelInfo } from '../../models/index.js';
import { UserError } from '../../util/errors.js';

function fmtParams(n: number): string {
  return `${(n / 1e6).toFixed(2)}M`;
}

function fmtPct(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}

export function modelsTable(infos: readonly ModelInfo[]): string {
  const header = ['Model', 'Params', 'GMACs', 'Input', 'Resize', 'Top-1', 'Top-5', 'Aliases'];
  const rows = infos.map((m) => [
    m.name,
    fmtParams(m.params),
    (m.macs / 1e9).toFixed(2),
    `${m.inputSize[0]}x${m.inputSize[1]}x${m.inputSize[2]}`,
    String(m.resizeShort),
    fmtPct(m.top1),
    fmtPct(m.top5),
    m.aliases.join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = new Set([1, 2, 4, 5, 6]);
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export async function modelsCommand(argv: string[]): Promise<number> {
  let json = false;
  let pattern: string | undefined;
  for (const a of argv) {
    if (a === '--json' || a === '--json=true' || a === '--json=True') json = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: imcls models [pattern|/regex/] [--json]\n\nLists the model zoo: parameters, MACs at the default input, input size, published top-1/top-5.');
      return 0;
    } else if (a.startsWith('--')) throw new UserError(`models: unknown flag '${a}' (flags: --json)`);
    else if (pattern === undefined) pattern = a;
    else throw new UserError(`models: takes at most one pattern, got '${pattern}' and '${a}'`);
  }
  const names = listModels(pattern);
  if (names.length === 0) throw new UserError(`models: no model matches '${pattern ?? ''}'`);
  const infos = names.map((n) => modelInfo(n));
  if (json) {
    const out = infos.map((m) => ({
      name: m.name,
      aliases: m.aliases,
      params: m.params,
      macs: m.macs,
      input_size: m.inputSize,
      resize_short: m.resizeShort,
      top1: m.top1,
      top5: m.top5,
    }));
    console.log(JSON.stringify(out));
    return 0;
  }
  console.log(modelsTable(infos));
  console.log(`\n${infos.length} models. Top-1/top-5: the seed README's ImageNet-val numbers for the published weights.`);
  return 0;
}
