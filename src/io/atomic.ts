// Atomic writes: a reader (or a resumed run after a crash) sees either the old file or the
// complete new one, never a prefix. Files: write a temp file in the same directory, fsync,
// rename over the target, fsync the directory. Directories (checkpoints): build the whole
// directory under a temp name with a completion marker written last, then rename it into
// place; a loader that requires the marker never accepts a half-written directory.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface ByteSink {
  write(bytes: Uint8Array): void;
  /** Bytes written so far. */
  readonly bytesWritten: number;
}

function tempName(target: string, kind: string): string {
  return join(dirname(target), `.${basename(target)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** True for the temp names this module creates (so directory scans can skip them). */
export function isTempName(name: string): boolean {
  return /^\..+\.(tmp|old)-\d+-[0-9a-f]{8}$/.test(name);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cleans up after writers that crashed (their process is gone; a live writer's temps are kept):
 * temp copies are removed, and a previous version that was moved aside but not yet replaced is
 * put back. Returns the names handled.
 */
export function removeStaleTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const handled: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^\.(.+)\.(tmp|old)-(\d+)-[0-9a-f]{8}$/.exec(name);
    if (!m) continue;
    const pid = Number(m[3]);
    if (pid === process.pid || processAlive(pid)) continue;
    const target = join(dir, m[1]!);
    if (m[2] === 'old' && !existsSync(target)) renameSync(join(dir, name), target);
    else rmSync(join(dir, name), { recursive: true, force: true });
    handled.push(name);
  }
  return handled;
}

function fsyncDir(dir: string): void {
  // Makes the rename durable. Some filesystems refuse fsync on a directory; that is not an error.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes a file through `produce` (which streams bytes into the sink) atomically. */
export function writeFileAtomic(path: string, produce: Uint8Array | string | ((sink: ByteSink) => void)): number {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path, 'tmp');
  const fd = openSync(tmp, 'wx', 0o644);
  let written = 0;
  let ok = false;
  try {
    const sink: ByteSink = {
      write(bytes: Uint8Array) {
        let off = 0;
        while (off < bytes.length) {
          const n = writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
          off += n;
        }
        written += bytes.length;
      },
      get bytesWritten() {
        return written;
      },
    };
    if (typeof produce === 'string') sink.write(Buffer.from(produce, 'utf8'));
    else if (produce instanceof Uint8Array) sink.write(produce);
    else produce(sink);
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) rmSync(tmp, { force: true });
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
  return written;
}

/**
 * Writes and fsyncs a file in place, without the temp-file dance: for files inside a directory
 * that writeDirAtomic is building, where the directory rename is what makes them visible.
 */
export function writeFileDurable(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The completion marker: written last inside an atomically written directory. */
export const COMPLETE_MARKER = 'COMPLETE';

/**
 * Builds a directory atomically: `produce` writes into a fresh temp directory; then the marker
 * (JSON `marker`, if given) is written and fsynced, and the directory is renamed to `dir`,
 * replacing an existing one. If `produce` throws, the temp directory is removed and `dir` is
 * untouched.
 */
export function writeDirAtomic(dir: string, produce: (tmpDir: string) => void, marker?: unknown): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = tempName(dir, 'tmp');
  mkdirSync(tmp);
  try {
    produce(tmp);
    if (marker !== undefined) writeFileAtomic(join(tmp, COMPLETE_MARKER), JSON.stringify(marker, null, 2) + '\n');
    fsyncDir(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  // rename(2) cannot replace a non-empty directory: move the old one aside first. A crash in
  // between leaves no `dir` at all (plus a temp dir that scans ignore), never a partial one.
  let old: string | undefined;
  if (existsSync(dir)) {
    old = tempName(dir, 'old');
    renameSync(dir, old);
  }
  renameSync(tmp, dir);
  fsyncDir(parent);
  if (old) rmSync(old, { recursive: true, force: true });
}
