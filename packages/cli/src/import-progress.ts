/**
 * Import progress for the terminal: a cli-progress bar per file on a TTY, plain lines otherwise
 * (logs, CI). Writes to stderr so stdout keeps only the summary.
 */
import cliProgress from 'cli-progress';
import type { ImportReporter, ImportSummary, LdbcFile } from './import/importer.ts';

/** An {@link ImportReporter} that can be closed (stops a bar left running by an error). */
export interface ClosableReporter extends ImportReporter {
  done(): void;
}

function describe(file: LdbcFile): string {
  const what = file.what;
  return what.kind === 'nodes' ? `:${what.label}` : `(:${what.srcLabel})-[:${what.type}]->(:${what.dstLabel})`;
}

/** Bars on a TTY, lines otherwise. */
export function createImportReporter(stream: NodeJS.WriteStream): ClosableReporter {
  if (stream.isTTY === true) return barReporter(stream);
  return lineReporter(stream);
}

function lineReporter(stream: NodeJS.WritableStream): ClosableReporter {
  let started = 0;
  return {
    fileStarted(file) {
      started = performance.now();
      stream.write(`loading ${file.name} ${describe(file)} (${file.bytes} bytes)\n`);
    },
    fileProgress() {},
    fileFinished(file, rows, created) {
      const ms = Math.round(performance.now() - started);
      const noun = file.what.kind === 'nodes' ? 'nodes' : 'edges';
      const skipped = rows > created ? `, ${rows - created} skipped (endpoint not found)` : '';
      stream.write(`  ${file.name}: ${rows} rows, ${created} ${noun}${skipped} in ${ms} ms\n`);
    },
    done() {},
  };
}

function barReporter(stream: NodeJS.WriteStream): ClosableReporter {
  let bar: cliProgress.SingleBar | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    fileStarted(file) {
      stop();
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: '{file} [{bar}] {percentage}% | {rows} rows | {duration_formatted}',
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(file.bytes, 1), 0, { file: file.name.padEnd(42), rows: 0 });
    },
    fileProgress(_file, bytesRead, rows) {
      bar?.update(bytesRead, { rows });
    },
    fileFinished(file, rows) {
      bar?.update(Math.max(file.bytes, 1), { rows });
      stop();
    },
    done: stop,
  };
}

/** The closing summary: counts and times. */
export function formatImportSummary(summary: ImportSummary, dataDir: string): string {
  const lines = [
    `Imported ${summary.nodes} nodes and ${summary.edges} edges from ${summary.files} files in ${(summary.ms / 1000).toFixed(2)} s`,
  ];
  if (summary.edgesSkipped > 0) lines.push(`${summary.edgesSkipped} edge rows skipped: source or target node not found`);
  lines.push(`Stored durably in ${dataDir}`);
  return lines.join('\n');
}
