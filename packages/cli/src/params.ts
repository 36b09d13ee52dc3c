/**
 * `--param key=value` parsing. Values read like Cypher literals: `42` is an integer (bigint),
 * `4.2` a float, `true`/`false`/`null`, `'text'` or `"text"` a string, `[...]`/`{...}` JSON with
 * integers kept as bigint; anything else is the raw string.
 */
import { GeodeError } from '../../../src/util/errors.ts';

const INTEGER = /^-?\d+$/;
const FLOAT = /^-?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)$/;

/** Parses a JSON document whose integers become bigint (exactly, even past 2^53). */
function parseJsonWithBigInts(text: string, key: string): unknown {
  // Mark every integer literal outside strings, then revive the marks as bigint.
  let marked = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      marked += ch;
      if (ch === '\\') {
        marked += text[i + 1] ?? '';
        i++;
      } else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      marked += ch;
      continue;
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i));
    if (m !== null && (ch === '-' || (ch >= '0' && ch <= '9'))) {
      marked += m[1] === undefined && m[2] === undefined ? `"\\u0000int:${m[0]}"` : m[0];
      i += m[0].length - 1;
      continue;
    }
    marked += ch;
  }
  try {
    return JSON.parse(marked, (_k, v: unknown) =>
      typeof v === 'string' && v.startsWith('\u0000int:') ? BigInt(v.slice(5)) : v,
    );
  } catch (err) {
    throw new GeodeError('INPUT_INVALID', `--param ${key}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, {
      source: 'params',
    });
  }
}

/** The value of one `--param` text. */
export function parseParamValue(text: string, key = 'value'): unknown {
  const t = text.trim();
  if (INTEGER.test(t)) return BigInt(t);
  if (FLOAT.test(t)) return Number(t);
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (t.length >= 2 && ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"')))) {
    return t.startsWith('"') ? parseJsonWithBigInts(t, key) : t.slice(1, -1);
  }
  if (t.startsWith('[') || t.startsWith('{')) return parseJsonWithBigInts(t, key);
  return text;
}

/** `["a=1", "b='x'"]` → `{a: 1n, b: 'x'}`; INPUT_INVALID for an entry without `=` or a key given twice. */
export function parseParams(entries: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new GeodeError('INPUT_INVALID', `--param '${entry}': expected key=value`, { source: 'params' });
    const key = entry.slice(0, eq).trim();
    if (key in params) throw new GeodeError('INPUT_INVALID', `--param ${key} is given twice`, { source: 'params' });
    params[key] = parseParamValue(entry.slice(eq + 1), key);
  }
  return params;
}
