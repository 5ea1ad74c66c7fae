import { constants as fsc, openSync, closeSync, writeSync } from "node:fs";
import { chmod, link, mkdir, mkdtemp, realpath, rm, symlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { Parser, type ReadEntry } from "tar";
import { InvalidInputError, SizeLimitError } from "../errors/index.ts";
import { decompressed } from "./decompress.ts";
import { moveInto } from "./move.ts";
import { entryComponents, symlinkProblem } from "./paths.ts";

export interface ExtractOptions {
  /** Replace files that exist in the output directory. Default false: refuse. */
  overwrite?: boolean;
  /** Most bytes the archive's files may expand to. Default 8 GiB. */
  maxBytes?: number;
  /** Most entries the archive may hold. Default 1,000,000. */
  maxEntries?: number;
}

export interface ExtractResult {
  files: number;
  bytes: number;
}

export const DEFAULT_MAX_EXTRACT_BYTES = 8 * 1024 ** 3;
const DEFAULT_MAX_ENTRIES = 1_000_000;

/**
 * Extracts a tar (plain, gzip or zstd) into `outDir`, safely: entries with absolute paths or
 * `..`, symlinks or hard links leading outside, device files and FIFOs, and archives that
 * expand past `maxBytes` are refused, with one line naming the entry and the reason. Nothing
 * is written outside `outDir`, never through a symlink, and existing files are replaced only
 * with `overwrite`. Entries land in a temporary directory beside `outDir` first and are moved
 * in only when the whole archive has extracted, so a failure leaves nothing visible.
 *
 * @example await extract(await store.fetch(layerDesc), "./out", { overwrite: false });
 */
export async function extract(source: ReadableStream<Uint8Array>, outDir: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const out = await realTarget(resolve(outDir));
  await mkdir(dirname(out), { recursive: true });
  const staging = await mkdtemp(join(dirname(out), `.${basename(out)}.idp-extract-`));
  try {
    // mkdtemp makes 0700; a new output directory gets the usual mode instead.
    await chmod(staging, 0o777 & ~process.umask());
    const result = await extractInto(source, staging, options);
    await moveInto(staging, out, { overwrite: options.overwrite ?? false });
    return result;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The real path of an existing output directory (so staging shares its filesystem). */
async function realTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

async function extractInto(source: ReadableStream<Uint8Array>, root: string, options: ExtractOptions): Promise<ExtractResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EXTRACT_BYTES;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const state = { files: 0, bytes: 0, entries: 0, seen: new Map<string, "file" | "directory" | "symlink">(), dirs: [] as { path: string; mode: number }[] };
  const parser = new Parser({ strict: true, maxMetaEntrySize: 1024 * 1024 });
  const entries = queue<ReadEntry>();
  let current: ReadEntry | undefined;
  // Aborted with the error when the archive or its source fails: an entry being written
  // waits for bytes that will not come, and stops on this.
  const failed = new AbortController();
  const stop = (error: unknown) => {
    entries.fail(error);
    failed.abort(error);
  };
  parser.on("entry", (entry: ReadEntry) => entries.push(entry));
  parser.on("error", (error: Error) => stop(new InvalidInputError(`the archive is not a valid tar: ${error.message}`)));
  parser.on("end", () => {
    entries.end();
    if (current && current.remain > 0) stop(new InvalidInputError(`the archive ends in the middle of entry ${JSON.stringify(current.path)}`));
  });
  const halt = new AbortController();
  const feeding = feed(source, parser, halt.signal).catch(stop);
  try {
    for await (const entry of entries) {
      if (++state.entries > maxEntries) throw new SizeLimitError(`the archive has more than ${maxEntries} entries`);
      current = entry;
      await place(entry, root, state, maxBytes, failed.signal);
      current = undefined;
    }
  } catch (error) {
    // The feeder stops at its next chunk; it writes no files, so there is no need to wait
    // for it (a stalled source would make that wait long).
    halt.abort();
    throw error;
  }
  await feeding;
  // Directory modes last, deepest first, so a read-only directory does not block its contents.
  for (const dir of state.dirs.reverse()) await chmod(dir.path, dir.mode);
  return { files: state.files, bytes: state.bytes };
}

/** Pushes the (decompressed) archive into the parser, honouring its backpressure. */
async function feed(source: ReadableStream<Uint8Array>, parser: Parser, halt: AbortSignal): Promise<void> {
  for await (const chunk of decompressed(source)) {
    if (halt.aborted) return;
    if (!parser.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
      await new Promise<void>((drained) => {
        const done = () => {
          parser.off("drain", done);
          halt.removeEventListener("abort", done);
          drained();
        };
        parser.on("drain", done);
        halt.addEventListener("abort", done);
      });
      if (halt.aborted) return;
    }
  }
  parser.end();
}

type State = { files: number; bytes: number; seen: Map<string, "file" | "directory" | "symlink">; dirs: { path: string; mode: number }[] };

async function place(entry: ReadEntry, root: string, state: State, maxBytes: number, failed: AbortSignal): Promise<void> {
  const shown = JSON.stringify(entry.path.length > 120 ? `${entry.path.slice(0, 117)}...` : entry.path);
  const refuse = (why: string) => new InvalidInputError(`archive entry ${shown}: ${why}`);
  const parsed = entryComponents(entry.path);
  if ("problem" in parsed) throw refuse(parsed.problem);
  const parts = parsed.parts;
  if (parts.length === 0) {
    if (entry.type === "Directory") return void entry.resume();
    throw refuse("is not a directory but names the archive root");
  }
  const rel = parts.join("/");
  for (let i = 1; i < parts.length; i++) {
    const kind = state.seen.get(parts.slice(0, i).join("/"));
    if (kind === "symlink") throw refuse(`its parent ${parts.slice(0, i).join("/")} is a symlink`);
    if (kind === "file") throw refuse(`its parent ${parts.slice(0, i).join("/")} is a file`);
  }
  const previous = state.seen.get(rel);
  if (previous !== undefined && !(previous === "directory" && entry.type === "Directory")) throw refuse("appears twice in the archive");
  const target = join(root, ...parts);
  await mkdir(dirname(target), { recursive: true });
  const mode = (entry.mode ?? 0o644) & 0o777;

  switch (entry.type) {
    case "Directory":
      await mkdir(target, { recursive: true, mode: 0o700 });
      state.dirs.push({ path: target, mode: mode | 0o700 });
      state.seen.set(rel, "directory");
      return void entry.resume();
    case "File":
    case "OldFile":
    case "ContiguousFile": {
      const size = entry.size ?? 0;
      if (state.bytes + size > maxBytes) throw new SizeLimitError(`archive entry ${shown}: the archive expands past ${maxBytes} bytes`, { hint: "raise the extraction size limit if the archive is trusted" });
      state.seen.set(rel, "file");
      await writeEntry(entry, target, mode, failed);
      state.bytes += size;
      state.files++;
      return;
    }
    case "SymbolicLink": {
      const problem = symlinkProblem(parts, entry.linkpath ?? "");
      if (problem) throw refuse(problem);
      await symlink(entry.linkpath!, target);
      state.seen.set(rel, "symlink");
      return void entry.resume();
    }
    case "Link": {
      const linked = entryComponents(entry.linkpath ?? "");
      if ("problem" in linked) throw refuse(`hard link target ${JSON.stringify(entry.linkpath)}: ${linked.problem}`);
      const from = linked.parts.join("/");
      if (state.seen.get(from) !== "file") throw refuse(`hard link target ${JSON.stringify(entry.linkpath)} is not a file extracted before it`);
      await link(join(root, ...linked.parts), target);
      state.seen.set(rel, "file");
      state.files++;
      return void entry.resume();
    }
    case "CharacterDevice":
    case "BlockDevice":
      throw refuse("device files are not extracted");
    case "FIFO":
      throw refuse("FIFOs are not extracted");
    default:
      throw refuse(`entries of type ${entry.type} are not extracted`);
  }
}

/** Streams an entry's bytes into a new file (never following a link at its path). */
async function writeEntry(entry: ReadEntry, target: string, mode: number, failed: AbortSignal): Promise<void> {
  const chunks = (entry as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const fd = openSync(target, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, mode);
  try {
    for (;;) {
      const next = await nextOrStop(chunks, failed);
      if (next.done) break;
      const chunk = next.value;
      let offset = 0;
      while (offset < chunk.byteLength) offset += writeSync(fd, chunk, offset);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The iterator's next value, or a rejection when `stop` aborts first. The abort listener is
 * removed each time: racing every chunk against one long-lived promise would keep every
 * chunk reachable until the end.
 */
function nextOrStop<T>(iterator: AsyncIterator<T>, stop: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    if (stop.aborted) return reject(stop.reason);
    const onStop = () => reject(stop.reason);
    stop.addEventListener("abort", onStop, { once: true });
    iterator.next().then(
      (result) => {
        stop.removeEventListener("abort", onStop);
        resolve(result);
      },
      (error: unknown) => {
        stop.removeEventListener("abort", onStop);
        reject(error);
      },
    );
  });
}

/** A one-consumer async queue fed by events. */
function queue<T>(): AsyncIterable<T> & { push(item: T): void; end(): void; fail(error: unknown): void } {
  const items: T[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push: (item) => (items.push(item), notify()),
    end: () => ((ended = true), notify()),
    fail: (error) => ((failure ??= { error }), notify()),
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (failure) throw failure.error;
        const item = items.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
