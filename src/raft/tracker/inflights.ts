import { assert } from '../../util/assert.ts';
import type { LogIndex } from '../types.ts';

/**
 * Inflights: a bounded ring of the MsgApp sent to one follower and not yet acknowledged, each
 * remembered by its last index. When full, the leader stops sending to that follower until
 * acknowledgements free room (flow control).
 */
export class Inflights {
  private start = 0;
  /** count: messages in flight. */
  count = 0;
  /** bytes: data bytes in flight. */
  bytes = 0;
  private readonly indexes: Float64Array;
  private readonly sizes: Float64Array;
  readonly capacity: number;
  readonly maxBytes: number;

  constructor(capacity: number, maxBytes = 0) {
    assert(capacity > 0, `inflights capacity ${capacity} must be positive`);
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.indexes = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
  }

  /** add: a MsgApp ending at `index` with `bytes` of data was sent. Indexes must increase. */
  add(index: LogIndex, bytes: number): void {
    assert(!this.full(), `cannot add into a full inflights (${this.count}/${this.capacity})`);
    let next = this.start + this.count;
    if (next >= this.capacity) next -= this.capacity;
    this.indexes[next] = index;
    this.sizes[next] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  /** freeLE: messages ending at or before `to` were acknowledged. */
  freeLE(to: LogIndex): void {
    if (this.count === 0 || to < this.indexes[this.start]!) return;
    let idx = this.start;
    let i = 0;
    let bytes = 0;
    for (; i < this.count; i++) {
      if (to < this.indexes[idx]!) break;
      bytes += this.sizes[idx]!;
      idx++;
      if (idx >= this.capacity) idx -= this.capacity;
    }
    this.count -= i;
    this.bytes -= bytes;
    this.start = idx;
    if (this.count === 0) this.start = 0;
  }

  /** full: no more messages may be sent (count or bytes limit reached). */
  full(): boolean {
    return this.count === this.capacity || (this.maxBytes !== 0 && this.bytes >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
