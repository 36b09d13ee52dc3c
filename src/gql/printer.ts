/**
 * Prints expressions and patterns back as GQL text, for EXPLAIN and messages. The output
 * parses to an equivalent tree (operands are parenthesized where precedence would differ).
 * Deep trees are bounded by the parser's own depth limit, so recursion here is bounded too.
 */
import type { Expression, LabelExpression, NodePattern, PathPattern, RelationshipPattern } from './ast.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function name(n: string): string {
  return IDENTIFIER.test(n) ? n : `\`${n.replaceAll('`', '``')}\``;
}

function quote(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n')}'`;
}

function literal(v: null | boolean | bigint | number | string): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '(0.0 / 0.0)';
    if (!Number.isFinite(v)) return v > 0 ? '(1.0 / 0.0)' : '(-1.0 / 0.0)';
    return Number.isInteger(v) ? v.toFixed(1) : String(v);
  }
  return String(v);
}

/** Operands that are themselves operators get parentheses. */
function operand(e: Expression): string {
  switch (e.kind) {
    case 'BinaryOp':
    case 'Comparison':
    case 'UnaryOp':
    case 'IsNull':
    case 'LabelCheck':
      return `(${printExpression(e)})`;
    default:
      return printExpression(e);
  }
}

export function printLabels(e: LabelExpression, separator = ':'): string {
  switch (e.kind) {
    case 'LabelName':
      return name(e.name);
    case 'LabelAnd':
      return `${printLabels(e.left, separator)}${separator === ':' ? ':' : '&'}${printLabels(e.right, separator)}`;
    case 'LabelOr':
      return `${printLabels(e.left, '|')}|${printLabels(e.right, '|')}`;
    case 'LabelNot':
      return `!${printLabels(e.operand, '&')}`;
    case 'LabelWildcard':
      return '%';
  }
}

function printNode(n: NodePattern): string {
  let s = n.variable === undefined ? '' : name(n.variable);
  if (n.labels !== undefined) s += `:${printLabels(n.labels)}`;
  if (n.properties !== undefined) s += ` ${printExpression(n.properties)}`;
  if (n.where !== undefined) s += ` WHERE ${printExpression(n.where)}`;
  return `(${s.trim()})`;
}

function printRelationship(r: RelationshipPattern): string {
  let s = r.variable === undefined ? '' : name(r.variable);
  if (r.types !== undefined) s += `:${printLabels(r.types, '|')}`;
  if (r.length !== undefined) {
    const { min, max } = r.length;
    s += min === max && min !== undefined ? `*${min}` : `*${min ?? ''}${min === undefined && max === undefined ? '' : '..'}${max ?? ''}`;
  }
  if (r.properties !== undefined) s += ` ${printExpression(r.properties)}`;
  if (r.where !== undefined) s += ` WHERE ${printExpression(r.where)}`;
  const body = s === '' ? '' : `[${s.trim()}]`;
  return r.direction === 'out' ? `-${body}->` : r.direction === 'in' ? `<-${body}-` : `-${body}-`;
}

export function printPattern(p: PathPattern): string {
  let s = '';
  for (const el of p.elements) s += el.kind === 'NodePattern' ? printNode(el) : printRelationship(el);
  if (p.shortest !== undefined) s = `${p.shortest === 'shortest' ? 'shortestPath' : 'allShortestPaths'}(${s})`;
  return p.variable === undefined ? s : `${name(p.variable)} = ${s}`;
}

function list(items: readonly Expression[]): string {
  return items.map(printExpression).join(', ');
}

/** GQL text of `e`. */
export function printExpression(e: Expression): string {
  switch (e.kind) {
    case 'Literal':
      return literal(e.value);
    case 'Parameter':
      return `$${e.name}`;
    case 'Variable':
      return name(e.name);
    case 'PropertyAccess':
      return `${operand(e.object)}.${name(e.key)}`;
    case 'IndexAccess':
      return `${operand(e.object)}[${printExpression(e.index)}]`;
    case 'SliceAccess':
      return `${operand(e.object)}[${e.from === undefined ? '' : printExpression(e.from)}..${e.to === undefined ? '' : printExpression(e.to)}]`;
    case 'ListLiteral':
      return `[${list(e.items)}]`;
    case 'MapLiteral':
      return `{${e.entries.map((x) => `${name(x.key)}: ${printExpression(x.value)}`).join(', ')}}`;
    case 'MapProjection':
      return `${name(e.variable)} {${e.items
        .map((i) =>
          i.kind === 'PropertySelector'
            ? `.${name(i.key)}`
            : i.kind === 'AllPropertiesSelector'
              ? '.*'
              : i.kind === 'LiteralEntry'
                ? `${name(i.key)}: ${printExpression(i.value)}`
                : name(i.name),
        )
        .join(', ')}}`;
    case 'UnaryOp':
      return e.op === 'NOT' ? `NOT ${operand(e.operand)}` : `${e.op}${operand(e.operand)}`;
    case 'BinaryOp':
      return `${operand(e.left)} ${e.op} ${operand(e.right)}`;
    case 'Comparison': {
      let s = operand(e.operands[0]!);
      for (let i = 0; i < e.operators.length; i++) s += ` ${e.operators[i]} ${operand(e.operands[i + 1]!)}`;
      return s;
    }
    case 'IsNull':
      return `${operand(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'LabelCheck':
      return `${operand(e.operand)}:${printLabels(e.labels)}`;
    case 'FunctionCall':
      return `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${list(e.args)})`;
    case 'CountStar':
      return 'count(*)';
    case 'Case': {
      let s = 'CASE';
      if (e.test !== undefined) s += ` ${printExpression(e.test)}`;
      for (const w of e.whens) s += ` WHEN ${printExpression(w.when)} THEN ${printExpression(w.then)}`;
      if (e.else !== undefined) s += ` ELSE ${printExpression(e.else)}`;
      return `${s} END`;
    }
    case 'ListComprehension':
      return `[${name(e.variable)} IN ${printExpression(e.list)}${e.where === undefined ? '' : ` WHERE ${printExpression(e.where)}`}${e.map === undefined ? '' : ` | ${printExpression(e.map)}`}]`;
    case 'PatternComprehension':
      return `[${printPattern(e.pattern)}${e.where === undefined ? '' : ` WHERE ${printExpression(e.where)}`} | ${printExpression(e.map)}]`;
    case 'Quantifier':
      return `${e.quantifier}(${name(e.variable)} IN ${printExpression(e.list)}${e.where === undefined ? '' : ` WHERE ${printExpression(e.where)}`})`;
    case 'Reduce':
      return `reduce(${name(e.accumulator)} = ${printExpression(e.init)}, ${name(e.variable)} IN ${printExpression(e.list)} | ${printExpression(e.expression)})`;
    case 'PatternPredicate':
      return printPattern(e.pattern);
    case 'ExistsSubquery':
    case 'CountSubquery': {
      const word = e.kind === 'ExistsSubquery' ? 'EXISTS' : 'COUNT';
      if (e.patterns === undefined) return `${word} { ... }`;
      return `${word} { ${e.patterns.map(printPattern).join(', ')}${e.where === undefined ? '' : ` WHERE ${printExpression(e.where)}`} }`;
    }
  }
}
