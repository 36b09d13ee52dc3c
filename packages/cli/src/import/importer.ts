/**
 * The LDBC importer's I/O shell: finds the CSV files of a folder, streams them line by line and
 * loads them through the public query API in batches. Mapping rules live in the pure modules
 * `ldbc-names.ts`, `ldbc-values.ts` and `ldbc-queries.ts`.
 *
 * Order: one `id` index per node label, then every node file, then every edge file (an edge
 * finds its endpoints by (label, id), so all nodes must exist first).
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import type { Geode } from '../../../../src/api/database.ts';
import { GeodeError, isGeodeError } from '../../../../src/util/errors.ts';
import { classifyLdbcFile, type LdbcFileKind } from './ldbc-names.ts';
import { createEdgesQuery, createIdIndexQuery, createNodesQuery, IMPORT_BATCH_ROWS } from './ldbc-queries.ts';
import { edgeRow, nodeProperties, parseHeader, splitLine, type ColumnSpec, type LineSource } from './ldbc-values.ts';

/** One data file found in the folder. */
export interface LdbcFile {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the imported folder, for messages (`dynamic/person_0_0.csv`). */
  readonly name: string;
  readonly bytes: number;
  readonly what: LdbcFileKind;
}

/** Receives progress; the CLI draws bars on a TTY and prints lines otherwise. */
export interface ImportReporter {
  fileStarted(file: LdbcFile): void;
  /** Called after each batch: bytes read so far and rows loaded so far in this file. */
  fileProgress(file: LdbcFile, bytesRead: number, rows: number): void;
  /** `created` may be below `rows` for edges whose endpoints were not found. */
  fileFinished(file: LdbcFile, rows: number, created: number): void;
}

/** What an import did. */
export interface ImportSummary {
  readonly files: number;
  readonly nodes: number;
  readonly edges: number;
  /** Edge lines whose source or target node was not found. */
  readonly edgesSkipped: number;
  readonly ms: number;
}

/** Folders of the LDBC layout scanned besides the root. */
const LDBC_SUBFOLDERS = ['static', 'dynamic'] as const;

/**
 * The data files of an LDBC folder: node files first, then edge files, each group in path order.
 * Throws INPUT_INVALID when the folder is missing or holds no LDBC file.
 */
export function findLdbcFiles(folder: string): LdbcFile[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new GeodeError('INPUT_INVALID', `import folder not found: ${folder}`, { source: folder });
  }
  const dirs = [folder];
  for (const sub of LDBC_SUBFOLDERS) {
    const dir = join(folder, sub);
    if (existsSync(dir) && statSync(dir).isDirectory()) dirs.push(dir);
  }
  const files: LdbcFile[] = [];
  for (const dir of dirs) {
    for (const entry of readdirSync(dir).sort()) {
      const what = classifyLdbcFile(entry);
      if (what === undefined) continue;
      const path = join(dir, entry);
      const stat = statSync(path);
      if (!stat.isFile()) continue;
      files.push({ path, name: relative(folder, path), bytes: stat.size, what });
    }
  }
  if (files.length === 0) {
    throw new GeodeError(
      'INPUT_INVALID',
      `no LDBC CSV files (like person_0_0.csv or person_knows_person_0_0.csv) in ${folder} or its static/ and dynamic/ folders`,
      { source: folder },
    );
  }
  const nodes = files.filter((f) => f.what.kind === 'nodes');
  const edges = files.filter((f) => f.what.kind === 'edges');
  return [...nodes, ...edges];
}

/** Imports an LDBC CSV folder into `db`. A bad line stops the import with INPUT_INVALID naming file and line. */
export async function importLdbcFolder(db: Geode, folder: string, reporter: ImportReporter): Promise<ImportSummary> {
  const started = performance.now();
  const files = findLdbcFiles(folder);
  const labels = new Set<string>();
  for (const f of files) if (f.what.kind === 'nodes') labels.add(f.what.label);
  for (const label of labels) {
    if (!db.graph.hasIndex(label, 'id')) await db.query(createIdIndexQuery(label));
  }
  let nodes = 0;
  let edges = 0;
  let edgesSkipped = 0;
  for (const file of files) {
    reporter.fileStarted(file);
    const { rows, created } = await loadFile(db, file, reporter);
    reporter.fileFinished(file, rows, created);
    if (file.what.kind === 'nodes') nodes += created;
    else {
      edges += created;
      edgesSkipped += rows - created;
    }
  }
  return { files: files.length, nodes, edges, edgesSkipped, ms: performance.now() - started };
}

interface FileLoad {
  readonly rows: number;
  readonly created: number;
}

async function loadFile(db: Geode, file: LdbcFile, reporter: ImportReporter): Promise<FileLoad> {
  const what = file.what;
  const isEdges = what.kind === 'edges';
  const label = what.kind === 'nodes' ? what.label : undefined;
  const query = what.kind === 'nodes' ? createNodesQuery(what.label) : undefined;
  let specs: ColumnSpec[] | undefined;
  let edgeQuery: string | undefined;
  let batch: unknown[] = [];
  let batchFirstLine = 0;
  let rows = 0;
  let created = 0;
  let bytesRead = 0;
  let lineNo = 0;

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const text = query ?? edgeQuery!;
    try {
      const result = await db.query(text, { rows: batch });
      const cell = result.rows[0]?.['created'];
      created += typeof cell === 'bigint' ? Number(cell) : typeof cell === 'number' ? cell : 0;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const code = isGeodeError(err) ? err.code : 'INPUT_INVALID';
      throw new GeodeError(code, `${file.name} (lines ${batchFirstLine}-${lineNo}): loading failed: ${reason}`, {
        source: file.name,
        cause: err,
      });
    }
    rows += batch.length;
    batch = [];
    reporter.fileProgress(file, Math.min(bytesRead, file.bytes), rows);
  };

  const input = createReadStream(file.path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      lineNo++;
      bytesRead += Buffer.byteLength(raw, 'utf8') + 1;
      const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      const where: LineSource = { file: file.name, line: lineNo };
      if (specs === undefined) {
        specs = parseHeader(line, label, where, isEdges);
        if (what.kind === 'edges') edgeQuery = createEdgesQuery(what.type, what.srcLabel, what.dstLabel, specs.length > 2);
        continue;
      }
      if (line.length === 0) continue;
      const fields = splitLine(line, specs.length, where);
      if (batch.length === 0) batchFirstLine = lineNo;
      batch.push(isEdges ? edgeRow(fields, specs, where) : nodeProperties(fields, specs, where));
      if (batch.length >= IMPORT_BATCH_ROWS) await flush();
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (specs === undefined) throw new GeodeError('INPUT_INVALID', `${file.name}:1: the file is empty (no header line)`, { source: file.name });
  await flush();
  return { rows, created };
}

