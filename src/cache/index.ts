import { ociCacheDir, readOciEnv } from "../config/env.ts";
import { parseSize } from "../config/units.ts";
import type { ReadOnlyTarget, ReferrerLister, TagLister } from "../content/types.ts";
import type { Reference } from "../oci/reference.ts";
import { loadRegistries } from "../registries/file.ts";
import { prune, type PruneReport } from "./maintenance.ts";
import { PullThrough } from "./pull-through.ts";
import { CacheRepository } from "./repository.ts";
import { OciCache } from "./store.ts";

/**
 * The local OCI cache: a content-addressed store every pull reads through, a Target per
 * repository, and its maintenance (ls, du, prune, verify).
 *
 * @example
 * const cache = await openCache();
 * const through = new PullThrough(remote, new CacheRepository(cache, "ghcr.io/org/app"));
 */
export { OciCache } from "./store.ts";
export { CacheRepository } from "./repository.ts";
export { PullThrough, type CacheStats } from "./pull-through.ts";
export { listBlobs, listRefs, prune, usage, verifyCache, type CacheUsage, type CachedBlob, type CachedTag, type PruneReport, type VerifyReport } from "./maintenance.ts";

/**
 * Opens the cache of an environment (`IDP_OCI_CACHE_DIR`, default `$IDP_HOME/oci-cache`).
 *
 * @example const cache = await openCache();
 */
export function openCache(env: Record<string, string | undefined> = process.env): Promise<OciCache> {
  return OciCache.open(ociCacheDir(env));
}

/**
 * The configured size limit: `IDP_OCI_CACHE_MAX_SIZE` (or its legacy spelling), else
 * `cache.maxSize` in registries.yaml; undefined for none.
 *
 * @example await cacheLimit({ IDP_OCI_CACHE_MAX_SIZE: "10GiB" }) // 10737418240
 */
export async function cacheLimit(env: Record<string, string | undefined> = process.env): Promise<number | undefined> {
  const fromEnv = readOciEnv(env, "IDP_OCI_CACHE_MAX_SIZE");
  if (fromEnv) return parseSize(fromEnv.value, fromEnv.name);
  const configured = (await loadRegistries(env)).cache?.maxSize;
  if (configured === undefined) return undefined;
  return typeof configured === "number" ? configured : parseSize(configured, "cache.maxSize");
}

/**
 * Trims the cache to its configured limit, if any (LRU); undefined when there is none.
 *
 * @example await enforceLimit(cache) // after a pull that added content
 */
export async function enforceLimit(cache: OciCache, env: Record<string, string | undefined> = process.env): Promise<PruneReport | undefined> {
  const maxSize = await cacheLimit(env);
  return maxSize === undefined ? undefined : prune(cache, { maxSize });
}

/** `false` bypasses the cache; an OciCache uses that one; undefined opens the environment's. */
export type CacheOption = OciCache | false | undefined;

/**
 * Wraps a pull's source in the cache: for registry references, reads go through the cache
 * (see PullThrough); layouts are local already and are read directly. `done()` waits for
 * the cache writes still running, then keeps the cache within its limit. A cache directory
 * that cannot be created (read-only home) is skipped rather than failing the pull.
 *
 * @example
 * const through = await pullThroughCache(remote, ref);
 * … read through.target …
 * await through.done();
 */
export async function pullThroughCache(
  src: ReadOnlyTarget & Partial<TagLister & ReferrerLister>,
  ref: Reference,
  option?: CacheOption,
  env: Record<string, string | undefined> = process.env,
): Promise<{ target: ReadOnlyTarget; through?: PullThrough; done(): Promise<void>; settle(): Promise<void> }> {
  const direct = { target: src, done: async () => {}, settle: async () => {} };
  if (option === false || ref.kind !== "registry") return direct;
  let cache: OciCache;
  try {
    cache = option ?? (await openCache(env));
  } catch (error) {
    if (["EACCES", "EROFS", "EPERM"].includes((error as NodeJS.ErrnoException).code ?? "")) return direct;
    throw error;
  }
  const through = new PullThrough(src, new CacheRepository(cache, `${ref.registry}/${ref.repository}`));
  return {
    target: through,
    through,
    async done() {
      await through.settle();
      if (through.stats.added > 0) await enforceLimit(cache, env);
    },
    /** After a failure: waits for the cache writes still running, raising nothing. */
    settle: () => through.quiesce(),
  };
}
