/**
 * The console's query history: the statements run, newest last, kept in localStorage so they
 * survive reloads, and walked with Up/Down at the editor's edges as in a shell. Pure apart from
 * the {@link HistoryStorage} it is handed.
 */

/** How many statements the history keeps; older ones are dropped first. */
export const HISTORY_ENTRIES_MAX = 200;
/** Longest statement kept, in characters: a longer one is run but not remembered. */
export const HISTORY_ENTRY_CHARS_MAX = 20_000;
/** The localStorage key. */
export const HISTORY_STORAGE_KEY = 'geode-demo:history';

/** The part of `Storage` the history uses (localStorage in the page, a map in tests). */
export interface HistoryStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** A bounded, persisted list of statements with a shell-like cursor. */
export class QueryHistory {
  readonly #storage: HistoryStorage | undefined;
  #entries: string[];
  /** Where Up/Down is: `entries.length` means "the draft", below it an entry. */
  #cursor: number;
  /** What the editor held before the walk started, given back when walking past the newest entry. */
  #draft = '';

  constructor(storage?: HistoryStorage) {
    this.#storage = storage;
    this.#entries = QueryHistory.#load(storage);
    this.#cursor = this.#entries.length;
  }

  static #load(storage: HistoryStorage | undefined): string[] {
    if (storage === undefined) return [];
    let raw: string | null;
    try {
      raw = storage.getItem(HISTORY_STORAGE_KEY);
    } catch {
      return []; // storage blocked (privacy settings): history lives in this page only
    }
    if (raw === null) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      if (!Array.isArray(parsed)) return [];
      const kept = parsed.filter((e): e is string => typeof e === 'string' && e.length > 0 && e.length <= HISTORY_ENTRY_CHARS_MAX);
      return kept.slice(-HISTORY_ENTRIES_MAX);
    } catch {
      return []; // damaged value: start afresh rather than fail the page
    }
  }

  /** The statements, oldest first. */
  get entries(): readonly string[] {
    return this.#entries;
  }

  /** Records a statement that was run (blank, over-long and repeats of the newest are skipped) and resets the cursor. */
  add(statement: string): void {
    const text = statement.trim();
    this.#cursor = this.#entries.length;
    if (text.length === 0 || text.length > HISTORY_ENTRY_CHARS_MAX) return;
    if (this.#entries[this.#entries.length - 1] === text) return;
    this.#entries.push(text);
    if (this.#entries.length > HISTORY_ENTRIES_MAX) this.#entries.splice(0, this.#entries.length - HISTORY_ENTRIES_MAX);
    this.#cursor = this.#entries.length;
    this.#save();
  }

  /** Forgets every statement. */
  clear(): void {
    this.#entries = [];
    this.#cursor = 0;
    this.#save();
  }

  /** One step back (older) from where the walk is; `current` is the editor's text, kept as the draft when the walk starts. Undefined at the oldest. */
  previous(current: string): string | undefined {
    if (this.#cursor === 0) return undefined;
    if (this.#cursor === this.#entries.length) {
      this.#draft = current;
      // The statement just run is still in the editor: the first step back skips it.
      if (this.#cursor >= 2 && this.#entries[this.#cursor - 1] === current.trim()) this.#cursor--;
    }
    this.#cursor--;
    return this.#entries[this.#cursor];
  }

  /** One step forward (newer); past the newest entry gives the draft back. Undefined when not walking. */
  next(): string | undefined {
    if (this.#cursor >= this.#entries.length) return undefined;
    this.#cursor++;
    return this.#cursor === this.#entries.length ? this.#draft : this.#entries[this.#cursor];
  }

  #save(): void {
    try {
      this.#storage?.setItem(HISTORY_STORAGE_KEY, JSON.stringify(this.#entries));
    } catch {
      // Quota or privacy settings: the history still works for this page.
    }
  }
}
