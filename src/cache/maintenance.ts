import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { DIGEST_ALGORITHMS, Digester, type DigestAlgorithm } from "../oci/digest.ts";
import { REFS_DIR, readRef, type CachedRef } from "./refs.ts";
import type { OciCache } from "./store.ts";

/** One blob on disk. */
export interface CachedBlob {
  digest: string;
  size: number;
  /** Last use (read or write), epoch ms. */
  usedAt: number;
}

/**
 * Every blob in the cache, least recently used first.
 *
 * @example (await listBlobs(cache)).reduce((n, b) => n + b.size, 0)
 */
export async function listBlobs(cache: OciCache): Promise<CachedBlob[]> {
  const out: CachedBlob[] = [];
  const blobs = join(cache.root, "blobs");
  for (const algorithm of await readdir(blobs).catch(() => [] as string[])) {
    for (const encoded of await readdir(join(blobs, algorithm)).catch(() => [] as string[])) {
      const s = await stat(join(blobs, algorithm, encoded)).catch(() => undefined);
      if (s?.isFile()) out.push({ digest: `${algorithm}:${encoded}`, size: s.size, usedAt: s.mtimeMs });
    }
  }
  return out.sort((a, b) => a.usedAt - b.usedAt || (a.digest < b.digest ? -1 : 1));
}

/** A tag the cache remembers. */
export interface CachedTag extends CachedRef {
  /** `registry/repository:tag`. */
  reference: string;
  /** Whether the manifest it points at is still in the cache. */
  present: boolean;
}

/**
 * Every remembered tag, sorted by reference.
 *
 * @example (await listRefs(cache)).map((r) => r.reference) // ["ghcr.io/org/app:v1"]
 */
export async function listRefs(cache: OciCache): Promise<CachedTag[]> {
  const out: CachedTag[] = [];
  const walk = async (dir: string, parts: string[]): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory()) continue;
      if (entry.name === "@tags") {
        for (const tag of await readdir(join(dir, entry.name)).catch(() => [] as string[])) {
          const ref = await readRef(join(dir, entry.name, tag));
          if (ref) out.push({ ...ref, reference: `${parts.join("/")}:${tag}`, present: await cache.has(ref.descriptor) });
        }
      } else {
        await walk(join(dir, entry.name), [...parts, entry.name]);
      }
    }
  };
  await walk(join(cache.root, REFS_DIR), []);
  return out.sort((a, b) => (a.reference < b.reference ? -1 : 1));
}

/** Totals for `idp cache du`. */
export interface CacheUsage {
  root: string;
  blobs: number;
  bytes: number;
  tags: number;
}

/**
 * Blobs, bytes and tags in the cache.
 *
 * @example const { bytes } = await usage(cache);
 */
export async function usage(cache: OciCache): Promise<CacheUsage> {
  const blobs = await listBlobs(cache);
  return { root: cache.root, blobs: blobs.length, bytes: blobs.reduce((n, b) => n + b.size, 0), tags: (await listRefs(cache)).length };
}

export interface PruneOptions {
  /** Remove least recently used blobs until the cache is at most this many bytes. */
  maxSize?: number;
  /** Remove blobs not used for this long (ms). */
  olderThanMs?: number;
  /** Report what would go; remove nothing. */
  dryRun?: boolean;
  now?: number;
}

export interface PruneReport {
  removed: CachedBlob[];
  freedBytes: number;
  remainingBytes: number;
  /** Tags dropped because their manifest went. */
  droppedTags: string[];
}

/**
 * Evicts blobs: first those unused for longer than `olderThanMs`, then least recently used
 * ones until the total is within `maxSize`; tags whose manifest went are dropped. Concurrent
 * readers are safe: a blob removed under a pull is fetched from the registry again.
 *
 * @example await prune(cache, { maxSize: 10 * 1024 ** 3 })
 */
export async function prune(cache: OciCache, options: PruneOptions): Promise<PruneReport> {
  const now = options.now ?? Date.now();
  const blobs = await listBlobs(cache);
  let total = blobs.reduce((n, b) => n + b.size, 0);
  const removed: CachedBlob[] = [];
  for (const blob of blobs) {
    const stale = options.olderThanMs !== undefined && now - blob.usedAt > options.olderThanMs;
    const over = options.maxSize !== undefined && total > options.maxSize;
    if (!stale && !over) continue;
    if (!options.dryRun) await cache.deleteBlob(blob.digest);
    removed.push(blob);
    total -= blob.size;
  }
  const droppedTags: string[] = [];
  const gone = new Set(removed.map((b) => b.digest));
  for (const ref of await listRefs(cache)) {
    if (!ref.present || gone.has(ref.descriptor.digest)) {
      droppedTags.push(ref.reference);
      if (!options.dryRun) await dropRef(cache, ref.reference);
    }
  }
  return { removed, freedBytes: removed.reduce((n, b) => n + b.size, 0), remainingBytes: total, droppedTags };
}

export interface VerifyReport {
  checked: number;
  bytes: number;
  corrupt: string[];
  droppedTags: string[];
  ms: number;
}

/**
 * Re-hashes every blob against the digest it is stored under; a corrupt one is removed (the
 * next pull fetches it again), as are tags pointing at content that is gone.
 *
 * @example const { corrupt } = await verifyCache(cache);
 */
export async function verifyCache(cache: OciCache, onBlob?: (blob: CachedBlob, ok: boolean) => void): Promise<VerifyReport> {
  const started = performance.now();
  const report: VerifyReport = { checked: 0, bytes: 0, corrupt: [], droppedTags: [], ms: 0 };
  for (const blob of await listBlobs(cache)) {
    const ok = await hashMatches(cache.blobPath(blob.digest), blob.digest);
    report.checked++;
    report.bytes += blob.size;
    if (!ok) {
      report.corrupt.push(blob.digest);
      await cache.deleteBlob(blob.digest);
    }
    onBlob?.(blob, ok);
  }
  for (const ref of await listRefs(cache)) {
    if (ref.present) continue;
    report.droppedTags.push(ref.reference);
    await dropRef(cache, ref.reference);
  }
  report.ms = performance.now() - started;
  return report;
}

async function hashMatches(path: string, digest: string): Promise<boolean> {
  const algorithm = digest.slice(0, digest.indexOf(":"));
  // Content under an algorithm idp cannot compute cannot be checked; it is left alone.
  if (!(DIGEST_ALGORITHMS as readonly string[]).includes(algorithm)) return true;
  const digester = new Digester(algorithm as DigestAlgorithm);
  for await (const chunk of Bun.file(path).stream()) digester.update(chunk);
  return digester.digest() === digest;
}

async function dropRef(cache: OciCache, reference: string): Promise<void> {
  const colon = reference.lastIndexOf(":");
  await cache.deleteRef(reference.slice(0, colon), reference.slice(colon + 1));
}
