/**
 * `geode`: the command line. `geode query` runs statements (one with `-e`, else a prompt);
 * `geode import` loads an LDBC SNB CSV folder. Both work on the durable graph of a data
 * directory (`--data`, default `./.geode`; file storage, see docs/storage.md), or `geode query
 * --join` on a cluster as a client. `geode relay` and `geode peer` run a cluster's processes
 * (docs/operations.md).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { QueryParams } from '../../../src/api/database.ts';
import { isGeodeError } from '../../../src/util/errors.ts';
import { clearDataDir, DEFAULT_DATA_DIR, openDataDir } from './data-dir.ts';
import { formatError } from './format.ts';
import { createImportReporter, formatImportSummary } from './import-progress.ts';
import { importLdbcFolder } from './import/importer.ts';
import { parseParams } from './params.ts';
import { runRepl } from './repl.ts';
import { runStatement } from './run-query.ts';
import { clusterSecret, peerCommand, relayCommand, type PeerOptions, type RelayOptions } from './cluster-commands.ts';
import { openGeode, type Geode } from '../../../src/node.ts';
import { readConfigFile } from './config-file.ts';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
}

interface QueryOptions {
  readonly e?: string;
  readonly json?: boolean;
  readonly param: string[];
  readonly data: string;
  /** Time limit of each statement, in ms (`--timeout`). */
  readonly timeout?: number;
  /** Relay multiaddrs: run on a cluster as a client instead of the data directory. */
  readonly join: string[];
  readonly cluster?: string;
  readonly secret?: string;
  readonly config?: string;
  readonly readQuorum?: 1;
}

/** `--port <n>`: 0..65535. */
function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

/** The database a `geode query` runs on: the data directory, or a cluster joined as a client. */
async function openQueryTarget(opts: QueryOptions, io: CliIo): Promise<Geode> {
  if (opts.join.length === 0) {
    return (await openDataDir(opts.data, { ...(opts.timeout === undefined ? {} : { queryTimeoutMs: opts.timeout }), onWarning: warnTo(io) })).db;
  }
  if (opts.cluster === undefined) throw new InvalidArgumentError('--join needs --cluster <id>');
  const config = opts.config === undefined ? {} : await readConfigFile(opts.config);
  const db = await openGeode({
    ...(opts.timeout === undefined ? {} : { queryTimeoutMs: opts.timeout }),
    onWarning: warnTo(io),
    cluster: { id: opts.cluster, secret: clusterSecret(opts.secret), relays: opts.join, client: true, config, handOffMs: 0 },
  });
  if (opts.readQuorum === undefined) return db;
  // --read-quorum 1: every statement reads the answering member's replica as it is.
  return {
    cluster: db.cluster,
    graph: db.graph,
    registerProcedure: (d) => db.registerProcedure(d),
    subscribe: (q, p, onResult, o) => db.subscribe(q, p, onResult, o),
    transaction: (fn, o) => db.transaction(fn, o),
    session: () => {
      const inner = db.session();
      return {
        query: (t, p, o) => inner.query(t, p, { ...o, readQuorum: 1 }),
        get inTransaction() {
          return inner.inTransaction;
        },
        close: () => inner.close(),
      };
    },
    close: () => db.close(),
    query: (t, p, o) => db.query(t, p, { ...o, readQuorum: 1 }),
  };
}

/** `--timeout <ms>`: a positive number of milliseconds. */
function parseTimeout(text: string): number {
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) throw new InvalidArgumentError('expected a positive number of milliseconds');
  return ms;
}

interface ImportOptions {
  readonly data: string;
  readonly replace?: boolean;
}

function terminalColumns(io: CliIo): number | undefined {
  return io.stdout.isTTY === true ? io.stdout.columns : undefined;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function queryCommand(opts: QueryOptions, io: CliIo): Promise<number> {
  const params: QueryParams = parseParams(opts.param);
  const db = await openQueryTarget(opts, io);
  try {
    if (opts.e !== undefined) {
      const out = await runStatement(db, opts.e, params, opts.json === true, terminalColumns(io));
      if (!out.ok) {
        io.stderr.write(`${out.stderr}\n`);
        return 1;
      }
      io.stdout.write(`${out.stdout}\n`);
      return 0;
    }
    const interactive = io.stdin.isTTY === true && io.stdout.isTTY === true;
    const failures = await runRepl({
      db,
      params,
      json: opts.json === true,
      afterWrite: () => {},
      input: io.stdin,
      output: io.stdout,
      errorOutput: io.stderr,
      interactive,
      terminalColumns: terminalColumns(io),
    });
    // A piped script fails as a whole when one of its statements failed; the prompt never does.
    return !interactive && failures > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
}

/** Recovery warnings (a torn log tail dropped, a stale lock taken over) go to stderr. */
function warnTo(io: CliIo): (message: string) => void {
  return (message) => io.stderr.write(`warning: ${message}\n`);
}

async function importCommand(folder: string, opts: ImportOptions, io: CliIo): Promise<number> {
  if (opts.replace === true) await clearDataDir(opts.data);
  const { db, restored } = await openDataDir(opts.data, { onWarning: warnTo(io) });
  if (restored) io.stderr.write(`Adding to the existing graph in ${opts.data} (use --replace to start empty)\n`);
  const reporter = createImportReporter(io.stderr);
  try {
    const summary = await importLdbcFolder(db, resolve(folder), reporter);
    reporter.done();
    io.stdout.write(`${formatImportSummary(summary, opts.data)}\n`);
    return 0;
  } finally {
    reporter.done();
    await db.close();
  }
}

/** The commander program; `run` executes it. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('geode')
    .description('Geode graph database: query and import (GQL / openCypher)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();
  const dataOption = (): Option =>
    new Option('--data <dir>', 'data directory (durable file storage; created if missing)').default(DEFAULT_DATA_DIR);
  program
    .command('query')
    .description('run a statement (-e) or open an interactive prompt')
    .option('-e, --execute <text>', 'run one statement, print its result and exit')
    .option('--json', 'print the result as one JSON document {columns, rows}')
    .option('-p, --param <key=value>', 'a query parameter ($key), repeatable; 42, 4.2, true, \'text\', JSON', collect, [])
    .option('--timeout <ms>', 'stop a statement that runs longer than this (LIMIT_EXCEEDED, nothing changed)', parseTimeout)
    .addOption(dataOption())
    .option('--join <multiaddr>', 'run on a cluster as a client (never a replica) through this relay; repeatable', collect, [])
    .option('--cluster <id>', 'the cluster id (with --join)')
    .option('--secret <s>', `the cluster secret (with --join; default $${'GEODE_CLUSTER_SECRET'})`)
    .option('--config <file>', 'configuration keys, JSON or YAML (with --join: request_timeout_ms)')
    .option('--read-quorum <n>', "'1': read the answering member's replica without a ReadIndex round (with --join)", (v) => {
      if (v !== '1') throw new InvalidArgumentError("only '1' (the default is a majority)");
      return 1 as const;
    })
    .action(
      async (opts: { execute?: string; json?: boolean; param: string[]; data: string; timeout?: number; join: string[]; cluster?: string; secret?: string; config?: string; readQuorum?: 1 }) => {
        setExitCode(
          await queryCommand(
            {
              e: opts.execute,
              json: opts.json,
              param: opts.param,
              data: opts.data,
              join: opts.join,
              ...(opts.timeout === undefined ? {} : { timeout: opts.timeout }),
              ...(opts.cluster === undefined ? {} : { cluster: opts.cluster }),
              ...(opts.secret === undefined ? {} : { secret: opts.secret }),
              ...(opts.config === undefined ? {} : { config: opts.config }),
              ...(opts.readQuorum === undefined ? {} : { readQuorum: opts.readQuorum }),
            },
            io,
          ),
        );
      },
    );
  program
    .command('import')
    .description('import an LDBC SNB CSV folder (static/ and dynamic/ with |-separated files)')
    .argument('<folder>', 'the LDBC folder, e.g. ../shared/ldbc-snb-sf-tiny')
    .option('--replace', 'start from an empty graph instead of adding to the data directory')
    .addOption(dataOption())
    .action(async (folder: string, opts: ImportOptions) => {
      setExitCode(await importCommand(folder, opts, io));
    });
  program
    .command('relay')
    .description('run a relay: peers register there and find each other; prints its multiaddrs')
    .option('--listen <multiaddr>', 'listen address, repeatable (default TCP and WebSockets on 127.0.0.1, free ports)', collect, [])
    .option('--http-port <port>', 'serve /metrics (Prometheus) and /health over HTTP on this port', parsePort)
    .option('--http-host <host>', 'address of the HTTP endpoints', '127.0.0.1')
    .option('--key-file <path>', 'identity key file (created if missing) so the multiaddr survives restarts')
    .action(async (opts: RelayOptions) => {
      setExitCode(await relayCommand(opts, io));
    });
  program
    .command('peer')
    .description('run a cluster peer holding the shard in --data until SIGINT / SIGTERM')
    .requiredOption('--cluster <id>', 'the cluster id')
    .option('--secret <s>', 'the cluster secret (default $GEODE_CLUSTER_SECRET)')
    .addOption(dataOption())
    .option('--join <multiaddr>', 'a relay multiaddr (with /p2p/<id>), repeatable', collect, [])
    .option('--bootstrap', 'found the cluster: the first voter when the data directory is empty (one peer, once)')
    .option('--config <file>', 'configuration keys, JSON or YAML (docs/configuration.md)')
    .option('--listen <multiaddr>', 'listen address, repeatable (default TCP and WebSockets on 127.0.0.1, free ports)', collect, [])
    .option('--http-port <port>', 'serve /metrics (Prometheus) and /health over HTTP on this port', parsePort)
    .option('--http-host <host>', 'address of the HTTP endpoints', '127.0.0.1')
    .action(async (opts: PeerOptions) => {
      setExitCode(await peerCommand(opts, io));
    });
  return program;
}

/** Runs the CLI on `argv` (as `process.argv`); resolves with the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  program.exitOverride();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'exitCode' in err && (err as { code?: unknown }).code !== undefined) {
      // A commander error (bad option, --help, --version): commander has printed it already.
      const commanderCode = (err as { exitCode: unknown }).exitCode;
      return typeof commanderCode === 'number' ? commanderCode : 1;
    }
    io.stderr.write(`${formatError(err)}\n`);
    if (!isGeodeError(err) && err instanceof Error && err.stack !== undefined) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
  return code;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const code = await run(process.argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
  process.exitCode = code;
}
