/**
 * Temporal constructors: `date`, `localtime`, `time`, `localdatetime`, `datetime` and `duration`
 * from a map of components (`date({year: 1984, month: 10, day: 11})`), or from ISO text for
 * dates (`date('1984-10-11')`). No clock is read: the no-argument forms (today, now) are refused,
 * so a query gives the same result on every replica.
 */
import {
  buildDuration,
  buildTemporal,
  temporalProblem,
  type TemporalFields,
  type TemporalKind,
} from '../../graph/index.ts';
import type { Value, ValueMap } from '../../graph/index.ts';
import { isMap } from '../value-ops.ts';
import { arg, badArgument, badType } from './args.ts';
import type { FunctionDefinition } from './types.ts';

const TEMPORAL_KEYS = new Set(['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond', 'microsecond', 'nanosecond', 'timezone']);
const DURATION_KEYS = new Set(['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'microseconds', 'nanoseconds']);

/** Integer components of a map, checked against `allowed`; `timezone` stays text. */
function components(fn: string, m: ValueMap, allowed: ReadonlySet<string>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const key of Object.keys(m)) {
    const v = m[key] as Value;
    if (!allowed.has(key)) throw badArgument(`${fn}(): unknown component '${key}'`, 'InvalidArgumentValue');
    if (v === null) continue;
    if (key === 'timezone') {
      if (typeof v !== 'string') throw badType(fn, v, 'a STRING timezone');
      out[key] = v;
    } else if (typeof v === 'bigint') {
      if (v > 1_000_000_000_000n || v < -1_000_000_000_000n) throw badArgument(`${fn}(): ${key} ${v} is out of range`, 'NumberOutOfRange');
      out[key] = Number(v);
    } else throw badType(fn, v, `an INTEGER ${key}`);
  }
  return out;
}

function temporalFunction(kind: TemporalKind): FunctionDefinition {
  return {
    name: kind,
    minArgs: 1,
    maxArgs: 1,
    deterministic: true,
    call(args) {
      const a = arg(args, 0);
      if (a === null) return null;
      let fields: TemporalFields;
      if (typeof a === 'string' && kind === 'date') {
        const m = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(a);
        if (m === null) throw badArgument(`date(): '${a}' is not a date like 2024-01-31`, 'InvalidArgumentValue');
        fields = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
      } else if (isMap(a)) {
        fields = components(kind, a, TEMPORAL_KEYS) as TemporalFields;
      } else throw badType(kind, a, 'a MAP of components');
      const problem = temporalProblem(kind, fields);
      if (problem !== undefined) throw badArgument(`${kind}(): ${problem}`, 'InvalidArgumentValue');
      return buildTemporal(kind, fields);
    },
  };
}

export const temporalFunctions: readonly FunctionDefinition[] = [
  temporalFunction('date'),
  temporalFunction('localtime'),
  temporalFunction('time'),
  temporalFunction('localdatetime'),
  temporalFunction('datetime'),
  {
    name: 'duration',
    minArgs: 1,
    maxArgs: 1,
    deterministic: true,
    call(args) {
      const a = arg(args, 0);
      if (a === null) return null;
      if (!isMap(a)) throw badType('duration', a, 'a MAP of components');
      return buildDuration(components('duration', a, DURATION_KEYS) as Record<string, number>);
    },
  },
];
