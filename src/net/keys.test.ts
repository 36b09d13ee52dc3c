import { describe, expect, it } from 'vitest';
import { generatePeerKey, parsePeerKey, peerIdOfKey } from './keys.ts';

describe('keys', () => {
  it('a serialized key always gives the same peer id, and two keys give two ids', async () => {
    const k = await generatePeerKey();
    expect(peerIdOfKey(Uint8Array.from(k))).toBe(peerIdOfKey(k));
    expect(peerIdOfKey(k)).toMatch(/^12D3KooW/);
    expect(peerIdOfKey(await generatePeerKey())).not.toBe(peerIdOfKey(k));
  });

  it('refuses bytes that are not a key with CONFIG_INVALID', () => {
    expect(() => parsePeerKey(Uint8Array.of(1, 2, 3))).toThrow(expect.objectContaining({ name: 'GeodeError', code: 'CONFIG_INVALID' }));
  });
});
