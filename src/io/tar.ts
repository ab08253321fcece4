// A small tar reader (POSIX ustar, GNU long names, pax path records) that lists the members
// of an archive without extracting it, so Paddle's `<Model>_pretrained.tar` is read directly:
// each member becomes a window of the archive file. Checksums and sizes are validated; a
// member that claims to run past the end of the archive is refused.
import { UserError } from '../util/errors.js';
import { readBytes, sliceSource, type ByteSource } from './byte_source.js';

export interface TarMember {
  /** Path inside the archive, as stored (after GNU/pax long-name handling). */
  name: string;
  /** '0' file, '5' directory, '2' symlink, ... */
  type: string;
  size: number;
  /** Offset of the member's data in the archive. */
  offset: number;
}

const BLOCK = 512;
/** Long names and pax headers are small; a huge one means corruption. */
const MAX_META_BYTES = 1 << 20;

function cstring(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return Buffer.from(b.subarray(off, end)).toString('utf8');
}

/** Octal (space/NUL terminated) or GNU base-256 for big sizes. */
function parseNumber(b: Uint8Array, off: number, len: number): number {
  if (b[off]! & 0x80) {
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i]!;
    if ((b[off]! & 0x7f) !== 0 || !Number.isSafeInteger(v)) return NaN;
    return v;
  }
  const s = cstring(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  const stored = parseNumber(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 32 : h[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return stored === unsigned || stored === signed;
}

function parsePax(data: Uint8Array): Map<string, string> {
  // Records: "<len> <key>=<value>\n", len counting the whole record.
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    let sp = pos;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = parseInt(Buffer.from(data.subarray(pos, sp)).toString('ascii'), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || pos + len > data.length) break;
    const rec = Buffer.from(data.subarray(sp + 1, pos + len - 1)).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** Lists the members of a tar archive. */
export function listTar(src: ByteSource): TarMember[] {
  const L = src.label;
  const members: TarMember[] = [];
  let pos = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  let paxSize: number | undefined;
  let globalPaxPath: string | undefined;
  while (true) {
    if (pos + BLOCK > src.size) {
      // Archives end with two zero blocks, but some writers stop after the last member.
      if (pos === src.size) break;
      throw new UserError(`${L}: truncated tar archive (a header at byte ${pos} is cut off)`);
    }
    const h = readBytes(src, pos, BLOCK);
    if (h.every((x) => x === 0)) break;
    if (!checksumOk(h)) {
      throw new UserError(pos === 0 ? `${L}: not a tar archive (bad header checksum)` : `${L}: corrupt tar archive (bad header checksum at byte ${pos})`);
    }
    // A pax 'size' record overrides the header's field (members over 8 GiB).
    const size = paxSize ?? parseNumber(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new UserError(`${L}: corrupt tar header at byte ${pos} (bad size field)`);
    const dataOff = pos + BLOCK;
    if (size > src.size - dataOff) throw new UserError(`${L}: truncated tar archive: member at byte ${pos} declares ${size} bytes but only ${src.size - dataOff} remain`);
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
    const magic = cstring(h, 257, 6);
    let name = cstring(h, 0, 100);
    if (magic === 'ustar') {
      const prefix = cstring(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const next = dataOff + Math.ceil(size / BLOCK) * BLOCK;
    const meta = (): Uint8Array => {
      if (size > MAX_META_BYTES) throw new UserError(`${L}: corrupt tar archive: a ${size}-byte extended header at byte ${pos}`);
      return readBytes(src, dataOff, size);
    };
    if (type === 'L') {
      longName = cstring(meta(), 0, size);
    } else if (type === 'x') {
      const pax = parsePax(meta());
      paxPath = pax.get('path') ?? paxPath;
      const ps = pax.get('size');
      if (ps !== undefined) {
        if (!/^\d{1,15}$/.test(ps)) throw new UserError(`${L}: corrupt pax header at byte ${pos} (size ${JSON.stringify(ps)})`);
        paxSize = Number(ps);
      }
    } else if (type === 'g') {
      globalPaxPath = parsePax(meta()).get('path') ?? globalPaxPath;
    } else if (type === 'K') {
      // long link name: irrelevant here
    } else {
      members.push({ name: paxPath ?? longName ?? globalPaxPath ?? name, type, size: type === '0' || type === '7' ? size : 0, offset: dataOff });
      longName = undefined;
      paxPath = undefined;
      paxSize = undefined;
    }
    pos = next;
  }
  return members;
}

/** Regular files only, with paths normalised (no './', no trailing '/'). */
export function tarFiles(src: ByteSource): Map<string, ByteSource> {
  const out = new Map<string, ByteSource>();
  for (const m of listTar(src)) {
    if (m.type !== '0' && m.type !== '7') continue;
    const name = m.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (name === '') continue;
    out.set(name, sliceSource(src, m.offset, m.size, `${src.label}:${name}`));
  }
  return out;
}
