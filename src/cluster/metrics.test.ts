import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { samplesPerFamilyMax } from './constants.ts';
import { MetricsRegistry } from './metrics.ts';
import { registerProcessMetrics } from './process-metrics.ts';

describe('MetricsRegistry', () => {
  it('reads collected families at each scrape, not at registration', () => {
    const reg = new MetricsRegistry();
    let term = 1;
    reg.register({ name: 'raft_term', type: 'gauge', help: 'Term.', collect: () => term });
    expect(reg.render()).toContain('\nraft_term 1\n');
    term = 7;
    expect(reg.render()).toContain('\nraft_term 7\n');
  });

  it('keeps owned counters per label set and refuses to decrease them', () => {
    const reg = new MetricsRegistry();
    const c = reg.counter('x_total', 'X.');
    c.inc();
    c.inc(2, { peer: 'a' });
    c.inc(3, { peer: 'a' });
    expect(c.get()).toBe(1);
    expect(c.get({ peer: 'a' })).toBe(5);
    expect(reg.render()).toContain('x_total 1\nx_total{peer="a"} 5\n');
    let err: unknown;
    try {
      c.inc(-1);
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
  });

  it('gauges are set and removed per label set', () => {
    const reg = new MetricsRegistry();
    const g = reg.gauge('lag_ms', 'Lag.');
    g.set(5, { peer: 'a' });
    g.set(9, { peer: 'b' });
    g.remove({ peer: 'a' });
    expect(g.get({ peer: 'a' })).toBeUndefined();
    expect(reg.render()).toContain('# TYPE lag_ms gauge\nlag_ms{peer="b"} 9\n');
  });

  it(`bounds an owned family to ${samplesPerFamilyMax} label sets (LIMIT_EXCEEDED past it)`, () => {
    const reg = new MetricsRegistry();
    const g = reg.gauge('g', 'G.');
    for (let i = 0; i < samplesPerFamilyMax; i++) g.set(i, { i: String(i) });
    let err: unknown;
    try {
      g.set(1, { i: 'one more' });
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'LIMIT_EXCEEDED')).toBe(true);
    g.set(42, { i: '0' }); // an existing label set still updates
    expect(g.get({ i: '0' })).toBe(42);
  });

  it('leaves out a family whose collector throws and counts it, so a scrape never fails', () => {
    const reg = new MetricsRegistry();
    reg.register({ name: 'ok', type: 'gauge', help: 'ok', collect: () => 1 });
    reg.register({
      name: 'broken',
      type: 'gauge',
      help: 'broken',
      collect: () => {
        throw new Error('host closed');
      },
    });
    const text = reg.render();
    expect(text).toContain('\nok 1\n');
    expect(text).not.toContain('broken');
    expect(text).toContain('metrics_collect_errors_total 1\n');
    expect(reg.render()).toContain('metrics_collect_errors_total 2\n');
  });

  it('refuses two families with one name (a programmer error)', () => {
    const reg = new MetricsRegistry();
    reg.register({ name: 'a', type: 'gauge', help: '', collect: () => 1 });
    expect(() => reg.register({ name: 'a', type: 'counter', help: '', collect: () => 1 })).toThrow(/registered twice/);
  });

  it('exposes process CPU, memory and start time in Node', () => {
    const reg = new MetricsRegistry();
    registerProcessMetrics(reg, () => 1_700_000_000_000);
    const text = reg.render();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value('process_start_time_seconds')).toBeLessThanOrEqual(1_700_000_000);
    expect(text).toContain('# TYPE process_cpu_seconds_total counter\n');
  });
});
