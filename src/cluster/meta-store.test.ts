import { describe, expect, it } from 'vitest';
import { GraphStore } from '../graph/index.ts';
import { QueryEngine } from '../query/index.ts';
import { decodeChange, encodeChange, foldChanges, LEASE_IDS, MAP_CHANGE_LABEL, MetaMapCache, PROPOSE_CHANGES, PROPOSE_INITIAL } from './meta-store.ts';
import type { ShardMapChange } from './shard-map.ts';
import type { PeerId } from '../net/types.ts';
import { initialChanges, validateShardingConfig } from './sharding-config.ts';

const sharding = validateShardingConfig({ sharding: { shards: 2, strategy: 'range', key: 'at', ranges: [10] } });

describe('the meta group state in a graph', () => {
  it('a change survives its encoding, integers included', () => {
    for (const c of initialChanges(sharding)) expect(decodeChange(encodeChange(c))).toEqual(c);
    expect(decodeChange('not json')).toBeUndefined();
  });

  it('the statements append changes in log order and the cache folds them; a bad change is skipped on every peer alike', () => {
    const g = new GraphStore();
    const e = new QueryEngine(g);
    const cache = new MetaMapCache();
    e.run(PROPOSE_CHANGES, { changes: initialChanges(sharding).map(encodeChange) });
    const bad: ShardMapChange = { op: 'removeShard', shard: 0 }; // still used by the default spread: refused
    e.run(PROPOSE_CHANGES, { changes: [encodeChange(bad), encodeChange({ op: 'setReplicas', shard: 1, replicas: ['a', 'b'] as PeerId[], learners: [] })] });
    const map = cache.map(g);
    expect(map.shards.map((s) => s.id)).toEqual([0, 1]);
    expect(map.shards[1]!.replicas).toEqual(['a', 'b']);
    expect(map.defaultSharding.ranges).toEqual([10n]);
    expect(cache.map(g)).toBe(map); // unchanged: not refolded
    e.run(PROPOSE_CHANGES, { changes: [encodeChange({ op: 'setReplicas', shard: 1, replicas: ['a', 'c'] as PeerId[], learners: [] })] });
    expect(cache.map(g).shards[1]!.replicas).toEqual(['a', 'c']); // a change appended: folded again
    expect(foldChanges([])).toEqual(foldChanges(['junk']));
  });

  it('the initial map is appended once, however often it is proposed', () => {
    const g = new GraphStore();
    const e = new QueryEngine(g);
    const changes = initialChanges(sharding).map(encodeChange);
    e.run(PROPOSE_INITIAL, { changes });
    e.run(PROPOSE_INITIAL, { changes });
    expect(g.labelCount(MAP_CHANGE_LABEL)).toBe(changes.length);
    expect(new MetaMapCache().map(g).shards.length).toBe(2);
  });

  it('id leases never overlap', () => {
    const e = new QueryEngine(new GraphStore());
    const a = e.run(LEASE_IDS, { n: 100n }).rows[0]![0] as bigint;
    const b = e.run(LEASE_IDS, { n: 50n }).rows[0]![0] as bigint;
    expect(a).toBe(1n);
    expect(b).toBe(101n);
  });
});
