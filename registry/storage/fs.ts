import {
  closeSync,
  constants,
  fdatasync,
  fsync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { NotFoundError } from "../../src/errors/index.ts";
import type { Driver, FileStat, Writer } from "./driver.ts";
import { processAlive } from "../../src/util/process.ts";

/**
 * Driver over a directory. Metadata calls (stat, link, unlink, readdir, utimes) and writes
 * into the page cache are synchronous: on a local disk they take microseconds, less than
 * the round trip to a thread pool (which halved the throughput of small requests). Syncing
 * to disk (milliseconds) stays off the event loop, and happens before anything becomes
 * visible under its final name.
 */
export class FsDriver implements Driver {
  readonly location: string;
  /** Temporary files live in one directory under the root, named `<pid>-<seq>`. */
  readonly #tmpDir: string;
  #tmpSeq = 0;

  constructor(root: string) {
    this.location = resolve(root);
    this.#tmpDir = join(this.location, "tmp");
  }

  /**
   * Removes temporary files left by processes that no longer run (a crash or SIGKILL mid
   * write). Files of live processes, such as a concurrent `idp registry gc`, stay.
   */
  async sweepTemporaryFiles(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#tmpDir).catch(() => [] as string[])) {
      const pid = Number(name.split("-")[0]);
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) continue;
      if (pid === process.pid) continue;
      await rm(join(this.#tmpDir, name), { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  /** Writes `data` to a new synced temporary file and returns its path. */
  async #writeTemp(data: Uint8Array | string): Promise<string> {
    const tmp = join(this.#tmpDir, `${process.pid}-${++this.#tmpSeq}`);
    let fd: number;
    try {
      fd = openSync(tmp, "w", 0o644);
    } catch (error) {
      if (!isMissing(error)) throw error;
      mkdirSync(this.#tmpDir, { recursive: true });
      fd = openSync(tmp, "w", 0o644);
    }
    const writer = new FdWriter(fd, 0);
    try {
      writer.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
      await writer.commit();
    } finally {
      await writer.close();
    }
    return tmp;
  }

  #abs(path: string): string {
    for (const part of path.split("/")) {
      if (part === "" || part === "." || part === "..") throw new Error(`bad storage path ${JSON.stringify(path)}`);
    }
    return join(this.location, path);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const s = statSync(this.#abs(path), { bigint: true });
      if (!s.isFile()) return undefined;
      return {
        size: Number(s.size),
        changedMs: Number(s.ctimeMs),
        modifiedMs: Number(s.mtimeMs),
        links: Number(s.nlink),
        stamp: `${s.ino}:${s.mtimeNs}:${s.size}`,
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(readFileSync(this.#abs(path)));
    } catch (error) {
      if (isMissing(error) || isDirectory(error)) return undefined;
      throw error;
    }
  }

  async open(path: string): Promise<Blob | undefined> {
    const abs = this.#abs(path);
    let size: number;
    try {
      const s = statSync(abs);
      if (!s.isFile()) return undefined;
      size = s.size;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    // Sliced to the size just read, so the Blob knows it without another stat.
    return Bun.file(abs).slice(0, size);
  }

  async put(path: string, data: Uint8Array | string): Promise<void> {
    const target = this.#abs(path);
    const tmp = await this.#writeTemp(data);
    try {
      mkdirSync(dirname(target), { recursive: true });
      renameSync(tmp, target);
    } catch (error) {
      unlinkQuietly(tmp);
      throw error;
    }
  }

  async create(path: string, data: Uint8Array | string): Promise<boolean> {
    const target = this.#abs(path);
    const tmp = await this.#writeTemp(data);
    try {
      mkdirSync(dirname(target), { recursive: true });
      linkSync(tmp, target);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    } finally {
      unlinkQuietly(tmp);
    }
  }

  async append(path: string): Promise<Writer> {
    const target = this.#abs(path);
    mkdirSync(dirname(target), { recursive: true });
    const fd = openSync(target, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
    const initial = statSync(target).size;
    return new FdWriter(fd, initial);
  }

  async link(from: string, to: string): Promise<boolean> {
    const target = this.#abs(to);
    try {
      linkSync(this.#abs(from), target);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      if (code === "ENOENT") {
        if (!(await this.stat(from))) throw new NotFoundError(`no file at ${from}`);
        mkdirSync(dirname(target), { recursive: true });
        return this.link(from, to);
      }
      throw error;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return readdirSync(dir === "" ? this.location : this.#abs(dir));
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === "ENOTDIR") return [];
      throw error;
    }
  }

  async touch(path: string): Promise<boolean> {
    const target = this.#abs(path);
    try {
      // Setting the times changes ctime, which is what gc reads; mtime is set back as it was.
      utimesSync(target, new Date(), statSync(target).mtime);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async remove(path: string): Promise<boolean> {
    const target = this.#abs(path);
    try {
      unlinkSync(target);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return false;
      if (code === "EISDIR" || code === "EPERM") {
        // A tree (an upload session, a repository) can be large: removed off the event loop.
        await rm(target, { recursive: true, force: true });
        return true;
      }
      throw error;
    }
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Bytes written since the last flush after which a background fdatasync starts: a large
 * upload then reaches the disk while it is still arriving, and the final fsync only has the
 * tail left to write.
 */
const FLUSH_EVERY = 32 * 1024 * 1024;

class FdWriter implements Writer {
  #fd: number | undefined;
  #size: number;
  #unflushed = 0;
  /** The background fdatasync in flight, if any: the descriptor stays open until it ends. */
  #flushing: Promise<void> | undefined;
  constructor(fd: number, size: number) {
    this.#fd = fd;
    this.#size = size;
  }
  get size(): number {
    return this.#size;
  }
  write(chunk: Uint8Array): void {
    const fd = this.#fd;
    if (fd === undefined) throw new Error("write after close");
    let offset = 0;
    while (offset < chunk.byteLength) offset += writeSync(fd, chunk, offset);
    this.#size += chunk.byteLength;
    this.#unflushed += chunk.byteLength;
    if (this.#unflushed >= FLUSH_EVERY && !this.#flushing) {
      this.#unflushed = 0;
      // Errors surface at commit's fsync, which reports the same failed writes.
      this.#flushing = new Promise<void>((done) => fdatasync(fd, () => done())).finally(() => (this.#flushing = undefined));
    }
  }
  async commit(): Promise<void> {
    const fd = this.#fd;
    if (fd === undefined) return;
    await this.#flushing;
    await new Promise<void>((done, fail) => fsync(fd, (error) => (error ? fail(error) : done())));
    await this.close();
  }
  async close(): Promise<void> {
    if (this.#fd === undefined) return;
    await this.#flushing;
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}


function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function isDirectory(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "EISDIR";
}
