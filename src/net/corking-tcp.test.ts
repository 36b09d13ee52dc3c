import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { MultiaddrConnection } from '@libp2p/interface';
import { afterEach, describe, expect, it } from 'vitest';
import { corkWrites } from './corking-tcp.ts';

/** Write system calls this process made so far (Linux); undefined elsewhere. */
function writeSyscalls(): number | undefined {
  try {
    return Number(/syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

type Connection = MultiaddrConnection & { sendData(data: Iterable<Uint8Array>): unknown };

/** A stand-in for @libp2p/tcp's connection: `socket` and a `sendData` writing chunk by chunk. */
function fakeConnection(socket: Socket): Connection {
  return {
    socket,
    sendData(data: Iterable<Uint8Array>) {
      let sentBytes = 0;
      let canSendMore = true;
      for (const b of data) {
        sentBytes += b.length;
        canSendMore = socket.write(b);
      }
      return { sentBytes, canSendMore };
    },
  } as unknown as Connection;
}

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A connected loopback pair; the server side collects what it receives. */
async function pair(): Promise<{ client: Socket; received: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d: Buffer) => chunks.push(d));
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  const client = connect({ port, host: '127.0.0.1', noDelay: true });
  sockets.push(client);
  await new Promise<void>((ok) => client.once('connect', ok));
  return { client, received: () => Buffer.concat(chunks) };
}

const turn = (): Promise<void> => new Promise((ok) => setImmediate(ok));

/** Sends 40 one-byte chunks in one turn; answers the write system calls they took and the bytes. */
async function sendBurst(cork: boolean): Promise<{ syscalls: number | undefined; bytes: Buffer }> {
  const { client, received } = await pair();
  const conn = fakeConnection(client);
  if (cork) expect(corkWrites(conn)).toBe(true);
  const expected = Buffer.from(Array.from({ length: 40 }, (_, i) => i));
  await turn();
  const before = writeSyscalls();
  for (let i = 0; i < 40; i++) conn.sendData([expected.subarray(i, i + 1)]);
  await turn();
  const after = writeSyscalls();
  for (let i = 0; i < 100 && received().length < 40; i++) await turn();
  return { syscalls: before === undefined || after === undefined ? undefined : after - before, bytes: received() };
}

describe('corkingTcp', () => {
  it('delivers every byte of a burst in order', async () => {
    const { bytes } = await sendBurst(true);
    expect([...bytes]).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('hands the writes of one turn to the kernel in one system call, where plain writes take one each', async () => {
    const plain = await sendBurst(false);
    const corked = await sendBurst(true);
    if (plain.syscalls === undefined || corked.syscalls === undefined) return; // not Linux: no /proc/self/io
    expect(plain.syscalls).toBeGreaterThanOrEqual(40);
    expect(corked.syscalls).toBeLessThanOrEqual(3);
  });

  it('leaves a connection without a socket as it is', () => {
    const conn = { sendData: () => ({ sentBytes: 0, canSendMore: true }) } as unknown as MultiaddrConnection;
    expect(corkWrites(conn)).toBe(false);
  });
});
