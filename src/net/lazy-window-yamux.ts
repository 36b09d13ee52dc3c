/**
 * lazyWindowYamux: libp2p's yamux muxer whose streams grant the sender more receive window only
 * once half of it is used, instead of after every data frame.
 *
 * Why: `@chainsafe/libp2p-yamux` answers every data frame a stream receives with a window update
 * frame. Geode keeps one long-lived stream per peer pair and sends many small frames on it, so
 * every frame in cost a frame out — a yamux header sealed by noise, and on a turn with nothing
 * else to send, a socket write of its own (a loopback write costs tens of microseconds of kernel
 * time on the writer, which also runs the receiver's side). The yamux specification leaves it to
 * the receiver when to send updates; hashicorp's yamux waits until half the window is used.
 *
 * How: each new stream's `sendWindowUpdate` returns at once while the stream is established and
 * more than half of its receive window is still free; otherwise (half used, or the stream's
 * first frames, which carry the SYN/ACK flags, or a paused stream) the library's own update runs
 * unchanged. The sender can always use what is left: when the window it was given is used up,
 * the receiver's free window is under half, so the update goes out. Nothing else changes.
 * A muxer that does not look as expected (another yamux version) is left as it is.
 */
import { yamux, type YamuxMuxerInit } from '@chainsafe/libp2p-yamux';
import type { StreamMuxerFactory } from '@libp2p/interface';

/** yamux's stream state "established" (`StreamState.Established` in the library). */
const ESTABLISHED = 3;

/** The parts of a yamux stream this touches. */
interface WindowedStream {
  state: number;
  recvWindow: number;
  recvWindowCapacity: number;
  sendWindowUpdate: () => void;
}

let held = 0;
let sent = 0;

/** Window updates held back and let through by lazy streams of this process (tests read it). */
export function yamuxWindowUpdates(): { held: number; sent: number } {
  return { held, sent };
}

/** lazyWindowYamux: a drop-in for `yamux(init)`. */
export function lazyWindowYamux(init?: YamuxMuxerInit): () => StreamMuxerFactory {
  const make = yamux(init);
  return () => {
    const factory = make();
    return new Proxy(factory, {
      get(target, key) {
        if (key === 'createStreamMuxer') {
          return (...args: Parameters<StreamMuxerFactory['createStreamMuxer']>) => {
            const muxer = target.createStreamMuxer(...args);
            lazyStreams(muxer);
            return muxer;
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
}

/** Wraps the muxer's stream constructor so each new stream updates its window lazily. */
function lazyStreams(muxer: unknown): void {
  const m = muxer as { _newStream?: (...args: unknown[]) => unknown };
  const newStream = m._newStream;
  if (typeof newStream !== 'function') return;
  m._newStream = (...args: unknown[]) => {
    const stream = newStream.apply(muxer, args) as Partial<WindowedStream>;
    if (typeof stream.sendWindowUpdate === 'function' && typeof stream.recvWindowCapacity === 'number' && typeof stream.recvWindow === 'number') {
      const s = stream as WindowedStream;
      const update = s.sendWindowUpdate.bind(s);
      s.sendWindowUpdate = () => {
        if (s.state === ESTABLISHED && s.recvWindowCapacity * 2 > s.recvWindow) {
          held += 1;
          return;
        }
        sent += 1;
        update();
      };
    }
    return stream;
  };
}
