/**
 * The GQL abstract syntax tree. Every node is readonly, tagged by `kind`, and carries `pos`,
 * the offset in the query text where it starts (errors turn it into line and column).
 *
 * The same tree represents ISO GQL and the openCypher forms: `INSERT` and `CREATE` both give a
 * {@link CreateClause}; `OFFSET` and `SKIP` both give `skip`; `:A:B` and `:A&B` both give a
 * {@link LabelAnd}. Keywords are case-insensitive; identifiers keep their case. Function and
 * procedure names keep the case they were written in (resolution is case-insensitive).
 */
import type { Value } from '../graph/values.ts';

interface AstNode {
  readonly pos: number;
}

// ---------------------------------------------------------------------------------------------
// Statements

/** The whole text: one statement, optionally prefixed by EXPLAIN or PROFILE. */
export interface Statement extends AstNode {
  readonly kind: 'Statement';
  readonly explain: boolean;
  readonly profile: boolean;
  readonly body: Query | SchemaCommand;
}

/** `single (UNION [ALL] single)*`; `unionAll[i]` joins parts[i] and parts[i+1]. */
export interface Query extends AstNode {
  readonly kind: 'Query';
  readonly parts: readonly SingleQuery[];
  readonly unionAll: readonly boolean[];
}

export interface SingleQuery extends AstNode {
  readonly kind: 'SingleQuery';
  readonly clauses: readonly Clause[];
}

export type SchemaCommand =
  | CreateIndexCommand
  | DropIndexCommand
  | CreateConstraintCommand
  | DropConstraintCommand;

/**
 * `CREATE INDEX [name] [IF NOT EXISTS] FOR (n:Label) ON (n.key [, n.key2])`
 * and the older `CREATE INDEX ON :Label(key)`.
 */
export interface CreateIndexCommand extends AstNode {
  readonly kind: 'CreateIndex';
  readonly name: string | undefined;
  readonly ifNotExists: boolean;
  readonly label: string;
  readonly keys: readonly string[];
}

/** `DROP INDEX name [IF EXISTS]` or `DROP INDEX ON :Label(key)`. */
export interface DropIndexCommand extends AstNode {
  readonly kind: 'DropIndex';
  readonly name: string | undefined;
  readonly ifExists: boolean;
  readonly label: string | undefined;
  readonly keys: readonly string[];
}

/** `CREATE CONSTRAINT [name] [IF NOT EXISTS] FOR (n:Label) REQUIRE n.key IS UNIQUE` (also `ON (n:Label) ASSERT n.key IS UNIQUE`). */
export interface CreateConstraintCommand extends AstNode {
  readonly kind: 'CreateConstraint';
  readonly name: string | undefined;
  readonly ifNotExists: boolean;
  readonly label: string;
  readonly keys: readonly string[];
  readonly constraint: 'unique';
}

/** `DROP CONSTRAINT name [IF EXISTS]`. */
export interface DropConstraintCommand extends AstNode {
  readonly kind: 'DropConstraint';
  readonly name: string;
  readonly ifExists: boolean;
}

// ---------------------------------------------------------------------------------------------
// Clauses

export type Clause =
  | MatchClause
  | UnwindClause
  | WithClause
  | ReturnClause
  | CreateClause
  | MergeClause
  | SetClause
  | RemoveClause
  | DeleteClause
  | CallClause
  | CallSubqueryClause
  | FinishClause;

/** `[OPTIONAL] MATCH pattern, pattern ... [WHERE expr]` */
export interface MatchClause extends AstNode {
  readonly kind: 'Match';
  readonly optional: boolean;
  readonly patterns: readonly PathPattern[];
  readonly where: Expression | undefined;
}

/** `UNWIND expr AS variable` (GQL: `FOR variable IN expr`). */
export interface UnwindClause extends AstNode {
  readonly kind: 'Unwind';
  readonly expression: Expression;
  readonly variable: string;
}

/** `WITH projection [WHERE expr]` */
export interface WithClause extends AstNode {
  readonly kind: 'With';
  readonly projection: Projection;
  readonly where: Expression | undefined;
}

/** `RETURN projection` */
export interface ReturnClause extends AstNode {
  readonly kind: 'Return';
  readonly projection: Projection;
}

/** The shared body of WITH and RETURN. */
export interface Projection extends AstNode {
  readonly kind: 'Projection';
  readonly distinct: boolean;
  /** `RETURN *` / `WITH *` (items may follow the star: `WITH *, a + 1 AS b`). */
  readonly star: boolean;
  readonly items: readonly ProjectionItem[];
  readonly orderBy: readonly SortItem[];
  /** SKIP or OFFSET. */
  readonly skip: Expression | undefined;
  readonly limit: Expression | undefined;
}

export interface ProjectionItem extends AstNode {
  readonly kind: 'ProjectionItem';
  readonly expression: Expression;
  /** The `AS` name, if written. */
  readonly alias: string | undefined;
  /** The item's source text exactly as written (trimmed); the column name when there is no alias. */
  readonly text: string;
}

export interface SortItem extends AstNode {
  readonly kind: 'SortItem';
  readonly expression: Expression;
  readonly descending: boolean;
}

/** `CREATE pattern, ...` or GQL `INSERT pattern, ...` */
export interface CreateClause extends AstNode {
  readonly kind: 'Create';
  readonly patterns: readonly PathPattern[];
}

/** `MERGE pattern [ON CREATE SET ...] [ON MATCH SET ...]` */
export interface MergeClause extends AstNode {
  readonly kind: 'Merge';
  readonly pattern: PathPattern;
  readonly onCreate: readonly SetItem[];
  readonly onMatch: readonly SetItem[];
}

export interface SetClause extends AstNode {
  readonly kind: 'Set';
  readonly items: readonly SetItem[];
}

export type SetItem = SetPropertyItem | SetAllPropertiesItem | SetLabelsItem;

/** `SET target.key = value` (target is any expression that yields a node, edge, or null). */
export interface SetPropertyItem extends AstNode {
  readonly kind: 'SetProperty';
  readonly target: PropertyAccess;
  readonly value: Expression;
}

/** `SET n = map` (replace) or `SET n += map` (merge). */
export interface SetAllPropertiesItem extends AstNode {
  readonly kind: 'SetAllProperties';
  readonly variable: string;
  readonly value: Expression;
  readonly merge: boolean;
}

/** `SET n:A:B` */
export interface SetLabelsItem extends AstNode {
  readonly kind: 'SetLabels';
  readonly variable: string;
  readonly labels: readonly string[];
}

export interface RemoveClause extends AstNode {
  readonly kind: 'Remove';
  readonly items: readonly RemoveItem[];
}

export type RemoveItem = RemovePropertyItem | RemoveLabelsItem;

export interface RemovePropertyItem extends AstNode {
  readonly kind: 'RemoveProperty';
  readonly target: PropertyAccess;
}

export interface RemoveLabelsItem extends AstNode {
  readonly kind: 'RemoveLabels';
  readonly variable: string;
  readonly labels: readonly string[];
}

/** `[DETACH | NODETACH] DELETE expr, ...` */
export interface DeleteClause extends AstNode {
  readonly kind: 'Delete';
  readonly detach: boolean;
  readonly expressions: readonly Expression[];
}

/**
 * `CALL ns.name(args) [YIELD a [AS b], ... [WHERE expr]]`, standalone or inside a query.
 * `args` is undefined for the argument-less form `CALL ns.name` (arguments then come from parameters).
 */
export interface CallClause extends AstNode {
  readonly kind: 'Call';
  /** Dotted name as written, e.g. `db.labels`. */
  readonly procedure: string;
  readonly args: readonly Expression[] | undefined;
  /** undefined: no YIELD; `'*'`: `YIELD *`. */
  readonly yield: readonly YieldItem[] | '*' | undefined;
  readonly where: Expression | undefined;
}

export interface YieldItem extends AstNode {
  readonly kind: 'YieldItem';
  readonly name: string;
  readonly alias: string | undefined;
}

/** `CALL { query }` */
export interface CallSubqueryClause extends AstNode {
  readonly kind: 'CallSubquery';
  readonly query: Query;
}

/** GQL `FINISH`: end a query without returning rows. */
export interface FinishClause extends AstNode {
  readonly kind: 'Finish';
}

// ---------------------------------------------------------------------------------------------
// Patterns

/** `[p =] [shortestPath(] node (rel node)* [)]` */
export interface PathPattern extends AstNode {
  readonly kind: 'PathPattern';
  readonly variable: string | undefined;
  /** Alternating node and relationship patterns, starting and ending with a node. */
  readonly elements: readonly (NodePattern | RelationshipPattern)[];
  readonly shortest: 'shortest' | 'allShortest' | undefined;
}

/** `(variable :labels {props} WHERE expr)` */
export interface NodePattern extends AstNode {
  readonly kind: 'NodePattern';
  readonly variable: string | undefined;
  readonly labels: LabelExpression | undefined;
  /** A MapLiteral or a Parameter. */
  readonly properties: Expression | undefined;
  readonly where: Expression | undefined;
}

/** `-[variable :TYPE|OTHER *min..max {props} WHERE expr]->` */
export interface RelationshipPattern extends AstNode {
  readonly kind: 'RelationshipPattern';
  readonly variable: string | undefined;
  readonly types: LabelExpression | undefined;
  /** `out`: `-->`, `in`: `<--`, `both`: `--` or `<-->`. */
  readonly direction: 'out' | 'in' | 'both';
  readonly properties: Expression | undefined;
  readonly where: Expression | undefined;
  /**
   * Variable length: `*` → {min: undefined, max: undefined}; `*2` → {2, 2}; `*1..3`; `*..3`; `*2..`;
   * GQL quantifiers `{m,n}`, `+` (1..), `*` after the pattern. undefined: exactly one hop.
   */
  readonly length: { readonly min: number | undefined; readonly max: number | undefined } | undefined;
}

export type LabelExpression = LabelName | LabelAnd | LabelOr | LabelNot | LabelWildcard;

export interface LabelName extends AstNode {
  readonly kind: 'LabelName';
  readonly name: string;
}
export interface LabelAnd extends AstNode {
  readonly kind: 'LabelAnd';
  readonly left: LabelExpression;
  readonly right: LabelExpression;
}
export interface LabelOr extends AstNode {
  readonly kind: 'LabelOr';
  readonly left: LabelExpression;
  readonly right: LabelExpression;
}
export interface LabelNot extends AstNode {
  readonly kind: 'LabelNot';
  readonly operand: LabelExpression;
}
/** `%`: any label. */
export interface LabelWildcard extends AstNode {
  readonly kind: 'LabelWildcard';
}

// ---------------------------------------------------------------------------------------------
// Expressions

export type Expression =
  | Literal
  | Parameter
  | Variable
  | PropertyAccess
  | IndexAccess
  | SliceAccess
  | ListLiteral
  | MapLiteral
  | MapProjection
  | UnaryOp
  | BinaryOp
  | Comparison
  | IsNull
  | LabelCheck
  | FunctionCall
  | CountStar
  | CaseExpression
  | ListComprehension
  | PatternComprehension
  | QuantifierExpression
  | ReduceExpression
  | PatternPredicate
  | ExistsSubquery
  | CountSubquery;

/** null, true/false, an integer (bigint), a float (number), a string. */
export interface Literal extends AstNode {
  readonly kind: 'Literal';
  readonly value: null | boolean | bigint | number | string;
}

/** `$name` or `$0`. */
export interface Parameter extends AstNode {
  readonly kind: 'Parameter';
  readonly name: string;
}

export interface Variable extends AstNode {
  readonly kind: 'Variable';
  readonly name: string;
}

/** `object.key` */
export interface PropertyAccess extends AstNode {
  readonly kind: 'PropertyAccess';
  readonly object: Expression;
  readonly key: string;
}

/** `object[index]` */
export interface IndexAccess extends AstNode {
  readonly kind: 'IndexAccess';
  readonly object: Expression;
  readonly index: Expression;
}

/** `object[from..to]`, either bound optional. */
export interface SliceAccess extends AstNode {
  readonly kind: 'SliceAccess';
  readonly object: Expression;
  readonly from: Expression | undefined;
  readonly to: Expression | undefined;
}

export interface ListLiteral extends AstNode {
  readonly kind: 'ListLiteral';
  readonly items: readonly Expression[];
}

export interface MapLiteral extends AstNode {
  readonly kind: 'MapLiteral';
  readonly entries: readonly { readonly key: string; readonly value: Expression }[];
}

/** `n {.name, .age, alias: expr, other, .*}` */
export interface MapProjection extends AstNode {
  readonly kind: 'MapProjection';
  readonly variable: string;
  readonly items: readonly MapProjectionItem[];
}

export type MapProjectionItem =
  | { readonly kind: 'PropertySelector'; readonly key: string }
  | { readonly kind: 'AllPropertiesSelector' }
  | { readonly kind: 'LiteralEntry'; readonly key: string; readonly value: Expression }
  | { readonly kind: 'VariableSelector'; readonly name: string };

/** `NOT x`, `-x`, `+x` */
export interface UnaryOp extends AstNode {
  readonly kind: 'UnaryOp';
  readonly op: 'NOT' | '-' | '+';
  readonly operand: Expression;
}

export type BinaryOperator =
  | 'OR'
  | 'XOR'
  | 'AND'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'IN'
  | 'STARTS WITH'
  | 'ENDS WITH'
  | 'CONTAINS'
  | '=~'
  | '||';

export interface BinaryOp extends AstNode {
  readonly kind: 'BinaryOp';
  readonly op: BinaryOperator;
  readonly left: Expression;
  readonly right: Expression;
}

export type ComparisonOperator = '=' | '<>' | '<' | '>' | '<=' | '>=';

/**
 * A chain of comparisons: `a < b <= c` means `a < b AND b <= c` (openCypher), with
 * `operands.length === operators.length + 1`. A single comparison has one operator.
 */
export interface Comparison extends AstNode {
  readonly kind: 'Comparison';
  readonly operators: readonly ComparisonOperator[];
  readonly operands: readonly Expression[];
}

/** `x IS [NOT] NULL` */
export interface IsNull extends AstNode {
  readonly kind: 'IsNull';
  readonly operand: Expression;
  readonly negated: boolean;
}

/** `n:A:B` or `n IS A&B` used as a predicate. */
export interface LabelCheck extends AstNode {
  readonly kind: 'LabelCheck';
  readonly operand: Expression;
  readonly labels: LabelExpression;
}

/** `name(args)` or `name(DISTINCT args)`; `name` may be dotted (`ns.fn`) and keeps its written case. */
export interface FunctionCall extends AstNode {
  readonly kind: 'FunctionCall';
  readonly name: string;
  readonly distinct: boolean;
  readonly args: readonly Expression[];
}

/** `count(*)` */
export interface CountStar extends AstNode {
  readonly kind: 'CountStar';
}

/** `CASE [test] WHEN a THEN b ... [ELSE c] END` */
export interface CaseExpression extends AstNode {
  readonly kind: 'Case';
  /** The simple form's subject; undefined for the searched form. */
  readonly test: Expression | undefined;
  readonly whens: readonly { readonly when: Expression; readonly then: Expression }[];
  readonly else: Expression | undefined;
}

/** `[x IN list WHERE pred | expr]` */
export interface ListComprehension extends AstNode {
  readonly kind: 'ListComprehension';
  readonly variable: string;
  readonly list: Expression;
  readonly where: Expression | undefined;
  readonly map: Expression | undefined;
}

/** `[p = (a)-->(b) WHERE pred | expr]` */
export interface PatternComprehension extends AstNode {
  readonly kind: 'PatternComprehension';
  readonly pattern: PathPattern;
  readonly where: Expression | undefined;
  readonly map: Expression;
}

/** `all(x IN list WHERE pred)`, `any`, `none`, `single` */
export interface QuantifierExpression extends AstNode {
  readonly kind: 'Quantifier';
  readonly quantifier: 'all' | 'any' | 'none' | 'single';
  readonly variable: string;
  readonly list: Expression;
  readonly where: Expression | undefined;
}

/** `reduce(acc = init, x IN list | expr)` */
export interface ReduceExpression extends AstNode {
  readonly kind: 'Reduce';
  readonly accumulator: string;
  readonly init: Expression;
  readonly variable: string;
  readonly list: Expression;
  readonly expression: Expression;
}

/** A relationship pattern used as a boolean: `WHERE (a)-[:KNOWS]->()` */
export interface PatternPredicate extends AstNode {
  readonly kind: 'PatternPredicate';
  readonly pattern: PathPattern;
}

/** `EXISTS { pattern [WHERE expr] }` or `EXISTS { full query }` */
export interface ExistsSubquery extends AstNode {
  readonly kind: 'ExistsSubquery';
  readonly patterns: readonly PathPattern[] | undefined;
  readonly where: Expression | undefined;
  readonly query: Query | undefined;
}

/** `COUNT { pattern [WHERE expr] }` or `COUNT { full query }` */
export interface CountSubquery extends AstNode {
  readonly kind: 'CountSubquery';
  readonly patterns: readonly PathPattern[] | undefined;
  readonly where: Expression | undefined;
  readonly query: Query | undefined;
}

export type AnyAstNode =
  | Statement
  | Query
  | SingleQuery
  | SchemaCommand
  | Clause
  | Projection
  | ProjectionItem
  | SortItem
  | SetItem
  | RemoveItem
  | YieldItem
  | PathPattern
  | NodePattern
  | RelationshipPattern
  | LabelExpression
  | Expression;

/** Compile-time helper: keeps `Value` imported for docs that mention it. */
export type LiteralValue = Extract<Value, null | boolean | bigint | number | string>;
