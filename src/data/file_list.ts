// The seed's file lists: train_list.txt / val_list.txt in data_dir, one `relative/path label` per
// line, paths joined onto data_dir (PADDLE_REFERENCE §2.1). Paddle requires exactly two fields; we
// take the label from the last field so paths with spaces work. Every problem stops before
// training with `file:line: reason`.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { FileDataset } from './dataset.js';

export interface FileListOptions {
  /** Labels must be in [0, classDim). */
  classDim?: number;
  /** Check that every listed file exists and is a regular file (default true). */
  checkFiles?: boolean;
  /** Class names by id (e.g. from label_list.txt). */
  classNames?: readonly string[] | null;
}

export interface ListLine {
  line: number;
  path: string;
  label: number;
}

/** Splits a list file's text into lines, tolerating a UTF-8 BOM and CRLF line ends; blank lines are skipped. */
export function parseListText(text: string, file: string): ListLine[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: ListLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const s = raw.trim();
    if (s === '') continue;
    const where = `${file}:${i + 1}`;
    const m = /^(.*\S)\s+(\S+)$/.exec(s);
    if (m === null) throw new UserError(`${where}: expected '<path> <label>', got '${s}' (missing label)`);
    const labelText = m[2]!;
    if (!/^[+-]?\d+$/.test(labelText)) throw new UserError(`${where}: label '${labelText}' is not an integer`);
    const label = Number(labelText);
    if (!Number.isSafeInteger(label) || label > 2147483647 || label < -2147483648) throw new UserError(`${where}: label '${labelText}' is out of range`);
    out.push({ line: i + 1, path: m[1]!, label });
  }
  return out;
}

export function readFileList(listPath: string, dataDir: string, opts: FileListOptions = {}): FileDataset {
  let text: string;
  try {
    text = readFileSync(listPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${listPath}: cannot read the file list (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? e)})`);
  }
  const lines = parseListText(text, listPath);
  if (lines.length === 0) throw new UserError(`${listPath}: the file list is empty`);
  const checkFiles = opts.checkFiles ?? true;
  const seen = new Map<string, number>();
  const paths: string[] = [];
  const labels = new Int32Array(lines.length);
  lines.forEach((l, k) => {
    const where = `${listPath}:${l.line}`;
    if (l.label < 0) throw new UserError(`${where}: label ${l.label} is negative`);
    if (opts.classDim !== undefined && l.label >= opts.classDim) throw new UserError(`${where}: label ${l.label} is outside [0, ${opts.classDim}) (class_dim=${opts.classDim})`);
    const prev = seen.get(l.path);
    if (prev !== undefined) throw new UserError(`${where}: duplicate entry '${l.path}' (first at line ${prev})`);
    seen.set(l.path, l.line);
    const full = isAbsolute(l.path) ? l.path : join(dataDir, l.path);
    if (checkFiles) {
      let st;
      try {
        st = statSync(full);
      } catch {
        throw new UserError(`${where}: image file not found: ${full}`);
      }
      if (st.isDirectory()) throw new UserError(`${where}: ${full} is a directory, not an image file`);
      if (!st.isFile()) throw new UserError(`${where}: ${full} is not a regular file`);
    }
    paths.push(full);
    labels[k] = l.label;
  });
  return { kind: 'files', name: listPath, paths, labels, classNames: opts.classNames ?? null };
}

/** The seed's layout: `<data_dir>/train_list.txt` or `val_list.txt`, with `label_list.txt` names when present. */
export function readSeedList(dataDir: string, split: 'train' | 'val', opts: FileListOptions = {}): FileDataset {
  let st;
  try {
    st = statSync(dataDir);
  } catch {
    throw new UserError(`--data_dir: ${dataDir} does not exist`);
  }
  if (!st.isDirectory()) throw new UserError(`--data_dir: ${dataDir} is not a directory`);
  const names = opts.classNames ?? readLabelListIfPresent(join(dataDir, 'label_list.txt'));
  return readFileList(join(dataDir, `${split}_list.txt`), dataDir, { ...opts, classNames: names });
}

/** Reads `<id> <name>` lines (ids 0..K-1, any order); names may contain spaces. */
export function readLabelList(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const names: string[] = [];
  const lines = text.replace(/^\ufeff/, '').split('\n');
  lines.forEach((raw, i) => {
    const s = raw.replace(/\r$/, '').trim();
    if (s === '') return;
    const m = /^(\d+)\s+(.*)$/.exec(s);
    if (m === null) throw new UserError(`${path}:${i + 1}: expected '<id> <name>', got '${s}'`);
    const id = Number(m[1]);
    if (names[id] !== undefined) throw new UserError(`${path}:${i + 1}: class id ${id} appears twice`);
    names[id] = m[2]!;
  });
  for (let i = 0; i < names.length; i++) if (names[i] === undefined) throw new UserError(`${path}: class id ${i} is missing`);
  return names;
}

export function readLabelListIfPresent(path: string): string[] | null {
  try {
    statSync(path);
  } catch {
    return null;
  }
  return readLabelList(path);
}

export function formatLabelList(names: readonly string[]): string {
  return names.map((n, i) => `${i} ${n}\n`).join('');
}
