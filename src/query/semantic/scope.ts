/**
 * Variable scopes. Each variable has a slot in the statement's row layout and a kind used to
 * detect VariableTypeConflict (a node variable used as a relationship, ...).
 */
import type { GraphReader } from '../../graph/index.ts';
import type { ProcedureRegistry } from '../procedures/registry.ts';
import { semanticError } from './errors.ts';

/** `value`: known not to be a node, relationship or path (a literal, a list, ...). */
export type VarKind = 'node' | 'rel' | 'relList' | 'path' | 'value' | 'any';

export interface VarInfo {
  readonly slot: number;
  readonly kind: VarKind;
}

/** Names of hidden variables (anonymous pattern elements) start with a space, so no query can name them. */
export function isHidden(name: string): boolean {
  return name.charCodeAt(0) === 32;
}

/** An immutable-by-convention map from names to slots; `with` derives a child. */
export class Scope {
  readonly vars: Map<string, VarInfo>;

  constructor(vars?: Map<string, VarInfo>) {
    this.vars = vars ?? new Map();
  }

  get(name: string): VarInfo | undefined {
    return this.vars.get(name);
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  /** A copy with `name` bound (or rebound). */
  with(name: string, info: VarInfo): Scope {
    const m = new Map(this.vars);
    m.set(name, info);
    return new Scope(m);
  }

  clone(): Scope {
    return new Scope(new Map(this.vars));
  }

  /** Visible (non-hidden) names, sorted. */
  visibleNames(): string[] {
    return [...this.vars.keys()].filter((n) => !isHidden(n)).sort();
  }
}

/** Statement-wide compile state: the query text (for errors) and the slot allocator. */
export class PlanState {
  slotCount = 0;
  anonCount = 0;
  /** Parameter names the statement reads (checked present before running). */
  readonly params = new Set<string>();
  depth = 0;

  constructor(
    readonly text: string,
    readonly graph: GraphReader,
    readonly procedures: ProcedureRegistry,
  ) {}

  newSlot(): number {
    return this.slotCount++;
  }

  anonName(): string {
    return ` anon${this.anonCount++}`;
  }

  error(pos: number, detail: string, message: string): Error {
    return semanticError(this.text, pos, detail, message);
  }
}

/** Kind compatibility: may a variable of kind `have` be used where `want` is needed? */
export function compatible(have: VarKind, want: VarKind): boolean {
  if (have === 'value' && want === 'relList') return true;
  return have === 'any' || want === 'any' || have === want;
}
