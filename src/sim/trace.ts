/**
 * A bounded trace of simulation events, kept only when asked (a failing seed is replayed with the
 * trace on: the run is deterministic, so the replay takes the same path).
 */

/** Trace: a ring buffer of the last `capacity` lines, each stamped with its virtual time. */
export class Trace {
  private readonly lines: string[] = [];
  private start = 0;
  /** Lines dropped from the front because the buffer was full. */
  dropped = 0;

  constructor(
    /** on: whether lines are kept at all (callers test it before building a line). */
    readonly on: boolean,
    private readonly capacity = 200,
  ) {}

  /** add: records one event at virtual time `t` (ms). */
  add(t: number, line: string): void {
    if (!this.on) return;
    const text = `${t.toFixed(0).padStart(7)}ms ${line}`;
    if (this.lines.length < this.capacity) {
      this.lines.push(text);
      return;
    }
    this.lines[this.start] = text;
    this.start = (this.start + 1) % this.capacity;
    this.dropped++;
  }

  /** tail: the kept lines, oldest first. */
  tail(): string[] {
    return [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
  }
}
