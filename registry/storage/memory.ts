import { NotFoundError } from "../../src/errors/index.ts";
import type { Driver, FileStat, Writer } from "./driver.ts";

interface Entry {
  chunks: Uint8Array[];
  size: number;
  changedMs: number;
  modifiedMs: number;
  links: number;
  generation: number;
}

/** Driver in memory, for tests: same contract as the filesystem, nothing survives the process. */
export class MemoryDriver implements Driver {
  readonly location = "memory";
  #files = new Map<string, Entry>();
  #generation = 0;

  #check(path: string): string {
    for (const part of path.split("/")) {
      if (part === "" || part === "." || part === "..") throw new Error(`bad storage path ${JSON.stringify(path)}`);
    }
    return path;
  }

  #entry(chunks: Uint8Array[], size: number): Entry {
    const now = Date.now();
    return { chunks, size, changedMs: now, modifiedMs: now, links: 1, generation: ++this.#generation };
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const e = this.#files.get(this.#check(path));
    if (!e) return undefined;
    return { size: e.size, changedMs: e.changedMs, modifiedMs: e.modifiedMs, links: e.links, stamp: `${e.generation}:${e.size}` };
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    const e = this.#files.get(this.#check(path));
    return e ? Buffer.concat(e.chunks) : undefined;
  }

  async open(path: string): Promise<Blob | undefined> {
    const e = this.#files.get(this.#check(path));
    return e ? new Blob(e.chunks as Uint8Array<ArrayBuffer>[]) : undefined;
  }

  async put(path: string, data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data.slice();
    this.#replace(this.#check(path), this.#entry([bytes], bytes.byteLength));
  }

  async create(path: string, data: Uint8Array | string): Promise<boolean> {
    if (this.#files.has(this.#check(path))) return false;
    await this.put(path, data);
    return true;
  }

  #replace(path: string, entry: Entry): void {
    const old = this.#files.get(path);
    if (old) old.links--;
    this.#files.set(path, entry);
  }

  async append(path: string): Promise<Writer> {
    this.#check(path);
    let e = this.#files.get(path);
    if (!e) {
      e = this.#entry([], 0);
      this.#files.set(path, e);
    }
    const entry = e;
    let open = true;
    return {
      get size() {
        return entry.size;
      },
      write(chunk: Uint8Array) {
        if (!open) throw new Error("write after close");
        entry.chunks.push(chunk.slice());
        entry.size += chunk.byteLength;
        entry.changedMs = entry.modifiedMs = Date.now();
      },
      async commit() {
        open = false;
      },
      async close() {
        open = false;
      },
    };
  }

  async link(from: string, to: string): Promise<boolean> {
    const e = this.#files.get(this.#check(from));
    if (!e) throw new NotFoundError(`no file at ${from}`);
    if (this.#files.has(this.#check(to))) return false;
    e.links++;
    e.changedMs = Date.now();
    this.#files.set(to, e);
    return true;
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir === "" ? "" : `${this.#check(dir)}/`;
    const names = new Set<string>();
    for (const key of this.#files.keys()) {
      if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split("/")[0]!);
    }
    return [...names];
  }

  async touch(path: string): Promise<boolean> {
    const e = this.#files.get(this.#check(path));
    if (!e) return false;
    e.changedMs = Date.now();
    return true;
  }

  async remove(path: string): Promise<boolean> {
    this.#check(path);
    const e = this.#files.get(path);
    if (e) {
      e.links--;
      e.changedMs = Date.now();
      this.#files.delete(path);
      return true;
    }
    let removed = false;
    for (const [key, entry] of this.#files) {
      if (key.startsWith(`${path}/`)) {
        entry.links--;
        this.#files.delete(key);
        removed = true;
      }
    }
    return removed;
  }
}
