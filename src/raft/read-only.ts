import { pendingReadIndexMax } from './constants.ts';
import type { LogIndex, NodeId } from './types.ts';

/** ReadIndexStatus: one pending ReadIndex request and the heartbeat acks gathered for it. */
export interface ReadIndexStatus {
  /** The commit index when the request arrived: the read may be served once it is applied. */
  readonly index: LogIndex;
  /** Who asked (this node for a local read). */
  readonly from: NodeId;
  readonly context: string;
  readonly acks: Set<NodeId>;
}

/**
 * ReadOnly: the leader's pending ReadIndex requests (thesis §6.4). Each waits for a quorum to
 * acknowledge a heartbeat carrying its context, which proves the leader was still leader when the
 * request arrived. Requests are answered in arrival order. Bounded by `pendingReadIndexMax`.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** addRequest: tracks a read; false when a read with the same context is pending or the queue is full. */
  addRequest(index: LogIndex, from: NodeId, context: string): boolean {
    if (this.pending.has(context) || this.queue.length >= pendingReadIndexMax) return false;
    this.pending.set(context, { index, from, context, acks: new Set() });
    this.queue.push(context);
    return true;
  }

  /** recvAck: `id` acknowledged the heartbeat for `context`; returns the acks so far. */
  recvAck(id: NodeId, context: string): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(context);
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** advance: the read `context` is confirmed; returns it and every read queued before it. */
  advance(context: string): ReadIndexStatus[] {
    const pos = this.queue.indexOf(context);
    if (pos < 0) return [];
    const done: ReadIndexStatus[] = [];
    for (let i = 0; i <= pos; i++) {
      const ctx = this.queue[i]!;
      const rs = this.pending.get(ctx);
      if (rs !== undefined) done.push(rs);
      this.pending.delete(ctx);
    }
    this.queue = this.queue.slice(pos + 1);
    return done;
  }

  /** lastPendingContext: the newest pending read's context, if any. */
  lastPendingContext(): string | undefined {
    return this.queue.length === 0 ? undefined : this.queue[this.queue.length - 1];
  }

  get size(): number {
    return this.queue.length;
  }
}
