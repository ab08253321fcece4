// Progress display: a bar on a TTY (cli-progress), nothing otherwise (the log lines carry it).
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number, label: string): void;
  update(value: number, info: string): void;
  stop(): void;
  /** Prints a line without tearing the bar. */
  log(line: string): void;
}

export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) {
    return { start() {}, update() {}, stop() {}, log: (line) => console.log(line) };
  }
  let bar: cliProgress.SingleBar | null = null;
  return {
    start(total, label) {
      bar?.stop();
      bar = new cliProgress.SingleBar({
        format: `${label} |{bar}| {value}/{total} {info} eta {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      }, cliProgress.Presets.shades_classic);
      bar.start(total, 0, { info: '' });
    },
    update(value, info) {
      bar?.update(value, { info });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
    log(line) {
      if (bar) {
        process.stderr.write('\r\x1b[2K');
        console.log(line);
        bar.render();
      } else console.log(line);
    },
  };
}
