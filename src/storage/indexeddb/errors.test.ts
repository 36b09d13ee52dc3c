/** What IndexedDB throws becomes a GeodeError naming the database; bugs and GeodeErrors pass unchanged. */
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../util/assert.ts';
import { GeodeError, isGeodeError } from '../../util/errors.ts';
import { toStoreError } from './errors.ts';

describe('IndexedDB errors', () => {
  it('turns QuotaExceededError into LIMIT_EXCEEDED naming the database', () => {
    const err = toStoreError('peer-q', 'writing 3 staged writes', new DOMException('full', 'QuotaExceededError'));
    expect(isGeodeError(err, 'LIMIT_EXCEEDED')).toBe(true);
    expect(err.message).toContain("IndexedDB quota exceeded for database 'peer-q' while writing 3 staged writes");
    expect((err as GeodeError).detail).toBe('QuotaExceededError');
  });

  it('turns VersionError and any other DOMException into IO naming the database, keeping the cause', () => {
    const cause = new DOMException('requested version (1) is less than existing (7)', 'VersionError');
    const version = toStoreError('peer-v', 'opening', cause);
    expect(isGeodeError(version, 'IO')).toBe(true);
    expect(version.message).toContain("IndexedDB database 'peer-v' has a newer schema version");
    expect(version.cause).toBe(cause);
    const other = toStoreError('peer-o', 'opening', new DOMException('boom', 'UnknownError'));
    expect(isGeodeError(other, 'IO')).toBe(true);
    expect(other.message).toBe("IndexedDB failed while opening for database 'peer-o': UnknownError: boom");
  });

  it('passes GeodeErrors and assertion failures through unchanged', () => {
    const geode = new GeodeError('INPUT_INVALID', 'bad record');
    expect(toStoreError('db', 'opening', geode)).toBe(geode);
    const bug = new AssertionError('broken invariant');
    expect(toStoreError('db', 'opening', bug)).toBe(bug);
  });
});
