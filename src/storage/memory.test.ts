import { MemoryLogStore } from './memory.ts';
import { describeLogStoreConformance } from './log-store-conformance.ts';
import type { LogStore } from './types.ts';

const places = new Map<string, MemoryLogStore>();
let next = 0;

describeLogStoreConformance('memory', {
  fresh: () => {
    const place = `mem-${next++}`;
    places.set(place, new MemoryLogStore());
    return Promise.resolve(place);
  },
  at: (place) => places.get(place)!,
  crash: (store: LogStore) => {
    (store as MemoryLogStore).crash();
    return Promise.resolve();
  },
});
