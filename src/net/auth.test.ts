import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { decodeHandshake, deriveClusterKey, encodeHandshake, Handshake, INSTANCE_BYTES, MAC_BYTES, NONCE_BYTES, type ClusterKey } from './auth.ts';

const nonce = (b: number): Uint8Array => new Uint8Array(NONCE_BYTES).fill(b);
const instance = (b: number): Uint8Array => new Uint8Array(INSTANCE_BYTES).fill(b);

/** Runs both sides to completion, delivering each side's frames in order; returns what each reached. */
async function run(keyA: ClusterKey, keyB: ClusterKey, idsSeenByB = { a: 'A', b: 'B' }): Promise<{ a: string; b: string; aToB: number; bToA: number }> {
  const a = new Handshake(keyA, 'A', 'B', nonce(1), instance(1));
  const b = new Handshake(keyB, idsSeenByB.b, idsSeenByB.a, nonce(2), instance(2));
  const toB: Uint8Array[] = [a.start()];
  const toA: Uint8Array[] = [b.start()];
  let aToB = 0;
  let bToA = 0;
  for (let round = 0; round < 10 && (toA.length > 0 || toB.length > 0); round++) {
    const fa = toA.shift();
    if (fa !== undefined && a.status !== 'failed') {
      bToA++;
      const s = await a.receive(fa).catch(() => undefined);
      if (s?.send !== undefined) toB.push(s.send);
    }
    const fb = toB.shift();
    if (fb !== undefined && b.status !== 'failed') {
      aToB++;
      const s = await b.receive(fb).catch(() => undefined);
      if (s?.send !== undefined) toA.push(s.send);
    }
  }
  return { a: a.status, b: b.status, aToB, bToA };
}

describe('auth', () => {
  it('two members with the same cluster id and secret both complete the handshake', async () => {
    const key = await deriveClusterKey('c1', 'secret');
    const r = await run(key, key);
    expect(r.a).toBe('done');
    expect(r.b).toBe('done');
  });

  it('a peer with the wrong secret fails on both sides and never receives ACCEPT', async () => {
    const r = await run(await deriveClusterKey('c1', 'secret'), await deriveClusterKey('c1', 'other'));
    expect(r.a).toBe('failed');
    expect(r.b).toBe('failed');
  });

  it('a peer of another cluster id with the same secret fails', async () => {
    const r = await run(await deriveClusterKey('c1', 'secret'), await deriveClusterKey('c2', 'secret'));
    expect([r.a, r.b]).toEqual(['failed', 'failed']);
  });

  it('a proof is bound to the peer ids: a relayed proof for another id fails', async () => {
    const key = await deriveClusterKey('c1', 'secret');
    // B believes it talks to "M" (a man in the middle relaying A's frames): A's proof names B and A.
    const r = await run(key, key, { a: 'M', b: 'B' });
    expect(r.b).toBe('failed');
  });

  it('the directory tag depends on id and secret and does not contain the id', async () => {
    const k1 = await deriveClusterKey('c1', 's');
    const k2 = await deriveClusterKey('c1', 't');
    expect(k1.directoryTag).toHaveLength(32);
    expect(k1.directoryTag).not.toEqual(k2.directoryTag);
    expect(k1.directoryTag).toEqual((await deriveClusterKey('c1', 's')).directoryTag);
  });

  it('refuses an empty secret or cluster id with CONFIG_INVALID', async () => {
    await expect(deriveClusterKey('c', '')).rejects.toMatchObject({ name: 'GeodeError', code: 'CONFIG_INVALID' });
    await expect(deriveClusterKey('', 's')).rejects.toMatchObject({ name: 'GeodeError', code: 'CONFIG_INVALID' });
  });

  it('handshake messages round-trip through the codec', () => {
    for (const m of [
      { type: 'hello', version: 1, nonce: nonce(7), instance: instance(9) },
      { type: 'proof', mac: new Uint8Array(MAC_BYTES).fill(3) },
      { type: 'accept' },
    ] as const) {
      expect(decodeHandshake(encodeHandshake(m), 'p')).toEqual(m);
    }
  });

  it('random payloads decode to a message or fail with INPUT_INVALID only', async () => {
    const key = await deriveClusterKey('c1', 'secret');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 80 }), async (bytes) => {
        const h = new Handshake(key, 'A', 'B', nonce(1), instance(1));
        try {
          await h.receive(bytes);
        } catch (err) {
          expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('messages out of order fail the handshake', async () => {
    const key = await deriveClusterKey('c1', 'secret');
    const h = new Handshake(key, 'A', 'B', nonce(1), instance(1));
    await expect(h.receive(encodeHandshake({ type: 'accept' }))).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(h.status).toBe('failed');
  });
});
