/**
 * The byte-level storage seam: files at slash-separated relative paths. RegistryStore holds
 * every OCI rule; a Driver only moves bytes. Two implementations share one contract suite
 * (test/registry/driver.test.ts): the filesystem (the default) and memory (tests).
 */
export interface FileStat {
  size: number;
  /** Last content or link change or touch, ms since the epoch (the gc grace window reads this). */
  changedMs: number;
  /** Last content change, ms since the epoch (retention's "newest" reads this). */
  modifiedMs: number;
  /** Number of paths that name this file (hard links). */
  links: number;
  /** Opaque; differs whenever the file at this path is replaced. */
  stamp: string;
}

/** An open file being appended to. */
export interface Writer {
  /** Bytes in the file (including any there before it was opened). */
  readonly size: number;
  write(chunk: Uint8Array): void;
  /** Makes the written bytes durable, then closes. */
  commit(): Promise<void>;
  /** Closes without making anything durable; the file stays as written so far. */
  close(): Promise<void>;
}

export interface Driver {
  /** Where the bytes live, for messages: a directory or "memory". */
  readonly location: string;
  stat(path: string): Promise<FileStat | undefined>;
  /** The whole file, for small files (manifests, index.json). */
  read(path: string): Promise<Uint8Array | undefined>;
  /** A Blob over the file, streamed when sent (Bun sends files with sendfile). */
  open(path: string): Promise<Blob | undefined>;
  /** Atomically replaces `path` with `data`, durably (temp file, fsync, rename). */
  put(path: string, data: Uint8Array | string): Promise<void>;
  /**
   * Writes `data` at `path` only if nothing is there, atomically and durably (temp file,
   * fsync, hard link). Returns false, writing nothing, when `path` exists.
   */
  create(path: string, data: Uint8Array | string): Promise<boolean>;
  /** Opens `path` for appending, creating it and its parents. */
  append(path: string): Promise<Writer>;
  /**
   * Gives the file at `from` a second name `to` (a hard link), creating parents. Returns false
   * when `to` exists already, leaving it alone; throws NotFoundError when `from` is missing.
   */
  link(from: string, to: string): Promise<boolean>;
  /** Names directly under `dir`; [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** Removes a file or a directory tree; false when nothing was there. */
  remove(path: string): Promise<boolean>;
  /**
   * Marks a file as just used: its changedMs becomes now, its bytes and modifiedMs stay.
   * False when nothing is there. (gc spares content used within its grace window.)
   */
  touch(path: string): Promise<boolean>;
}
