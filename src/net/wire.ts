/**
 * A small symmetric binary codec for the net layer's control messages (handshake, directory):
 * every `Writer.write*` has a `Reader.read*`. Integers are unsigned LEB128 varints, strings are
 * `varint(byte length) ‖ UTF-8`, byte strings are `varint(length) ‖ bytes`.
 *
 * The reader validates as it goes: a truncated message, a length over the caller's limit or
 * invalid UTF-8 throws GeodeError `INPUT_INVALID` naming `source` (the peer), never anything else.
 */
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Writer: appends to a growing buffer; `finish` returns the bytes written. */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialBytes = 64) {
    this.buf = new Uint8Array(initialBytes);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): this {
    assert(Number.isInteger(v) && v >= 0 && v <= 255, `u8 ${v} out of range`);
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  varuint(v: number): this {
    assert(Number.isSafeInteger(v) && v >= 0, `varuint ${v} is not a non-negative safe integer`);
    this.ensure(8);
    let x = v;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x % 128) | 0x80;
      x = Math.floor(x / 128);
    }
    this.buf[this.pos++] = x;
    return this;
  }

  /** Raw bytes, no length (fixed-size fields). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  bytes(bytes: Uint8Array): this {
    return this.varuint(bytes.length).raw(bytes);
  }

  string(s: string): this {
    return this.bytes(encoder.encode(s));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Reader: reads what a Writer wrote, validating every length against the given maximum. */
export class Reader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** Who sent these bytes; named in errors. */
    readonly source: string,
    /** What is being read (e.g. `directory request`); named in errors. */
    readonly what: string,
  ) {}

  /** Bytes not read yet. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  fail(message: string): never {
    throw new GeodeError('INPUT_INVALID', `peer ${this.source}: bad ${this.what}: ${message}`, { source: this.source, detail: 'BadMessage' });
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail(`truncated at byte ${this.pos}`);
    return this.buf[this.pos++]!;
  }

  /** A varint of at most `max`. */
  varuint(max: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if (value > max) this.fail(`value ${value} or more exceeds ${max}`);
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    return this.fail('varint longer than 8 bytes');
  }

  /** Exactly `n` raw bytes (a view). */
  raw(n: number): Uint8Array {
    if (this.remaining < n) this.fail(`needs ${n} bytes at ${this.pos}, has ${this.remaining}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length-prefixed byte string of at most `maxBytes`. */
  bytes(maxBytes: number): Uint8Array {
    return this.raw(this.varuint(maxBytes));
  }

  /** A length-prefixed UTF-8 string of at most `maxBytes` bytes. */
  string(maxBytes: number): string {
    const bytes = this.bytes(maxBytes);
    try {
      return decoder.decode(bytes);
    } catch {
      return this.fail('invalid UTF-8');
    }
  }

  /** Asserts the whole message was read (trailing bytes are refused). */
  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} trailing bytes`);
  }
}
