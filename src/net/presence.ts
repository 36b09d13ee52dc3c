/**
 * Presence: each peer's {id, kind, visible, roles, shards}, carried by y-protocols' awareness
 * protocol on the peer stream's presence channel. Each peer announces only its own state (on change,
 * when a peer connects, and every 15 s as awareness renews it); a state not renewed for 30 s
 * (`outdatedTimeout`) is dropped, and a peer's state is dropped at once when its stream closes.
 *
 * An update from `peer` is accepted only if it carries exactly one client state whose `id` is
 * `peer` (or null): a member cannot speak for another. Leader placement reads this (prefer Node
 * peers and visible tabs); Raft heartbeats remain the failure detector.
 */
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { GeodeError } from '../util/errors.ts';
import { Channel } from './channels.ts';
import { PEER_ID_CHARS_MAX, PRESENCE_LIST_MAX, PRESENCE_STATE_CHARS_MAX } from './constants.ts';
import type { PeerId, PeerKind } from './types.ts';
import { Reader, Writer } from './wire.ts';

/** One peer's presence. */
export interface PresenceState {
  readonly id: PeerId;
  readonly kind: PeerKind;
  /** False for a hidden browser tab (its timers are throttled); always true for Node peers. */
  readonly visible: boolean;
  /** Free-form roles (e.g. `voter`, `learner`, `coordinator`). */
  readonly roles: readonly string[];
  /** Shards this peer holds a replica of. */
  readonly shards: readonly string[];
}

/** The fields a peer may change about itself. */
export type PresencePatch = Partial<Pick<PresenceState, 'visible' | 'roles' | 'shards'>>;

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length <= PRESENCE_LIST_MAX && v.every((s) => typeof s === 'string' && s.length <= 256);
}

/** parsePresenceState: `value` as a PresenceState, or undefined when it is not one. */
export function parsePresenceState(value: unknown): PresenceState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['id'] !== 'string' || v['id'].length === 0 || v['id'].length > PEER_ID_CHARS_MAX) return undefined;
  if (v['kind'] !== 'node' && v['kind'] !== 'tab') return undefined;
  if (typeof v['visible'] !== 'boolean' || !isStringList(v['roles']) || !isStringList(v['shards'])) return undefined;
  return { id: v['id'] as PeerId, kind: v['kind'], visible: v['visible'], roles: v['roles'], shards: v['shards'] };
}

/** Checks an awareness update from `peer` (see the module comment); returns its client id. */
export function checkPresenceUpdate(update: Uint8Array, peer: string): number {
  const r = new Reader(update, peer, 'presence update');
  if (r.varuint(1) !== 1) r.fail('must carry exactly one client state');
  const clientId = r.varuint(2 ** 32 - 1);
  r.varuint(Number.MAX_SAFE_INTEGER); // clock
  const json = r.string(PRESENCE_STATE_CHARS_MAX * 4);
  r.end();
  let state: unknown;
  try {
    state = JSON.parse(json);
  } catch {
    return r.fail('state is not JSON');
  }
  if (state !== null) {
    const s = parsePresenceState(state);
    if (s === undefined) return r.fail('state is not a presence state');
    if (s.id !== peer) r.fail(`state speaks for ${s.id}`);
  }
  return clientId;
}

/**
 * Presence: the awareness instance of one transport. `send` is how it reaches a peer (a frame
 * payload on the presence channel); the transport calls `peerUp`, `peerDown` and `receive`.
 */
export class Presence {
  private readonly doc = new Y.Doc();
  private readonly awareness: Awareness;
  /** Awareness client id of each connected peer. */
  private readonly clientOf = new Map<PeerId, number>();
  private readonly listeners: Array<(states: readonly PresenceState[]) => void> = [];

  constructor(
    self: PresenceState,
    private readonly broadcast: (payload: Uint8Array) => void,
  ) {
    this.awareness = new Awareness(this.doc);
    this.awareness.setLocalState({ ...self });
    this.awareness.on('update', (_change: unknown, origin: unknown) => {
      if (origin === 'local') this.broadcast(this.localPayload());
    });
    this.awareness.on('change', () => {
      const states = this.states();
      for (const l of this.listeners) l(states);
    });
  }

  /** The presence frame payload announcing this peer's state. */
  localPayload(): Uint8Array {
    const update = encodeAwarenessUpdate(this.awareness, [this.awareness.clientID]);
    return new Writer(update.length + 1).u8(Channel.presence).raw(update).finish();
  }

  /** set: changes this peer's state and announces it. */
  set(patch: PresencePatch): void {
    const cur = this.awareness.getLocalState();
    if (cur === null) return;
    this.awareness.setLocalState({ ...cur, ...patch });
  }

  /** receive: an awareness update (payload without the channel byte) from `peer`; GeodeError INPUT_INVALID when refused. */
  receive(peer: PeerId, update: Uint8Array): void {
    const clientId = checkPresenceUpdate(update, peer);
    if (clientId === this.awareness.clientID) {
      throw new GeodeError('INPUT_INVALID', `peer ${peer}: presence update for this peer's own client id`, { source: peer, detail: 'BadMessage' });
    }
    const prev = this.clientOf.get(peer);
    if (prev !== undefined && prev !== clientId) removeAwarenessStates(this.awareness, [prev], 'restart');
    this.clientOf.set(peer, clientId);
    applyAwarenessUpdate(this.awareness, update, peer);
  }

  /** peerDown: `peer`'s stream closed: its state goes at once. */
  peerDown(peer: PeerId): void {
    const c = this.clientOf.get(peer);
    this.clientOf.delete(peer);
    if (c !== undefined) removeAwarenessStates(this.awareness, [c], 'disconnect');
  }

  /** states: every live presence state, this peer's first. */
  states(): PresenceState[] {
    const out: PresenceState[] = [];
    const own = parsePresenceState(this.awareness.getLocalState());
    if (own !== undefined) out.push(own);
    for (const [client, state] of this.awareness.getStates()) {
      if (client === this.awareness.clientID) continue;
      const s = parsePresenceState(state);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  /** onChange: called with all states whenever one is added, changed or removed. */
  onChange(listener: (states: readonly PresenceState[]) => void): void {
    this.listeners.push(listener);
  }

  /** destroy: stops awareness's timer (announcing nothing more). */
  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }
}
