/**
 * Loads the LDBC SNB sample into a database through `db.query` batches, as the CLI's importer
 * does, but from text fetched over HTTP (the demo bundles the CSV files as static assets).
 *
 * The mapping (file names → labels and types, fields → values, the batch statements) is the
 * CLI's pure modules, imported as they are, so the demo's graph is the one `geode import` builds.
 * Order: an `id` index per node label, then node files, then edge files.
 */
import type { Geode } from '../src/index.ts';
import { GeodeError, isGeodeError } from '../src/util/errors.ts';
import { classifyLdbcFile, type LdbcFileKind } from '../packages/cli/src/import/ldbc-names.ts';
import { createEdgesQuery, createIdIndexQuery, createNodesQuery, IMPORT_BATCH_ROWS } from '../packages/cli/src/import/ldbc-queries.ts';
import { edgeRow, nodeProperties, parseHeader, splitLine, type ColumnSpec } from '../packages/cli/src/import/ldbc-values.ts';
import type { LdbcSampleManifest } from './sample-manifest.ts';

/** Fetches one sample file's text by its manifest path (`dynamic/person_0_0.csv`). */
export type SampleFetcher = (path: string) => Promise<string>;

/** Progress of a load: `bytesDone` of `bytesTotal` CSV bytes are in the database. */
export interface SampleProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** The file being loaded, `''` once done. */
  readonly file: string;
}

/** What a load did. */
export interface SampleSummary {
  readonly files: number;
  readonly nodes: number;
  readonly edges: number;
}

interface PlannedFile {
  readonly path: string;
  readonly bytes: number;
  readonly what: LdbcFileKind;
}

/** The manifest's LDBC data files in load order: node files, then edge files, each in path order. */
export function planSampleLoad(manifest: LdbcSampleManifest): PlannedFile[] {
  const planned: PlannedFile[] = [];
  for (const f of manifest.files) {
    const what = classifyLdbcFile(f.path);
    if (what !== undefined) planned.push({ path: f.path, bytes: f.bytes, what });
  }
  const byPath = (a: PlannedFile, b: PlannedFile): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return [...planned.filter((f) => f.what.kind === 'nodes').sort(byPath), ...planned.filter((f) => f.what.kind === 'edges').sort(byPath)];
}

/**
 * Loads every LDBC file of `manifest` into `db`; `onProgress` is called after each batch and
 * once at the end with `bytesDone === bytesTotal`. A bad line rejects with INPUT_INVALID naming
 * the file and line; batches already loaded stay loaded (as with the CLI).
 */
export async function loadLdbcSample(
  db: Geode,
  manifest: LdbcSampleManifest,
  fetchText: SampleFetcher,
  onProgress: (p: SampleProgress) => void,
): Promise<SampleSummary> {
  const files = planSampleLoad(manifest);
  if (files.length === 0) throw new GeodeError('INPUT_INVALID', 'the sample manifest lists no LDBC CSV file', { source: 'sample' });
  let bytesTotal = 0;
  for (const f of files) bytesTotal += f.bytes;
  const labels = new Set<string>();
  for (const f of files) if (f.what.kind === 'nodes') labels.add(f.what.label);
  for (const label of labels) {
    if (!db.graph.hasIndex(label, 'id')) await db.query(createIdIndexQuery(label));
  }
  let bytesBefore = 0;
  let nodes = 0;
  let edges = 0;
  onProgress({ bytesDone: 0, bytesTotal, file: files[0]!.path });
  for (const file of files) {
    const text = await fetchText(file.path);
    const created = await loadFileText(db, file, text, (fraction) =>
      onProgress({ bytesDone: bytesBefore + Math.round(file.bytes * fraction), bytesTotal, file: file.path }),
    );
    if (file.what.kind === 'nodes') nodes += created;
    else edges += created;
    bytesBefore += file.bytes;
  }
  onProgress({ bytesDone: bytesTotal, bytesTotal, file: '' });
  return { files: files.length, nodes, edges };
}

/** Loads one file's text in batches of {@link IMPORT_BATCH_ROWS}; returns how many nodes or edges it created. */
async function loadFileText(db: Geode, file: PlannedFile, text: string, onFraction: (fraction: number) => void): Promise<number> {
  const what = file.what;
  const isEdges = what.kind === 'edges';
  const lines = text.split('\n');
  const first = (lines[0] ?? '').replace(/^\uFEFF/, '').replace(/\r$/, '');
  if (first.length === 0) throw new GeodeError('INPUT_INVALID', `${file.path}:1: the file is empty (no header line)`, { source: file.path });
  const specs: ColumnSpec[] = parseHeader(first, what.kind === 'nodes' ? what.label : undefined, { file: file.path, line: 1 }, isEdges);
  const query = what.kind === 'nodes' ? createNodesQuery(what.label) : createEdgesQuery(what.type, what.srcLabel, what.dstLabel, specs.length > 2);
  let created = 0;
  let batch: unknown[] = [];
  let batchFirstLine = 2;
  const flush = async (lastLine: number): Promise<void> => {
    if (batch.length === 0) return;
    try {
      const result = await db.query(query, { rows: batch });
      const cell = result.rows[0]?.['created'];
      created += typeof cell === 'bigint' ? Number(cell) : typeof cell === 'number' ? cell : 0;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new GeodeError(isGeodeError(err) ? err.code : 'INPUT_INVALID', `${file.path} (lines ${batchFirstLine}-${lastLine}): loading failed: ${reason}`, {
        source: file.path,
        cause: err,
      });
    }
    batch = [];
    onFraction(lastLine / lines.length);
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (line.length === 0) continue;
    const where = { file: file.path, line: i + 1 };
    const fields = splitLine(line, specs.length, where);
    if (batch.length === 0) batchFirstLine = i + 1;
    batch.push(isEdges ? edgeRow(fields, specs, where) : nodeProperties(fields, specs, where));
    if (batch.length >= IMPORT_BATCH_ROWS) await flush(i + 1);
  }
  await flush(lines.length);
  return created;
}
