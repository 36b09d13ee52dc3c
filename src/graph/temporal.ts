/**
 * Temporal values: dates, times and durations, as openCypher has them.
 *
 * - `date`: a calendar day (`epochDay`, days since 1970-01-01, proleptic Gregorian).
 * - `localtime`: a time of day without zone (`nanoOfDay`).
 * - `time`: a time of day with a UTC offset (`offsetSeconds`).
 * - `localdatetime`: a day and a time of day, no zone.
 * - `datetime`: a day and a time of day with a UTC offset (named zones are not supported).
 * - `duration`: months, days, seconds and nanoseconds, kept apart as in openCypher
 *   (a month is not a fixed number of days).
 *
 * Pure: nothing here reads a clock. Instances are immutable and storable as properties.
 */

const NANOS_PER_SECOND = 1_000_000_000;
const SECONDS_PER_DAY = 86_400;
const NANOS_PER_DAY = SECONDS_PER_DAY * NANOS_PER_SECOND;

export type TemporalKind = 'date' | 'localtime' | 'time' | 'localdatetime' | 'datetime';

/** A point in time or a time of day; see the module comment for the kinds. */
export class TemporalValue {
  constructor(
    readonly kind: TemporalKind,
    /** Days since 1970-01-01; 0 for the time-only kinds. */
    readonly epochDay: number,
    /** Nanoseconds since midnight, 0 ≤ n < 86,400 × 10^9; 0 for `date`. */
    readonly nanoOfDay: number,
    /** Seconds east of UTC for `time` and `datetime`; 0 otherwise. */
    readonly offsetSeconds: number,
  ) {}

  toString(): string {
    return formatTemporal(this);
  }
}

/** An amount of time: months, days, seconds and nanoseconds (0 ≤ nanoseconds < 10^9). */
export class DurationValue {
  constructor(
    readonly months: number,
    readonly days: number,
    readonly seconds: number,
    readonly nanoseconds: number,
  ) {}

  toString(): string {
    return formatDuration(this);
  }
}

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic (Howard Hinnant's civil-from-days algorithms)

/** Days since 1970-01-01 of a proleptic Gregorian date. */
export function epochDayOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** [year, month, day] of an epoch day. */
export function civilOf(epochDay: number): [number, number, number] {
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// ---------------------------------------------------------------------------------------------
// Construction from map components (the engine validates types and ranges first)

export interface TemporalFields {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  millisecond?: number;
  microsecond?: number;
  nanosecond?: number;
  /** `+HH:MM`, `-HH:MM` or `Z`. */
  timezone?: string;
}

/** Why a temporal could not be built, for the caller's error message; undefined when valid. */
export function temporalProblem(kind: TemporalKind, f: TemporalFields): string | undefined {
  const hasDate = kind === 'date' || kind === 'localdatetime' || kind === 'datetime';
  if (hasDate) {
    if (f.year === undefined) return `${kind}() needs a year`;
    const month = f.month ?? 1;
    const day = f.day ?? 1;
    if (month < 1 || month > 12) return `month ${month} is out of range 1..12`;
    if (day < 1 || day > daysInMonth(f.year, month)) return `day ${day} is out of range for ${f.year}-${month}`;
  }
  if (f.hour !== undefined && (f.hour < 0 || f.hour > 23)) return `hour ${f.hour} is out of range 0..23`;
  if (f.minute !== undefined && (f.minute < 0 || f.minute > 59)) return `minute ${f.minute} is out of range 0..59`;
  if (f.second !== undefined && (f.second < 0 || f.second > 59)) return `second ${f.second} is out of range 0..59`;
  if (f.nanosecond !== undefined && (f.nanosecond < 0 || f.nanosecond >= NANOS_PER_SECOND)) return `nanosecond ${f.nanosecond} is out of range`;
  if (f.timezone !== undefined && parseOffset(f.timezone) === undefined) return `timezone '${f.timezone}' is not an offset like '+01:00' or 'Z'`;
  return undefined;
}

/** Seconds east of UTC of `+HH:MM` / `-HH:MM` / `Z`, or undefined. */
export function parseOffset(text: string): number | undefined {
  if (text === 'Z' || text === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60;
  if (seconds > 18 * 3600) return undefined;
  return m[1] === '-' ? -seconds : seconds;
}

/** Builds a temporal from fields already checked by {@link temporalProblem}. */
export function buildTemporal(kind: TemporalKind, f: TemporalFields): TemporalValue {
  const epochDay = kind === 'date' || kind === 'localdatetime' || kind === 'datetime' ? epochDayOf(f.year!, f.month ?? 1, f.day ?? 1) : 0;
  const nanos =
    (f.millisecond ?? 0) * 1_000_000 + (f.microsecond ?? 0) * 1_000 + (f.nanosecond ?? 0);
  const nanoOfDay = kind === 'date' ? 0 : ((f.hour ?? 0) * 3600 + (f.minute ?? 0) * 60 + (f.second ?? 0)) * NANOS_PER_SECOND + nanos;
  const offset = kind === 'time' || kind === 'datetime' ? parseOffset(f.timezone ?? 'Z') ?? 0 : 0;
  return new TemporalValue(kind, epochDay, nanoOfDay, offset);
}

/** A duration from components (each may be fractional only where openCypher allows; here integers). */
export function buildDuration(f: {
  years?: number;
  months?: number;
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
  microseconds?: number;
  nanoseconds?: number;
}): DurationValue {
  const months = (f.years ?? 0) * 12 + (f.months ?? 0);
  const days = (f.weeks ?? 0) * 7 + (f.days ?? 0);
  const totalNanos =
    BigInt((f.hours ?? 0) * 3600 + (f.minutes ?? 0) * 60 + (f.seconds ?? 0)) * BigInt(NANOS_PER_SECOND) +
    BigInt((f.milliseconds ?? 0) * 1_000_000 + (f.microseconds ?? 0) * 1_000 + (f.nanoseconds ?? 0));
  const ns = BigInt(NANOS_PER_SECOND);
  let seconds = totalNanos / ns;
  let nanos = totalNanos % ns;
  if (nanos < 0n) {
    nanos += ns;
    seconds -= 1n;
  }
  return new DurationValue(months, days, Number(seconds), Number(nanos));
}

// ---------------------------------------------------------------------------------------------
// Comparison, equality and arithmetic

/** The sort key of a temporal within its kind: an instant in UTC for zoned kinds. */
function instantKey(t: TemporalValue): [number, number] {
  const shifted = t.nanoOfDay - t.offsetSeconds * NANOS_PER_SECOND;
  // [day, nanos] with nanos possibly outside one day; normalize for comparison.
  let day = t.epochDay;
  let nanos = shifted;
  while (nanos < 0) {
    nanos += NANOS_PER_DAY;
    day -= 1;
  }
  while (nanos >= NANOS_PER_DAY) {
    nanos -= NANOS_PER_DAY;
    day += 1;
  }
  return t.kind === 'time' ? [0, shifted] : [day, nanos];
}

/** Negative, zero or positive for two temporals of the same kind; undefined for different kinds. */
export function compareTemporals(a: TemporalValue, b: TemporalValue): number | undefined {
  if (a.kind !== b.kind) return undefined;
  const [ad, an] = instantKey(a);
  const [bd, bn] = instantKey(b);
  return ad !== bd ? ad - bd : an - bn;
}

export function temporalsEqual(a: TemporalValue, b: TemporalValue): boolean {
  return a.kind === b.kind && a.epochDay === b.epochDay && a.nanoOfDay === b.nanoOfDay && a.offsetSeconds === b.offsetSeconds;
}

export function durationsEqual(a: DurationValue, b: DurationValue): boolean {
  return a.months === b.months && a.days === b.days && a.seconds === b.seconds && a.nanoseconds === b.nanoseconds;
}

/** `t + d` (or `t - d` with `sign = -1`): months, then days, then the time part, as openCypher does. */
export function addDuration(t: TemporalValue, d: DurationValue, sign: 1 | -1): TemporalValue {
  let epochDay = t.epochDay;
  const hasDate = t.kind === 'date' || t.kind === 'localdatetime' || t.kind === 'datetime';
  if (hasDate) {
    if (d.months !== 0) {
      const [y, m, day] = civilOf(epochDay);
      const total = y * 12 + (m - 1) + sign * d.months;
      const ny = Math.floor(total / 12);
      const nm = total - ny * 12 + 1;
      epochDay = epochDayOf(ny, nm, Math.min(day, daysInMonth(ny, nm)));
    }
    epochDay += sign * d.days;
  }
  if (t.kind === 'date') return new TemporalValue('date', epochDay, 0, 0);
  let nanos = t.nanoOfDay + sign * (d.seconds * NANOS_PER_SECOND + d.nanoseconds);
  const carry = Math.floor(nanos / NANOS_PER_DAY);
  nanos -= carry * NANOS_PER_DAY;
  if (hasDate) epochDay += carry;
  return new TemporalValue(t.kind, hasDate ? epochDay : 0, nanos, t.offsetSeconds);
}

export function addDurations(a: DurationValue, b: DurationValue, sign: 1 | -1): DurationValue {
  return buildDuration({
    months: a.months + sign * b.months,
    days: a.days + sign * b.days,
    seconds: a.seconds + sign * b.seconds,
    nanoseconds: a.nanoseconds + sign * b.nanoseconds,
  });
}

// ---------------------------------------------------------------------------------------------
// ISO 8601 text, as openCypher prints temporals

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? `-${s}` : s;
}

function formatDate(epochDay: number): string {
  const [y, m, d] = civilOf(epochDay);
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : `${y > 0 ? '+' : ''}${pad(y, 4)}`;
  return `${year}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff[fff[fff]]`, the shortest of these that is exact. */
function formatTimeOfDay(nanoOfDay: number): string {
  const totalSeconds = Math.floor(nanoOfDay / NANOS_PER_SECOND);
  const nanos = nanoOfDay - totalSeconds * NANOS_PER_SECOND;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  let out = `${pad(h, 2)}:${pad(m, 2)}`;
  if (s === 0 && nanos === 0) return out;
  out += `:${pad(s, 2)}`;
  if (nanos === 0) return out;
  let digits = String(nanos).padStart(9, '0');
  if (nanos % 1_000_000 === 0) digits = digits.slice(0, 3);
  else if (nanos % 1_000 === 0) digits = digits.slice(0, 6);
  return `${out}.${digits}`;
}

function formatOffset(seconds: number): string {
  if (seconds === 0) return 'Z';
  const abs = Math.abs(seconds);
  return `${seconds < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor((abs % 3600) / 60), 2)}`;
}

export function formatTemporal(t: TemporalValue): string {
  switch (t.kind) {
    case 'date':
      return formatDate(t.epochDay);
    case 'localtime':
      return formatTimeOfDay(t.nanoOfDay);
    case 'time':
      return `${formatTimeOfDay(t.nanoOfDay)}${formatOffset(t.offsetSeconds)}`;
    case 'localdatetime':
      return `${formatDate(t.epochDay)}T${formatTimeOfDay(t.nanoOfDay)}`;
    case 'datetime':
      return `${formatDate(t.epochDay)}T${formatTimeOfDay(t.nanoOfDay)}${formatOffset(t.offsetSeconds)}`;
  }
}

export function formatDuration(d: DurationValue): string {
  let out = 'P';
  const years = Math.trunc(d.months / 12);
  const months = d.months - years * 12;
  if (years !== 0) out += `${years}Y`;
  if (months !== 0) out += `${months}M`;
  if (d.days !== 0) out += `${d.days}D`;
  let seconds = d.seconds;
  let nanos = d.nanoseconds;
  if (seconds < 0 && nanos > 0) {
    seconds += 1;
    nanos = NANOS_PER_SECOND - nanos;
  }
  const h = Math.trunc(seconds / 3600);
  const m = Math.trunc((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h !== 0 || m !== 0 || s !== 0 || nanos !== 0) {
    out += 'T';
    if (h !== 0) out += `${h}H`;
    if (m !== 0) out += `${m}M`;
    if (s !== 0 || nanos !== 0) {
      const frac = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
      out += `${s < 0 || (s === 0 && d.seconds < 0) ? '-' : ''}${Math.abs(s)}${frac}S`;
    }
  }
  return out === 'P' ? 'PT0S' : out;
}
