import { closeSync, constants, fsync, mkdirSync, openSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { processAlive } from "../../util/process.ts";

/**
 * Crash-safe file writing for the layout store. Bytes go to a temporary file inside the
 * layout (same filesystem, so the final rename is atomic), are synced, and only then renamed
 * to their real name; the directory is synced after the rename so that the name survives a
 * power cut too. A crash leaves at most a temporary file, which the next open sweeps away.
 */

/** Directory of temporary files, inside the layout. Other tools ignore unknown entries. */
export const INGEST_DIR = ".idp-ingest";

/**
 * How a store writes. `durable` (default true): fsync the file and its directory, so a
 * committed name survives a power cut. `tidy` (default true): remove the temporary directory
 * whenever it empties, so a layout holds nothing but the layout (for tar and other tools);
 * a cache keeps it, saving a mkdir and an rmdir per file.
 */
export interface WritePolicy {
  durable?: boolean;
  tidy?: boolean;
  /**
   * With `durable`: also fsync the directory after the rename (default true). A layout's
   * blobs skip it and sync their directory once, before index.json refers to them.
   */
  syncDirectory?: boolean;
}

/** A new temporary file name: `<pid>-<random>`, so a sweep knows whose it is. */
export function tempName(root: string): string {
  return join(root, INGEST_DIR, `${process.pid}-${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex")}`);
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
  readonly #tidy: boolean;
  private constructor(path: string, fd: number, tidy: boolean) {
    this.path = path;
    this.#fd = fd;
    this.#tidy = tidy;
  }

  static async create(root: string, policy: WritePolicy = {}): Promise<TempFile> {
    const path = tempName(root);
    // The directory may be missing, or removed by a tidy discard in another process between
    // mkdir and open: create it and try again then.
    for (let attempt = 0; ; attempt++) {
      try {
        return new TempFile(path, openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644), policy.tidy ?? true);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= 5) throw error;
      }
      mkdirSync(dirname(path), { recursive: true });
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
    if (!this.#tidy) return;
    try {
      rmdirSync(dirname(this.path));
    } catch {
      // other temporary files are in it
    }
  }

  #close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/**
 * Atomically and (unless `durable: false`) durably replaces `target` with `data` (temp file,
 * fsync, rename).
 *
 * @example await writeFileAtomic(root, join(root, "index.json"), text);
 */
export async function writeFileAtomic(root: string, target: string, data: string | Uint8Array, options: WritePolicy = {}): Promise<void> {
  const file = await TempFile.create(root, options);
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
  let names: string[];
  try {
    names = readdirSync(join(root, INGEST_DIR));
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = Number(name.split("-")[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && (pid === process.pid || processAlive(pid))) continue;
    rmSync(join(root, INGEST_DIR, name), { force: true, recursive: true });
    removed++;
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
