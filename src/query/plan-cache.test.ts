import { describe, expect, it } from 'vitest';
import { PlanCache } from './plan-cache.ts';

describe('PlanCache', () => {
  it('evicts the least recently used entry past its capacity', () => {
    const c = new PlanCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
  });

  it('clear drops every entry', () => {
    const c = new PlanCache<number>(4);
    c.set('a', 1);
    c.clear();
    expect(c.get('a')).toBeUndefined();
  });
});
