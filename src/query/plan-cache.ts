/**
 * A bounded LRU map from query text to compiled statement (Map insertion order is the recency
 * order: a hit moves the entry to the end, an insert past the bound evicts the first).
 */
import { planCacheEntriesMax } from './constants.ts';

export class PlanCache<T> {
  readonly #map = new Map<string, T>();
  constructor(readonly capacity: number = planCacheEntriesMax) {}

  get(key: string): T | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: T): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value!);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}
