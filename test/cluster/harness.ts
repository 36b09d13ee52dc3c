/**
 * Real processes for the cluster tests: a relay (`geode relay`) and peers (peer-process.ts),
 * each spawned as `process.execPath --import tsx <script>` (not the tsx CLI, whose extra process
 * would survive SIGKILL), on loopback, killed by the test with SIGKILL or closed cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodeJsonValue, encodeJsonValue } from './json-values.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '..', '..');
const PEER_SCRIPT = join(here, 'peer-process.ts');
export const CLI = join(REPO, 'packages', 'cli', 'src', 'main.ts');

/** Longest wait for a process to print its first line, ms. */
const startTimeoutMs = 30_000;

/** A child process whose stdout is JSON lines (peers) or text lines (the relay). */
export class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  #waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[], echoStderr: string | undefined) {
    // CLUSTER_CPU_PROF=<dir>: each child writes a V8 CPU profile there when it exits cleanly (SIGTERM, not SIGKILL).
    const prof = process.env['CLUSTER_CPU_PROF'];
    const profArgs = prof === undefined || prof === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`];
    // CLUSTER_TS=node: Node's own TypeScript transform instead of tsx (whose esbuild output wraps
    // every named closure in a `__name` call at run time: a few µs per statement on hot paths).
    const loader = process.env['CLUSTER_TS'] === 'node' ? ['--experimental-transform-types', '--no-warnings'] : ['--import', 'tsx'];
    // CLUSTER_NODE_ARGS: more Node flags for every child, split on spaces (e.g. `--heap-prof`).
    const extra = (process.env['CLUSTER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    this.proc = spawn(process.execPath, [...profArgs, ...extra, ...loader, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      this.lines.push(l);
      this.#wake();
    });
    createInterface({ input: this.proc.stderr! }).on('line', (l) => {
      this.stderr.push(l);
      if (echoStderr !== undefined && process.env['CLUSTER_TEST_VERBOSE'] === '1') process.stderr.write(`[${echoStderr}] ${l}\n`);
      this.#wake();
    });
    this.exited = new Promise((ok) => this.proc.once('exit', (code) => {
      ok(code);
      this.#wake();
    }));
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** waitFor: resolves once `cond()` holds (checked at every output line), rejects after `ms`. */
  async waitFor<T>(cond: () => T | undefined, ms: number, what: string): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = cond();
      if (v !== undefined) return v;
      if (this.proc.exitCode !== null) throw new Error(`${what}: the process exited (${this.proc.exitCode}); stderr:\n${this.stderr.join('\n')}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${what}: nothing after ${ms} ms; stderr:\n${this.stderr.join('\n')}`);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }
}

/** A relay process (`geode relay`). */
export class RelayProc {
  readonly child: Child;
  addrs: string[] = [];
  constructor() {
    this.child = new Child([CLI, 'relay'], 'relay');
  }
  static async start(): Promise<RelayProc> {
    const r = new RelayProc();
    // Addresses go to stdout, 'ready' to stderr: wait for both (the two pipes race).
    await r.child.waitFor(
      () => (r.child.stderr.includes('ready') && r.child.lines.some((l) => l.startsWith('/') && !l.includes('/ws')) ? true : undefined),
      startTimeoutMs,
      'relay start',
    );
    r.addrs = r.child.lines.filter((l) => l.startsWith('/'));
    return r;
  }
  /** The TCP multiaddr (peers in Node join over TCP). */
  tcp(): string {
    return this.addrs.find((a) => !a.includes('/ws'))!;
  }
}

/** What `status` answers. */
export interface PeerStatusAnswer {
  readonly self: string;
  readonly leader: string | null;
  readonly isLeader: boolean;
  readonly voters: number;
  readonly learners: number;
  readonly applied: number;
  readonly term: number;
  readonly snapshotsReceived: number;
  readonly framesRejected: number;
  readonly netRejected: number;
  /** Shard-layer frames this peer's transport sent and received so far. */
  readonly framesOut: number;
  readonly framesIn: number;
  /** Commit index this peer knows of, and its last log index. */
  readonly commit: number;
  readonly lastIndex: number;
  /** The peer's listen multiaddrs (TCP and WebSockets). */
  readonly addrs: readonly string[];
}

/** A query's answer, or its failure. */
export type QueryAnswer =
  | { readonly ok: true; readonly rows: Record<string, unknown>[]; readonly writes: number; readonly ms: number }
  | { readonly ok: false; readonly code: string; readonly detail: string | null; readonly message: string };

/** Options of a peer process. */
export interface PeerArgs {
  readonly data: string;
  readonly relays: string[];
  readonly cluster: string;
  readonly secret: string;
  readonly bootstrap?: boolean;
  readonly config?: Record<string, unknown>;
  /** Listen multiaddrs (default: loopback, free ports). */
  readonly listen?: string[];
  /** Join as a cluster client (`cluster.client`: memory storage, no replica; `query` and `txnLoad` only). */
  readonly client?: boolean;
}

/** A peer process (peer-process.ts) driven by JSON lines. */
export class PeerProc {
  readonly child: Child;
  readonly name: string;
  readonly args: PeerArgs;
  self = '';
  #next = 1;
  #seen = 0;
  readonly #pending = new Map<number, (a: Record<string, unknown>) => void>();

  private constructor(name: string, args: PeerArgs) {
    this.name = name;
    this.args = args;
    this.child = new Child([PEER_SCRIPT, JSON.stringify(args)], name);
    this.child.proc.stdout!.on('data', () => queueMicrotask(() => this.#drain()));
    void this.child.exited.then(() => {
      for (const [, f] of this.#pending) f({ ok: false, code: 'EXITED', detail: null, message: `${name} exited` });
      this.#pending.clear();
    });
  }

  #drain(): void {
    while (this.#seen < this.child.lines.length) {
      const msg = decodeJsonValue(JSON.parse(this.child.lines[this.#seen++]!)) as Record<string, unknown>;
      if (msg['ready'] === true) this.self = String(msg['self']);
      const id = msg['id'];
      if (typeof id === 'number') {
        const f = this.#pending.get(id);
        this.#pending.delete(id);
        f?.(msg);
      }
    }
  }

  /** start: spawns the peer and waits (`timeoutMs`, default 30 s) until it printed that it is ready. */
  static async start(name: string, args: PeerArgs, timeoutMs = startTimeoutMs): Promise<PeerProc> {
    const p = new PeerProc(name, args);
    await p.child.waitFor(() => {
      p.#drain();
      return p.self !== '' ? true : undefined;
    }, timeoutMs, `${name} start`);
    return p;
  }

  request(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.child.proc.exitCode !== null || this.child.proc.signalCode !== null) return Promise.resolve({ ok: false, code: 'EXITED', detail: null, message: `${this.name} is not running` });
    const id = this.#next++;
    return new Promise((ok) => {
      this.#pending.set(id, ok);
      this.child.proc.stdin!.write(`${JSON.stringify(encodeJsonValue({ ...req, id }))}\n`);
    });
  }

  query(text: string, params: Record<string, unknown> = {}, opts: { readQuorum?: 1; timeoutMs?: number } = {}): Promise<QueryAnswer> {
    return this.request({ op: 'query', text, params, ...opts }) as Promise<QueryAnswer>;
  }

  async status(): Promise<PeerStatusAnswer> {
    const a = await this.request({ op: 'status' });
    if (a['ok'] !== true) throw new Error(`${this.name} status: ${String(a['message'])}`);
    return a as unknown as PeerStatusAnswer;
  }

  alive(): boolean {
    return this.child.proc.exitCode === null && this.child.proc.signalCode === null;
  }

  /** sigkill: the process dies at once (nothing flushed, nothing closed). */
  async sigkill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.child.exited;
  }

  /** stop: SIGTERM (clean shutdown), then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (!this.alive()) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.child.exited;
    clearTimeout(t);
  }
}

/** A temporary directory removed by `cleanup`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** until: polls `f` every `everyMs` until it returns a value (not undefined), or throws after `ms`. */
export async function until<T>(f: () => Promise<T | undefined>, ms: number, what: string, everyMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, everyMs));
  }
}
