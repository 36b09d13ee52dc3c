/**
 * FileStoreIo: the few file-system calls the file store makes, behind an interface so tests can
 * count device syncs and inject failures. {@link nodeFileStoreIo} is the real one (`node:fs`).
 * {@link guardIo} turns whatever a call throws into GeodeError('IO') naming the path.
 */
import { promises as fsp, writeSync } from 'node:fs';
import { GeodeError, isGeodeError } from '../../util/errors.ts';

/** An open file. Writes are positional; `write` writes all of `bytes` (looping on short writes). */
export interface FileStoreHandle {
  write(bytes: Uint8Array, position: number): Promise<void>;
  /** datasync: fdatasync(2): the data and the size are durable. */
  datasync(): Promise<void>;
  /** sync: fsync(2): data and all metadata are durable. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** How a file is opened: to append to an existing file, to create a new one (fails if it exists), or to (re)write it. */
export type OpenMode = 'append' | 'createNew' | 'overwrite';

/** FileStoreIo: every file-system call of the store. */
export interface FileStoreIo {
  /** mkdirp: creates `dir` and missing parents; returns the topmost directory it created, if any. */
  mkdirp(dir: string): Promise<string | undefined>;
  readdir(dir: string): Promise<string[]>;
  /** readFile: the whole file (a plain Uint8Array, never shared with a pool). */
  readFile(path: string): Promise<Uint8Array>;
  open(path: string, mode: OpenMode): Promise<FileStoreHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** syncDir: fsync(2) of a directory, so created, renamed and removed names in it are durable. */
  syncDir(dir: string): Promise<void>;
}

const FLAGS: Record<OpenMode, string> = { append: 'r+', createNew: 'wx', overwrite: 'w' };

/**
 * Writes of at most this many bytes are made with a blocking call on the event loop's thread
 * instead of libuv's thread pool: a write-ahead log appends small records, and handing each one to
 * the pool and back cost more CPU than the write into the page cache itself (2026-12-06, this
 * 2-core VM, a 600-byte append: 25 µs of CPU through the pool, 5 µs blocking). The fdatasync that
 * follows stays on the pool: blocking the loop for it (~170 µs here) stops the peer from
 * handling the frames of its followers and clients while it syncs (the one full `npm run
 * bench:shards` run with it: a single shard's 7,559 writes/s at 0.71 cores, 14,419-15,867 before). Larger writes
 * (snapshot files, a bulk import's entries) also stay on the pool.
 */
export const blockingIoBytesMax = 256 * 1024;

class NodeHandle implements FileStoreHandle {
  constructor(readonly fh: fsp.FileHandle) {}
  async write(bytes: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const left = bytes.length - done;
      const bytesWritten = left <= blockingIoBytesMax ? writeSync(this.fh.fd, bytes, done, left, position + done) : (await this.fh.write(bytes, done, left, position + done)).bytesWritten;
      if (bytesWritten <= 0) throw new Error(`write made no progress at ${position + done}`);
      done += bytesWritten;
    }
  }
  datasync(): Promise<void> {
    return this.fh.datasync();
  }
  sync(): Promise<void> {
    return this.fh.sync();
  }
  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

/** nodeFileStoreIo: the real file system through `node:fs/promises`. */
export const nodeFileStoreIo: FileStoreIo = {
  mkdirp(dir) {
    return fsp.mkdir(dir, { recursive: true });
  },
  readdir(dir) {
    return fsp.readdir(dir);
  },
  async readFile(path) {
    const b = await fsp.readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
  async open(path, mode) {
    return new NodeHandle(await fsp.open(path, FLAGS[mode]));
  },
  rename(from, to) {
    return fsp.rename(from, to);
  },
  unlink(path) {
    return fsp.unlink(path);
  },
  async syncDir(dir) {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

/** errnoOf: the `code` of a Node system error (`ENOENT`, `EEXIST`, ...), or undefined. */
export function errnoOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  if (isGeodeError(err)) return errnoOf(err.cause);
  return typeof c === 'string' ? c : undefined;
}

function ioError(op: string, path: string, cause: unknown): GeodeError {
  if (isGeodeError(cause)) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new GeodeError('IO', `${op} ${path} failed: ${why}`, { source: path, cause });
}

async function guarded<T>(op: string, path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw ioError(op, path, err);
  }
}

/** guardIo: `io` with every failure turned into GeodeError('IO', '<op> <path> failed: ...', { source: path, cause }). */
export function guardIo(io: FileStoreIo): FileStoreIo {
  const handle = (h: FileStoreHandle, path: string): FileStoreHandle => ({
    write: (bytes, position) => guarded('write', path, () => h.write(bytes, position)),
    datasync: () => guarded('fdatasync', path, () => h.datasync()),
    sync: () => guarded('fsync', path, () => h.sync()),
    truncate: (length) => guarded('truncate', path, () => h.truncate(length)),
    close: () => guarded('close', path, () => h.close()),
  });
  return {
    mkdirp: (dir) => guarded('mkdir', dir, () => io.mkdirp(dir)),
    readdir: (dir) => guarded('readdir', dir, () => io.readdir(dir)),
    readFile: (path) => guarded('read', path, () => io.readFile(path)),
    open: async (path, mode) => handle(await guarded('open', path, () => io.open(path, mode)), path),
    rename: (from, to) => guarded('rename', `${from} -> ${to}`, () => io.rename(from, to)),
    unlink: (path) => guarded('unlink', path, () => io.unlink(path)),
    syncDir: (dir) => guarded('fsync', dir, () => io.syncDir(dir)),
  };
}
