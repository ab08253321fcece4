// A protobuf ENCODER for the ONNX messages the exporter writes. Messages are built as lists of
// byte chunks, so large initializers (raw_data) are appended by reference instead of copied
// into one growing buffer; only the final file write walks them.
import { encodeTag, encodeVarint, WIRE_FIXED32, WIRE_LEN, WIRE_VARINT } from '../protobuf.js';

const utf8 = new TextEncoder();

export class ProtoWriter {
  readonly chunks: Uint8Array[] = [];
  length = 0;

  private push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private small(bytes: number[]): void {
    this.push(Uint8Array.from(bytes));
  }

  /** int32/int64/enum/bool field. */
  varint(field: number, value: number | bigint): this {
    const b = encodeTag(field, WIRE_VARINT);
    encodeVarint(value, b);
    this.small(b);
    return this;
  }

  float(field: number, value: number): this {
    const b = encodeTag(field, WIRE_FIXED32);
    const f = new Uint8Array(4);
    new DataView(f.buffer).setFloat32(0, value, true);
    this.small([...b, ...f]);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    const b = encodeTag(field, WIRE_LEN);
    encodeVarint(data.length, b);
    this.small(b);
    this.push(data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  /** A length-delimited sub-message (its chunks are shared, not copied). */
  message(field: number, m: ProtoWriter): this {
    const b = encodeTag(field, WIRE_LEN);
    encodeVarint(m.length, b);
    this.small(b);
    for (const c of m.chunks) this.push(c);
    return this;
  }

  /** Packed repeated int64 (ONNX dims, ints). */
  packedInt64(field: number, values: readonly (number | bigint)[]): this {
    const payload: number[] = [];
    for (const v of values) encodeVarint(v, payload);
    return this.bytes(field, Uint8Array.from(payload));
  }

  /** Packed repeated float. */
  packedFloat(field: number, values: readonly number[]): this {
    const payload = new Uint8Array(values.length * 4);
    const dv = new DataView(payload.buffer);
    values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, payload);
  }

  /** The whole message as one buffer (small messages and tests). */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
