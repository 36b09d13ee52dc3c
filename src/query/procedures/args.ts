/**
 * Procedure argument checks: count (InvalidNumberOfArguments) and type (InvalidArgumentType)
 * against the declared input types (STRING, INTEGER, FLOAT, NUMBER, BOOLEAN, LIST..., MAP, NODE,
 * RELATIONSHIP, PATH, ANY); null passes every type.
 */
import type { Value } from '../../graph/index.ts';
import { kindOf, Kind } from '../value-ops.ts';

/** True when `v` fits the declared type `type`. */
export function fitsType(v: Value, type: string): boolean {
  if (v === null) return true;
  const t = type.trim().toUpperCase();
  const k = kindOf(v);
  if (t === 'ANY' || t === '') return true;
  if (t === 'STRING') return k === Kind.String;
  if (t === 'INTEGER' || t === 'INT') return k === Kind.Integer;
  if (t === 'FLOAT') return k === Kind.Float || k === Kind.Integer;
  if (t === 'NUMBER') return k === Kind.Float || k === Kind.Integer;
  if (t === 'BOOLEAN') return k === Kind.Boolean;
  if (t.startsWith('LIST')) return k === Kind.List;
  if (t === 'MAP') return k === Kind.Map;
  if (t === 'NODE') return k === Kind.Node;
  if (t === 'RELATIONSHIP') return k === Kind.Edge;
  if (t === 'PATH') return k === Kind.Path;
  return true;
}

/** Converts an integer argument passed to a FLOAT input. */
export function coerceArg(v: Value, type: string): Value {
  const t = type.trim().toUpperCase();
  if (t === 'FLOAT' && typeof v === 'bigint') return Number(v);
  return v;
}
