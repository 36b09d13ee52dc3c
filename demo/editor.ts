/**
 * The console's editor: CodeMirror 6 with GQL highlighting, completion (see completion.ts),
 * Ctrl-Enter / Cmd-Enter to run, Up/Down at the first/last line to walk the history, and a
 * marked error range.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, completionStatus, type CompletionSource } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, indentOnInput } from '@codemirror/language';
import { EditorState, Prec, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers, placeholder, type DecorationSet } from '@codemirror/view';
import { gql } from './gql-language.ts';
import type { QueryHistory } from './history.ts';

/** Marks `[from, to)` as the error's range, or clears the mark (`undefined`). */
const setErrorRange = StateEffect.define<{ from: number; to: number } | undefined>();

const errorMark = Decoration.mark({ class: 'cm-gql-error', attributes: { 'data-testid': 'error-range' } });

/** The error range decoration; cleared by the next edit. */
const errorRangeField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    for (const e of tr.effects) {
      if (e.is(setErrorRange)) {
        if (e.value === undefined) return Decoration.none;
        const len = tr.state.doc.length;
        const from = Math.min(e.value.from, len);
        const to = Math.min(Math.max(e.value.to, from), len);
        // A zero-width error (the end of the text) is drawn over the character before it.
        if (from === to) return from === 0 ? Decoration.none : Decoration.set([errorMark.range(from - 1, from)]);
        return Decoration.set([errorMark.range(from, to)]);
      }
    }
    return tr.docChanged ? Decoration.none : marks.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** The editor's colours and sizes, from style.css's custom properties (so both themes apply). */
const consoleTheme = EditorView.theme({
  '&': { fontSize: '14px', backgroundColor: 'var(--editor-bg)', color: 'var(--text)', height: '100%' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.55' },
  '.cm-content': { padding: '10px 0', caretColor: 'var(--accent)' },
  '.cm-gutters': { backgroundColor: 'var(--editor-gutter)', color: 'var(--muted)', border: 'none', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'var(--editor-active-line)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--editor-active-line)' },
  '&.cm-focused .cm-cursor': { borderLeftColor: 'var(--accent)' },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: 'var(--editor-selection)' },
  '.cm-placeholder': { color: 'var(--muted)' },
  '.cm-tooltip': { backgroundColor: 'var(--panel)', border: '1px solid var(--border)', color: 'var(--text)', borderRadius: '6px' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: 'var(--accent)', color: 'var(--accent-text)' },
  '.cm-tooltip.cm-tooltip-autocomplete > ul': { fontFamily: 'var(--mono)', fontSize: '13px' },
  '.cm-completionDetail': { color: 'var(--muted)', fontStyle: 'normal', marginLeft: '0.8em', fontFamily: 'var(--font)', fontSize: '11px' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected] .cm-completionDetail': { color: 'inherit', opacity: '0.8' },
  '.cm-matchingBracket': { backgroundColor: 'var(--editor-bracket)', outline: 'none' },
});

/** What the editor needs from the console. */
export interface EditorOptions {
  readonly parent: HTMLElement;
  readonly doc: string;
  readonly completion: CompletionSource;
  readonly history: QueryHistory;
  /** Runs the editor's text (Ctrl-Enter / Cmd-Enter). */
  readonly onRun: () => void;
}

/** The console's editor. */
export class ConsoleEditor {
  readonly view: EditorView;

  constructor(options: EditorOptions) {
    const { history: queries, onRun } = options;
    const replaceAll = (view: EditorView, text: string): boolean => {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: text.length }, scrollIntoView: true });
      return true;
    };
    const consoleKeys = Prec.highest(
      keymap.of([
        { key: 'Mod-Enter', preventDefault: true, run: () => (onRun(), true) },
        {
          key: 'ArrowUp',
          run: (view) => {
            if (completionStatus(view.state) !== null) return false;
            const head = view.state.selection.main.head;
            if (view.state.doc.lineAt(head).number !== 1) return false;
            const text = queries.previous(view.state.doc.toString());
            return text === undefined ? false : replaceAll(view, text);
          },
        },
        {
          key: 'ArrowDown',
          run: (view) => {
            if (completionStatus(view.state) !== null) return false;
            const head = view.state.selection.main.head;
            if (view.state.doc.lineAt(head).number !== view.state.doc.lines) return false;
            const text = queries.next();
            return text === undefined ? false : replaceAll(view, text);
          },
        },
      ]),
    );
    const extensions: Extension[] = [
      consoleKeys,
      lineNumbers(),
      highlightActiveLineGutter(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      closeBrackets(),
      highlightActiveLine(),
      autocompletion({ override: [options.completion], activateOnTyping: true, icons: false }),
      keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, indentWithTab]),
      EditorView.lineWrapping,
      placeholder('MATCH (n) RETURN n LIMIT 25'),
      gql(),
      consoleTheme,
      errorRangeField,
      EditorView.contentAttributes.of({ 'aria-label': 'Query', 'data-testid': 'query-editor' }),
    ];
    this.view = new EditorView({ parent: options.parent, state: EditorState.create({ doc: options.doc, extensions }) });
  }

  /** The query text. */
  get text(): string {
    return this.view.state.doc.toString();
  }

  /** Replaces the query text and puts the cursor at its end. */
  setText(text: string): void {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text }, selection: { anchor: text.length } });
  }

  /** Marks an error range (offsets into the text), scrolls to it and puts the cursor there; `undefined` clears it. */
  markError(range: { from: number; to: number } | undefined): void {
    if (range === undefined) {
      this.view.dispatch({ effects: setErrorRange.of(undefined) });
      return;
    }
    const at = Math.min(range.from, this.view.state.doc.length);
    this.view.dispatch({ effects: [setErrorRange.of(range), EditorView.scrollIntoView(at, { y: 'nearest' })], selection: { anchor: at } });
  }

  /** Gives the editor the keyboard focus. */
  focus(): void {
    this.view.focus();
  }
}
