import { afterEach } from 'vitest';
import { describeLogStoreConformance } from '../log-store-conformance.ts';
import { openFileLogStore, type FileLogStore } from './index.ts';
import { removeTempDirs, tempDir } from './test-helpers.ts';

afterEach(removeTempDirs);

describeLogStoreConformance('file', {
  fresh: () => Promise.resolve(tempDir()),
  at: (place) => openFileLogStore(place, { segmentBytes: 512 }),
  crash: (store) => (store as FileLogStore).crash(),
});
