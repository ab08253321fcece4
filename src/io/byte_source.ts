// Random-access reads from a file (or a slice of one, such as a tar member) or from memory.
// The file formats read through this so that a multi-gigabyte weight file is never loaded
// into one buffer: each tensor is read straight into its own typed array, and only after its
// declared size has been checked against the bytes that are really there.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ByteSource {
  /** What error messages call it: a path, or `archive.tar:member`. */
  readonly label: string;
  readonly size: number;
  /** Reads exactly `into.length` bytes at `position` (relative to this source). */
  readInto(position: number, into: Uint8Array): void;
  /** Sources that hold an open file close it; others do nothing. */
  close(): void;
}

/** A short read means the file changed under us or lies about its size. */
export class ShortReadError extends Error {}

export function bytesSource(bytes: Uint8Array, label = '<memory>'): ByteSource {
  return {
    label,
    size: bytes.length,
    readInto(position, into) {
      if (position < 0 || position + into.length > bytes.length) throw new ShortReadError(`read of ${into.length} bytes at ${position} past the end (${bytes.length})`);
      into.set(bytes.subarray(position, position + into.length));
    },
    close() {},
  };
}

export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    size = st.size;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let open = true;
  return {
    label: path,
    size,
    readInto(position, into) {
      if (!open) throw new Error(`${path} was closed`);
      if (position < 0 || position + into.length > size) throw new ShortReadError(`read of ${into.length} bytes at ${position} past the end (${size})`);
      let done = 0;
      // readSync takes at most 2 GiB per call; loop for big tensors and for short reads.
      while (done < into.length) {
        const want = Math.min(into.length - done, 1 << 30);
        const n = readSync(fd, into, done, want, position + done);
        if (n === 0) throw new ShortReadError(`${path} ended at byte ${position + done}, expected ${size} bytes`);
        done += n;
      }
    },
    close() {
      if (open) {
        open = false;
        closeSync(fd);
      }
    },
  };
}

/** A window [offset, offset + size) of another source (a tar member). Closing it does nothing. */
export function sliceSource(parent: ByteSource, offset: number, size: number, label: string): ByteSource {
  if (offset < 0 || size < 0 || offset + size > parent.size) throw new RangeError(`slice [${offset}, ${offset + size}) outside ${parent.label} (${parent.size} bytes)`);
  return {
    label,
    size,
    readInto(position, into) {
      if (position < 0 || position + into.length > size) throw new ShortReadError(`read of ${into.length} bytes at ${position} past the end (${size})`);
      parent.readInto(offset + position, into);
    },
    close() {},
  };
}

/** Reads `length` bytes at `position` into a fresh buffer (callers bound `length` first). */
export function readBytes(src: ByteSource, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  src.readInto(position, out);
  return out;
}

/** Runs fn with a file source and always closes it. */
export function withFileSource<T>(path: string, fn: (src: ByteSource) => T): T {
  const src = fileSource(path);
  try {
    return fn(src);
  } finally {
    src.close();
  }
}
