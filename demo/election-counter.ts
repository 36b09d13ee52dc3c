/**
 * ElectionCounter: the dashboard's "leader elections" figure: how many times this tab saw the
 * group get a new leader, counted from the panel's samples of (term, leader): a term that rose
 * with a leader known, or a different leader in the same term as seen after a gap. The first
 * sample only sets the baseline, so a tab that joins an established cluster starts at 0.
 * A term without a leader yet (an election under way) is not counted until one is known.
 */
export class ElectionCounter {
  #term = -1;
  #leader = '';
  /** Leader changes observed since the first sample. */
  count = 0;

  /** observe: one sample; true when it counted a new leader. */
  observe(term: number, leader: string): boolean {
    // No leader yet: decide once one is known. An older term: a stale sample.
    if (leader === '' || term < this.#term) return false;
    const first = this.#term < 0;
    const changed = term !== this.#term || leader !== this.#leader;
    this.#term = term;
    this.#leader = leader;
    if (first || !changed) return false;
    this.count++;
    return true;
  }
}
