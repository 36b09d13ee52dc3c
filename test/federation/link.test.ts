/**
 * Links made at run time (`FederationAgent.link` / `unlink`), as federated clusters of browser
 * tabs need (their members' addresses are known only once the tabs are up): two one-peer clusters
 * in this process with no `federation.peers`;
 * - eu linked to us at run time converges with it;
 * - unlinked, eu no longer receives us's writes; linked again, it resumes from its replicated
 *   cursor (only the writes made meanwhile travel);
 * - linking to its own cluster id is refused with CONFIG_INVALID.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openGeode, type Geode } from '../../src/node.ts';
import { isGeodeError } from '../../src/util/errors.ts';
import { removeDir, tempDir } from '../cluster/harness.ts';
import { until } from '../cluster/in-process-helpers.ts';
import { canonical, planPeer, VIEW_NODES, type PlannedPeer } from './fed-helpers.ts';

describe('federation links made at run time', () => {
  const dirs: string[] = [];
  const open: Geode[] = [];
  afterAll(async () => {
    for (const db of open) await db.close().catch(() => {});
    for (const d of dirs) removeDir(d);
  });

  async function start(id: string, me: PlannedPeer): Promise<Geode> {
    const dir = tempDir(`geode-fed-link-${id}-`);
    dirs.push(dir);
    const db = await openGeode({
      storage: `file:${dir}`,
      cluster: { id, secret: `${id}-secret`, bootstrap: true, key: me.key, listen: [`/ip4/127.0.0.1/tcp/${me.port}`], config: { replication: { factor: 1 }, federation: { enabled: true } } },
    });
    open.push(db);
    return db;
  }

  const nodes = async (db: Geode): Promise<string> => canonical((await db.query(VIEW_NODES, {}, { readQuorum: 1 })).rows);

  it('a link made at run time converges; unlinked it stops; linked again it resumes from its cursor', async () => {
    const [usPeer, euPeer] = [await planPeer(), await planPeer()];
    const us = await start('us', usPeer);
    const eu = await start('eu', euPeer);
    for (let i = 0; i < 10; i++) await us.query('CREATE (:W {k: $k})', { k: `a${i}` });
    const agent = eu.cluster!.federation!;
    expect(agent.links()).toEqual([]);
    agent.link({ clusterId: 'us', addresses: [usPeer.addr] });
    await until('eu has us’s writes', async () => (await nodes(eu)) === (await nodes(us)));
    expect(agent.links()).toEqual([{ clusterId: 'us', addresses: [usPeer.addr] }]);

    expect(agent.unlink('us')).toBe(true);
    expect(agent.lag()).toEqual([]);
    await us.query("CREATE (:W {k: 'while unlinked'})");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await nodes(eu)).not.toContain('while unlinked');

    agent.link({ clusterId: 'us', addresses: [usPeer.addr] });
    await until('eu has the write made while unlinked', async () => (await nodes(eu)) === (await nodes(us)));
    const link = agent.lag().find((l) => l.cluster === 'us')!;
    expect(link.recordsReceived).toBeLessThan(5); // from the replicated cursor, not us's stream from the start
  });

  it('refuses a link to its own cluster id', async () => {
    const db = await start('solo', await planPeer());
    let err: unknown;
    try {
      db.cluster!.federation!.link({ clusterId: 'solo', addresses: ['/ip4/127.0.0.1/tcp/1/p2p/x'] });
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'CONFIG_INVALID')).toBe(true);
  });
});
