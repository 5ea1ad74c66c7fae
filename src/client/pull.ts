import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { pullThroughCache, type CacheOption, type PullThrough } from "../cache/index.ts";
import type { Fetcher, ReadOnlyTarget } from "../content/types.ts";
import { AlreadyExistsError, InvalidInputError, UnsupportedError } from "../errors/index.ts";
import { Annotation, isIndexMediaType } from "../oci/mediatypes.ts";
import { parseManifest } from "../oci/manifest.ts";
import type { Reference } from "../oci/reference.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { entryComponents } from "../pack/paths.ts";
import { limiter } from "../copy/limit.ts";
import { WHOLE_READ_MAX } from "../remote/blobs.ts";
import { fetchManifest } from "./manifest.ts";
import { describeBlob, type TransferObserver } from "./observe.ts";

export interface PullOptions {
  overwrite?: boolean;
  /** Most bytes a directory layer may expand to. */
  maxBytes?: number;
  observer?: TransferObserver;
  /** The local cache registry pulls read through (default: the one under IDP_OCI_CACHE_DIR); false bypasses it. */
  cache?: CacheOption;
  /** Stops the pull (Ctrl-C): what was under way is removed, and the pull fails with the reason. */
  signal?: AbortSignal;
}

export interface PullResult {
  digest: string;
  /** Paths written (relative to the output directory): files, and directories unpacked. */
  written: string[];
  /** Layers without a title, which have no file name to go to. */
  skipped: Descriptor[];
}

/**
 * `idp pull`: writes each titled layer of an artifact into `outDir` the way oras does (a
 * plain layer becomes the file its title names; a layer marked for unpacking is extracted
 * safely), verifying every byte against its digest. Nothing is written outside `outDir`,
 * nothing existing is replaced without `overwrite`, and a failed layer leaves no partial file.
 * Registry content is read through the local cache, so pulling it again moves no blobs.
 */
export async function pullArtifact(origin: ReadOnlyTarget, ref: Reference, outDir: string, options: PullOptions = {}): Promise<PullResult> {
  const cached = await pullThroughCache(origin, ref, options.cache);
  const src = cached.target;
  options.signal?.throwIfAborted();
  const { descriptor, bytes } = await fetchManifest(src, ref, options.signal);
  const info = parseManifest(bytes, descriptor.mediaType);
  if (isIndexMediaType(info.mediaType)) {
    const choices = info.manifests.map((m) => `${m.digest}${m.platform ? ` (${m.platform.os}/${m.platform.architecture})` : ""}`);
    throw new UnsupportedError(`${descriptor.digest} is an index of ${info.manifests.length} manifests, not one artifact`, {
      hint: `pull one of them by digest: ${choices.slice(0, 4).join(", ")}${choices.length > 4 ? ", …" : ""}`,
    });
  }
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const result: PullResult = { digest: descriptor.digest, written: [], skipped: [] };
  const jobs: { layer: Descriptor; parts: string[]; unpack: boolean }[] = [];
  for (const layer of info.blobs.slice(1)) {
    const title = layer.annotations?.[Annotation.title];
    if (!title) {
      result.skipped.push(layer);
      continue;
    }
    const checked = entryComponents(title);
    if ("problem" in checked) throw new InvalidInputError(`layer ${layer.digest} has title ${JSON.stringify(title)}: ${checked.problem}`);
    jobs.push({ layer, parts: checked.parts, unpack: layer.annotations?.[Annotation.orasUnpack] === "true" });
  }
  // Refuse before moving a byte when a plain file would replace one that exists.
  if (!options.overwrite) {
    for (const job of jobs) {
      const path = join(out, ...job.parts);
      if (!job.unpack && existsSync(path)) {
        throw new AlreadyExistsError(`${path} exists`, { hint: "pass --overwrite to replace it, or pull into another directory with -o" });
      }
    }
  }
  // Layers travel side by side (as oras does); each lands whole or not at all. The first
  // failure stops the others, and the pull ends only once nothing runs any more.
  const limit = limiter(PULL_CONCURRENCY);
  const through = cached.through;
  const overwrite = options.overwrite ?? false;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const settled = await Promise.allSettled(
    jobs.map((job) =>
      limit(async () => {
        signal.throwIfAborted();
        const path = join(out, ...job.parts);
        try {
          if (!job.unpack && through && !(await through.cache.exists(job.layer))) {
            // A plain file the cache lacks: a small one is read whole and written to both
            // places at once; a larger one streams, each chunk written to both in one loop.
            if (job.layer.size <= WHOLE_READ_MAX) await pullSmallFile(through, job.layer, path, overwrite, options.observer, signal);
            else await pullFileThroughCache(through, job.layer, path, overwrite, options.observer, signal);
          } else if (job.unpack) {
            // Extraction (tar, zlib) loads only for directory layers.
            const { extract } = await import("../pack/extract.ts");
            await extract(await observed(src, job.layer, options.observer, signal), out, { overwrite, ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}) });
          } else {
            await writeStream(await observed(src, job.layer, options.observer, signal), path, overwrite);
          }
        } catch (error) {
          options.observer?.finish(job.layer.digest, "failed");
          if (!signal.aborted) stop.abort(error);
          throw error;
        }
        options.observer?.finish(job.layer.digest, "done");
      }),
    ),
  );
  if (signal.aborted || settled.some((s) => s.status === "rejected")) {
    await cached.settle();
    throw signal.aborted ? signal.reason : (settled.find((s) => s.status === "rejected") as PromiseRejectedResult).reason;
  }
  result.written.push(...jobs.map((job) => job.parts.join("/") || "."));
  await cached.done();
  return result;
}

async function observed(src: Fetcher, desc: Descriptor, observer: TransferObserver | undefined, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const stream = await src.fetch(desc, { signal });
  if (!observer) return stream;
  observer.start(desc.digest, describeBlob(desc), desc.size);
  let seen = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        observer.update(desc.digest, seen);
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Downloads a layer into the cache and, in the same pass, into its file (see
 * writeFileSafely): each chunk is written twice without a second read or a chain of streams.
 */
async function pullFileThroughCache(through: PullThrough, layer: Descriptor, path: string, overwrite: boolean, observer: TransferObserver | undefined, signal: AbortSignal): Promise<void> {
  await writeFileSafely(path, overwrite, async (write) => {
    observer?.start(layer.digest, describeBlob(layer), layer.size);
    await through.download(
      layer,
      (chunk, total) => {
        write(chunk);
        observer?.update(layer.digest, total);
      },
      signal,
    );
  });
}

/**
 * A small layer the cache lacks: read whole (verified), then its output file and its cache
 * copy written side by side off the JavaScript thread; the file is renamed into place only
 * once both are written.
 */
async function pullSmallFile(through: PullThrough, layer: Descriptor, path: string, overwrite: boolean, observer: TransferObserver | undefined, signal: AbortSignal): Promise<void> {
  observer?.start(layer.digest, describeBlob(layer), layer.size);
  const bytes = await through.read(layer, WHOLE_READ_MAX, signal);
  await writeBytesSafely(path, overwrite, bytes, () => through.keep(layer, bytes));
  observer?.update(layer.digest, layer.size);
}

/** Layers fetched at once. */
const PULL_CONCURRENCY = 4;

/**
 * Writes `path` through a temporary file beside it, renamed into place only once `fill` has
 * written everything (and the download behind it verified), so a failed or killed pull
 * never leaves a partial file. Like cp, curl and oras it does not fsync (the bytes were
 * verified on the way; durability against power loss is the file system's). Chunks and
 * metadata calls go to the file system synchronously: one thread-pool trip per call costs
 * more than the call.
 */
async function writeFileSafely(path: string, overwrite: boolean, fill: (write: (chunk: Uint8Array) => void) => Promise<void>): Promise<void> {
  const tmp = prepareOutput(path, overwrite);
  const fd = openSync(tmp, "w", 0o644);
  let open = true;
  try {
    await fill((chunk) => {
      let offset = 0;
      while (offset < chunk.byteLength) offset += writeSync(fd, chunk, offset);
    });
    closeSync(fd);
    open = false;
    renameSync(tmp, path);
  } catch (error) {
    if (open) closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Like writeFileSafely for bytes in memory, written by the thread pool while `alongside` runs. */
async function writeBytesSafely(path: string, overwrite: boolean, bytes: Uint8Array, alongside: () => Promise<void>): Promise<void> {
  const tmp = prepareOutput(path, overwrite);
  try {
    await Promise.all([writeFile(tmp, bytes, { flag: "wx", mode: 0o644 }), alongside()]);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Refuses an existing `path` unless `overwrite`, creates its directory, names its temporary file. */
function prepareOutput(path: string, overwrite: boolean): string {
  if (!overwrite && existsSync(path)) {
    throw new AlreadyExistsError(`${path} exists`, { hint: "pass --overwrite to replace it, or pull into another directory with -o" });
  }
  const dir = dirname(path);
  // The output directory itself was made by pullArtifact; a recursive mkdir of a directory
  // that exists still costs a system call per level.
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  // Hidden, so that even a pull killed outright leaves nothing that looks like a file of the artifact.
  return join(dir, `.${basename(path)}.idp-pull-${process.pid}-${++tempSeq}`);
}

/** Writes a (verifying) stream to `path` safely. */
async function writeStream(stream: ReadableStream<Uint8Array>, path: string, overwrite: boolean): Promise<void> {
  try {
    await writeFileSafely(path, overwrite, async (write) => {
      for await (const chunk of stream) write(chunk);
    });
  } finally {
    await stream.cancel().catch(() => {});
  }
}

let tempSeq = 0;
