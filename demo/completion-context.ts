/**
 * What the word at the cursor can be, from the text before it: a label or relationship type
 * after `:`, a property key after `.` or inside a `{` map of a pattern, a parameter after `$`, a
 * procedure after CALL, a keyword or function elsewhere. Pure: text in, decision out.
 */

/** The kinds of completion the console offers. */
export type CompletionKind = 'label' | 'relationshipType' | 'propertyKey' | 'parameter' | 'procedure' | 'general';

/** The word being completed: its kind and where it starts (an offset into the text). */
export interface CompletionSite {
  readonly kind: CompletionKind;
  readonly from: number;
  /** The part of the word already typed. */
  readonly prefix: string;
}

/** How far back the scan for an open `(`, `[` or `{` looks, in characters. */
export const COMPLETION_SCAN_CHARS_MAX = 2_000;

const WORD_BEFORE = /[\p{L}\p{N}_]*$/u;

/** The innermost bracket (`(`, `[` or `{`) still open at the end of `text`, ignoring strings; undefined when none. */
export function openBracket(text: string): '(' | '[' | '{' | undefined {
  const start = Math.max(0, text.length - COMPLETION_SCAN_CHARS_MAX);
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== undefined) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
    else if (ch === ')' || ch === ']' || ch === '}') stack.pop();
  }
  return stack[stack.length - 1] as '(' | '[' | '{' | undefined;
}

/** Decides what the word ending at the end of `before` (the text up to the cursor) is. */
export function completionSite(before: string): CompletionSite {
  const prefix = WORD_BEFORE.exec(before)?.[0] ?? '';
  const from = before.length - prefix.length;
  const lead = before.slice(0, from);
  const last = lead[lead.length - 1];
  if (last === '$') return { kind: 'parameter', from, prefix };
  if (last === '.') {
    // `db.` after CALL is a procedure; anything else after a dot is a property.
    if (/\bCALL\s+[\w.]*\.$/i.test(lead)) return { kind: 'procedure', from: lead.search(/[\w.]*\.$/), prefix: lead.slice(lead.search(/[\w.]*\.$/)) + prefix };
    return { kind: 'propertyKey', from, prefix };
  }
  if (last === ':' || last === '|' || last === '&') {
    // In `(n:` a label, in `[r:` a type; `:Label|Other` and `:A&B` continue the same list.
    const bracket = openBracket(lead);
    if (bracket === '[') return { kind: 'relationshipType', from, prefix };
    if (bracket === '(') return { kind: 'label', from, prefix };
    if (last === ':' && bracket === '{') return { kind: 'general', from, prefix }; // a map value: `{name: ...}`
    if (last === ':') return { kind: 'label', from, prefix };
  }
  if (/\bCALL\s+$/i.test(lead)) return { kind: 'procedure', from, prefix };
  // `{na` inside a node or relationship pattern: a property key.
  if (/[{,]\s*$/.test(lead) && openBracket(lead) === '{') return { kind: 'propertyKey', from, prefix };
  return { kind: 'general', from, prefix };
}
