/**
 * Numeric functions. Results are floats except where openCypher keeps integers (`abs` of an
 * integer, `sign`). Null in, null out.
 */
import type { Value } from '../../graph/index.ts';
import { INT64_MIN } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { arg, badArgument, badType, strict } from './args.ts';
import type { FunctionDefinition } from './types.ts';

function num(name: string, v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw badType(name, v, 'a number (INTEGER or FLOAT)');
}

/** A one-argument float function `name(x) = f(x)`. */
function unary(name: string, f: (x: number) => number): FunctionDefinition {
  return strict(name, 1, 1, (args) => f(num(name, arg(args, 0))));
}

/** A constant function `name() = c`. */
function constant(name: string, c: number): FunctionDefinition {
  return strict(name, 0, 0, () => c);
}

/** The rounding modes of `round(x, precision, mode)` (Java's RoundingMode names). */
export type RoundingMode = 'UP' | 'DOWN' | 'CEILING' | 'FLOOR' | 'HALF_UP' | 'HALF_DOWN' | 'HALF_EVEN';
const ROUNDING_MODES: ReadonlySet<string> = new Set(['UP', 'DOWN', 'CEILING', 'FLOOR', 'HALF_UP', 'HALF_DOWN', 'HALF_EVEN']);

/** Largest |precision| `round` accepts: past it every double rounds to 0 or is unchanged. */
const roundPrecisionMax = 1_000;

/** `f` as an exact decimal `m * 10^-scale`, from its shortest round-trip representation. */
function toDecimal(f: number): { m: bigint; scale: number } {
  const s = String(f);
  const e = s.indexOf('e');
  const mant = e < 0 ? s : s.slice(0, e);
  const exp = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const frac = dot < 0 ? 0 : mant.length - dot - 1;
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  return { m: BigInt(digits), scale: frac - exp };
}

/**
 * Rounds `f` to `precision` decimal places with `mode`, in decimal (as Java's
 * `BigDecimal.valueOf(f).setScale(precision, mode)`), so `round(2.675, 2)` is 2.68.
 */
export function roundDecimal(f: number, precision: number, mode: RoundingMode): number {
  if (!Number.isFinite(f)) return f;
  const { m, scale } = toDecimal(f);
  if (scale <= precision) return f;
  const div = 10n ** BigInt(scale - precision);
  let q = m / div;
  const r = m % div;
  if (r !== 0n) {
    const neg = m < 0n;
    const twice = (r < 0n ? -r : r) * 2n;
    const half = twice === div ? 0 : twice > div ? 1 : -1;
    let away: boolean;
    switch (mode) {
      case 'UP':
        away = true;
        break;
      case 'DOWN':
        away = false;
        break;
      case 'CEILING':
        away = !neg;
        break;
      case 'FLOOR':
        away = neg;
        break;
      case 'HALF_UP':
        away = half >= 0;
        break;
      case 'HALF_DOWN':
        away = half > 0;
        break;
      case 'HALF_EVEN':
        away = half > 0 || (half === 0 && q % 2n !== 0n);
        break;
    }
    if (away) q += neg ? -1n : 1n;
  }
  const out = Number(`${q}e${-precision}`);
  return out === 0 && f < 0 ? -0 : out;
}

function roundCall(args: readonly Value[]): Value {
  const x = num('round', arg(args, 0));
  if (args.length === 1) return Math.round(x); // Java Math.round: halves go toward +Infinity
  const p = arg(args, 1);
  if (typeof p !== 'bigint') throw badType('round', p, 'an INTEGER precision');
  if (p > BigInt(roundPrecisionMax) || p < BigInt(-roundPrecisionMax)) {
    throw badArgument(`round(): precision ${p} is out of range ±${roundPrecisionMax}`, 'NumberOutOfRange');
  }
  let mode: RoundingMode = 'HALF_UP';
  if (args.length > 2) {
    const m = arg(args, 2);
    if (typeof m !== 'string') throw badType('round', m, 'a STRING rounding mode');
    const up = m.toUpperCase();
    if (!ROUNDING_MODES.has(up)) {
      throw badArgument(`round(): unknown rounding mode '${m}'`, 'InvalidArgumentValue');
    }
    mode = up as RoundingMode;
  }
  return roundDecimal(x, Number(p), mode);
}

export const mathFunctions: readonly FunctionDefinition[] = [
  strict('abs', 1, 1, (args) => {
    const v = arg(args, 0);
    if (typeof v === 'bigint') {
      if (v === INT64_MIN) {
        throw new GeodeError('GQL_OVERFLOW', `abs(${v}) does not fit in 64 bits`, { detail: 'IntegerOverflow' });
      }
      return v < 0n ? -v : v;
    }
    return Math.abs(num('abs', v));
  }),
  unary('ceil', Math.ceil),
  unary('floor', Math.floor),
  strict('round', 1, 3, roundCall),
  strict('sign', 1, 1, (args) => {
    const v = arg(args, 0);
    if (typeof v === 'bigint') return v > 0n ? 1n : v < 0n ? -1n : 0n;
    const x = num('sign', v);
    return x > 0 ? 1n : x < 0 ? -1n : 0n;
  }),
  unary('sqrt', Math.sqrt),
  unary('exp', Math.exp),
  unary('log', Math.log),
  unary('log10', Math.log10),
  constant('e', Math.E),
  constant('pi', Math.PI),
  {
    name: 'rand',
    minArgs: 0,
    maxArgs: 0,
    deterministic: false,
    call: (_args, ctx) => ctx.random(),
  },
  unary('sin', Math.sin),
  unary('cos', Math.cos),
  unary('tan', Math.tan),
  unary('cot', (x) => 1 / Math.tan(x)),
  unary('asin', Math.asin),
  unary('acos', Math.acos),
  unary('atan', Math.atan),
  strict('atan2', 2, 2, (args) => Math.atan2(num('atan2', arg(args, 0)), num('atan2', arg(args, 1)))),
  unary('degrees', (x) => (x * 180) / Math.PI),
  unary('radians', (x) => (x * Math.PI) / 180),
  unary('haversin', (x) => (1 - Math.cos(x)) / 2),
];
