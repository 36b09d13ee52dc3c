/**
 * LDBC SNB CSV rows → property values. Pure: no file access.
 *
 * Conversion rules (by column name, so every row of a column has one type):
 * - integers (bigint): `id`, the `<Entity>.id` endpoint columns of edge files, and the counts and
 *   years `length`, `classYear`, `workFrom`;
 * - dates and date-times (string): `birthday` becomes `YYYY-MM-DD`, `creationDate` / `joinDate`
 *   become ISO-8601 UTC date-times (`2010-07-10T03:24:52.244Z`) when the file holds epoch
 *   milliseconds, and are kept as written when the file already holds date text;
 * - lists of strings: `email`, `speaks` and (on Person) `language`, `;`-separated;
 * - everything else: strings, as written.
 * An empty field is a missing value: the property is left out.
 */
import { GeodeError } from '../../../../src/util/errors.ts';
import type { PropertyValue } from '../../../../src/graph/values.ts';

/** How one column's text becomes a value. */
export type ColumnKind = 'integer' | 'date' | 'datetime' | 'stringList' | 'string';

export interface ColumnSpec {
  /** The property key (the header name; for an edge endpoint, the header as written). */
  readonly name: string;
  readonly kind: ColumnKind;
}

/** Where a line came from, for error messages: `static/place_0_0.csv:17`. */
export interface LineSource {
  readonly file: string;
  readonly line: number;
}

/** The LDBC field separator. */
export const LDBC_SEPARATOR = '|';
/** The separator of list values inside one field (`es;en`). */
export const LDBC_LIST_SEPARATOR = ';';
/** Longest line accepted, in characters: a longer one is malformed input, not data. */
export const LDBC_LINE_CHARS_MAX = 1_000_000;

const INTEGER_COLUMNS: ReadonlySet<string> = new Set(['id', 'length', 'classYear', 'workFrom']);
const DATE_COLUMNS: ReadonlySet<string> = new Set(['birthday']);
const DATETIME_COLUMNS: ReadonlySet<string> = new Set(['creationDate', 'joinDate']);
const LIST_COLUMNS: ReadonlySet<string> = new Set(['email', 'speaks']);
const LIST_COLUMNS_BY_LABEL: Readonly<Record<string, ReadonlySet<string>>> = {
  Person: new Set(['language']),
};

const INTEGER_TEXT = /^-?\d{1,19}$/;

/** The kind of column `name` in a file of nodes labelled `label` (or an edge file: label undefined). */
export function columnKind(name: string, label: string | undefined): ColumnKind {
  if (INTEGER_COLUMNS.has(name) || name.endsWith('.id')) return 'integer';
  if (DATE_COLUMNS.has(name)) return 'date';
  if (DATETIME_COLUMNS.has(name)) return 'datetime';
  if (LIST_COLUMNS.has(name)) return 'stringList';
  if (label !== undefined && LIST_COLUMNS_BY_LABEL[label]?.has(name) === true) return 'stringList';
  return 'string';
}

function inputError(where: LineSource, message: string): GeodeError {
  return new GeodeError('INPUT_INVALID', `${where.file}:${where.line}: ${message}`, {
    source: `${where.file}:${where.line}`,
  });
}

/**
 * The column specs of a header line. Refuses an empty header, an empty or duplicate column name
 * (except the two endpoint columns of an edge file, which repeat in `Person.id|Person.id`).
 */
export function parseHeader(line: string, label: string | undefined, where: LineSource, edgeFile: boolean): ColumnSpec[] {
  const names = line.split(LDBC_SEPARATOR);
  const specs: ColumnSpec[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!.trim();
    if (name.length === 0) throw inputError(where, `header column ${i + 1} has no name`);
    const endpoint = edgeFile && i < 2;
    if (!endpoint && seen.has(name)) throw inputError(where, `header column '${name}' appears twice`);
    if (!endpoint) seen.add(name);
    specs.push({ name, kind: columnKind(name, label) });
  }
  if (edgeFile) {
    if (specs.length < 2) throw inputError(where, `an edge file needs two endpoint columns, the header has ${specs.length}`);
  } else if (!seen.has('id')) {
    throw inputError(where, "a node file needs an 'id' column");
  }
  return specs;
}

/** Splits one data line into fields, refusing a field count that differs from the header's. */
export function splitLine(line: string, expected: number, where: LineSource): string[] {
  if (line.length > LDBC_LINE_CHARS_MAX) {
    throw inputError(where, `line is ${line.length} characters long, more than ${LDBC_LINE_CHARS_MAX}`);
  }
  const fields = line.split(LDBC_SEPARATOR);
  if (fields.length !== expected) {
    throw inputError(where, `expected ${expected} fields as in the header, found ${fields.length}`);
  }
  return fields;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Epoch milliseconds → `YYYY-MM-DD` (UTC). */
export function epochMillisToDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

/** Epoch milliseconds → ISO-8601 UTC date-time with milliseconds. */
export function epochMillisToDateTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Converts one non-empty field to its value; throws INPUT_INVALID naming the file, line and column. */
export function convertField(text: string, spec: ColumnSpec, where: LineSource): PropertyValue {
  switch (spec.kind) {
    case 'string':
      return text;
    case 'integer': {
      if (!INTEGER_TEXT.test(text)) throw inputError(where, `column '${spec.name}': '${text}' is not an integer`);
      return BigInt(text);
    }
    case 'date':
    case 'datetime': {
      if (!INTEGER_TEXT.test(text)) return text;
      const ms = Number(text);
      if (!Number.isSafeInteger(ms) || Math.abs(ms) > 8.64e15) {
        throw inputError(where, `column '${spec.name}': ${text} is out of the date range`);
      }
      return spec.kind === 'date' ? epochMillisToDate(ms) : epochMillisToDateTime(ms);
    }
    case 'stringList': {
      const items = text.split(LDBC_LIST_SEPARATOR);
      const out: string[] = [];
      for (const item of items) if (item.length > 0) out.push(item);
      return out;
    }
  }
}

/**
 * The properties of one node line: a null-prototype map of the non-empty fields, converted.
 * Suitable as a query parameter (`SET n = r`).
 */
export function nodeProperties(fields: readonly string[], specs: readonly ColumnSpec[], where: LineSource): Record<string, PropertyValue> {
  const props = Object.create(null) as Record<string, PropertyValue>;
  for (let i = 0; i < specs.length; i++) {
    const text = fields[i]!;
    if (text.length === 0) {
      if (specs[i]!.name === 'id') throw inputError(where, "column 'id' is empty");
      continue;
    }
    props[specs[i]!.name] = convertField(text, specs[i]!, where);
  }
  return props;
}

/** One edge line: source id, target id, and the other columns as properties. */
export interface EdgeRow {
  readonly src: PropertyValue;
  readonly dst: PropertyValue;
  readonly props: Record<string, PropertyValue>;
}

/** The endpoints and properties of one edge line; the endpoint ids must be present. */
export function edgeRow(fields: readonly string[], specs: readonly ColumnSpec[], where: LineSource): EdgeRow {
  const srcText = fields[0]!;
  const dstText = fields[1]!;
  if (srcText.length === 0 || dstText.length === 0) throw inputError(where, 'an edge endpoint id is empty');
  const src = convertField(srcText, specs[0]!, where);
  const dst = convertField(dstText, specs[1]!, where);
  const props = Object.create(null) as Record<string, PropertyValue>;
  for (let i = 2; i < specs.length; i++) {
    const text = fields[i]!;
    if (text.length === 0) continue;
    props[specs[i]!.name] = convertField(text, specs[i]!, where);
  }
  return { src, dst, props };
}
