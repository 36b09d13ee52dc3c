/**
 * Peer processes for the cluster benchmarks: a relay process and `count` peer processes
 * (test/cluster/peer-process.ts, file storage in temporary folders) of one cluster, the first
 * founding it, waited until the founder sees `count` voters. `close()` stops them and removes the
 * folders.
 */
import { PeerProc, RelayProc, removeDir, tempDir, until } from '../test/cluster/harness.ts';

export interface PeerProcs {
  readonly relay: RelayProc;
  readonly peers: PeerProc[];
  close(): Promise<void>;
}

/** startPeerProcs: the relay and `count` peers of cluster `cluster` with `config`, named `<name><i>`. */
export async function startPeerProcs(options: { readonly name: string; readonly cluster: string; readonly secret: string; readonly config: Record<string, unknown>; readonly count?: number }): Promise<PeerProcs> {
  const count = options.count ?? 3;
  const relay = await RelayProc.start();
  const dirs: string[] = [];
  const peers: PeerProc[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(peers.map((p) => p.stop()));
    relay.child.kill('SIGKILL');
    for (const d of dirs) removeDir(d);
  };
  const start = (i: number): Promise<PeerProc> => {
    const data = tempDir(`geode-bench-${options.name}-${i}-`);
    dirs.push(data);
    return PeerProc.start(`${options.name}${i}`, { data, relays: [relay.tcp()], cluster: options.cluster, secret: options.secret, bootstrap: i === 0, config: options.config });
  };
  try {
    peers.push(await start(0));
    peers.push(...(await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1)))));
    await until(async () => ((await peers[0]!.status()).voters === count ? true : undefined), 60_000, `${count} voters`, 200);
  } catch (err) {
    await close();
    throw err;
  }
  return { relay, peers, close };
}
