/**
 * The key-value state machine the simulator replicates with Raft: registers keyed by string, with
 * client sessions so a retried command (same client, same sequence number) applies at most once.
 */

import { assert } from '../util/assert.ts';

/** KvCommand: a write, as carried in a Raft entry. */
export interface KvCommand {
  /** Client session id. */
  readonly c: number;
  /** Sequence number within the session (increasing; one command in flight per session). */
  readonly s: number;
  readonly op: 'put' | 'append';
  readonly k: string;
  readonly v: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** encodeCommand / decodeCommand: a command as entry data (JSON, UTF-8). */
export function encodeCommand(cmd: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(cmd));
}
export function decodeCommand(data: Uint8Array): KvCommand {
  const cmd = JSON.parse(dec.decode(data)) as KvCommand;
  assert(typeof cmd.c === 'number' && typeof cmd.s === 'number' && typeof cmd.k === 'string', 'malformed kv command in the log');
  return cmd;
}

/** writeId: the identity of a write across retries. */
export function writeId(client: number, seq: number): string {
  return `${client}:${seq}`;
}

/** KvStateMachine: the applied state of one node. */
export class KvStateMachine {
  readonly values = new Map<string, string>();
  /** Highest sequence number applied per session. */
  readonly sessions = new Map<number, number>();
  /** Every write applied (by writeId) with the log index it applied at. */
  readonly appliedWrites = new Map<string, number>();
  /** The last log index applied. */
  appliedIndex = 0;

  /**
   * apply: applies the command at `index`. Returns `applied` for a new write, `duplicate` when
   * the session already applied this sequence number (the retry has no effect).
   */
  apply(index: number, cmd: KvCommand): 'applied' | 'duplicate' {
    this.appliedIndex = index;
    const last = this.sessions.get(cmd.c) ?? 0;
    if (cmd.s <= last) return 'duplicate';
    this.sessions.set(cmd.c, cmd.s);
    const cur = this.values.get(cmd.k) ?? '';
    this.values.set(cmd.k, cmd.op === 'put' ? cmd.v : cur + cmd.v);
    this.appliedWrites.set(writeId(cmd.c, cmd.s), index);
    return 'applied';
  }

  /** get: the value of a key ('' when never written). */
  get(key: string): string {
    return this.values.get(key) ?? '';
  }

  /** serialize / restore: the state as snapshot data. */
  serialize(): Uint8Array {
    return enc.encode(JSON.stringify({ v: [...this.values], s: [...this.sessions], w: [...this.appliedWrites], i: this.appliedIndex }));
  }

  static restore(data: Uint8Array): KvStateMachine {
    const kv = new KvStateMachine();
    if (data.length === 0) return kv;
    const o = JSON.parse(dec.decode(data)) as { v: [string, string][]; s: [number, number][]; w: [string, number][]; i: number };
    for (const [k, v] of o.v) kv.values.set(k, v);
    for (const [c, s] of o.s) kv.sessions.set(c, s);
    for (const [w, i] of o.w) kv.appliedWrites.set(w, i);
    kv.appliedIndex = o.i;
    return kv;
  }
}
