import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { FRAME_HEADER_BYTES_MAX } from './constants.ts';
import { encodeFrame, FrameDecoder, frameHeaderBytes, type FrameDecoderLimits } from './frame.ts';

const small: FrameDecoderLimits = { maxFrameBytes: 1024, maxBufferedBytes: 4096 };

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function drain(d: FrameDecoder): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = d.next(); f !== undefined; f = d.next()) out.push(Uint8Array.from(f));
  return out;
}

describe('frame', () => {
  it('header size grows by one byte per 7 bits of length', () => {
    expect(frameHeaderBytes(1)).toBe(1);
    expect(frameHeaderBytes(127)).toBe(1);
    expect(frameHeaderBytes(128)).toBe(2);
    expect(frameHeaderBytes(4 * 1024 * 1024)).toBe(4);
  });

  it('any chunking of a stream of frames decodes to the same frames, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, cuts) => {
          const stream = concat(frames.map(encodeFrame));
          const d = new FrameDecoder('p', small);
          const got: Uint8Array[] = [];
          for (const c of chunk(stream, cuts)) {
            d.push(c);
            got.push(...drain(d));
          }
          expect(got).toEqual(frames);
          expect(d.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('refuses a length over the limit as soon as the header says so, before the body arrives', () => {
    const d = new FrameDecoder('12D3KooWbad', small);
    d.push(Uint8Array.of(0x81, 0x08)); // 1025
    let err: unknown;
    try {
      d.next();
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain('12D3KooWbad');
    expect((err as { detail?: string }).detail).toBe('FrameTooLarge');
  });

  it('refuses a huge length while its varint is still incomplete', () => {
    const d = new FrameDecoder('p', small);
    d.push(Uint8Array.of(0xff, 0xff)); // low bits alone already exceed 1024
    expect(() => d.next()).toThrow(/exceeds the limit/);
  });

  it('refuses zero-length, non-minimal and over-long headers', () => {
    for (const bytes of [Uint8Array.of(0), Uint8Array.of(0x81, 0x00), Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)]) {
      const d = new FrameDecoder('p', { maxFrameBytes: 2 ** 34, maxBufferedBytes: 2 ** 34 + FRAME_HEADER_BYTES_MAX });
      d.push(bytes);
      expect(() => d.next(), `bytes ${Array.from(bytes).join(',')}`).toThrow(/peer p/);
    }
  });

  it('refuses more buffered bytes than the limit', () => {
    const d = new FrameDecoder('p', { maxFrameBytes: 16, maxBufferedBytes: 32 });
    d.push(new Uint8Array(30));
    expect(() => d.push(new Uint8Array(3))).toThrow(/buffered/);
  });

  it('stays failed after an error', () => {
    const d = new FrameDecoder('p', small);
    d.push(Uint8Array.of(0));
    expect(() => d.next()).toThrow();
    expect(() => d.push(Uint8Array.of(1, 1))).toThrow(/frame length is 0/);
  });

  it('applies smaller limits to frames whose header was read before the change', () => {
    const d = new FrameDecoder('p', small);
    d.push(Uint8Array.of(100, 1));
    expect(d.next()).toBeUndefined();
    d.setLimits({ maxFrameBytes: 50, maxBufferedBytes: 100 });
    expect(() => d.next()).toThrow(/exceeds/);
  });

  it('random bytes only ever produce frames or a GeodeError INPUT_INVALID', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 16 }), (chunks) => {
        const d = new FrameDecoder('p', { maxFrameBytes: 200, maxBufferedBytes: 400 });
        try {
          for (const c of chunks) {
            d.push(c);
            for (let f = d.next(); f !== undefined; f = d.next()) expect(f.length).toBeLessThanOrEqual(200);
          }
        } catch (err) {
          expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
        }
      }),
    );
  });
});
