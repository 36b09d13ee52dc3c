/**
 * Row-shaping operators: projection, DISTINCT, aggregation, ORDER BY (top-k when a limit is
 * known), SKIP / LIMIT, UNWIND, eager materialization, OPTIONAL MATCH, result production.
 */
import type { Value } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { createAggregator, type Aggregator } from '../aggregates.ts';
import { groupingKey, orderCompare, typeName } from '../value-ops.ts';
import { PassPipe, SubPipeline } from '../plan/ops.ts';
import { checkRows, spendWork, type Eval, type ExecContext, type Pipe, type Row } from './context.ts';

/** Evaluates items, then writes them to their slots (so `WITH b AS a, a AS b` swaps). */
export class ProjectPipe extends PassPipe {
  readonly #tmp: Value[];
  constructor(
    next: Pipe,
    private readonly evals: readonly Eval[],
    private readonly slots: readonly number[],
  ) {
    super(next);
    this.#tmp = new Array<Value>(evals.length).fill(null);
  }
  push(row: Row, ctx: ExecContext): boolean {
    const n = this.evals.length;
    if (n === 1) {
      row[this.slots[0]!] = this.evals[0]!(row, ctx);
      return this.next.push(row, ctx);
    }
    const tmp = this.#tmp.slice();
    for (let i = 0; i < n; i++) tmp[i] = this.evals[i]!(row, ctx);
    for (let i = 0; i < n; i++) row[this.slots[i]!] = tmp[i]!;
    return this.next.push(row, ctx);
  }
}

/** A composite key of several values, equal exactly when all values are equivalent. */
export function rowKey(row: Row, slots: readonly number[]): unknown {
  if (slots.length === 1) return groupingKey(row[slots[0]!]!);
  let s = '';
  for (let i = 0; i < slots.length; i++) {
    const k = groupingKey(row[slots[i]!]!);
    const t = typeof k === 'string' ? `s${k.length}:${k}` : `${typeof k}:${String(k)}`;
    s += t + '\u0001';
  }
  return s;
}

export class DistinctPipe extends PassPipe {
  #seen = new Set<unknown>();
  constructor(
    next: Pipe,
    private readonly slots: readonly number[],
  ) {
    super(next);
  }
  override start(ctx: ExecContext): void {
    this.#seen = new Set();
    super.start(ctx);
  }
  push(row: Row, ctx: ExecContext): boolean {
    const k = rowKey(row, this.slots);
    if (this.#seen.has(k)) return true;
    this.#seen.add(k);
    checkRows(this.#seen.size, 'DISTINCT');
    return this.next.push(row, ctx);
  }
  override finish(ctx: ExecContext): void {
    this.#seen = new Set();
    super.finish(ctx);
  }
}

export interface AggregateSpec {
  readonly name: string;
  readonly distinct: boolean;
  readonly args: readonly Eval[];
  readonly slot: number;
}

interface Group {
  readonly keys: Value[];
  readonly aggs: Aggregator[];
  count: bigint;
}

/** Grouping + aggregation: a breaker that emits one row per group at finish. */
export class AggregatePipe implements Pipe {
  #groups = new Map<unknown, Group>();
  #single: Group | undefined;
  readonly #oneArg: Value[] = [null];
  constructor(
    private readonly next: Pipe,
    private readonly keyEvals: readonly Eval[],
    private readonly keySlots: readonly number[],
    private readonly aggs: readonly AggregateSpec[],
    private readonly width: () => number,
  ) {}

  start(ctx: ExecContext): void {
    this.#groups = new Map();
    this.#single = undefined;
    this.next.start(ctx);
  }

  #newGroup(keys: Value[]): Group {
    return { keys, aggs: this.aggs.map((a) => createAggregator(a.name, a.distinct)), count: 0n };
  }

  push(row: Row, ctx: ExecContext): boolean {
    let g: Group;
    const nk = this.keyEvals.length;
    if (nk === 0) {
      if (this.#single === undefined) this.#single = this.#newGroup([]);
      g = this.#single;
    } else if (nk === 1) {
      // One grouping key (the common case): no key array unless the group is new.
      const v = this.keyEvals[0]!(row, ctx);
      const k = groupingKey(v);
      let found = this.#groups.get(k);
      if (found === undefined) {
        found = this.#newGroup([v]);
        this.#groups.set(k, found);
        checkRows(this.#groups.size, 'aggregation');
      }
      g = found;
    } else {
      const keys = new Array<Value>(nk);
      for (let i = 0; i < nk; i++) keys[i] = this.keyEvals[i]!(row, ctx);
      const k = keyOf(keys);
      let found = this.#groups.get(k);
      if (found === undefined) {
        found = this.#newGroup(keys);
        this.#groups.set(k, found);
        checkRows(this.#groups.size, 'aggregation');
      }
      g = found;
    }
    const aggs = this.aggs;
    for (let i = 0; i < aggs.length; i++) {
      const a = aggs[i]!;
      const args = a.args;
      if (args.length === 0) g.aggs[i]!.add(NO_ARGS);
      else if (args.length === 1) {
        // Aggregators read their arguments during add() and never keep the array: reuse one.
        const one = this.#oneArg;
        one[0] = args[0]!(row, ctx);
        g.aggs[i]!.add(one);
      }
      else g.aggs[i]!.add(args.map((f) => f(row, ctx)));
    }
    return true;
  }

  finish(ctx: ExecContext): void {
    const groups: Iterable<Group> =
      this.keyEvals.length === 0 ? [this.#single ?? this.#newGroup([])] : this.#groups.values();
    const width = this.width();
    for (const g of groups) {
      const row = new Array<Value>(width).fill(null);
      for (let i = 0; i < g.keys.length; i++) row[this.keySlots[i]!] = g.keys[i]!;
      for (let i = 0; i < this.aggs.length; i++) row[this.aggs[i]!.slot] = g.aggs[i]!.result();
      if (!this.next.push(row, ctx)) break;
    }
    this.#groups = new Map();
    this.#single = undefined;
    this.next.finish(ctx);
  }
}

const NO_ARGS: readonly Value[] = [];

function keyOf(keys: readonly Value[]): unknown {
  if (keys.length === 1) return groupingKey(keys[0]!);
  let s = '';
  for (const v of keys) {
    const k = groupingKey(v);
    s += (typeof k === 'string' ? `s${k.length}:${k}` : `${typeof k}:${String(k)}`) + '\u0001';
  }
  return s;
}

export interface SortKey {
  readonly eval: Eval;
  readonly descending: boolean;
}

/** ORDER BY: buffers rows (copies) with their sort keys; keeps only the top `limit` when known. */
export class SortPipe implements Pipe {
  #rows: { row: Row; keys: Value[] }[] = [];
  #limit = Infinity;
  constructor(
    private readonly next: Pipe,
    private readonly keys: readonly SortKey[],
    private readonly limit: ((ctx: ExecContext) => number) | undefined,
  ) {}

  start(ctx: ExecContext): void {
    this.#rows = [];
    this.#limit = this.limit === undefined ? Infinity : this.limit(ctx);
    this.next.start(ctx);
  }

  #cmp = (a: { keys: Value[] }, b: { keys: Value[] }): number => {
    for (let i = 0; i < this.keys.length; i++) {
      const c = orderCompare(a.keys[i]!, b.keys[i]!);
      if (c !== 0) return this.keys[i]!.descending ? -c : c;
    }
    return 0;
  };

  push(row: Row, ctx: ExecContext): boolean {
    const keys = this.keys.map((k) => k.eval(row, ctx));
    this.#rows.push({ row: row.slice(), keys });
    const lim = this.#limit;
    if (lim !== Infinity && this.#rows.length >= Math.max(2 * lim, 1024)) {
      this.#rows.sort(this.#cmp);
      this.#rows.length = lim;
    }
    checkRows(this.#rows.length, 'ORDER BY');
    return true;
  }

  finish(ctx: ExecContext): void {
    const rows = this.#rows;
    this.#rows = [];
    rows.sort(this.#cmp);
    const n = Math.min(rows.length, this.#limit);
    for (let i = 0; i < n; i++) if (!this.next.push(rows[i]!.row, ctx)) break;
    this.next.finish(ctx);
  }
}

/** Evaluates a SKIP / LIMIT expression at run time: a non-negative integer. */
export function countValue(v: Value, what: string): number {
  if (typeof v !== 'bigint') {
    throw new GeodeError('GQL_SEMANTIC', `${what} expects an INTEGER, got ${typeName(v)}`, { detail: 'InvalidArgumentType' });
  }
  if (v < 0n) {
    // The TCK classes these as SyntaxError raised at run time, hence GQL_SEMANTIC.
    throw new GeodeError('GQL_SEMANTIC', `${what} must not be negative, got ${v}`, { detail: 'NegativeIntegerArgument' });
  }
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

export class SkipPipe extends PassPipe {
  #left = 0;
  constructor(
    next: Pipe,
    private readonly count: (ctx: ExecContext) => number,
  ) {
    super(next);
  }
  override start(ctx: ExecContext): void {
    this.#left = this.count(ctx);
    super.start(ctx);
  }
  push(row: Row, ctx: ExecContext): boolean {
    if (this.#left > 0) {
      this.#left--;
      return true;
    }
    return this.next.push(row, ctx);
  }
}

export class LimitPipe extends PassPipe {
  #left = 0;
  constructor(
    next: Pipe,
    private readonly count: (ctx: ExecContext) => number,
  ) {
    super(next);
  }
  override start(ctx: ExecContext): void {
    this.#left = this.count(ctx);
    super.start(ctx);
  }
  push(row: Row, ctx: ExecContext): boolean {
    if (this.#left <= 0) return false;
    this.#left--;
    if (!this.next.push(row, ctx)) return false;
    return this.#left > 0;
  }
}

export class UnwindPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly list: Eval,
    private readonly slot: number,
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    const l = this.list(row, ctx);
    if (l === null) return true;
    if (!Array.isArray(l)) {
      row[this.slot] = l;
      return this.next.push(row, ctx);
    }
    const list = l as readonly Value[];
    for (let i = 0; i < list.length; i++) {
      spendWork(ctx);
      row[this.slot] = list[i]!;
      if (!this.next.push(row, ctx)) return false;
    }
    return true;
  }
}

/** Materializes every input row before passing any on (so a clause's reads finish before the next clause's writes). */
export class EagerPipe implements Pipe {
  #rows: Row[] = [];
  constructor(private readonly next: Pipe) {}
  start(ctx: ExecContext): void {
    this.#rows = [];
    this.next.start(ctx);
  }
  push(row: Row): boolean {
    this.#rows.push(row.slice());
    checkRows(this.#rows.length, 'eager buffer');
    return true;
  }
  finish(ctx: ExecContext): void {
    const rows = this.#rows;
    this.#rows = [];
    for (const r of rows) if (!this.next.push(r, ctx)) break;
    this.next.finish(ctx);
  }
}

/** OPTIONAL MATCH: the inner pipeline's rows, or the input row with the new slots null. */
export class OptionalPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly inner: SubPipeline,
    private readonly newSlots: readonly number[],
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    let matched = false;
    let go = true;
    this.inner.run(row, ctx, (r, c) => {
      matched = true;
      go = this.next.push(r, c);
      return go;
    });
    if (!go) return false;
    if (matched) return true;
    for (const s of this.newSlots) row[s] = null;
    return this.next.push(row, ctx);
  }
}

/** Collects result rows: the values of `slots`, copied. */
export class ResultPipe implements Pipe {
  constructor(
    private readonly slots: readonly number[],
    private readonly out: (cells: Value[], ctx: ExecContext) => boolean,
  ) {}
  start(): void {}
  push(row: Row, ctx: ExecContext): boolean {
    const n = this.slots.length;
    const cells = new Array<Value>(n);
    for (let i = 0; i < n; i++) cells[i] = row[this.slots[i]!]!;
    return this.out(cells, ctx);
  }
  finish(): void {}
}

/** Discards rows (a query ending in an update clause returns nothing). */
export class DiscardPipe implements Pipe {
  start(): void {}
  push(): boolean {
    return true;
  }
  finish(): void {}
}
