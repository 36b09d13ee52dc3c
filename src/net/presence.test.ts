import { afterEach, describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { Channel } from './channels.ts';
import { checkPresenceUpdate, Presence, type PresenceState } from './presence.ts';
import type { PeerId } from './types.ts';

const A = 'A' as PeerId;
const B = 'B' as PeerId;
const state = (id: PeerId, kind: 'node' | 'tab' = 'node'): PresenceState => ({ id, kind, visible: true, roles: [], shards: ['s0'] });

const made: Presence[] = [];
/** Two presences wired to each other, frames delivered synchronously. */
function pair(): { a: Presence; b: Presence } {
  const box: { a?: Presence; b?: Presence } = {};
  const a = new Presence(state(A), (p) => box.b?.receive(A, p.subarray(1)));
  const b = new Presence(state(B, 'tab'), (p) => box.a?.receive(B, p.subarray(1)));
  box.a = a;
  box.b = b;
  made.push(a, b);
  return { a, b };
}

afterEach(() => {
  for (const p of made.splice(0)) p.destroy();
});

describe('presence', () => {
  it('a peer learns the other peer state and its changes', () => {
    const { a, b } = pair();
    b.receive(A, a.localPayload().subarray(1));
    a.receive(B, b.localPayload().subarray(1));
    expect(a.states().map((s) => s.id)).toEqual([A, B]);
    b.set({ visible: false, roles: ['learner'] });
    expect(a.states()[1]).toEqual({ id: B, kind: 'tab', visible: false, roles: ['learner'], shards: ['s0'] });
  });

  it('drops a peer state as soon as its stream closes', () => {
    const { a, b } = pair();
    a.receive(B, b.localPayload().subarray(1));
    a.peerDown(B);
    expect(a.states().map((s) => s.id)).toEqual([A]);
  });

  it('refuses an update in which a peer speaks for another', () => {
    const { a, b } = pair();
    const payload = b.localPayload();
    expect(payload[0]).toBe(Channel.presence);
    let err: unknown;
    try {
      checkPresenceUpdate(payload.subarray(1), 'C');
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
    expect(() => a.receive('C' as PeerId, payload.subarray(1))).toThrow(/speaks for B/);
  });
});
