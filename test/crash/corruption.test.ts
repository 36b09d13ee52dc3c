/**
 * Corruption, seen from the database: a damaged data directory is reported with the file and
 * offset (never silently skipped or half-loaded); a torn final record, as a crash mid-write leaves,
 * is dropped and the database opens with everything before it.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openGeode } from '../../src/node.ts';
import { isGeodeError } from '../../src/util/errors.ts';

async function filledDir(writes: number, snapshotThreshold?: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'geode-corrupt-'));
  const db = await openGeode({ storage: `file:${dir}`, ...(snapshotThreshold === undefined ? {} : { snapshotThreshold }) });
  for (let i = 0; i < writes; i++) await db.query('CREATE (:N {i: $i, pad: $pad})', { i: BigInt(i), pad: 'p'.repeat(100) });
  await db.close();
  return dir;
}

function only(dir: string, pattern: RegExp): string {
  const names = readdirSync(dir).filter((n) => pattern.test(n));
  expect(names.length).toBe(1);
  return join(dir, names[0]!);
}

describe('a damaged data directory', () => {
  it('a flipped byte in the middle of a segment is refused, naming the file and offset', async () => {
    const dir = await filledDir(50);
    const segment = only(dir, /^wal-.*\.log$/);
    const bytes = readFileSync(segment);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x40;
    writeFileSync(segment, bytes);
    await expect(openGeode({ storage: `file:${dir}` })).rejects.toSatisfy(
      (e: unknown) => isGeodeError(e, 'INPUT_INVALID') && (e as Error).message.includes(segment) && /offset \d+/.test((e as Error).message),
    );
    // Refusing changed nothing: the file is as damaged as before (a repair tool could still read it).
    expect(readFileSync(segment)[at]).toBe(bytes[at]);
  });

  it('a truncated snapshot is refused, naming the file', async () => {
    const dir = await filledDir(30, 10);
    const snapshot = only(dir, /^snapshot-.*\.snap$/);
    truncateSync(snapshot, Math.floor(statSync(snapshot).size / 2));
    await expect(openGeode({ storage: `file:${dir}` })).rejects.toSatisfy(
      (e: unknown) => isGeodeError(e, 'INPUT_INVALID') && (e as Error).message.includes(snapshot),
    );
  });

  it('a torn final record is dropped with a warning and the database opens with the writes before it', async () => {
    const dir = await filledDir(20);
    const segment = only(dir, /^wal-.*\.log$/);
    truncateSync(segment, statSync(segment).size - 7);
    const warnings: string[] = [];
    const db = await openGeode({ storage: `file:${dir}`, onWarning: (m) => warnings.push(m) });
    const { rows } = await db.query('MATCH (n:N) WHERE n.i < 19 RETURN count(n) AS c');
    // The last record was cut: at most the last write is gone, every earlier one is there.
    expect(rows[0]!['c']).toBe(19n);
    const total = (await db.query('MATCH (n:N) RETURN count(n) AS c')).rows[0]!['c'] as bigint;
    expect(warnings.some((w) => w.includes(segment))).toBe(true);
    // And it keeps working on top of the repaired log.
    await db.query('CREATE (:N {i: 100})');
    await db.close();
    const again = await openGeode({ storage: `file:${dir}` });
    expect((await again.query('MATCH (n:N) RETURN count(n) AS c')).rows[0]!['c']).toBe(total + 1n);
    await again.close();
  });
});
