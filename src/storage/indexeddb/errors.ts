/**
 * Turning what IndexedDB throws (DOMExceptions, aborted transactions) into GeodeErrors that name
 * the database, so a user sees "quota exceeded for database X" rather than "AbortError".
 */
import { GeodeError, isGeodeError } from '../../util/errors.ts';

function errorName(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string') {
    return (err as { name: string }).name;
  }
  return 'Error';
}

function errorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/**
 * toStoreError: `err`, raised while `doing` something with database `dbName`, as the error the
 * store reports. GeodeErrors and assertion failures pass unchanged (an assertion is a bug, never
 * a GeodeError); QuotaExceededError becomes LIMIT_EXCEEDED; VersionError and every other
 * DOMException become IO. The original is kept as `cause` and its name as `detail`.
 */
export function toStoreError(dbName: string, doing: string, err: unknown): Error {
  if (isGeodeError(err)) return err;
  const name = errorName(err);
  if (name === 'AssertionError') return err as Error;
  const base = { source: dbName, detail: name, cause: err };
  if (name === 'QuotaExceededError') {
    return new GeodeError(
      'LIMIT_EXCEEDED',
      `IndexedDB quota exceeded for database '${dbName}' while ${doing}: the browser refused to store more for this site; ` +
        'free space (delete unused databases, compact the log) or grant persistent storage',
      base,
    );
  }
  if (name === 'VersionError') {
    return new GeodeError(
      'IO',
      `IndexedDB database '${dbName}' has a newer schema version than this code understands (${errorMessage(err)}): ` +
        'it was written by a newer Geode; open it with that version or use another database name',
      base,
    );
  }
  return new GeodeError('IO', `IndexedDB failed while ${doing} for database '${dbName}': ${name}: ${errorMessage(err)}`, base);
}
