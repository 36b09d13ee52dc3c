/**
 * GQL / openCypher for CodeMirror 6: a stream tokenizer (no grammar: the parser is the judge of
 * syntax, this only colours), plus the highlight style, which takes its colours from CSS custom
 * properties so the light and dark themes of style.css apply.
 */
import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StreamParser, type StringStream } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { tags } from '@lezer/highlight';
import { GQL_ATOMS, GQL_KEYWORD_SET } from './gql-words.ts';

/** The tokenizer's state between lines. */
interface GqlState {
  /** Inside a block comment that continues on the next line. */
  inComment: boolean;
  /** Inside a string (its quote) that continues on the next line. */
  inString: string | undefined;
  /** The previous significant token, which decides what a name is (`:` → label, `.` → property). */
  last: string;
}

function readString(stream: StringStream, quote: string, state: GqlState): string {
  let escaped = false;
  for (;;) {
    const ch = stream.next();
    if (ch === undefined) {
      state.inString = quote; // an unterminated string continues on the next line
      return 'string';
    }
    if (escaped) escaped = false;
    else if (ch === '\\') escaped = true;
    else if (ch === quote) break;
  }
  state.inString = undefined;
  return 'string';
}

function readBlockComment(stream: StringStream, state: GqlState): string {
  state.inComment = !stream.skipTo('*/');
  if (state.inComment) stream.skipToEnd();
  else stream.match('*/');
  return 'comment';
}

/** Colours one token; names after `:` are labels, after `.` properties, before `(` functions. */
function token(stream: StringStream, state: GqlState): string | null {
  if (state.inComment) return readBlockComment(stream, state);
  if (state.inString !== undefined) return readString(stream, state.inString, state);
  if (stream.eatSpace()) return null;
  if (stream.match('//')) {
    stream.skipToEnd();
    return 'comment';
  }
  if (stream.match('/*')) return readBlockComment(stream, state);
  const ch = stream.peek()!;
  if (ch === "'" || ch === '"') {
    stream.next();
    state.last = 'string';
    return readString(stream, ch, state);
  }
  if (ch === '`') {
    stream.next();
    stream.skipTo('`') ? stream.next() : stream.skipToEnd();
    const kind = state.last === ':' ? 'typeName' : state.last === '.' ? 'propertyName' : 'variableName';
    state.last = 'name';
    return kind;
  }
  if (ch === '$') {
    stream.next();
    stream.match(/^[\p{L}\p{N}_]+/u);
    state.last = 'param';
    return 'variableName.special';
  }
  if (stream.match(/^(0x[0-9a-fA-F]+|0o[0-7]+|\d+(\.\d+)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)/)) {
    state.last = 'number';
    return 'number';
  }
  if (stream.match(/^[\p{L}_][\p{L}\p{N}_]*/u)) {
    const word = stream.current();
    const after = state.last;
    state.last = 'name';
    if (after === ':') return 'typeName';
    if (after === '.') return 'propertyName';
    const upper = word.toUpperCase();
    if (GQL_ATOMS.has(upper)) return 'atom';
    if (GQL_KEYWORD_SET.has(upper)) {
      state.last = 'keyword';
      return 'keyword';
    }
    if (stream.match(/^\s*\(/, false)) return 'function';
    return 'variableName';
  }
  stream.next();
  state.last = ch;
  if (ch === ':' || ch === '.') return 'punctuation';
  return /[-+*/%^=<>!|&~]/.test(ch) ? 'operator' : 'punctuation';
}

/** The stream parser behind {@link gqlLanguage}. */
export const gqlStreamParser: StreamParser<GqlState> = {
  name: 'gql',
  startState: () => ({ inComment: false, inString: undefined, last: '' }),
  copyState: (s) => ({ ...s }),
  token,
  languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } } },
  tokenTable: { function: tags.function(tags.variableName) },
};

/** GQL as a CodeMirror language. */
export const gqlLanguage = StreamLanguage.define(gqlStreamParser);

/** Token colours, from style.css's `--syntax-*` custom properties (so both themes apply). */
export const gqlHighlightStyle = HighlightStyle.define([
  { tag: tags.keyword, color: 'var(--syntax-keyword)', fontWeight: '600' },
  { tag: tags.atom, color: 'var(--syntax-atom)' },
  { tag: tags.string, color: 'var(--syntax-string)' },
  { tag: tags.number, color: 'var(--syntax-number)' },
  { tag: tags.comment, color: 'var(--syntax-comment)', fontStyle: 'italic' },
  { tag: tags.typeName, color: 'var(--syntax-label)' },
  { tag: tags.propertyName, color: 'var(--syntax-property)' },
  { tag: tags.function(tags.variableName), color: 'var(--syntax-function)' },
  { tag: tags.special(tags.variableName), color: 'var(--syntax-param)' },
  { tag: tags.variableName, color: 'var(--syntax-variable)' },
  { tag: tags.operator, color: 'var(--syntax-operator)' },
]);

/** The language plus its highlighting. */
export function gql(): Extension {
  return [gqlLanguage, syntaxHighlighting(gqlHighlightStyle)];
}
