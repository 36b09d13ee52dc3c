import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openGeode } from '../index.ts';
import {
  addDuration,
  buildDuration,
  buildTemporal,
  civilOf,
  compareTemporals,
  epochDayOf,
  formatDuration,
  formatTemporal,
  TemporalValue,
} from './temporal.ts';
import { isStorable } from './storable.ts';
import { valueKey } from './value-key.ts';

describe('temporal values', () => {
  it('maps every calendar day to an epoch day and back (proleptic Gregorian)', () => {
    expect(epochDayOf(1970, 1, 1)).toBe(0);
    expect(epochDayOf(2000, 3, 1)).toBe(11017);
    fc.assert(
      fc.property(fc.integer({ min: -3000, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), (y, m, d) => {
        expect(civilOf(epochDayOf(y, m, d))).toEqual([y, m, d]);
        expect(epochDayOf(y, m, d) + 1).toBe(epochDayOf(...civilOf(epochDayOf(y, m, d) + 1)));
      }),
    );
  });

  it('prints ISO 8601 text the way openCypher does', () => {
    expect(formatTemporal(buildTemporal('date', { year: 1910, month: 5, day: 6 }))).toBe('1910-05-06');
    expect(formatTemporal(buildTemporal('localtime', { hour: 10, minute: 35 }))).toBe('10:35');
    expect(formatTemporal(buildTemporal('localtime', { hour: 12, minute: 31, second: 14, nanosecond: 645876123 }))).toBe('12:31:14.645876123');
    expect(formatTemporal(buildTemporal('localtime', { hour: 1, minute: 2, second: 3, nanosecond: 500_000_000 }))).toBe('01:02:03.500');
    expect(formatTemporal(buildTemporal('time', { hour: 10, minute: 0, timezone: '-08:00' }))).toBe('10:00-08:00');
    expect(formatTemporal(buildTemporal('datetime', { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, timezone: 'Z' }))).toBe('2024-02-29T23:59:59Z');
    expect(formatDuration(buildDuration({ months: 14, days: 2, minutes: 6 }))).toBe('P1Y2M2DT6M');
    expect(formatDuration(buildDuration({}))).toBe('PT0S');
  });

  it('adds months with the day clamped to the month, then days, then time with carry', () => {
    const jan31 = buildTemporal('date', { year: 2023, month: 1, day: 31 });
    expect(formatTemporal(addDuration(jan31, buildDuration({ months: 1 }), 1))).toBe('2023-02-28');
    expect(formatTemporal(addDuration(jan31, buildDuration({ months: 1, days: 2 }), 1))).toBe('2023-03-02');
    const late = buildTemporal('localdatetime', { year: 2023, month: 12, day: 31, hour: 23, minute: 58 });
    expect(formatTemporal(addDuration(late, buildDuration({ minutes: 6 }), 1))).toBe('2024-01-01T00:04');
    const t = buildTemporal('localtime', { hour: 23, minute: 58 });
    expect(formatTemporal(addDuration(t, buildDuration({ minutes: 6 }), 1))).toBe('00:04');
    expect(formatTemporal(addDuration(jan31, buildDuration({ days: 31 }), -1))).toBe('2022-12-31');
  });

  it('orders zoned values by the instant they denote', () => {
    const a = buildTemporal('time', { hour: 10, minute: 0, timezone: '+02:00' }); // 08:00Z
    const b = buildTemporal('time', { hour: 9, minute: 0, timezone: 'Z' });
    expect(compareTemporals(a, b)).toBeLessThan(0);
    const x = buildTemporal('datetime', { year: 2020, month: 1, day: 1, hour: 0, timezone: '+01:00' }); // 2019-12-31T23:00Z
    const y = buildTemporal('datetime', { year: 2019, month: 12, day: 31, hour: 23, minute: 30, timezone: 'Z' });
    expect(compareTemporals(x, y)).toBeLessThan(0);
    expect(compareTemporals(x, buildTemporal('date', { year: 2020 }))).toBeUndefined();
  });

  it('is storable and keyed by value, so equal temporals share an index bucket', () => {
    const d1 = buildTemporal('date', { year: 1984, month: 10, day: 11 });
    const d2 = new TemporalValue('date', d1.epochDay, 0, 0);
    expect(isStorable(d1)).toBe(true);
    expect(isStorable([d1, d2])).toBe(true);
    expect(valueKey(d1)).toBe(valueKey(d2));
    expect(valueKey(d1)).not.toBe(valueKey('1984-10-11'));
  });

  it('works through queries: construct, store, index, compare, sort and add durations', async () => {
    const db = await openGeode();
    await db.query('CREATE INDEX FOR (e:Event) ON (e.day)');
    await db.query('UNWIND [3, 1, 2] AS d CREATE (:Event {day: date({year: 2024, month: 5, day: d})})');
    const sorted = await db.query('MATCH (e:Event) RETURN e.day AS day ORDER BY day');
    expect(sorted.rows.map((r) => String(r['day']))).toEqual(['2024-05-01', '2024-05-02', '2024-05-03']);
    const seek = await db.query("MATCH (e:Event {day: date('2024-05-02')}) RETURN count(*) AS n");
    expect(seek.rows).toEqual([{ n: 1n }]);
    const later = await db.query('MATCH (e:Event) WHERE e.day + duration({days: 1}) > date({year: 2024, month: 5, day: 3}) RETURN count(*) AS n');
    expect(later.rows).toEqual([{ n: 1n }]);
    const param = buildTemporal('date', { year: 2024, month: 5, day: 3 });
    const byParam = await db.query('MATCH (e:Event) WHERE e.day = $d RETURN e.day AS day', { d: param });
    expect(byParam.rows.map((r) => String(r['day']))).toEqual(['2024-05-03']);
    await expect(db.query('RETURN date({year: 2023, month: 2, day: 29})')).rejects.toMatchObject({ code: 'GQL_ARGUMENT' });
    await expect(db.query("RETURN datetime({year: 2023, timezone: 'Mars/Olympus'})")).rejects.toMatchObject({ code: 'GQL_ARGUMENT' });
  });
});
