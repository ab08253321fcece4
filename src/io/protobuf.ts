// The few protobuf wire-format pieces Paddle's TensorDesc needs: varints, tags, and skipping
// fields we do not know. Written by hand because the message is two fields long and a
// dependency would be larger than the format. Every read is bounds-checked; errors are plain
// ProtobufErrors that the caller turns into a UserError naming the file.

export class ProtobufError extends Error {}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/** Reads a base-128 varint (at most 10 bytes) as an unsigned 64-bit BigInt. */
export function readVarint(bytes: Uint8Array, pos: number): { value: bigint; pos: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= bytes.length) throw new ProtobufError('truncated varint');
    const b = bytes[pos++]!;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value: BigInt.asUintN(64, value), pos };
    shift += 7n;
  }
  throw new ProtobufError('varint longer than 10 bytes');
}

/** Encodes a signed or unsigned 64-bit integer; negatives take 10 bytes (two's complement), as protobuf does for int64. */
export function encodeVarint(value: number | bigint, out: number[] = []): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

export interface Field {
  number: number;
  wireType: number;
  /** For WIRE_VARINT. */
  varint?: bigint;
  /** For WIRE_LEN (a view into the message, not a copy). */
  bytes?: Uint8Array;
}

/** Splits a message into its fields, in order; fixed-width fields are returned without a value. */
export function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const tag = readVarint(bytes, pos);
    pos = tag.pos;
    const key = tag.value;
    const wireType = Number(key & 7n);
    const num = key >> 3n;
    if (num === 0n || num > 536870911n) throw new ProtobufError(`invalid field number ${num}`);
    const number = Number(num);
    switch (wireType) {
      case WIRE_VARINT: {
        const v = readVarint(bytes, pos);
        pos = v.pos;
        fields.push({ number, wireType, varint: v.value });
        break;
      }
      case WIRE_FIXED64:
      case WIRE_FIXED32: {
        const n = wireType === WIRE_FIXED64 ? 8 : 4;
        if (pos + n > bytes.length) throw new ProtobufError(`truncated fixed-width field ${number}`);
        pos += n;
        fields.push({ number, wireType });
        break;
      }
      case WIRE_LEN: {
        const l = readVarint(bytes, pos);
        pos = l.pos;
        if (l.value > BigInt(bytes.length - pos)) throw new ProtobufError(`field ${number} declares ${l.value} bytes but only ${bytes.length - pos} remain`);
        const len = Number(l.value);
        fields.push({ number, wireType, bytes: bytes.subarray(pos, pos + len) });
        pos += len;
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wireType} for field ${number}`);
    }
  }
  return fields;
}

/** Decodes a packed repeated varint payload. */
export function readPackedVarints(bytes: Uint8Array): bigint[] {
  const out: bigint[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const v = readVarint(bytes, pos);
    out.push(v.value);
    pos = v.pos;
  }
  return out;
}

export function encodeTag(fieldNumber: number, wireType: number, out: number[] = []): number[] {
  return encodeVarint((BigInt(fieldNumber) << 3n) | BigInt(wireType), out);
}
