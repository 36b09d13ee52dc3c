/**
 * Length-prefixed framing of the peer stream: each frame is `varint(length) ‖ payload`, where the
 * length is an unsigned LEB128 varint of at most {@link FRAME_HEADER_BYTES_MAX} bytes, minimally
 * encoded, and 1 ≤ length ≤ `maxFrameBytes`.
 *
 * {@link FrameDecoder} is pull-based: `push` appends received bytes, `next` returns the next whole
 * frame or undefined. A length that is malformed or larger than the limit is refused as soon as its
 * header bytes say so, before any buffer of that size is allocated; bytes buffered are bounded too.
 * Pure: no I/O, no clock.
 */
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import { FRAME_BYTES_MAX_DEFAULT, FRAME_HEADER_BYTES_MAX } from './constants.ts';

/** Bytes the varint header of a frame of `length` bytes takes. */
export function frameHeaderBytes(length: number): number {
  assert(Number.isSafeInteger(length) && length >= 0, `frame length ${length} is not a non-negative integer`);
  let n = 1;
  let v = length;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes the varint header of a frame of `length` bytes into `out` at `offset`; returns the bytes written. */
export function writeFrameHeader(out: Uint8Array, offset: number, length: number): number {
  const n = frameHeaderBytes(length);
  assert(n <= FRAME_HEADER_BYTES_MAX, `frame length ${length} needs ${n} header bytes (max ${FRAME_HEADER_BYTES_MAX})`);
  assert(offset + n <= out.length, `header of ${n} bytes at ${offset} overflows a buffer of ${out.length}`);
  let v = length;
  for (let i = 0; i < n - 1; i++) {
    out[offset + i] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[offset + n - 1] = v;
  return n;
}

/** encodeFrame: `varint(payload.length) ‖ payload` in one new buffer. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  assert(payload.length > 0, 'a frame payload is never empty');
  const h = frameHeaderBytes(payload.length);
  const out = new Uint8Array(h + payload.length);
  writeFrameHeader(out, 0, payload.length);
  out.set(payload, h);
  return out;
}

/** Limits of a {@link FrameDecoder}. */
export interface FrameDecoderLimits {
  /** Largest frame payload accepted. */
  readonly maxFrameBytes: number;
  /** Most bytes held undecoded (push refuses more); at least `maxFrameBytes + FRAME_HEADER_BYTES_MAX`. */
  readonly maxBufferedBytes: number;
}

/** Default decoder limits: 4 MiB frames, two frames buffered. */
export const frameDecoderLimitsDefault: FrameDecoderLimits = {
  maxFrameBytes: FRAME_BYTES_MAX_DEFAULT,
  maxBufferedBytes: 2 * FRAME_BYTES_MAX_DEFAULT + FRAME_HEADER_BYTES_MAX,
};

function checkLimits(limits: FrameDecoderLimits): void {
  assert(Number.isSafeInteger(limits.maxFrameBytes) && limits.maxFrameBytes >= 1, `maxFrameBytes ${limits.maxFrameBytes} must be a positive integer`);
  assert(limits.maxFrameBytes < 2 ** 35, `maxFrameBytes ${limits.maxFrameBytes} does not fit a ${FRAME_HEADER_BYTES_MAX}-byte header`);
  assert(
    limits.maxBufferedBytes >= limits.maxFrameBytes + FRAME_HEADER_BYTES_MAX,
    `maxBufferedBytes ${limits.maxBufferedBytes} cannot hold one frame of ${limits.maxFrameBytes}`,
  );
}

/**
 * FrameDecoder: turns a byte stream received from `peer` in chunks of any size into frames.
 * `next` throws GeodeError `INPUT_INVALID` (source = the peer) on a malformed or oversized
 * length; `push` throws it when more than `maxBufferedBytes` are waiting. After an error the
 * decoder is poisoned: every later call throws the same error.
 */
export class FrameDecoder {
  readonly peer: string;
  private limits: FrameDecoderLimits;
  /** Received chunks not yet consumed; `head` bytes of `chunks[0]` are consumed already. */
  private readonly chunks: Uint8Array[] = [];
  private head = 0;
  private buffered = 0;
  /** Length of the frame whose header was decoded, or -1 while reading a header. */
  private pending = -1;
  private failure: GeodeError | undefined = undefined;

  constructor(peer: string, limits: FrameDecoderLimits = frameDecoderLimitsDefault) {
    checkLimits(limits);
    this.peer = peer;
    this.limits = limits;
  }

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The limits now in force. */
  get currentLimits(): FrameDecoderLimits {
    return this.limits;
  }

  /** setLimits: new limits for the frames not yet decoded (e.g. larger once a peer authenticated). */
  setLimits(limits: FrameDecoderLimits): void {
    checkLimits(limits);
    this.limits = limits;
  }

  /** push: appends received bytes (kept by reference, not copied). */
  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    if (chunk.length === 0) return;
    if (this.buffered + chunk.length > this.limits.maxBufferedBytes) {
      this.fail(`${this.buffered + chunk.length} bytes buffered, more than the limit of ${this.limits.maxBufferedBytes}`, 'BufferOverflow');
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** next: the next whole frame payload, or undefined when more bytes are needed. */
  next(): Uint8Array | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.pending < 0 && !this.readHeader()) return undefined;
    const length = this.pending;
    // A header decoded under larger limits is checked again against the ones now in force.
    if (length > this.limits.maxFrameBytes) this.failOversized(length);
    if (this.buffered < length) return undefined;
    this.pending = -1;
    return this.take(length);
  }

  /** Decodes a varint header when all its bytes are here; false when more bytes are needed. */
  private readHeader(): boolean {
    let value = 0;
    let scale = 1;
    let index = 0;
    let chunk = 0;
    let pos = this.head;
    for (;;) {
      if (index >= this.buffered) {
        // The varint is incomplete, but its value so far may already be too large or too long.
        if (value > this.limits.maxFrameBytes) this.failOversized(value);
        return false;
      }
      const bytes = this.chunks[chunk];
      assert(bytes !== undefined, `chunk ${chunk} missing with ${this.buffered} bytes buffered`);
      if (pos >= bytes.length) {
        chunk++;
        pos = 0;
        continue;
      }
      const b = bytes[pos]!;
      pos++;
      index++;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (value > this.limits.maxFrameBytes) this.failOversized(value);
      if ((b & 0x80) === 0) {
        if (b === 0 && index > 1) this.fail(`frame length is not minimally encoded (${index} bytes)`, 'NonMinimalLength');
        if (value === 0) this.fail('frame length is 0 (every frame has a payload)', 'EmptyFrame');
        this.skip(index);
        this.pending = value;
        return true;
      }
      if (index >= FRAME_HEADER_BYTES_MAX) this.fail(`frame length prefix longer than ${FRAME_HEADER_BYTES_MAX} bytes`, 'MalformedLength');
    }
  }

  /** Consumes `n` buffered bytes. */
  private skip(n: number): void {
    let left = n;
    while (left > 0) {
      const bytes = this.chunks[0];
      assert(bytes !== undefined, `skip ${n}: ran out of chunks with ${left} left`);
      const avail = bytes.length - this.head;
      if (avail > left) {
        this.head += left;
        left = 0;
      } else {
        left -= avail;
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.buffered -= n;
  }

  /** Removes and returns the next `n` bytes: a view when they lie in one chunk, a copy otherwise. */
  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    assert(first !== undefined, `take ${n} with no chunk buffered`);
    if (first.length - this.head >= n) {
      const view = first.subarray(this.head, this.head + n);
      this.skip(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const bytes = this.chunks[0];
      assert(bytes !== undefined, `take ${n}: ran out of chunks at ${filled}`);
      const part = Math.min(bytes.length - this.head, n - filled);
      out.set(bytes.subarray(this.head, this.head + part), filled);
      filled += part;
      this.skip(part);
    }
    return out;
  }

  private failOversized(length: number): never {
    this.fail(`frame of ${length} bytes or more exceeds the limit of ${this.limits.maxFrameBytes}`, 'FrameTooLarge');
  }

  private fail(message: string, detail: string): never {
    this.failure = new GeodeError('INPUT_INVALID', `peer ${this.peer}: ${message}`, { source: this.peer, detail });
    this.chunks.length = 0;
    this.buffered = 0;
    throw this.failure;
  }
}
