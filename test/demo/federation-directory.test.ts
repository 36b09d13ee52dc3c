/**
 * The demo's federation directory (demo/federation-directory.ts): registrations expire after
 * their TTL, bad bodies are refused with the field named, and the links a tab cluster derives
 * from the listing go both ways and include its local-first forks.
 */
import { describe, expect, it } from 'vitest';
import { FEDERATION_MEMBERS_MAX, FEDERATION_TTL_MS, FederationDirectory, linksFromListing, parseRegistration } from '../../demo/federation-directory.ts';

const reg = (cluster: string, peer: string, extra: { federate?: string[]; parent?: string; addrs?: string[] } = {}) => ({
  cluster,
  peer,
  addrs: extra.addrs ?? [`/ip4/127.0.0.1/tcp/1/ws/p2p/R/p2p-circuit/webrtc/p2p/${peer}`],
  federate: extra.federate ?? [],
  ...(extra.parent === undefined ? {} : { parent: extra.parent }),
});

describe('federation directory', () => {
  it('lists a member until its registration expires, and refreshing keeps it', () => {
    const d = new FederationDirectory();
    d.register(reg('us', 'a'), 0);
    d.register(reg('us', 'b'), 0);
    d.register(reg('us', 'a'), FEDERATION_TTL_MS - 1);
    expect(d.list(FEDERATION_TTL_MS - 1).clusters[0]!.members.map((m) => m.peer)).toEqual(['a', 'b']);
    expect(d.list(FEDERATION_TTL_MS).clusters[0]!.members.map((m) => m.peer)).toEqual(['a']);
    expect(d.list(2 * FEDERATION_TTL_MS).clusters).toEqual([]);
  });

  it('keeps a cut link cut until a tab heals it', () => {
    const d = new FederationDirectory();
    d.register({ ...reg('us', 'a'), cuts: [{ pair: 'eu|us', cut: true }] }, 0);
    expect(d.list(1).cuts).toEqual(['eu|us']);
    d.register(reg('eu', 'b'), 1);
    expect(d.list(2).cuts).toEqual(['eu|us']);
    d.register({ ...reg('eu', 'b'), cuts: [{ pair: 'eu|us', cut: false }] }, 2);
    expect(d.list(3).cuts).toEqual([]);
    expect(parseRegistration({ cluster: 'us', peer: 'x', addrs: [], cuts: [{ pair: 'us|eu', cut: true }] })).toMatch(/^cuts/);
  });

  it('refuses a member past the per-cluster limit', () => {
    const d = new FederationDirectory();
    for (let i = 0; i < FEDERATION_MEMBERS_MAX; i++) expect(d.register(reg('us', `p${i}`), 0)).toBe(true);
    expect(d.register(reg('us', 'one-more'), 0)).toBe(false);
    expect(d.register(reg('us', 'p0'), 0)).toBe(true);
  });

  it('refuses bad registrations, naming the field', () => {
    expect(parseRegistration({ cluster: 'a b', peer: 'x', addrs: [] })).toMatch(/^cluster/);
    expect(parseRegistration({ cluster: 'us', peer: '', addrs: [] })).toMatch(/^peer/);
    expect(parseRegistration({ cluster: 'us', peer: 'x', addrs: ['not-a-multiaddr'] })).toMatch(/^addrs/);
    expect(parseRegistration({ cluster: 'us', peer: 'x', addrs: [], federate: ['e/u'] })).toMatch(/^federate/);
    expect(parseRegistration({ cluster: 'us', peer: 'x', addrs: [], parent: 3 })).toMatch(/^parent/);
    expect(parseRegistration({ cluster: 'us', peer: 'x', addrs: [], federate: ['eu'] })).toEqual({ cluster: 'us', peer: 'x', addrs: [], federate: ['eu'] });
  });

  it('derives links both ways from one URL, and to the forks of a cluster', () => {
    const d = new FederationDirectory();
    d.register(reg('us', 'a', { federate: ['eu'] }), 0);
    d.register(reg('eu', 'b'), 0);
    d.register(reg('us~fork', 'c', { parent: 'us' }), 0);
    d.register(reg('ap', 'e'), 0);
    const l = d.list(1);
    expect(linksFromListing('us', ['eu'], l).map((x) => x.clusterId)).toEqual(['eu', 'us~fork']);
    expect(linksFromListing('eu', [], l).map((x) => x.clusterId)).toEqual(['us']);
    expect(linksFromListing('us~fork', [], l)).toEqual([]);
    expect(linksFromListing('us', ['eu'], l)[0]!.addresses).toEqual(['/ip4/127.0.0.1/tcp/1/ws/p2p/R/p2p-circuit/webrtc/p2p/b']);
  });
});
