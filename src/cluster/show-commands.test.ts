import { describe, expect, it } from 'vitest';
import { rewriteShowCommand } from './show-commands.ts';
import { formed } from './testing.ts';

describe('SHOW CLUSTER STATUS', () => {
  it('is rewritten to CALL db.cluster.status() whatever the case and spacing; other text is left alone', () => {
    for (const t of ['SHOW CLUSTER STATUS', '  show cluster   status ;', 'Show\nCluster\tStatus']) expect(rewriteShowCommand(t)).toBe('CALL db.cluster.status()');
    for (const t of ['SHOW CLUSTER', 'SHOW CLUSTER STATUS YIELD id', 'MATCH (n) RETURN n', 'SHOW CLUSTER STATUS; MATCH (n) RETURN n']) expect(rewriteShowCommand(t)).toBeUndefined();
  });

  it('runs through a shard host once rewritten', async () => {
    const c = await formed(38);
    const text = 'SHOW CLUSTER STATUS';
    const r = await c.value(c.leader()!.query(rewriteShowCommand(text) ?? text));
    expect(r.rows.length).toBe(3);
  });
});
