/**
 * Run-time helpers of compiled expressions: property and element access, string and list
 * operators, label tests. Pure functions over values; errors are GeodeErrors with TCK details.
 */
import { EdgeRecord, NodeRecord, PathValue } from '../../graph/index.ts';
import type { Value, ValueMap } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { cypherEquals, isMap, typeName } from '../value-ops.ts';
import type { LabelExpression } from '../../gql/index.ts';

export function typeError(message: string, detail = 'InvalidArgumentType'): GeodeError {
  return new GeodeError('GQL_TYPE', message, { detail });
}

export function deletedError(r: NodeRecord | EdgeRecord): GeodeError {
  const what = r instanceof NodeRecord ? 'node' : 'relationship';
  return new GeodeError('ENTITY_NOT_FOUND', `the ${what} with id ${r.id} has been deleted`, {
    detail: 'DeletedEntityAccess',
  });
}

/** `v.key`: a property of a node, edge or map; null on null. */
export function propertyOf(v: Value, key: string): Value {
  if (v === null) return null;
  if (v instanceof NodeRecord || v instanceof EdgeRecord) {
    if (v.deleted) throw deletedError(v);
    const x = v.props.get(key);
    return x === undefined ? null : x;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === null) {
    // A map as the engine makes them (null prototype): skip isMap's instanceof checks.
    const x = (v as ValueMap)[key];
    return x === undefined ? null : x;
  }
  if (isMap(v)) {
    const x = (v as ValueMap)[key];
    return x === undefined ? null : x;
  }
  throw typeError(`cannot read property '${key}' of ${typeName(v)}`);
}

function listIndex(list: readonly Value[], index: Value): Value {
  if (index === null) return null;
  let i: number;
  if (typeof index === 'bigint') {
    if (index >= BigInt(list.length) || index < -BigInt(list.length)) return null;
    i = Number(index);
  } else throw typeError(`list index must be an INTEGER, got ${typeName(index)}`);
  if (i < 0) i += list.length;
  const x = list[i];
  return x === undefined ? null : x;
}

/** `v[index]`: list element (negative counts from the end), map entry, or property. */
export function elementOf(v: Value, index: Value): Value {
  if (v === null) return null;
  if (Array.isArray(v)) return listIndex(v as readonly Value[], index);
  if (v instanceof NodeRecord || v instanceof EdgeRecord || isMap(v)) {
    if (index === null) return null;
    if (typeof index !== 'string') {
      throw typeError(`map element access needs a STRING key, got ${typeName(index)}`, 'MapElementAccessByNonString');
    }
    return propertyOf(v, index);
  }
  throw typeError(`cannot index into ${typeName(v)}`);
}

function sliceBound(b: Value, len: number): number | null {
  if (b === null) return null;
  if (typeof b !== 'bigint') throw typeError(`slice bound must be an INTEGER, got ${typeName(b)}`);
  let i = b < -BigInt(len) ? -len : b > BigInt(len) ? len : Number(b);
  if (i < 0) i += len;
  return i;
}

/** `v[from..to]` on a list. */
export function sliceOf(v: Value, from: Value | undefined, to: Value | undefined): Value {
  if (v === null) return null;
  if (!Array.isArray(v)) throw typeError(`cannot slice ${typeName(v)}`);
  const list = v as readonly Value[];
  const f = from === undefined ? 0 : sliceBound(from, list.length);
  const t = to === undefined ? list.length : sliceBound(to, list.length);
  if (f === null || t === null) return null;
  return list.slice(f, Math.max(f, t));
}

/** `x IN list` with three-valued semantics. */
export function inList(x: Value, list: Value): Value {
  if (list === null) return null;
  if (!Array.isArray(list)) throw typeError(`IN expects a LIST, got ${typeName(list)}`);
  let sawNull = false;
  for (const item of list as readonly Value[]) {
    const eq = cypherEquals(x, item);
    if (eq === true) return true;
    if (eq === null) sawNull = true;
  }
  return sawNull ? null : false;
}

export function startsWith(a: Value, b: Value): Value {
  return typeof a === 'string' && typeof b === 'string' ? a.startsWith(b) : null;
}
export function endsWith(a: Value, b: Value): Value {
  return typeof a === 'string' && typeof b === 'string' ? a.endsWith(b) : null;
}
export function contains(a: Value, b: Value): Value {
  return typeof a === 'string' && typeof b === 'string' ? a.includes(b) : null;
}

const regexCache = new Map<string, RegExp>();

/** `a =~ b`: whole-string match of a Java-style regular expression. */
export function regexMatch(a: Value, b: Value): Value {
  if (typeof a !== 'string' || typeof b !== 'string') return null;
  let re = regexCache.get(b);
  if (re === undefined) {
    let src = b;
    let flags = 'su';
    const m = /^\(\?([imsx]+)\)/.exec(src);
    if (m !== null) {
      src = src.slice(m[0].length);
      if (m[1]!.includes('i')) flags += 'i';
      if (m[1]!.includes('m')) flags += 'm';
    }
    try {
      re = new RegExp(`^(?:${src})$`, flags);
    } catch {
      throw new GeodeError('GQL_ARGUMENT', `invalid regular expression '${b}'`, { detail: 'InvalidArgumentValue' });
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(b, re);
  }
  return re.test(a);
}

/** `a || b`: string or list concatenation. */
export function concat(a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...(a as Value[]), ...(b as Value[])];
  throw typeError(`cannot concatenate ${typeName(a)} and ${typeName(b)}`);
}

/** A compiled label / relationship-type test. */
export type LabelTest = (has: (name: string) => boolean, count: number) => boolean;

export function compileLabelTest(e: LabelExpression): LabelTest {
  switch (e.kind) {
    case 'LabelName': {
      const name = e.name;
      return (has) => has(name);
    }
    case 'LabelAnd': {
      const l = compileLabelTest(e.left);
      const r = compileLabelTest(e.right);
      return (has, n) => l(has, n) && r(has, n);
    }
    case 'LabelOr': {
      const l = compileLabelTest(e.left);
      const r = compileLabelTest(e.right);
      return (has, n) => l(has, n) || r(has, n);
    }
    case 'LabelNot': {
      const o = compileLabelTest(e.operand);
      return (has, n) => !o(has, n);
    }
    case 'LabelWildcard':
      return (_has, n) => n > 0;
  }
}

/** Names that a label expression requires (conjunction of plain names), for scans. */
export function requiredLabels(e: LabelExpression | undefined): string[] {
  if (e === undefined) return [];
  if (e.kind === 'LabelName') return [e.name];
  if (e.kind === 'LabelAnd') return [...requiredLabels(e.left), ...requiredLabels(e.right)];
  return [];
}

/** True when the expression is only names joined by `|` (a relationship type list). */
export function typeAlternatives(e: LabelExpression | undefined): string[] | undefined {
  if (e === undefined) return [];
  if (e.kind === 'LabelName') return [e.name];
  if (e.kind === 'LabelOr') {
    const l = typeAlternatives(e.left);
    const r = typeAlternatives(e.right);
    return l === undefined || r === undefined ? undefined : [...l, ...r];
  }
  return undefined;
}

/** `v:Labels` on a node (labels) or edge (type); null on null. */
export function testLabels(v: Value, test: LabelTest): Value {
  if (v === null) return null;
  if (v instanceof NodeRecord) {
    if (v.deleted) throw deletedError(v);
    const labels = v.labels;
    return test((n) => labels.has(n), labels.size);
  }
  if (v instanceof EdgeRecord) {
    const t = v.type;
    return test((n) => n === t, 1);
  }
  throw typeError(`cannot test labels of ${typeName(v)}`);
}

/** The properties of a node or edge, or a map itself, as a map value. */
export function propertiesMap(v: Value): ValueMap | null {
  if (v === null) return null;
  if (v instanceof NodeRecord || v instanceof EdgeRecord) {
    if (v.deleted) throw deletedError(v);
    const m = Object.create(null) as ValueMap;
    for (const [k, x] of v.props) m[k] = x;
    return m;
  }
  if (isMap(v)) return v as ValueMap;
  throw typeError(`expected a node, relationship or map, got ${typeName(v)}`);
}

/** Nodes of a path built from a start node and an edge chain. */
export function walkEdges(start: NodeRecord, edges: readonly EdgeRecord[]): NodeRecord[] {
  const nodes: NodeRecord[] = [start];
  let cur = start;
  for (const e of edges) {
    cur = e.src === cur ? e.dst : e.src;
    nodes.push(cur);
  }
  return nodes;
}

export { PathValue };
