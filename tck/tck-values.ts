/**
 * The TCK's expected-value syntax: what appears in the cells of a result table, a parameters
 * table or a procedure table.
 *
 * ```
 * value   := null | true | false | integer | float | string | list | map | node | rel | path
 * integer := -?[0-9]+                      (exact: bigint)
 * float   := -?[0-9]+.[0-9]+(e-?[0-9]+)? | -?[0-9]+e-?[0-9]+ | NaN | Inf | -Inf
 * string  := '...' with backslash escapes (\' \" \\ \n \t \r \b \f \uXXXX)
 * list    := [ value, ... ]
 * map     := { key: value, ... }           key = identifier or `quoted`
 * node    := ( :Label:Label {map...} )
 * rel     := [ :TYPE {map...} ]
 * path    := < node (-rel-> node | <-rel- node)* >
 * ```
 *
 * Parsing is pure and bounded: nesting deeper than {@link MAX_TCK_VALUE_DEPTH} is refused.
 */

/** Deepest nesting of lists/maps/nodes the parser accepts (TCK cells are shallow). */
export const MAX_TCK_VALUE_DEPTH = 200;

export type TckEntries = readonly (readonly [string, TckValue])[];

export interface TckNode {
  readonly kind: 'node';
  readonly labels: readonly string[];
  readonly props: TckEntries;
}

export interface TckRelationship {
  readonly kind: 'relationship';
  /** Undefined when the cell gives none (`[]` is a list, so in practice a type is always written). */
  readonly type: string | undefined;
  readonly props: TckEntries;
}

/** One hop of a path: the relationship, its direction relative to reading order, and the node reached. */
export interface TckPathStep {
  readonly rel: TckRelationship;
  /** `'out'` for `-[]->` (previous node is the start), `'in'` for `<-[]-`. */
  readonly direction: 'out' | 'in';
  readonly node: TckNode;
}

export type TckValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'integer'; readonly value: bigint }
  /** `text` is the literal as written, so a comparison can tell how many digits were meant. */
  | { readonly kind: 'float'; readonly value: number; readonly text: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly items: readonly TckValue[] }
  | { readonly kind: 'map'; readonly entries: TckEntries }
  | TckNode
  | TckRelationship
  | { readonly kind: 'path'; readonly start: TckNode; readonly steps: readonly TckPathStep[] };

/** Thrown for a cell the grammar does not accept: a bug in the feature file or in this parser. */
export class TckValueSyntaxError extends Error {
  override readonly name = 'TckValueSyntaxError';
  constructor(message: string, text: string, offset: number) {
    super(`${message} at offset ${offset} in ${JSON.stringify(text)}`);
  }
}

const IDENT_START = /[A-Za-z_\u00C0-\uFFFF]/;
const IDENT_PART = /[A-Za-z0-9_\u00C0-\uFFFF]/;

class TckValueParser {
  #pos = 0;
  #depth = 0;
  constructor(private readonly text: string) {}

  parseAll(): TckValue {
    const v = this.value();
    this.ws();
    if (this.#pos !== this.text.length) this.fail('unexpected trailing text');
    return v;
  }

  private fail(message: string): never {
    throw new TckValueSyntaxError(message, this.text, this.#pos);
  }

  private ws(): void {
    while (this.#pos < this.text.length && /\s/.test(this.text[this.#pos]!)) this.#pos++;
  }

  private peek(): string {
    return this.text[this.#pos] ?? '';
  }

  private startsWith(s: string): boolean {
    return this.text.startsWith(s, this.#pos);
  }

  private expect(s: string): void {
    this.ws();
    if (!this.startsWith(s)) this.fail(`expected '${s}'`);
    this.#pos += s.length;
  }

  private enter(): void {
    if (++this.#depth > MAX_TCK_VALUE_DEPTH) this.fail('value nested too deeply');
  }

  private value(): TckValue {
    this.ws();
    const c = this.peek();
    if (c === '') this.fail('expected a value');
    if (c === "'" || c === '"') return { kind: 'string', value: this.string() };
    if (c === '(') return this.node();
    if (c === '{') {
      this.enter();
      const entries = this.mapBody();
      this.#depth--;
      return { kind: 'map', entries };
    }
    if (c === '<') return this.path();
    if (c === '[') {
      const save = this.#pos;
      this.#pos++;
      this.ws();
      const isRel = this.peek() === ':';
      this.#pos = save;
      return isRel ? this.relationship() : this.list();
    }
    if (/[-+0-9.]/.test(c)) return this.number();
    const word = this.identifier();
    switch (word) {
      case 'null':
        return { kind: 'null' };
      case 'true':
        return { kind: 'boolean', value: true };
      case 'false':
        return { kind: 'boolean', value: false };
      case 'NaN':
        return { kind: 'float', value: NaN, text: 'NaN' };
      case 'Inf':
      case 'Infinity':
        return { kind: 'float', value: Infinity, text: word };
      default:
        return this.fail(`unknown word '${word}'`);
    }
  }

  private number(): TckValue {
    const start = this.#pos;
    const sign = this.peek() === '-' || this.peek() === '+' ? this.text[this.#pos++]! : '';
    if (this.startsWith('Inf')) {
      const word = this.identifier();
      if (word !== 'Inf' && word !== 'Infinity') this.fail(`unknown word '${word}'`);
      return { kind: 'float', value: sign === '-' ? -Infinity : Infinity, text: this.text.slice(start, this.#pos) };
    }
    if (this.startsWith('NaN')) {
      this.#pos += 3;
      return { kind: 'float', value: NaN, text: 'NaN' };
    }
    const m = /^(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]*(\.[0-9]+)?([eE][-+]?[0-9]+)?)/.exec(this.text.slice(this.#pos));
    const body = m?.[0] ?? '';
    if (body === '' || body === '.') this.fail('expected a number');
    this.#pos += body.length;
    const text = this.text.slice(start, this.#pos);
    const isFloat = !/^0[xo]/.test(body) && /[.eE]/.test(body);
    if (isFloat) return { kind: 'float', value: Number(sign + body), text };
    const magnitude = BigInt(body);
    return { kind: 'integer', value: sign === '-' ? -magnitude : magnitude };
  }

  private string(): string {
    const quote = this.text[this.#pos++]!;
    let out = '';
    for (;;) {
      if (this.#pos >= this.text.length) this.fail('unterminated string');
      const c = this.text[this.#pos++]!;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.#pos++] ?? '';
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          const hex = this.text.slice(this.#pos, this.#pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.#pos += 4;
          break;
        }
        case '':
          this.fail('unterminated string');
        // eslint-disable-next-line no-fallthrough
        default:
          out += e; // \' \" \\ and anything else stand for themselves
      }
    }
  }

  private identifier(): string {
    this.ws();
    if (this.peek() === '`') {
      const end = this.text.indexOf('`', this.#pos + 1);
      if (end < 0) this.fail('unterminated `name`');
      const name = this.text.slice(this.#pos + 1, end);
      this.#pos = end + 1;
      return name;
    }
    const start = this.#pos;
    if (!IDENT_START.test(this.peek())) this.fail('expected a name');
    while (this.#pos < this.text.length && IDENT_PART.test(this.peek())) this.#pos++;
    return this.text.slice(start, this.#pos);
  }

  private list(): TckValue {
    this.enter();
    this.expect('[');
    const items: TckValue[] = [];
    this.ws();
    if (this.peek() === ']') {
      this.#pos++;
    } else {
      for (;;) {
        items.push(this.value());
        this.ws();
        const c = this.text[this.#pos++];
        if (c === ']') break;
        if (c !== ',') this.fail("expected ',' or ']' in a list");
      }
    }
    this.#depth--;
    return { kind: 'list', items };
  }

  private mapBody(): TckEntries {
    this.expect('{');
    const entries: [string, TckValue][] = [];
    this.ws();
    if (this.peek() === '}') {
      this.#pos++;
      return entries;
    }
    for (;;) {
      const key = this.identifier();
      this.expect(':');
      entries.push([key, this.value()]);
      this.ws();
      const c = this.text[this.#pos++];
      if (c === '}') return entries;
      if (c !== ',') this.fail("expected ',' or '}' in a map");
    }
  }

  private labelsAndProps(close: string): { names: string[]; props: TckEntries } {
    const names: string[] = [];
    let props: TckEntries = [];
    this.ws();
    while (this.peek() === ':') {
      this.#pos++;
      names.push(this.identifier());
      this.ws();
    }
    if (this.peek() === '{') props = this.mapBody();
    this.expect(close);
    return { names, props };
  }

  private node(): TckNode {
    this.enter();
    this.expect('(');
    const { names, props } = this.labelsAndProps(')');
    this.#depth--;
    return { kind: 'node', labels: names, props };
  }

  private relationship(): TckRelationship {
    this.enter();
    this.expect('[');
    const { names, props } = this.labelsAndProps(']');
    if (names.length > 1) this.fail('a relationship has one type');
    this.#depth--;
    return { kind: 'relationship', type: names[0], props };
  }

  private path(): TckValue {
    this.expect('<');
    const start = this.node();
    const steps: TckPathStep[] = [];
    for (;;) {
      this.ws();
      if (this.peek() === '>') {
        this.#pos++;
        return { kind: 'path', start, steps };
      }
      let direction: 'out' | 'in';
      if (this.startsWith('<-')) {
        this.#pos += 2;
        const rel = this.relationship();
        this.expect('-');
        direction = 'in';
        steps.push({ rel, direction, node: this.node() });
      } else {
        this.expect('-');
        const rel = this.relationship();
        this.ws();
        if (this.startsWith('->')) {
          this.#pos += 2;
          direction = 'out';
        } else {
          return this.fail("expected '->' (undirected path steps are not TCK values)");
        }
        steps.push({ rel, direction, node: this.node() });
      }
    }
  }
}

/** Parses one cell of TCK value syntax; throws {@link TckValueSyntaxError} on anything else. */
export function parseTckValue(text: string): TckValue {
  return new TckValueParser(text).parseAll();
}

/** Engine-side value for a parameter or a procedure cell: bigint, number, string, arrays, null-prototype maps. */
export type PlainValue = null | boolean | bigint | number | string | readonly PlainValue[] | { [key: string]: PlainValue };

/**
 * Converts a parsed TCK value to the value a query receives (parameters, procedure rows).
 * Nodes, relationships and paths cannot be passed in: they are refused.
 */
export function tckToPlain(v: TckValue): PlainValue {
  switch (v.kind) {
    case 'null':
      return null;
    case 'boolean':
    case 'integer':
    case 'float':
    case 'string':
      return v.value;
    case 'list':
      return v.items.map(tckToPlain);
    case 'map': {
      const out = Object.create(null) as { [key: string]: PlainValue };
      for (const [k, item] of v.entries) out[k] = tckToPlain(item);
      return out;
    }
    case 'node':
    case 'relationship':
    case 'path':
      throw new Error(`a ${v.kind} cannot be used as a parameter or procedure value`);
  }
}

/** Prints a value back in TCK syntax (for failure messages). */
export function formatTckValue(v: TckValue): string {
  switch (v.kind) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(v.value);
    case 'integer':
      return v.value.toString();
    case 'float':
      return v.text;
    case 'string':
      return `'${v.value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'list':
      return `[${v.items.map(formatTckValue).join(', ')}]`;
    case 'map':
      return formatEntries(v.entries) || '{}';
    case 'node':
      return formatNode(v);
    case 'relationship':
      return formatRel(v);
    case 'path': {
      let out = `<${formatNode(v.start)}`;
      for (const s of v.steps) {
        out += s.direction === 'out' ? `-${formatRel(s.rel)}->` : `<-${formatRel(s.rel)}-`;
        out += formatNode(s.node);
      }
      return `${out}>`;
    }
  }
}

function formatEntries(entries: TckEntries): string {
  if (entries.length === 0) return '';
  return `{${entries.map(([k, item]) => `${k}: ${formatTckValue(item)}`).join(', ')}}`;
}

function formatNode(n: TckNode): string {
  const props = formatEntries(n.props);
  return `(${n.labels.map((l) => `:${l}`).join('')}${n.labels.length > 0 && props !== '' ? ' ' : ''}${props})`;
}

function formatRel(r: TckRelationship): string {
  const props = formatEntries(r.props);
  return `[${r.type === undefined ? '' : `:${r.type}`}${r.type !== undefined && props !== '' ? ' ' : ''}${props}]`;
}
