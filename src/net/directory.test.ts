import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { decodeList, decodeRegister, DirectoryRegistry, encodeList, encodeRegister, type DirectoryRegister } from './directory.ts';

const tag = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const reg = (t: number, addrs: string[] = ['/ip4/127.0.0.1/tcp/1']): DirectoryRegister => ({ tag: tag(t), kind: 'node', ttlMs: 5_000, addrs });

describe('directory', () => {
  it('REGISTER and LIST round-trip through the codec', () => {
    const r = reg(1, ['/ip4/1.2.3.4/tcp/5', '/dns4/x/tcp/1/ws']);
    expect(decodeRegister(encodeRegister(r), 'p')).toEqual(r);
    const l = { status: 'ok', ttlMs: 3000, peers: [{ id: '12D3KooWabc', kind: 'tab', addrs: ['/p2p-circuit/webrtc'] }] } as const;
    expect(decodeList(encodeList(l), 'p')).toEqual(l);
  });

  it('lists only the other live peers of the same tag', () => {
    const d = new DirectoryRegistry(10_000);
    expect(d.register('a', reg(1), 0).peers).toEqual([]);
    d.register('x', reg(2), 0);
    const l = d.register('b', reg(1), 0);
    expect(l.peers.map((p) => p.id)).toEqual(['a']);
    expect(d.register('a', reg(1), 1).peers.map((p) => p.id)).toEqual(['b']);
  });

  it('forgets a registration after its TTL unless refreshed', () => {
    const d = new DirectoryRegistry(10_000);
    d.register('a', reg(1), 0);
    d.register('b', reg(1), 4_000);
    expect(d.register('c', reg(1), 6_000).peers.map((p) => p.id)).toEqual(['b']);
  });

  it('forgets a peer that disconnected', () => {
    const d = new DirectoryRegistry(10_000);
    d.register('a', reg(1), 0);
    d.removePeer('a');
    expect(d.register('b', reg(1), 0).peers).toEqual([]);
    expect(d.counts()).toEqual({ clusters: 1, peers: 1 });
  });

  it('random bytes decode to a message or fail with INPUT_INVALID only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of [decodeRegister, decodeList]) {
          try {
            decode(bytes, 'p');
          } catch (err) {
            expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
          }
        }
      }),
    );
  });
});
