/**
 * corkingTcp: libp2p's TCP transport whose connections hand every write of one turn of the event
 * loop to the kernel in one system call.
 *
 * Why: a small Geode frame becomes several socket writes on its way down — yamux writes a frame,
 * noise writes its length prefix and its ciphertext as separate chunks, and yamux answers every
 * data frame it receives with a window update of its own — and `@libp2p/tcp` calls
 * `socket.write` once per chunk, so each is a `write(2)`. On loopback a socket write costs tens of
 * microseconds (the kernel runs the receiver's side too), which made socket writes the largest
 * CPU cost of a committed write on a cluster's leader.
 *
 * How: before a connection's first write in a turn, its socket is corked, and uncorked on
 * `process.nextTick` — after the current task and the promise callbacks it queued, so writes
 * from one burst of work (a batch of Raft messages, the answers to a batch of statements, their
 * window updates) leave in one `writev(2)`. Corking changes neither the bytes nor their order,
 * and `socket.write`'s backpressure answer stays the one libp2p reads, so nothing is held back
 * past the turn and nothing is buffered without bound.
 *
 * It needs the connection's socket (`socket`, a `net.Socket`, on `@libp2p/tcp`'s connection); a
 * connection without one is left as it is (plain writes, still correct).
 */
import { Socket } from 'node:net';
import { tcp, type TCPOptions } from '@libp2p/tcp';
import type { CreateListenerOptions, DialTransportOptions, MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface';

type TcpFactory = ReturnType<typeof tcp>;
type TcpComponents = Parameters<TcpFactory>[0];

/** corkingTcp: a drop-in for `tcp(init)` whose connections coalesce each turn's writes. */
export function corkingTcp(init?: TCPOptions): (components: TcpComponents) => Transport {
  const make = tcp(init);
  return (components) => {
    const inner = make(components);
    return new Proxy(inner, {
      get(target, key) {
        if (key === 'dial') {
          return (ma: Parameters<Transport['dial']>[0], options: DialTransportOptions) => target.dial(ma, { ...options, upgrader: corkingUpgrader(options.upgrader) });
        }
        if (key === 'createListener') {
          return (options: CreateListenerOptions) => target.createListener({ ...options, upgrader: corkingUpgrader(options.upgrader) });
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
}

/** An upgrader that corks each connection before handing it on. */
function corkingUpgrader(upgrader: Upgrader): Upgrader {
  return new Proxy(upgrader, {
    get(target, key) {
      if (key === 'upgradeInbound' || key === 'upgradeOutbound') {
        const upgrade = Reflect.get(target, key, target) as (c: MultiaddrConnection, o: unknown) => Promise<unknown>;
        return (maConn: MultiaddrConnection, options: unknown) => {
          corkWrites(maConn);
          return upgrade.call(target, maConn, options);
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Wraps the connection's `sendData` so its socket is corked for the rest of the turn. */
export function corkWrites(maConn: MultiaddrConnection): boolean {
  const socket = (maConn as unknown as { socket?: unknown }).socket;
  if (!(socket instanceof Socket)) return false;
  const conn = maConn as unknown as { sendData: (data: unknown) => unknown };
  const sendData = conn.sendData.bind(maConn);
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  conn.sendData = (data: unknown) => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return sendData(data);
  };
  return true;
}
