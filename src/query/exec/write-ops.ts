/**
 * Write operators: CREATE, MERGE, SET, REMOVE, DELETE. Every change is a GraphCommand applied
 * to the store at once (later clauses see it) and recorded with its undo.
 */
import { EdgeRecord, NodeRecord, PathValue } from '../../graph/index.ts';
import { checkStorable } from '../../graph/index.ts';
import type { PropertyEntries } from '../../graph/index.ts';
import type { PropertyValue, Value, ValueMap } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { isMap, typeName } from '../value-ops.ts';
import { PassPipe, SubPipeline } from '../plan/ops.ts';
import { applyCommand, checkRows, type Eval, type ExecContext, type Pipe, type Row } from './context.ts';
import { buildPath } from './match-ops.ts';
import { deletedError, typeError } from './runtime.ts';

/** One write action on a row (a SET / REMOVE item, ON CREATE / ON MATCH). */
export type RowAction = (row: Row, ctx: ExecContext) => void;

export type CreateStep =
  | { readonly kind: 'node'; readonly slot: number; readonly labels: readonly string[]; readonly props: EntriesEval | undefined }
  | { readonly kind: 'bound'; readonly slot: number; readonly name: string }
  | {
      readonly kind: 'rel';
      readonly slot: number;
      readonly type: string;
      readonly src: number;
      readonly dst: number;
      readonly props: EntriesEval | undefined;
    }
  | { readonly kind: 'path'; readonly slot: number; readonly nodeSlots: readonly number[]; readonly relSlots: readonly number[] };

/** The property entries of a map value for a create command: nulls dropped, values checked storable. */
export function propertyEntries(v: Value): PropertyEntries {
  if (v === null) return [];
  const src = entitySource(v);
  const out: (readonly [string, PropertyValue])[] = [];
  for (const k of Object.keys(src)) {
    const x = src[k]!;
    if (x === null) continue;
    checkStorable(k, x);
    out.push([k, x]);
  }
  return out;
}

/** A compiled property list of a created node or relationship. */
export type EntriesEval = (row: Row, ctx: ExecContext) => PropertyEntries;

/**
 * Compiles the `{k: v, ...}` of a created element. A map literal with distinct keys becomes the
 * entries directly (no intermediate map object: this is the inner loop of a bulk load); any other
 * expression (a parameter, a variable) is evaluated to a map first.
 */
export function compileCreateProperties(
  literal: { readonly keys: readonly string[]; readonly values: readonly Eval[] } | undefined,
  map: Eval,
): EntriesEval {
  if (literal === undefined || new Set(literal.keys).size !== literal.keys.length) {
    return (row, ctx) => propertyEntries(map(row, ctx));
  }
  const { keys, values } = literal;
  const n = keys.length;
  return (row, ctx) => {
    const out: (readonly [string, PropertyValue])[] = [];
    for (let i = 0; i < n; i++) {
      const x = values[i]!(row, ctx);
      if (x === null) continue;
      checkStorable(keys[i]!, x);
      out.push([keys[i]!, x as PropertyValue]);
    }
    return out;
  };
}

/** A map, or a node's / edge's properties as a map. */
function entitySource(v: Value): ValueMap {
  if (v instanceof NodeRecord || v instanceof EdgeRecord) {
    if (v.deleted) throw deletedError(v);
    const m = Object.create(null) as ValueMap;
    for (const [k, x] of v.props) m[k] = x;
    return m;
  }
  if (isMap(v)) return v as ValueMap;
  throw typeError(`expected a map of properties, got ${typeName(v)}`);
}

/** Runs create steps on a row. */
/** The property list of a create without properties: shared, commands are immutable data. */
const NO_PROPS: PropertyEntries = Object.freeze([]);

export function runCreate(steps: readonly CreateStep[], row: Row, ctx: ExecContext): void {
  for (const s of steps) {
    switch (s.kind) {
      case 'node': {
        const id = ctx.store.peekNextNodeId();
        const props = s.props === undefined ? NO_PROPS : s.props(row, ctx);
        applyCommand(ctx, { op: 'createNode', id, labels: s.labels, props });
        row[s.slot] = ctx.store.node(id)!;
        break;
      }
      case 'bound': {
        const n = row[s.slot];
        if (!(n instanceof NodeRecord)) {
          throw new GeodeError('GQL_ARGUMENT', `cannot create a relationship on '${s.name}': it is ${n === null ? 'null' : typeName(n ?? null)}`, {
            detail: 'InvalidArgumentValue',
          });
        }
        if (n.deleted) throw deletedError(n);
        break;
      }
      case 'rel': {
        const src = row[s.src] as NodeRecord;
        const dst = row[s.dst] as NodeRecord;
        const id = ctx.store.peekNextEdgeId();
        const props = s.props === undefined ? NO_PROPS : s.props(row, ctx);
        applyCommand(ctx, { op: 'createEdge', id, type: s.type, src: src.id, dst: dst.id, props });
        row[s.slot] = ctx.store.edge(id)!;
        break;
      }
      case 'path':
        row[s.slot] = buildPath(row, s.nodeSlots, s.relSlots);
        break;
    }
  }
}

export class CreatePipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly steps: readonly CreateStep[],
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    runCreate(this.steps, row, ctx);
    return this.next.push(row, ctx);
  }
}

export class ActionsPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly actions: readonly RowAction[],
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    for (const a of this.actions) a(row, ctx);
    return this.next.push(row, ctx);
  }
}

/** MERGE: every match of the pattern (ON MATCH applied), or one creation (ON CREATE applied). */
export class MergePipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly match: SubPipeline,
    private readonly create: readonly CreateStep[],
    private readonly onMatch: readonly RowAction[],
    private readonly onCreate: readonly RowAction[],
    private readonly nullCheck: RowAction,
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    const matches: Row[] = [];
    this.match.run(row, ctx, (r) => {
      matches.push(r.slice());
      checkRows(matches.length, 'MERGE');
      return true;
    });
    if (matches.length === 0) {
      this.nullCheck(row, ctx);
      runCreate(this.create, row, ctx);
      for (const a of this.onCreate) a(row, ctx);
      return this.next.push(row, ctx);
    }
    for (const m of matches) {
      for (const a of this.onMatch) a(m, ctx);
      if (!this.next.push(m, ctx)) return false;
    }
    return true;
  }
}

function checkEntity(v: Value, what: string): NodeRecord | EdgeRecord | null {
  if (v === null) return null;
  if (v instanceof NodeRecord || v instanceof EdgeRecord) {
    if (v.deleted) throw deletedError(v);
    return v;
  }
  throw typeError(`${what} expects a node or relationship, got ${typeName(v)}`);
}

/** Sets (or with null removes) one property. */
export function setProperty(ctx: ExecContext, target: NodeRecord | EdgeRecord, key: string, value: Value): void {
  if (value === null) {
    if (!target.props.has(key)) return;
  } else checkStorable(key, value);
  const v = value as PropertyValue | null;
  if (target instanceof NodeRecord) applyCommand(ctx, { op: 'setNodeProperty', id: target.id, key, value: v });
  else applyCommand(ctx, { op: 'setEdgeProperty', id: target.id, key, value: v });
}

export function setPropertyAction(target: Eval, key: string, value: Eval): RowAction {
  return (row, ctx) => {
    const t = checkEntity(target(row, ctx), 'SET');
    const v = value(row, ctx);
    if (t !== null) setProperty(ctx, t, key, v);
  };
}

export function setAllAction(slot: number, value: Eval, merge: boolean): RowAction {
  return (row, ctx) => {
    const t = checkEntity(row[slot]!, 'SET');
    const v = value(row, ctx);
    if (t === null) return;
    const src = v === null ? (Object.create(null) as ValueMap) : entitySource(v);
    if (!merge) {
      for (const k of [...t.props.keys()]) if (!(k in src) || src[k] === null) setProperty(ctx, t, k, null);
    }
    for (const k of Object.keys(src)) {
      const x = src[k]!;
      if (!merge && x !== null && t.props.get(k) === x) continue;
      setProperty(ctx, t, k, x);
    }
  };
}

export function setLabelsAction(slot: number, labels: readonly string[], remove: boolean): RowAction {
  return (row, ctx) => {
    const n = row[slot]!;
    if (n === null) return;
    if (!(n instanceof NodeRecord)) throw typeError(`${remove ? 'REMOVE' : 'SET'} labels expects a node, got ${typeName(n)}`);
    if (n.deleted) throw deletedError(n);
    for (const label of labels) {
      const has = n.labels.has(label);
      if (remove && has) applyCommand(ctx, { op: 'removeLabel', id: n.id, label });
      else if (!remove && !has) applyCommand(ctx, { op: 'addLabel', id: n.id, label });
    }
  };
}

export function removePropertyAction(target: Eval, key: string): RowAction {
  return (row, ctx) => {
    const t = checkEntity(target(row, ctx), 'REMOVE');
    if (t !== null) setProperty(ctx, t, key, null);
  };
}

/** DELETE: buffers the clause's rows, deletes edges first, then nodes; passes the rows on. */
export class DeletePipe implements Pipe {
  #rows: Row[] = [];
  constructor(
    private readonly next: Pipe,
    private readonly targets: readonly Eval[],
    private readonly detach: boolean,
  ) {}
  start(ctx: ExecContext): void {
    this.#rows = [];
    this.next.start(ctx);
  }
  push(row: Row): boolean {
    this.#rows.push(row.slice());
    checkRows(this.#rows.length, 'DELETE');
    return true;
  }
  finish(ctx: ExecContext): void {
    const rows = this.#rows;
    this.#rows = [];
    const nodes = new Set<NodeRecord>();
    const edges = new Set<EdgeRecord>();
    const collect = (v: Value): void => {
      if (v === null) return;
      if (v instanceof NodeRecord) nodes.add(v);
      else if (v instanceof EdgeRecord) edges.add(v);
      else if (v instanceof PathValue) {
        for (const n of v.nodes) nodes.add(n);
        for (const e of v.edges) edges.add(e);
      } else if (Array.isArray(v)) for (const x of v as readonly Value[]) collect(x);
      else throw typeError(`DELETE expects a node, relationship or path, got ${typeName(v)}`);
    };
    for (const r of rows) for (const t of this.targets) collect(t(r, ctx));
    for (const e of edges) deleteEdge(ctx, e);
    for (const n of nodes) {
      if (n.deleted) continue;
      if (this.detach) {
        for (const e of [...n.out, ...n.in]) deleteEdge(ctx, e);
      } else if (n.outDegree + n.inDegree > 0) {
        ctx.pendingDeletes.add(n);
        continue;
      }
      applyCommand(ctx, { op: 'deleteNode', id: n.id });
    }
    for (const r of rows) if (!this.next.push(r, ctx)) break;
    this.next.finish(ctx);
  }
}

function deleteEdge(ctx: ExecContext, e: EdgeRecord): void {
  if (!e.deleted) applyCommand(ctx, { op: 'deleteEdge', id: e.id });
}

/** At the end of a statement: nodes a plain DELETE left must have lost their edges by now. */
export function finishPendingDeletes(ctx: ExecContext): void {
  for (const n of ctx.pendingDeletes) {
    if (n.deleted) continue;
    if (n.outDegree + n.inDegree > 0) {
      throw new GeodeError('CONSTRAINT_VIOLATION', `cannot delete node ${n.id}: it still has relationships (use DETACH DELETE)`, {
        detail: 'DeleteConnectedNode',
      });
    }
    applyCommand(ctx, { op: 'deleteNode', id: n.id });
  }
  ctx.pendingDeletes.clear();
}
