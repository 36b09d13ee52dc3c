/**
 * IdTable: records by integer id. Ids handed out in sequence (the normal case) live in a dense
 * array indexed by id — one pointer per id, no hashing, iteration in id order for free; an id far
 * above the dense range (more than {@link ID_TABLE_SLACK_MIN} or `size` past its end) goes to a
 * side Map, so a snapshot with huge ids cannot make the array explode.
 *
 * Invariant: every id in the side map is ≥ the dense array's length (growing the array migrates
 * the side entries it now covers).
 */
export const ID_TABLE_SLACK_MIN = 1024;

export class IdTable<T extends { readonly id: number }> {
  /** Index = id; slot 0 unused (ids start at 1). */
  #dense: (T | undefined)[] = [undefined];
  readonly #sparse = new Map<number, T>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    if (id < this.#dense.length) return this.#dense[id];
    return this.#sparse.size === 0 ? undefined : this.#sparse.get(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds `value` under `value.id`; the id must not be present (the caller checked). */
  add(value: T): void {
    const id = value.id;
    const dense = this.#dense;
    if (id < dense.length) {
      dense[id] = value;
    } else if (id - dense.length <= Math.max(ID_TABLE_SLACK_MIN, this.#size)) {
      while (dense.length < id) dense.push(undefined);
      dense.push(value);
      if (this.#sparse.size !== 0) this.#migrate();
    } else {
      this.#sparse.set(id, value);
    }
    this.#size++;
  }

  /** Removes the record under `id`; returns whether there was one. */
  delete(id: number): boolean {
    if (id < this.#dense.length) {
      if (this.#dense[id] === undefined) return false;
      this.#dense[id] = undefined;
    } else if (!this.#sparse.delete(id)) {
      return false;
    }
    this.#size--;
    return true;
  }

  /** Records in id order. Live: a record added during iteration at a higher id is seen. */
  *values(): IterableIterator<T> {
    const dense = this.#dense;
    for (let i = 1; i < dense.length; i++) {
      const v = dense[i];
      if (v !== undefined) yield v;
    }
    if (this.#sparse.size === 0) return;
    const ids = Array.from(this.#sparse.keys()).sort((a, b) => a - b);
    for (let i = 0; i < ids.length; i++) {
      const v = this.#sparse.get(ids[i]!);
      if (v !== undefined) yield v;
    }
  }

  /** Moves side-map entries now covered by the dense array into it. */
  #migrate(): void {
    const dense = this.#dense;
    for (const [id, v] of this.#sparse) {
      if (id < dense.length) {
        dense[id] = v;
        this.#sparse.delete(id);
      }
    }
  }

  /** Problems with the invariants (for consistency checks). */
  check(what: string): string[] {
    const problems: string[] = [];
    let count = 0;
    for (let i = 1; i < this.#dense.length; i++) {
      const v = this.#dense[i];
      if (v === undefined) continue;
      count++;
      if (v.id !== i) problems.push(`${what} table slot ${i} holds ${what} ${v.id}`);
    }
    for (const [id, v] of this.#sparse) {
      count++;
      if (v.id !== id) problems.push(`${what} table key ${id} holds ${what} ${v.id}`);
      if (id < this.#dense.length) problems.push(`${what} ${id} is in the side map but inside the dense range`);
    }
    if (count !== this.#size) problems.push(`${what} table counts ${this.#size} records but holds ${count}`);
    return problems;
  }
}
