import { closeSync, constants, fsync, mkdirSync, openSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import { open, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { processAlive } from "../../util/process.ts";

/**
 * Crash-safe file writing for the layout store. Bytes go to a temporary file in the layout's
 * root (same filesystem, so the final rename is atomic), are synced, and only then renamed
 * to their real name; the directory is synced after the rename so that the name survives a
 * power cut too. A crash leaves at most a temporary file, which the next open sweeps away.
 */

/**
 * Temporary files are `.idp-ingest-<pid>-<random>` in the root: hidden, there only while a
 * write is under way (or after a crash, until the next open), and needing no directory of
 * their own (creating and removing one per file cost more than the write of a small blob).
 */
export const INGEST_PREFIX = ".idp-ingest-";
/** Where temporary files lived before: swept too, and removed once empty. */
export const LEGACY_INGEST_DIR = ".idp-ingest";

/** Whether a root entry is idp's temporary state (a temporary file, or the old directory). */
export function isIngestEntry(name: string): boolean {
  return name.startsWith(INGEST_PREFIX) || name === LEGACY_INGEST_DIR;
}

/**
 * How a store writes. `durable` (default true): fsync the file and its directory, so a
 * committed name survives a power cut.
 */
export interface WritePolicy {
  durable?: boolean;
  /**
   * With `durable`: also fsync the directory after the rename (default true). A layout's
   * blobs skip it and sync their directory once, before index.json refers to them.
   */
  syncDirectory?: boolean;
}

/** A new temporary file name, with the pid, so a sweep knows whose it is. */
export function tempName(root: string): string {
  return join(root, `${INGEST_PREFIX}${process.pid}-${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex")}`);
}

/**
 * An open temporary file that bytes are appended to, synchronously into the page cache.
 *
 * @example
 * const file = await TempFile.create(root);
 * try { file.write(bytes); await file.commit(finalPath); } finally { await file.discard(); }
 */
export class TempFile {
  readonly path: string;
  #fd: number | undefined;
  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  static async create(root: string): Promise<TempFile> {
    const path = tempName(root);
    const open = () => new TempFile(path, openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644));
    try {
      return open();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      // The root itself is missing: create it.
      mkdirSync(root, { recursive: true });
      return open();
    }
  }

  /** Synchronous writes: page-cache speed, with no promise per chunk; the sync is async. */
  write(chunk: Uint8Array): void {
    if (this.#fd === undefined) throw new Error("write after close");
    let offset = 0;
    while (offset < chunk.byteLength) offset += writeSync(this.#fd, chunk, offset);
  }

  /**
   * Syncs, closes and renames into place (replacing what is there), then syncs the
   * directory. `durable: false` skips both syncs: the rename still makes the content appear
   * whole or not at all, but a power cut may lose it (for caches, whose content is verified
   * when read and can be fetched again).
   */
  async commit(target: string, options: WritePolicy = {}): Promise<void> {
    const fd = this.#fd;
    if (fd === undefined) throw new Error("commit after close");
    const durable = options.durable ?? true;
    if (durable) await new Promise<void>((done, fail) => fsync(fd, (error) => (error ? fail(error) : done())));
    this.#close();
    try {
      renameSync(this.path, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      mkdirSync(dirname(target), { recursive: true });
      renameSync(this.path, target);
    }
    if (durable && (options.syncDirectory ?? true)) await syncDirectory(dirname(target));
  }

  /** Closes and removes the temporary file; safe to call after commit. */
  async discard(): Promise<void> {
    this.#close();
    try {
      unlinkSync(this.path);
    } catch {
      // committed (renamed away) or never created
    }
  }

  #close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/**
 * Puts `bytes` at `target` whole or not at all, without fsync: written to a temporary file
 * under `root` by the thread pool (so the JavaScript thread goes on with other transfers),
 * then renamed. For content that is verified and can be fetched again (caches).
 *
 * @example await placeBytes(cache.root, cache.blobPath(desc.digest), bytes);
 */
export async function placeBytes(root: string, target: string, bytes: Uint8Array): Promise<void> {
  const path = tempName(root);
  const place = async () => {
    await writeFile(path, bytes, { flag: "wx", mode: 0o644 });
    renameSync(path, target);
  };
  try {
    await place();
  } catch (error) {
    rmSync(path, { force: true });
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    // The root or the blob's directory is missing: create them.
    mkdirSync(dirname(target), { recursive: true });
    mkdirSync(root, { recursive: true });
    try {
      await place();
    } catch (again) {
      rmSync(path, { force: true });
      throw again;
    }
  }
}

/**
 * Atomically and (unless `durable: false`) durably replaces `target` with `data` (temp file,
 * fsync, rename).
 *
 * @example await writeFileAtomic(root, join(root, "index.json"), text);
 */
export async function writeFileAtomic(root: string, target: string, data: string | Uint8Array, options: WritePolicy = {}): Promise<void> {
  const file = await TempFile.create(root);
  try {
    file.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
    await file.commit(target, options);
  } finally {
    await file.discard();
  }
}

/** fsync on a directory makes renames and new names in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Removes temporary files left by processes that are gone (a crash mid-write).
 *
 * @example await sweepTemporaryFiles(layoutRoot); // on open
 */
export async function sweepTemporaryFiles(root: string): Promise<number> {
  let removed = 0;
  const sweep = (dir: string, names: string[], prefix: string) => {
    for (const name of names) {
      const pid = Number(name.slice(prefix.length).split("-")[0]);
      if (Number.isSafeInteger(pid) && pid > 0 && (pid === process.pid || processAlive(pid))) continue;
      rmSync(join(dir, name), { force: true, recursive: true });
      removed++;
    }
  };
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return 0;
  }
  sweep(root, names.filter((name) => name.startsWith(INGEST_PREFIX)), INGEST_PREFIX);
  if (names.includes(LEGACY_INGEST_DIR)) {
    const legacy = join(root, LEGACY_INGEST_DIR);
    sweep(legacy, readdirSync(legacy), "");
    try {
      rmdirSync(legacy);
    } catch {
      // a running process of the old version still writes there
    }
  }
  return removed;
}

/** Size of the regular file at `path`; undefined when nothing (or no file) is there. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = statSync(path, { throwIfNoEntry: false });
    return s?.isFile() ? s.size : undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}
