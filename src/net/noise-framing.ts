/**
 * quickNoise: libp2p's noise connection encrypter whose incoming-frame reader does not build an
 * error (with its stack trace) each time it runs out of bytes.
 *
 * Why: noise reads its length-prefixed frames with `@libp2p/utils`' LengthPrefixedDecoder, which
 * learns that a chunk's frames are used up when the length decoder throws a `RangeError` — and
 * noise's `uint16BEDecode` throws a new one. That happens once for every chunk a connection
 * receives (a chunk nearly always ends on a frame's end), and a new error captures the stack: on
 * a cluster's leader it was about 2.5% of the process's time (5% of its busy time) at 13,000
 * writes/s, ahead of the decryption itself.
 *
 * How: once a connection is secured, its decoder's length decoder is replaced by one that reads
 * the same two bytes, big-endian, and throws one `RangeError` made in advance when fewer than
 * two are buffered. The bytes read, the frames yielded and every other error stay as they were.
 * A connection whose stream does not look as expected (another noise version) is left as it is.
 */
import { noise, type NoiseInit } from '@chainsafe/libp2p-noise';
import type { ConnectionEncrypter } from '@libp2p/interface';

type NoiseFactory = ReturnType<typeof noise>;
type NoiseComponents = Parameters<NoiseFactory>[0];

/** Thrown (never built again) when a frame's length prefix is not all buffered yet. */
const SHORT_LENGTH_PREFIX = new RangeError('noise frame length prefix not buffered yet');

/** The subset of Uint8Array and Uint8ArrayList the length decoder reads. */
interface Bytes {
  readonly length: number;
  get?: (index: number) => number;
  [index: number]: number | undefined;
}

/**
 * The big-endian 16-bit length at the start of `data` (a Uint8Array or a Uint8ArrayList), or
 * the shared {@link SHORT_LENGTH_PREFIX} thrown when fewer than two bytes are there.
 */
export function frameLength(data: Bytes): number {
  if (data.length < 2) throw SHORT_LENGTH_PREFIX;
  if (data instanceof Uint8Array) return (data[0]! << 8) | data[1]!;
  const get = data.get;
  if (get === undefined) throw new TypeError('noise frame: unexpected buffer type');
  return (get.call(data, 0) << 8) | get.call(data, 1);
}

/** quickNoise: a drop-in for `noise(init)`. */
export function quickNoise(init?: NoiseInit): (components: NoiseComponents) => ConnectionEncrypter {
  const make = noise(init);
  return (components) => {
    const inner = make(components);
    const secure = (key: 'secureInbound' | 'secureOutbound') => {
      const original = inner[key].bind(inner) as (...args: unknown[]) => Promise<{ connection: unknown }>;
      return async (...args: unknown[]) => {
        const result = await original(...args);
        patchDecoder(result.connection);
        return result;
      };
    };
    const inbound = secure('secureInbound');
    const outbound = secure('secureOutbound');
    return new Proxy(inner, {
      get(target, key) {
        if (key === 'secureInbound') return inbound;
        if (key === 'secureOutbound') return outbound;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
}

let patched = 0;

/** How many secured connections of this process got the quick length decoder (tests read it). */
export function noiseDecodersPatched(): number {
  return patched;
}

/** Swaps the secured stream's length decoder; true when it could. */
function patchDecoder(connection: unknown): boolean {
  const decoder = (connection as { decoder?: { lengthDecoder?: unknown } } | null)?.decoder;
  if (decoder === undefined || decoder === null || typeof decoder.lengthDecoder !== 'function') return false;
  decoder.lengthDecoder = frameLength;
  patched += 1;
  return true;
}
