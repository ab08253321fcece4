// The training plot: a self-contained HTML page with inline SVG charts (loss, accuracy,
// learning rate against steps), redrawn from metrics.jsonl at the end of every epoch. No
// browser-side script and no dependency: it opens from disk anywhere.
import type { MetricsRecord } from './train_log.js';

interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function chart(title: string, series: Series[], yFormat: (v: number) => string): string {
  const W = 560, H = 260, L = 60, R = 16, T = 28, B = 36;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return '';
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y1 += Math.abs(y1) * 0.1 + 1e-6; y0 -= Math.abs(y0) * 0.1 + 1e-6; }
  const sx = (x: number): number => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number): number => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => y0 + f * (y1 - y0));
  const grid = ticks.map((v) => `<line x1="${L}" x2="${W - R}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#e5e5e5"/><text x="${L - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(yFormat(v))}</text>`).join('');
  const lines = series.filter((s) => s.points.length > 0).map((s) => {
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
    const dots = s.points.length <= 60 ? s.points.map((p) => `<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2.5" fill="${s.color}"/>`).join('') : '';
    return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>${dots}`;
  }).join('');
  const legend = series.map((s, i) => `<rect x="${L + i * 150}" y="8" width="12" height="3" fill="${s.color}"/><text x="${L + i * 150 + 16}" y="13" font-size="11">${esc(s.label)}</text>`).join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${grid}<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/><text x="${(W + L) / 2}" y="${H - 8}" text-anchor="middle" font-size="11">step (${x0} – ${x1})</text>${lines}${legend}</svg></figure>`;
}

/** The HTML page for a run's metrics records. */
export function renderTrainingPlot(title: string, records: readonly MetricsRecord[]): string {
  const batches = records.filter((r) => r.kind === 'train_batch');
  const epochs = records.filter((r) => r.kind === 'epoch');
  const pts = (rs: readonly MetricsRecord[], key: keyof MetricsRecord): [number, number][] =>
    rs.flatMap((r) => (typeof r[key] === 'number' && Number.isFinite(r[key]) ? [[r.step, r[key] as number] as [number, number]] : []));
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  const sig = (v: number): string => (Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(1));
  const body = [
    chart('Loss', [
      { label: 'train (batch)', color: '#9ab', points: pts(batches, 'loss') },
      { label: 'train (epoch mean)', color: '#1f77b4', points: pts(epochs, 'loss') },
      { label: 'validation', color: '#d62728', points: pts(epochs, 'test_loss') },
    ], sig),
    chart('Accuracy', [
      { label: 'train top-1', color: '#1f77b4', points: pts(epochs, 'acc1') },
      { label: 'validation top-1', color: '#d62728', points: pts(epochs, 'test_acc1') },
      { label: 'validation top-5', color: '#ff7f0e', points: pts(epochs, 'test_acc5') },
    ], pct),
    chart('Learning rate', [{ label: 'lr', color: '#2ca02c', points: pts(batches, 'lr') }], sig),
  ].join('\n');
  const last = epochs[epochs.length - 1];
  const summary = last ? `epoch ${last.epoch}: validation top-1 ${last.test_acc1 == null ? 'n/a' : pct(last.test_acc1)}` : 'no epoch finished yet';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;margin:24px}figure{display:inline-block;margin:8px}figcaption{font-weight:bold}</style></head><body><h2>${esc(title)}</h2><p>${esc(summary)}</p>\n${body}\n</body></html>\n`;
}
