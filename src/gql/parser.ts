/**
 * The GQL parser: hand-written recursive descent from tokens to the AST of `ast.ts`.
 *
 * One method per grammar rule; each method's TSDoc gives the rule it parses. The parser never
 * throws anything but a GeodeError: `GQL_SYNTAX` for text that is not in the language (with
 * "expected X but found Y", line, column and a caret) and `LIMIT_EXCEEDED` for text past a limit
 * of `constants.ts`. Nesting is bounded by {@link gqlDepthMax}, counting operator chains too, so
 * neither this parser nor a consumer that recurses over the tree can overflow the stack.
 *
 * Two places need more than one token of lookahead and backtrack instead: `(` in an expression
 * (a parenthesized expression or a pattern predicate `(a)-->(b)`) and `[` (a list, a list
 * comprehension or a pattern comprehension). A failed attempt is remembered by token index so a
 * nest of ambiguous brackets is not re-tried exponentially.
 */
import type {
  CallClause,
  CallSubqueryClause,
  CaseExpression,
  Clause,
  CountSubquery,
  CreateConstraintCommand,
  CreateIndexCommand,
  DeleteClause,
  DropConstraintCommand,
  DropIndexCommand,
  ExistsSubquery,
  Expression,
  LabelExpression,
  MapLiteral,
  MapProjection,
  MapProjectionItem,
  MatchClause,
  MergeClause,
  NodePattern,
  PathPattern,
  PatternPredicate,
  Projection,
  ProjectionItem,
  Query,
  RelationshipPattern,
  RemoveClause,
  RemoveItem,
  SchemaCommand,
  SetClause,
  SetItem,
  SingleQuery,
  SortItem,
  Statement,
  YieldItem,
  BinaryOperator,
  ComparisonOperator,
  UnwindClause,
} from './ast.ts';
import { GeodeError, isGeodeError, queryError } from '../util/errors.ts';
import { INT64_MAX } from '../graph/values.ts';
import { gqlDepthMax, gqlLookaheadTokensMax } from './constants.ts';
import { tokenize, type Token } from './lexer.ts';

/** Words that cannot be a variable where an expression is expected (they end or join expressions). */
const reservedAtoms = new Set([
  'AND', 'AS', 'ASC', 'ASCENDING', 'BY', 'CALL', 'CONTAINS', 'CREATE', 'DELETE', 'DESC', 'DESCENDING',
  'DETACH', 'DISTINCT', 'ELSE', 'END', 'ENDS', 'FINISH', 'IN', 'INSERT', 'IS', 'LIMIT', 'MATCH', 'MERGE',
  'NODETACH', 'NOT', 'OFFSET', 'ON', 'OPTIONAL', 'OR', 'ORDER', 'REMOVE', 'RETURN', 'SET', 'SKIP', 'STARTS',
  'THEN', 'UNION', 'UNWIND', 'WHEN', 'WHERE', 'WITH', 'XOR', 'YIELD',
]);

/** Words that start a clause, used to tell `EXISTS { MATCH ... }` from `EXISTS { (a)-->() }`. */
const clauseStarts = new Set([
  'MATCH', 'OPTIONAL', 'UNWIND', 'FOR', 'WITH', 'RETURN', 'CREATE', 'INSERT', 'MERGE', 'SET', 'REMOVE',
  'DELETE', 'DETACH', 'NODETACH', 'CALL', 'FINISH',
]);

const comparisonOps: ReadonlyMap<string, ComparisonOperator> = new Map([
  ['=', '='],
  ['<>', '<>'],
  ['!=', '<>'],
  ['<', '<'],
  ['>', '>'],
  ['<=', '<='],
  ['>=', '>='],
]);

const quantifierWords: ReadonlyMap<string, 'all' | 'any' | 'none' | 'single'> = new Map([
  ['ALL', 'all'],
  ['ANY', 'any'],
  ['NONE', 'none'],
  ['SINGLE', 'single'],
]);

/** Upper bound on a variable-length hop count written in a query. */
const hopCountMax = 2 ** 31 - 1;

/**
 * Parses one GQL / openCypher statement (optionally prefixed by EXPLAIN or PROFILE, optionally
 * ended by `;`). Throws GeodeError `GQL_SYNTAX` or `LIMIT_EXCEEDED`, never anything else.
 */
export function parse(text: string): Statement {
  try {
    const parser = new Parser(text, tokenize(text));
    return parser.parseStatement();
  } catch (err) {
    if (isGeodeError(err)) throw err;
    if (err instanceof RangeError) {
      // Defence in depth: the depth limit should make this unreachable.
      throw new GeodeError('LIMIT_EXCEEDED', 'query is nested too deeply to parse', { source: 'query', cause: err });
    }
    throw err;
  }
}

class Parser {
  private i = 0;
  private depth = 0;
  /** Token indexes where a pattern (predicate or comprehension) attempt already failed. */
  private readonly patternFailed = new Set<number>();
  /** Token indexes where a list comprehension attempt already failed. */
  private readonly comprehensionFailed = new Set<number>();
  /** Above 0 inside a comprehension, where `|` ends the filter instead of joining labels. */
  private pipeEnds = 0;
  /** Every pattern predicate built so far (truncated when an attempt backtracks). */
  private readonly patternPredicates: PatternPredicate[] = [];
  /** Pattern predicates found in a predicate position (WHERE, NOT/AND/OR/XOR, WHEN, exists()). */
  private readonly predicatePositions = new Set<PatternPredicate>();

  constructor(
    private readonly text: string,
    private readonly toks: readonly Token[],
  ) {}

  // -------------------------------------------------------------------------------------------
  // Token helpers

  private peek(k = 0): Token {
    const t = this.toks[Math.min(this.i + k, this.toks.length - 1)];
    if (t === undefined) throw new GeodeError('GQL_SYNTAX', 'empty token stream');
    return t;
  }
  private next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private prevEnd(): number {
    return this.toks[this.i - 1]?.end ?? 0;
  }
  private isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' && t.upper === word;
  }
  private acceptKw(word: string): boolean {
    if (!this.isKw(word)) return false;
    this.i++;
    return true;
  }
  private expectKw(word: string): Token {
    if (!this.isKw(word)) this.fail(word);
    return this.next();
  }
  private isP(p: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.value === p;
  }
  private acceptP(p: string): boolean {
    if (!this.isP(p)) return false;
    this.i++;
    return true;
  }
  private expectP(p: string): Token {
    if (!this.isP(p)) this.fail(`'${p}'`);
    return this.next();
  }
  private isName(k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' || t.kind === 'quoted';
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of input';
    const src = this.text.slice(t.start, t.end);
    return `'${src.length > 40 ? src.slice(0, 40) + '…' : src}'`;
  }

  /** Throws "expected X but found Y" at the current token. */
  private fail(expected: string, t: Token = this.peek()): never {
    throw queryError('GQL_SYNTAX', `expected ${expected} but found ${this.describe(t)}`, this.text, t.start, 'UnexpectedSyntax');
  }

  private errorAt(offset: number, message: string, detail = 'UnexpectedSyntax'): GeodeError {
    return queryError('GQL_SYNTAX', message, this.text, offset, detail);
  }

  /** Runs `fn` one nesting level deeper, failing with LIMIT_EXCEEDED past {@link gqlDepthMax}. */
  private nested<T>(fn: () => T): T {
    this.deeper(1);
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }
  /** Adds `n` levels of depth (checked); the caller gives them back with `this.depth -= n`. */
  private deeper(n: number): void {
    this.depth += n;
    if (this.depth > gqlDepthMax) {
      const t = this.peek();
      throw queryError('LIMIT_EXCEEDED', `query is nested more than ${gqlDepthMax} levels deep`, this.text, t.start);
    }
  }

  /** SymbolicName: an identifier (keywords allowed) or a backtick-quoted name. */
  private parseName(what = 'a name'): string {
    const t = this.peek();
    if (t.kind === 'ident' || t.kind === 'quoted') {
      this.i++;
      return t.value;
    }
    return this.fail(what);
  }

  /** `(WHERE Expression)?`; the expression is a predicate position. */
  private parseWhere(): Expression | undefined {
    if (!this.acceptKw('WHERE')) return undefined;
    return this.predicate(this.parseExpression());
  }

  /** Marks `e` as standing in a predicate position, where a pattern predicate is allowed. */
  private predicate(e: Expression): Expression {
    if (e.kind === 'PatternPredicate') this.predicatePositions.add(e);
    return e;
  }

  private newPatternPredicate(pos: number, pattern: PathPattern): PatternPredicate {
    const p: PatternPredicate = { kind: 'PatternPredicate', pos, pattern };
    this.patternPredicates.push(p);
    return p;
  }

  /** Undoes the pattern predicates built by a failed attempt. */
  private backtrack(tokenIndex: number, predicates: number): void {
    this.i = tokenIndex;
    this.patternPredicates.length = predicates;
  }

  /**
   * A pattern used as an expression is a predicate (openCypher 9 pattern expressions that yield
   * lists of paths are gone): it may stand in WHERE, under NOT/AND/OR/XOR, in a CASE WHEN, or as
   * the argument of exists(); anywhere else (`RETURN (a)-->()`, `size((a)-->())`) it is refused.
   */
  private checkPatternPredicates(): void {
    for (const p of this.patternPredicates) {
      if (p.pattern.shortest !== undefined || this.predicatePositions.has(p)) continue;
      throw this.errorAt(
        p.pos,
        'a pattern can only be used as a predicate here (in WHERE, with NOT/AND/OR/XOR, or in exists()); use a pattern comprehension [(a)-->(b) | b] or COUNT { ... } for a value',
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Statements

  /** Statement : (EXPLAIN | PROFILE)? (SchemaCommand | Query) ';'? EOF */
  parseStatement(): Statement {
    const pos = this.peek().start;
    let explain = false;
    let profile = false;
    if (this.acceptKw('EXPLAIN')) explain = true;
    else if (this.acceptKw('PROFILE')) profile = true;
    const body = this.isSchemaCommand() ? this.parseSchemaCommand() : this.parseQuery();
    this.acceptP(';');
    if (this.peek().kind !== 'eof') this.fail('end of input');
    this.checkPatternPredicates();
    return { kind: 'Statement', pos, explain, profile, body };
  }

  /** Query : SingleQuery (UNION ALL? SingleQuery)* */
  private parseQuery(): Query {
    return this.nested(() => {
      const pos = this.peek().start;
      const parts: SingleQuery[] = [this.parseSingleQuery()];
      const unionAll: boolean[] = [];
      while (this.acceptKw('UNION')) {
        unionAll.push(this.acceptKw('ALL'));
        if (!unionAll[unionAll.length - 1]) this.acceptKw('DISTINCT');
        parts.push(this.parseSingleQuery());
      }
      return { kind: 'Query', pos, parts, unionAll };
    });
  }

  private atQueryEnd(): boolean {
    const t = this.peek();
    return t.kind === 'eof' || (t.kind === 'punct' && (t.value === ';' || t.value === '}')) || this.isKw('UNION');
  }

  /** SingleQuery : Clause+ */
  private parseSingleQuery(): SingleQuery {
    const pos = this.peek().start;
    const clauses: Clause[] = [];
    while (!this.atQueryEnd()) clauses.push(this.parseClause());
    if (clauses.length === 0) this.fail('a clause (MATCH, RETURN, CREATE, ...)');
    if (clauses.length > 1) {
      for (const c of clauses) {
        if (c.kind === 'Call' && c.yield === '*') throw this.errorAt(c.pos, "'YIELD *' is only allowed in a standalone CALL");
      }
    }
    return { kind: 'SingleQuery', pos, clauses };
  }

  private parseClause(): Clause {
    const t = this.peek();
    if (t.kind !== 'ident') return this.fail('a clause (MATCH, RETURN, CREATE, ...)');
    switch (t.upper) {
      case 'MATCH':
      case 'OPTIONAL':
        return this.parseMatch();
      case 'UNWIND':
        return this.parseUnwind();
      case 'FOR':
        return this.parseFor();
      case 'WITH': {
        this.i++;
        const projection = this.parseProjection(t.start);
        const where = this.parseWhere();
        return { kind: 'With', pos: t.start, projection, where };
      }
      case 'RETURN':
        this.i++;
        return { kind: 'Return', pos: t.start, projection: this.parseProjection(t.start) };
      case 'CREATE':
      case 'INSERT':
        this.i++;
        return { kind: 'Create', pos: t.start, patterns: this.parsePatternList() };
      case 'MERGE':
        return this.parseMerge();
      case 'SET':
        this.i++;
        return { kind: 'Set', pos: t.start, items: this.parseSetItems() } satisfies SetClause;
      case 'REMOVE':
        return this.parseRemove();
      case 'DELETE':
      case 'DETACH':
      case 'NODETACH':
        return this.parseDelete();
      case 'CALL':
        return this.parseCall();
      case 'FINISH':
        this.i++;
        return { kind: 'Finish', pos: t.start };
      default:
        return this.fail('a clause (MATCH, RETURN, CREATE, ...)');
    }
  }

  /** Match : OPTIONAL? MATCH PathPattern (',' PathPattern)* (WHERE Expression)? */
  private parseMatch(): MatchClause {
    const pos = this.peek().start;
    const optional = this.acceptKw('OPTIONAL');
    this.expectKw('MATCH');
    const patterns = this.parsePatternList();
    const where = this.parseWhere();
    return { kind: 'Match', pos, optional, patterns, where };
  }

  /** Unwind : UNWIND Expression AS Name */
  private parseUnwind(): UnwindClause {
    const pos = this.expectKw('UNWIND').start;
    const expression = this.parseExpression();
    this.expectKw('AS');
    const variable = this.parseName('a variable name');
    return { kind: 'Unwind', pos, expression, variable };
  }

  /** For (GQL) : FOR Name IN Expression */
  private parseFor(): UnwindClause {
    const pos = this.expectKw('FOR').start;
    const variable = this.parseName('a variable name');
    this.expectKw('IN');
    const expression = this.parseExpression();
    return { kind: 'Unwind', pos, expression, variable };
  }

  /**
   * Projection : DISTINCT? ('*' (',' Item)* | Item (',' Item)*) (ORDER BY Sort (',' Sort)*)?
   *              ((SKIP | OFFSET) Expression)? (LIMIT Expression)?
   */
  private parseProjection(pos: number): Projection {
    const distinct = this.acceptKw('DISTINCT');
    let star = false;
    const items: ProjectionItem[] = [];
    if (this.acceptP('*')) {
      star = true;
      while (this.acceptP(',')) items.push(this.parseProjectionItem());
    } else {
      items.push(this.parseProjectionItem());
      while (this.acceptP(',')) items.push(this.parseProjectionItem());
    }
    const orderBy: SortItem[] = [];
    if (this.acceptKw('ORDER')) {
      this.expectKw('BY');
      do orderBy.push(this.parseSortItem());
      while (this.acceptP(','));
    }
    let skip: Expression | undefined;
    if (this.acceptKw('SKIP') || this.acceptKw('OFFSET')) skip = this.parseExpression();
    const limit = this.acceptKw('LIMIT') ? this.parseExpression() : undefined;
    return { kind: 'Projection', pos, distinct, star, items, orderBy, skip, limit };
  }

  /** Item : Expression (AS Name)? ; `text` is the expression's source text. */
  private parseProjectionItem(): ProjectionItem {
    const start = this.peek().start;
    const expression = this.parseExpression();
    const text = this.text.slice(start, this.prevEnd()).trim();
    const alias = this.acceptKw('AS') ? this.parseName('an alias') : undefined;
    return { kind: 'ProjectionItem', pos: start, expression, alias, text };
  }

  /** Sort : Expression (ASC | ASCENDING | DESC | DESCENDING)? */
  private parseSortItem(): SortItem {
    const pos = this.peek().start;
    const expression = this.parseExpression();
    let descending = false;
    if (this.acceptKw('DESC') || this.acceptKw('DESCENDING')) descending = true;
    else if (!this.acceptKw('ASC')) this.acceptKw('ASCENDING');
    return { kind: 'SortItem', pos, expression, descending };
  }

  /** Merge : MERGE PathPattern (ON (CREATE | MATCH) SET SetItem (',' SetItem)*)* */
  private parseMerge(): MergeClause {
    const pos = this.expectKw('MERGE').start;
    const pattern = this.parsePathPattern();
    const onCreate: SetItem[] = [];
    const onMatch: SetItem[] = [];
    while (this.isKw('ON')) {
      this.i++;
      let target: SetItem[];
      if (this.acceptKw('CREATE')) target = onCreate;
      else if (this.acceptKw('MATCH')) target = onMatch;
      else return this.fail("'CREATE' or 'MATCH' after 'ON'");
      this.expectKw('SET');
      for (const item of this.parseSetItems()) target.push(item);
    }
    return { kind: 'Merge', pos, pattern, onCreate, onMatch };
  }

  /** SetItems : SetItem (',' SetItem)* */
  private parseSetItems(): SetItem[] {
    const items: SetItem[] = [this.parseSetItem()];
    while (this.acceptP(',')) items.push(this.parseSetItem());
    return items;
  }

  /** SetItem : Name ('=' | '+=') Expression | Name Labels | Postfix '.' Name '=' Expression */
  private parseSetItem(): SetItem {
    const pos = this.peek().start;
    if (this.isName() && (this.isP('=', 1) || this.isP('+=', 1))) {
      const variable = this.parseName();
      const merge = this.next().value === '+=';
      const value = this.parseExpression();
      return { kind: 'SetAllProperties', pos, variable, value, merge };
    }
    if (this.isName() && (this.isP(':', 1) || this.isKw('IS', 1))) {
      const variable = this.parseName();
      return { kind: 'SetLabels', pos, variable, labels: this.parseLabelList() };
    }
    const target = this.parsePostfix();
    if (target.kind !== 'PropertyAccess') {
      throw this.errorAt(pos, "expected a property (n.key), 'n = map', 'n += map' or 'n:Label' to SET");
    }
    if (this.isP('+=')) throw this.errorAt(this.peek().start, "'+=' sets a map onto a variable, not onto a property");
    this.expectP('=');
    const value = this.parseExpression();
    return { kind: 'SetProperty', pos, target, value };
  }

  /** Labels : (':' Name)+ | IS Name ('&' Name)* */
  private parseLabelList(): string[] {
    const labels: string[] = [];
    if (this.acceptKw('IS')) {
      labels.push(this.parseName('a label'));
      while (this.acceptP('&') || this.acceptP(':')) labels.push(this.parseName('a label'));
      return labels;
    }
    this.expectP(':');
    labels.push(this.parseName('a label'));
    while (this.acceptP(':') || this.acceptP('&')) labels.push(this.parseName('a label'));
    return labels;
  }

  /** Remove : REMOVE RemoveItem (',' RemoveItem)* ; RemoveItem : Name Labels | Postfix '.' Name */
  private parseRemove(): RemoveClause {
    const pos = this.expectKw('REMOVE').start;
    const items: RemoveItem[] = [];
    do {
      const itemPos = this.peek().start;
      if (this.isName() && (this.isP(':', 1) || this.isKw('IS', 1))) {
        const variable = this.parseName();
        items.push({ kind: 'RemoveLabels', pos: itemPos, variable, labels: this.parseLabelList() });
        continue;
      }
      const target = this.parsePostfix();
      if (target.kind !== 'PropertyAccess') throw this.errorAt(itemPos, "expected a property (n.key) or labels (n:Label) to REMOVE");
      items.push({ kind: 'RemoveProperty', pos: itemPos, target });
    } while (this.acceptP(','));
    return { kind: 'Remove', pos, items };
  }

  /** Delete : (DETACH | NODETACH)? DELETE Expression (',' Expression)* */
  private parseDelete(): DeleteClause {
    const pos = this.peek().start;
    let detach = false;
    if (this.acceptKw('DETACH')) detach = true;
    else this.acceptKw('NODETACH');
    this.expectKw('DELETE');
    const expressions: Expression[] = [this.parseExpression()];
    while (this.acceptP(',')) expressions.push(this.parseExpression());
    return { kind: 'Delete', pos, detach, expressions };
  }

  /**
   * Call : CALL '{' Query '}'
   *      | CALL Name ('.' Name)* ('(' (Expression (',' Expression)*)? ')')?
   *        (YIELD ('*' | YieldItem (',' YieldItem)*) (WHERE Expression)?)?
   */
  private parseCall(): CallClause | CallSubqueryClause {
    const pos = this.expectKw('CALL').start;
    if (this.acceptP('{')) {
      const query = this.parseQuery();
      this.expectP('}');
      return { kind: 'CallSubquery', pos, query };
    }
    let procedure = this.parseName('a procedure name');
    while (this.acceptP('.')) procedure += '.' + this.parseName('a procedure name');
    let args: Expression[] | undefined;
    if (this.acceptP('(')) {
      args = [];
      if (!this.isP(')')) {
        args.push(this.parseExpression());
        while (this.acceptP(',')) args.push(this.parseExpression());
      }
      this.expectP(')');
    }
    let yieldItems: YieldItem[] | '*' | undefined;
    let where: Expression | undefined;
    if (this.acceptKw('YIELD')) {
      if (this.acceptP('*')) yieldItems = '*';
      else {
        yieldItems = [];
        do {
          const itemPos = this.peek().start;
          const name = this.parseName('a result column name');
          const alias = this.acceptKw('AS') ? this.parseName('an alias') : undefined;
          yieldItems.push({ kind: 'YieldItem', pos: itemPos, name, alias });
        } while (this.acceptP(','));
      }
      where = this.parseWhere();
    }
    return { kind: 'Call', pos, procedure, args, yield: yieldItems, where };
  }

  // -------------------------------------------------------------------------------------------
  // Schema commands

  private isSchemaCommand(): boolean {
    if (!this.isKw('CREATE') && !this.isKw('DROP')) return false;
    if (!this.isKw('INDEX', 1) && !this.isKw('CONSTRAINT', 1)) return false;
    return !this.isP('=', 2);
  }

  private parseSchemaCommand(): SchemaCommand {
    const pos = this.peek().start;
    const create = this.next().upper === 'CREATE';
    const index = this.next().upper === 'INDEX';
    if (create && index) return this.parseCreateIndex(pos);
    if (create) return this.parseCreateConstraint(pos);
    if (index) return this.parseDropIndex(pos);
    return this.parseDropConstraint(pos);
  }

  /** A schema object's name: any name but the keywords that may follow it. */
  private parseOptionalSchemaName(): string | undefined {
    if (!this.isName()) return undefined;
    const t = this.peek();
    if (t.kind === 'ident' && (t.upper === 'FOR' || t.upper === 'ON' || (t.upper === 'IF' && this.isKw('NOT', 1)) || (t.upper === 'IF' && this.isKw('EXISTS', 1)))) {
      return undefined;
    }
    return this.parseName();
  }

  private parseIfNotExists(): boolean {
    if (!this.isKw('IF')) return false;
    this.i++;
    this.expectKw('NOT');
    this.expectKw('EXISTS');
    return true;
  }

  private parseIfExists(): boolean {
    if (!this.isKw('IF')) return false;
    this.i++;
    this.expectKw('EXISTS');
    return true;
  }

  /** `':' Label '(' key (',' key)* ')'` of the older index syntax. */
  private parseLabelKeys(): { label: string; keys: string[] } {
    this.expectP(':');
    const label = this.parseName('a label');
    this.expectP('(');
    const keys = [this.parseName('a property key')];
    while (this.acceptP(',')) keys.push(this.parseName('a property key'));
    this.expectP(')');
    return { label, keys };
  }

  /** `'(' var ':' Label ')'`; returns the variable and label. */
  private parseSchemaNode(): { variable: string; label: string } {
    this.expectP('(');
    const variable = this.parseName('a variable');
    this.expectP(':');
    const label = this.parseName('a label');
    this.expectP(')');
    return { variable, label };
  }

  /** `var '.' key`, where var must be the node's variable. */
  private parseSchemaKey(variable: string): string {
    const t = this.peek();
    const v = this.parseName('a property (n.key)');
    if (v !== variable) throw this.errorAt(t.start, `expected the variable '${variable}' but found '${v}'`);
    this.expectP('.');
    return this.parseName('a property key');
  }

  /** `key` or `'(' key (',' key)* ')'`, each key written `var.key`. */
  private parseSchemaKeys(variable: string): string[] {
    if (this.acceptP('(')) {
      const keys = [this.parseSchemaKey(variable)];
      while (this.acceptP(',')) keys.push(this.parseSchemaKey(variable));
      this.expectP(')');
      return keys;
    }
    return [this.parseSchemaKey(variable)];
  }

  /**
   * CreateIndex : CREATE INDEX Name? (IF NOT EXISTS)? FOR '(' v ':' Label ')' ON '(' v.key (',' v.key)* ')'
   *             | CREATE INDEX Name? ON ':' Label '(' key (',' key)* ')'
   */
  private parseCreateIndex(pos: number): CreateIndexCommand {
    const name = this.parseOptionalSchemaName();
    const ifNotExists = this.parseIfNotExists();
    if (this.acceptKw('ON')) {
      const { label, keys } = this.parseLabelKeys();
      return { kind: 'CreateIndex', pos, name, ifNotExists, label, keys };
    }
    this.expectKw('FOR');
    const { variable, label } = this.parseSchemaNode();
    this.expectKw('ON');
    this.expectP('(');
    const keys = [this.parseSchemaKey(variable)];
    while (this.acceptP(',')) keys.push(this.parseSchemaKey(variable));
    this.expectP(')');
    return { kind: 'CreateIndex', pos, name, ifNotExists, label, keys };
  }

  /** DropIndex : DROP INDEX ON ':' Label '(' key (',' key)* ')' | DROP INDEX Name (IF EXISTS)? */
  private parseDropIndex(pos: number): DropIndexCommand {
    if (this.isKw('ON') && this.isP(':', 1)) {
      this.i++;
      const { label, keys } = this.parseLabelKeys();
      return { kind: 'DropIndex', pos, name: undefined, ifExists: false, label, keys };
    }
    const name = this.parseName('an index name');
    const ifExists = this.parseIfExists();
    return { kind: 'DropIndex', pos, name, ifExists, label: undefined, keys: [] };
  }

  /**
   * CreateConstraint : CREATE CONSTRAINT Name? (IF NOT EXISTS)?
   *                    (FOR | ON) '(' v ':' Label ')' (REQUIRE | ASSERT) Keys IS UNIQUE
   */
  private parseCreateConstraint(pos: number): CreateConstraintCommand {
    const name = this.parseOptionalSchemaName();
    const ifNotExists = this.parseIfNotExists();
    if (!this.acceptKw('FOR') && !this.acceptKw('ON')) this.fail("'FOR'");
    const { variable, label } = this.parseSchemaNode();
    if (!this.acceptKw('REQUIRE') && !this.acceptKw('ASSERT')) this.fail("'REQUIRE'");
    const keys = this.parseSchemaKeys(variable);
    this.expectKw('IS');
    this.expectKw('UNIQUE');
    return { kind: 'CreateConstraint', pos, name, ifNotExists, label, keys, constraint: 'unique' };
  }

  /** DropConstraint : DROP CONSTRAINT Name (IF EXISTS)? */
  private parseDropConstraint(pos: number): DropConstraintCommand {
    const name = this.parseName('a constraint name');
    const ifExists = this.parseIfExists();
    return { kind: 'DropConstraint', pos, name, ifExists };
  }

  // -------------------------------------------------------------------------------------------
  // Patterns

  private parsePatternList(): PathPattern[] {
    const patterns = [this.parsePathPattern()];
    while (this.acceptP(',')) patterns.push(this.parsePathPattern());
    return patterns;
  }

  /**
   * PathPattern : (Name '=')? ( (shortestPath | allShortestPaths) '(' Elements ')'
   *                           | (ANY | ALL) SHORTEST Elements | Elements )
   */
  private parsePathPattern(): PathPattern {
    return this.nested(() => {
      const pos = this.peek().start;
      let variable: string | undefined;
      if (this.isName() && this.isP('=', 1)) {
        variable = this.parseName();
        this.i++;
      }
      let shortest: PathPattern['shortest'];
      let elements: (NodePattern | RelationshipPattern)[];
      if ((this.isKw('SHORTESTPATH') || this.isKw('ALLSHORTESTPATHS')) && this.isP('(', 1)) {
        shortest = this.next().upper === 'SHORTESTPATH' ? 'shortest' : 'allShortest';
        this.expectP('(');
        elements = this.parsePatternElements();
        this.expectP(')');
      } else if ((this.isKw('ANY') || this.isKw('ALL')) && this.isKw('SHORTEST', 1)) {
        shortest = this.next().upper === 'ANY' ? 'shortest' : 'allShortest';
        this.i++;
        elements = this.parsePatternElements();
      } else {
        elements = this.parsePatternElements();
      }
      return { kind: 'PathPattern', pos, variable, elements, shortest };
    });
  }

  /** Elements : NodePattern (Relationship NodePattern)* */
  private parsePatternElements(): (NodePattern | RelationshipPattern)[] {
    const elements: (NodePattern | RelationshipPattern)[] = [this.parseNodePattern()];
    while (this.isP('-') || (this.isP('<') && this.isP('-', 1))) {
      elements.push(this.parseRelationship());
      elements.push(this.parseNodePattern());
    }
    return elements;
  }

  /** NodePattern : '(' Name? ((':' | IS) LabelExpr)? (Map | Parameter)? (WHERE Expression)? ')' */
  private parseNodePattern(): NodePattern {
    const pos = this.expectP('(').start;
    let variable: string | undefined;
    const t = this.peek();
    if (t.kind === 'quoted' || (t.kind === 'ident' && t.upper !== 'WHERE' && t.upper !== 'IS')) variable = this.parseName();
    let labels: LabelExpression | undefined;
    if (this.acceptP(':') || this.acceptKw('IS')) labels = this.withPipeReset(() => this.parseLabelExpression());
    const properties = this.parsePatternProperties();
    const where = this.parseWhere();
    if (!this.isP(')')) this.fail(variable === undefined && labels === undefined ? "a variable, ':', '{' or ')' in a node pattern" : "')'");
    this.i++;
    return { kind: 'NodePattern', pos, variable, labels, properties, where };
  }

  private parsePatternProperties(): Expression | undefined {
    if (this.isP('{')) return this.parseMapLiteral();
    const t = this.peek();
    if (t.kind === 'param') {
      this.i++;
      return { kind: 'Parameter', pos: t.start, name: t.value };
    }
    return undefined;
  }

  /**
   * Relationship : '<'? '-' ('[' Name? ((':' | IS) LabelExpr)? ('*' Range)? (Map | Parameter)? (WHERE Expression)? ']')? '-' '>'?
   *                Quantifier?
   * Quantifier (GQL) : '{' Int? (',' Int?)? '}' | '+' | '*'
   */
  private parseRelationship(): RelationshipPattern {
    const pos = this.peek().start;
    const left = this.acceptP('<');
    this.expectP('-');
    let variable: string | undefined;
    let types: LabelExpression | undefined;
    let length: RelationshipPattern['length'];
    let properties: Expression | undefined;
    let where: Expression | undefined;
    if (this.acceptP('[')) {
      const t = this.peek();
      if (t.kind === 'quoted' || (t.kind === 'ident' && t.upper !== 'WHERE' && t.upper !== 'IS')) variable = this.parseName();
      if (this.acceptP(':') || this.acceptKw('IS')) types = this.withPipeReset(() => this.parseLabelExpression());
      if (this.acceptP('*')) length = this.parseRange();
      properties = this.parsePatternProperties();
      where = this.parseWhere();
      this.expectP(']');
      this.expectP('-');
    } else if (!this.acceptP('-')) {
      this.fail("'[' or '-' in a relationship pattern");
    }
    const right = this.acceptP('>');
    const direction = left && !right ? 'in' : right && !left ? 'out' : 'both';
    const quantifier = this.parseQuantifier();
    if (quantifier !== undefined) {
      if (length !== undefined) throw this.errorAt(pos, 'a relationship pattern cannot have both a * range and a quantifier');
      length = quantifier;
    }
    return { kind: 'RelationshipPattern', pos, variable, types, direction, properties, where, length };
  }

  private parseHopCount(): number {
    const t = this.next();
    if (t.kind !== 'int') this.fail('an integer', t);
    if (t.int > BigInt(hopCountMax)) throw this.errorAt(t.start, `hop count ${t.value} is more than ${hopCountMax}`, 'IntegerOverflow');
    return Number(t.int);
  }

  /** Range (after '*') : Int? ('..' Int?)? */
  private parseRange(): { min: number | undefined; max: number | undefined } {
    let min: number | undefined;
    let max: number | undefined;
    if (this.peek().kind === 'int') min = this.parseHopCount();
    if (this.acceptP('..')) {
      if (this.peek().kind === 'int') max = this.parseHopCount();
    } else if (min !== undefined) {
      max = min;
    }
    return { min, max };
  }

  private parseQuantifier(): { min: number | undefined; max: number | undefined } | undefined {
    if (this.acceptP('+')) return { min: 1, max: undefined };
    if (this.acceptP('*')) return { min: 0, max: undefined };
    if (!this.isP('{')) return undefined;
    this.i++;
    let min: number | undefined;
    let max: number | undefined;
    if (this.peek().kind === 'int') min = this.parseHopCount();
    if (this.acceptP(',')) {
      if (this.peek().kind === 'int') max = this.parseHopCount();
      min ??= 0;
    } else {
      if (min === undefined) this.fail('an integer in a quantifier {m,n}');
      max = min;
    }
    this.expectP('}');
    return { min, max };
  }

  /**
   * LabelExpr : LabelAnd ('|' ':'? LabelAnd)*
   * LabelAnd  : LabelNot (('&' | ':') LabelNot)*
   * LabelNot  : '!' LabelNot | '%' | '(' LabelExpr ')' | Name
   */
  private parseLabelExpression(): LabelExpression {
    return this.nested(() => {
      let left = this.parseLabelAnd();
      let chain = 0;
      while (this.pipeEnds === 0 && this.isP('|')) {
        const pos = this.next().start;
        this.acceptP(':');
        this.deeper(1);
        chain++;
        const right = this.parseLabelAnd();
        left = { kind: 'LabelOr', pos, left, right };
      }
      this.depth -= chain;
      return left;
    });
  }

  private parseLabelAnd(): LabelExpression {
    let left = this.parseLabelNot();
    let chain = 0;
    while (this.isP('&') || this.isP(':')) {
      const pos = this.next().start;
      this.deeper(1);
      chain++;
      const right = this.parseLabelNot();
      left = { kind: 'LabelAnd', pos, left, right };
    }
    this.depth -= chain;
    return left;
  }

  private parseLabelNot(): LabelExpression {
    const t = this.peek();
    if (this.acceptP('!')) return this.nested(() => ({ kind: 'LabelNot', pos: t.start, operand: this.parseLabelNot() }));
    if (this.acceptP('%')) return { kind: 'LabelWildcard', pos: t.start };
    if (this.acceptP('(')) {
      const saved = this.pipeEnds;
      this.pipeEnds = 0;
      try {
        const inner = this.parseLabelExpression();
        this.expectP(')');
        return inner;
      } finally {
        this.pipeEnds = saved;
      }
    }
    return { kind: 'LabelName', pos: t.start, name: this.parseName('a label') };
  }

  // -------------------------------------------------------------------------------------------
  // Expressions, lowest precedence first

  /** Expression : Or */
  parseExpression(): Expression {
    return this.nested(() => this.parseOr());
  }

  /** Runs a left-associative chain: `sub (op sub)*`, each link one level deeper. */
  private parseChain(sub: () => Expression, op: () => BinaryOperator | undefined, boolean = false): Expression {
    let left = sub();
    let chain = 0;
    try {
      for (let o = op(); o !== undefined; o = op()) {
        this.deeper(1);
        chain++;
        const right = sub();
        if (boolean) {
          this.predicate(left);
          this.predicate(right);
        }
        left = { kind: 'BinaryOp', pos: left.pos, op: o, left, right };
      }
    } finally {
      this.depth -= chain;
    }
    return left;
  }

  private parseOr(): Expression {
    return this.parseChain(
      () => this.parseXor(),
      () => (this.acceptKw('OR') ? 'OR' : undefined),
      true,
    );
  }
  private parseXor(): Expression {
    return this.parseChain(
      () => this.parseAnd(),
      () => (this.acceptKw('XOR') ? 'XOR' : undefined),
      true,
    );
  }
  private parseAnd(): Expression {
    return this.parseChain(
      () => this.parseNot(),
      () => (this.acceptKw('AND') ? 'AND' : undefined),
      true,
    );
  }

  /** Not : NOT Not | Comparison */
  private parseNot(): Expression {
    const t = this.peek();
    if (t.kind === 'ident' && t.upper === 'NOT') {
      this.i++;
      return this.nested(() => ({ kind: 'UnaryOp', pos: t.start, op: 'NOT', operand: this.predicate(this.parseNot()) }));
    }
    return this.parseComparison();
  }

  /** Comparison : Predicate (CompOp Predicate)* — a chain becomes one Comparison node. */
  private parseComparison(): Expression {
    const first = this.parsePredicate();
    let t = this.peek();
    let op = t.kind === 'punct' ? comparisonOps.get(t.value) : undefined;
    if (op === undefined) return first;
    const operators: ComparisonOperator[] = [];
    const operands: Expression[] = [first];
    let chain = 0;
    try {
      while (op !== undefined) {
        this.i++;
        this.deeper(1);
        chain++;
        operators.push(op);
        operands.push(this.parsePredicate());
        t = this.peek();
        op = t.kind === 'punct' ? comparisonOps.get(t.value) : undefined;
      }
    } finally {
      this.depth -= chain;
    }
    return { kind: 'Comparison', pos: first.pos, operators, operands };
  }

  /**
   * Predicate : Additive ( (STARTS WITH | ENDS WITH | CONTAINS | IN | '=~') Additive
   *                      | IS NOT? NULL | ':' LabelExpr | IS LabelExpr )*
   */
  private parsePredicate(): Expression {
    let left = this.parseAdditive();
    let chain = 0;
    try {
      while (true) {
        const t = this.peek();
        let op: BinaryOperator | undefined;
        if (t.kind === 'ident') {
          if (t.upper === 'STARTS' && this.isKw('WITH', 1)) op = 'STARTS WITH';
          else if (t.upper === 'ENDS' && this.isKw('WITH', 1)) op = 'ENDS WITH';
          else if (t.upper === 'CONTAINS') op = 'CONTAINS';
          else if (t.upper === 'IN') op = 'IN';
          else if (t.upper === 'IS') {
            this.deeper(1);
            chain++;
            left = this.parseIsSuffix(left);
            continue;
          }
        } else if (t.kind === 'punct') {
          if (t.value === '=~') op = '=~';
          else if (t.value === ':') {
            this.i++;
            this.deeper(1);
            chain++;
            left = { kind: 'LabelCheck', pos: left.pos, operand: left, labels: this.parseLabelExpression() };
            continue;
          }
        }
        if (op === undefined) return left;
        this.i += op === 'STARTS WITH' || op === 'ENDS WITH' ? 2 : 1;
        this.deeper(1);
        chain++;
        const right = this.parseAdditive();
        left = { kind: 'BinaryOp', pos: left.pos, op, left, right };
      }
    } finally {
      this.depth -= chain;
    }
  }

  /** `IS NOT? NULL` or `IS LabelExpr` after `operand` (the current token is IS). */
  private parseIsSuffix(operand: Expression): Expression {
    this.expectKw('IS');
    if (this.acceptKw('NULL')) return { kind: 'IsNull', pos: operand.pos, operand, negated: false };
    if (this.isKw('NOT') && this.isKw('NULL', 1)) {
      this.i += 2;
      return { kind: 'IsNull', pos: operand.pos, operand, negated: true };
    }
    if (this.acceptKw('NOT')) {
      const labels = this.parseLabelExpression();
      const check: Expression = { kind: 'LabelCheck', pos: operand.pos, operand, labels };
      return { kind: 'UnaryOp', pos: operand.pos, op: 'NOT', operand: check };
    }
    if (this.isName() || this.isP('!') || this.isP('%') || this.isP('(')) {
      return { kind: 'LabelCheck', pos: operand.pos, operand, labels: this.parseLabelExpression() };
    }
    return this.fail("'NULL', 'NOT NULL' or a label after 'IS'");
  }

  private parseAdditive(): Expression {
    return this.parseChain(
      () => this.parseMultiplicative(),
      () => {
        const t = this.peek();
        if (t.kind !== 'punct') return undefined;
        if (t.value === '+' || t.value === '-' || t.value === '||') {
          this.i++;
          return t.value;
        }
        return undefined;
      },
    );
  }

  private parseMultiplicative(): Expression {
    return this.parseChain(
      () => this.parsePower(),
      () => {
        const t = this.peek();
        if (t.kind !== 'punct') return undefined;
        if (t.value === '*' || t.value === '/' || t.value === '%') {
          this.i++;
          return t.value;
        }
        return undefined;
      },
    );
  }

  /** Power : Unary ('^' Unary)* (left-associative; unary minus binds tighter: `-3 ^ 2` is 9). */
  private parsePower(): Expression {
    return this.parseChain(
      () => this.parseUnary(),
      () => (this.acceptP('^') ? '^' : undefined),
    );
  }

  /** Unary : ('-' | '+') Unary | Postfix ; `-` before a number literal folds into the literal. */
  private parseUnary(): Expression {
    const t = this.peek();
    if (t.kind !== 'punct' || (t.value !== '-' && t.value !== '+')) return this.parsePostfix();
    this.i++;
    const n = this.peek();
    const postfixFollows = this.isP('.', 1) || this.isP('[', 1);
    if (t.value === '-' && !postfixFollows && n.kind === 'int') {
      this.i++;
      if (n.int > INT64_MAX + 1n) throw this.errorAt(t.start, `integer literal -${n.value} is too small for a 64-bit integer`, 'IntegerOverflow');
      return { kind: 'Literal', pos: t.start, value: -n.int };
    }
    if (t.value === '-' && !postfixFollows && n.kind === 'float') {
      this.i++;
      return { kind: 'Literal', pos: t.start, value: -n.num };
    }
    const op = t.value;
    return this.nested(() => ({ kind: 'UnaryOp', pos: t.start, op, operand: this.parseUnary() }));
  }

  /** Postfix : Atom ('.' Name | '[' Expression ']' | '[' Expression? '..' Expression? ']')* */
  private parsePostfix(): Expression {
    let e = this.parseAtom();
    let chain = 0;
    try {
      while (true) {
        if (this.isP('.')) {
          this.i++;
          this.deeper(1);
          chain++;
          const key = this.parseName('a property key');
          e = { kind: 'PropertyAccess', pos: e.pos, object: e, key };
          continue;
        }
        if (this.isP('[')) {
          this.i++;
          this.deeper(1);
          chain++;
          if (this.acceptP('..')) {
            const to = this.isP(']') ? undefined : this.parseExpression();
            this.expectP(']');
            e = { kind: 'SliceAccess', pos: e.pos, object: e, from: undefined, to };
            continue;
          }
          const index = this.parseExpression();
          if (this.acceptP('..')) {
            const to = this.isP(']') ? undefined : this.parseExpression();
            this.expectP(']');
            e = { kind: 'SliceAccess', pos: e.pos, object: e, from: index, to };
            continue;
          }
          this.expectP(']');
          e = { kind: 'IndexAccess', pos: e.pos, object: e, index };
          continue;
        }
        return e;
      }
    } finally {
      this.depth -= chain;
    }
  }

  /** Atom : Literal | Parameter | '(' ... | '[' ... | '{' ... | CASE | EXISTS/COUNT '{' | function | variable */
  private parseAtom(): Expression {
    const t = this.peek();
    switch (t.kind) {
      case 'int':
        this.i++;
        if (t.int > INT64_MAX) throw this.errorAt(t.start, `integer literal ${t.value} is too large for a 64-bit integer`, 'IntegerOverflow');
        return { kind: 'Literal', pos: t.start, value: t.int };
      case 'float':
        this.i++;
        return { kind: 'Literal', pos: t.start, value: t.num };
      case 'string':
        this.i++;
        return { kind: 'Literal', pos: t.start, value: t.value };
      case 'param':
        this.i++;
        return { kind: 'Parameter', pos: t.start, name: t.value };
      case 'punct':
        if (t.value === '(') return this.parseParenthesizedOrPattern();
        if (t.value === '[') return this.parseBracketed();
        if (t.value === '{') return this.parseMapLiteral();
        return this.fail('an expression');
      case 'quoted':
        return this.parseNamedAtom();
      case 'ident':
        return this.parseKeywordAtom(t);
      case 'eof':
        return this.fail('an expression');
    }
  }

  private parseKeywordAtom(t: Token): Expression {
    switch (t.upper) {
      case 'TRUE':
        this.i++;
        return { kind: 'Literal', pos: t.start, value: true };
      case 'FALSE':
        this.i++;
        return { kind: 'Literal', pos: t.start, value: false };
      case 'NULL':
        this.i++;
        return { kind: 'Literal', pos: t.start, value: null };
      case 'CASE':
        return this.parseCase();
      case 'EXISTS':
        if (this.isP('{', 1)) return this.parseSubqueryExpression('ExistsSubquery');
        break;
      case 'COUNT':
        if (this.isP('{', 1)) return this.parseSubqueryExpression('CountSubquery');
        if (this.isP('(', 1) && this.isP('*', 2) && this.isP(')', 3)) {
          this.i += 4;
          return { kind: 'CountStar', pos: t.start };
        }
        break;
      case 'REDUCE':
        if (this.isP('(', 1)) return this.parseReduce();
        break;
      case 'SHORTESTPATH':
      case 'ALLSHORTESTPATHS':
        if (this.isP('(', 1) && this.isP('(', 2)) {
          const pattern = this.parsePathPattern();
          return this.newPatternPredicate(t.start, pattern);
        }
        break;
      default: {
        const quantifier = quantifierWords.get(t.upper);
        if (quantifier !== undefined && this.isP('(', 1) && this.isName(2) && this.isKw('IN', 3)) {
          return this.parseQuantifierExpression(quantifier);
        }
      }
    }
    if (reservedAtoms.has(t.upper) && !this.isP('(', 1)) return this.fail('an expression');
    return this.parseNamedAtom();
  }

  /** A name: a function call (`ns.f(args)`), a map projection (`n {...}`) or a variable. */
  private parseNamedAtom(): Expression {
    const t = this.peek();
    // Dotted function name: Name ('.' Name)* '('
    let k = 1;
    while (this.isP('.', k) && this.isName(k + 1)) k += 2;
    if (this.isP('(', k)) return this.parseFunctionCall(k);
    const name = this.parseName();
    if (this.isP('{')) return this.parseMapProjection(t.start, name);
    return { kind: 'Variable', pos: t.start, name };
  }

  /** FunctionCall : Name ('.' Name)* '(' DISTINCT? (Expression (',' Expression)*)? ')' */
  private parseFunctionCall(nameTokens: number): Expression {
    const pos = this.peek().start;
    let name = '';
    for (let j = 0; j < nameTokens; j++) name += this.next().value;
    this.expectP('(');
    const distinct = this.acceptKw('DISTINCT');
    const args: Expression[] = [];
    if (!this.isP(')')) {
      args.push(this.parseExpression());
      while (this.acceptP(',')) args.push(this.parseExpression());
    }
    this.expectP(')');
    if (name.toUpperCase() === 'EXISTS') for (const a of args) this.predicate(a);
    return { kind: 'FunctionCall', pos, name, distinct, args };
  }

  /** MapProjection : Name '{' (MapProjectionItem (',' MapProjectionItem)*)? '}' */
  private parseMapProjection(pos: number, variable: string): MapProjection {
    this.expectP('{');
    const items: MapProjectionItem[] = [];
    if (!this.isP('}')) {
      do {
        if (this.acceptP('.')) {
          if (this.acceptP('*')) items.push({ kind: 'AllPropertiesSelector' });
          else items.push({ kind: 'PropertySelector', key: this.parseName('a property key') });
        } else if (this.isName() && this.isP(':', 1)) {
          const key = this.parseName();
          this.i++;
          items.push({ kind: 'LiteralEntry', key, value: this.parseExpression() });
        } else if (this.isName()) {
          items.push({ kind: 'VariableSelector', name: this.parseName() });
        } else {
          this.fail("'.key', '.*', 'key: value' or a variable in a map projection");
        }
      } while (this.acceptP(','));
    }
    this.expectP('}');
    return { kind: 'MapProjection', pos, variable, items };
  }

  /** MapLiteral : '{' (Key ':' Expression (',' Key ':' Expression)*)? '}' ; Key : Name | String */
  private parseMapLiteral(): MapLiteral {
    const pos = this.expectP('{').start;
    const entries: { key: string; value: Expression }[] = [];
    if (!this.isP('}')) {
      do {
        const t = this.peek();
        let key: string;
        if (t.kind === 'ident' || t.kind === 'quoted' || t.kind === 'string') {
          this.i++;
          key = t.value;
        } else {
          return this.fail('a map key');
        }
        this.expectP(':');
        entries.push({ key, value: this.parseExpression() });
      } while (this.acceptP(','));
    }
    this.expectP('}');
    return { kind: 'MapLiteral', pos, entries };
  }

  /** CASE Expression? (WHEN Expression THEN Expression)+ (ELSE Expression)? END */
  private parseCase(): CaseExpression {
    const pos = this.expectKw('CASE').start;
    const test = this.isKw('WHEN') ? undefined : this.parseExpression();
    const whens: { when: Expression; then: Expression }[] = [];
    while (this.acceptKw('WHEN')) {
      const when = this.parseExpression();
      if (test === undefined) this.predicate(when);
      this.expectKw('THEN');
      whens.push({ when, then: this.parseExpression() });
    }
    if (whens.length === 0) this.fail("'WHEN'");
    const elseExpr = this.acceptKw('ELSE') ? this.parseExpression() : undefined;
    this.expectKw('END');
    return { kind: 'Case', pos, test, whens, else: elseExpr };
  }

  /** (EXISTS | COUNT) '{' (Query | PathPattern (',' PathPattern)* (WHERE Expression)?) '}' */
  private parseSubqueryExpression(kind: 'ExistsSubquery' | 'CountSubquery'): ExistsSubquery | CountSubquery {
    const pos = this.next().start;
    this.expectP('{');
    const t = this.peek();
    let result: ExistsSubquery | CountSubquery;
    if (t.kind === 'ident' && clauseStarts.has(t.upper)) {
      const query = this.parseQuery();
      result = { kind, pos, patterns: undefined, where: undefined, query };
    } else {
      const patterns = this.nested(() => this.parsePatternList());
      const where = this.parseWhere();
      result = { kind, pos, patterns, where, query: undefined };
    }
    this.expectP('}');
    return result;
  }

  /** reduce '(' Name '=' Expression ',' Name IN Expression '|' Expression ')' */
  private parseReduce(): Expression {
    const pos = this.next().start;
    this.expectP('(');
    const accumulator = this.parseName('an accumulator variable');
    this.expectP('=');
    const init = this.parseExpression();
    this.expectP(',');
    const variable = this.parseName('a variable');
    this.expectKw('IN');
    const list = this.withPipeEnding(() => this.parseExpression());
    this.expectP('|');
    const expression = this.parseExpression();
    this.expectP(')');
    return { kind: 'Reduce', pos, accumulator, init, variable, list, expression };
  }

  /** (all | any | none | single) '(' Name IN Expression (WHERE Expression)? ')' */
  private parseQuantifierExpression(quantifier: 'all' | 'any' | 'none' | 'single'): Expression {
    const pos = this.next().start;
    this.expectP('(');
    const variable = this.parseName();
    this.expectKw('IN');
    const list = this.parseExpression();
    const where = this.parseWhere();
    this.expectP(')');
    return { kind: 'Quantifier', pos, quantifier, variable, list, where };
  }

  private withPipeEnding<T>(fn: () => T): T {
    this.pipeEnds++;
    try {
      return fn();
    } finally {
      this.pipeEnds--;
    }
  }

  /** True when a failed attempt at `at` must propagate: a limit, not a wrong guess. */
  private isFatal(err: unknown): boolean {
    return !isGeodeError(err) || err.code !== 'GQL_SYNTAX';
  }

  /**
   * '(' : a pattern predicate `(a)-[:T]->(b)` when the text after the matching ')' starts a
   * relationship and the pattern parses; otherwise a parenthesized expression.
   */
  private parseParenthesizedOrPattern(): Expression {
    const at = this.i;
    const predicates = this.patternPredicates.length;
    const pos = this.peek().start;
    if (!this.patternFailed.has(at) && this.relationshipFollowsGroup(at)) {
      try {
        const elements = this.nested(() => this.parsePatternElements());
        if (elements.length > 1) {
          return this.newPatternPredicate(pos, { kind: 'PathPattern', pos, variable: undefined, elements, shortest: undefined });
        }
      } catch (err) {
        if (this.isFatal(err)) throw err;
      }
      this.backtrack(at, predicates);
      this.patternFailed.add(at);
    }
    this.expectP('(');
    const inner = this.withPipeReset(() => this.parseExpression());
    this.expectP(')');
    return inner;
  }

  private withPipeReset<T>(fn: () => T): T {
    const saved = this.pipeEnds;
    this.pipeEnds = 0;
    try {
      return fn();
    } finally {
      this.pipeEnds = saved;
    }
  }

  /** True when the bracket group opening at token `at` is followed by `-[`, `--`, `<-`. */
  private relationshipFollowsGroup(at: number): boolean {
    let level = 0;
    const end = Math.min(this.toks.length - 1, at + gqlLookaheadTokensMax);
    for (let j = at; j < end; j++) {
      const t = this.toks[j];
      if (t === undefined || t.kind !== 'punct') continue;
      if (t.value === '(' || t.value === '[' || t.value === '{') level++;
      else if (t.value === ')' || t.value === ']' || t.value === '}') {
        level--;
        if (level === 0) {
          const a = this.toks[j + 1];
          const b = this.toks[j + 2];
          if (a === undefined || b === undefined || a.kind !== 'punct' || b.kind !== 'punct') return false;
          if (a.value === '-') return b.value === '[' || b.value === '-';
          return a.value === '<' && b.value === '-';
        }
      }
    }
    return false;
  }

  /** '[' : a pattern comprehension, a list comprehension, or a list literal. */
  private parseBracketed(): Expression {
    const at = this.i;
    const predicates = this.patternPredicates.length;
    const pos = this.peek().start;
    // Pattern comprehension: '[' (Name '=')? Elements (WHERE Expression)? '|' Expression ']'
    const patternStart = this.isName(1) && this.isP('=', 2) ? 3 : 1;
    if (this.isP('(', patternStart) && !this.patternFailed.has(at) && this.relationshipFollowsGroup(at + patternStart)) {
      try {
        return this.parsePatternComprehension(pos);
      } catch (err) {
        if (this.isFatal(err)) throw err;
      }
      this.backtrack(at, predicates);
      this.patternFailed.add(at);
    }
    // List comprehension: '[' Name IN Expression (WHERE Expression)? ('|' Expression)? ']'
    if (this.isName(1) && this.isKw('IN', 2) && !this.comprehensionFailed.has(at)) {
      try {
        return this.parseListComprehension(pos);
      } catch (err) {
        if (this.isFatal(err)) throw err;
      }
      this.backtrack(at, predicates);
      this.comprehensionFailed.add(at);
    }
    this.expectP('[');
    const items: Expression[] = [];
    if (!this.isP(']')) {
      this.withPipeReset(() => {
        items.push(this.parseExpression());
        while (this.acceptP(',')) items.push(this.parseExpression());
      });
    }
    this.expectP(']');
    return { kind: 'ListLiteral', pos, items };
  }

  private parsePatternComprehension(pos: number): Expression {
    this.expectP('[');
    return this.nested(() => {
      const patternPos = this.peek().start;
      let variable: string | undefined;
      if (this.isName() && this.isP('=', 1)) {
        variable = this.parseName();
        this.i++;
      }
      const elements = this.parsePatternElements();
      if (elements.length < 2) this.fail("a relationship pattern in a pattern comprehension");
      const pattern: PathPattern = { kind: 'PathPattern', pos: patternPos, variable, elements, shortest: undefined };
      const where = this.withPipeEnding(() => this.parseWhere());
      this.expectP('|');
      const map = this.withPipeReset(() => this.parseExpression());
      this.expectP(']');
      return { kind: 'PatternComprehension', pos, pattern, where, map };
    });
  }

  private parseListComprehension(pos: number): Expression {
    this.expectP('[');
    const variable = this.parseName();
    this.expectKw('IN');
    return this.withPipeEnding(() => {
      const list = this.parseExpression();
      const where = this.parseWhere();
      let map: Expression | undefined;
      if (this.acceptP('|')) map = this.withPipeReset(() => this.parseExpression());
      this.expectP(']');
      return { kind: 'ListComprehension', pos, variable, list, where, map };
    });
  }
}
