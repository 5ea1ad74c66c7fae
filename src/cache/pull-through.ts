import { isDigestReference } from "../content/descriptor.ts";
import { MAX_MANIFEST_BYTES } from "../content/successors.ts";
import { canFetchReference, canListReferrers, canListTags, type FetchOptions, type ReadOnlyTarget, type ReferenceFetcher, type ReferrerLister, type TagLister } from "../content/types.ts";
import { readAll } from "../content/verify.ts";
import { DigestMismatchError, NetworkError, NotFoundError } from "../errors/index.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { passThrough } from "../util/pass-through.ts";
import type { CacheRepository } from "./repository.ts";

/** What a read through the cache did, for reports and tests. */
export interface CacheStats {
  /** Blobs and manifests served from the cache. */
  hits: number;
  /** Read from the source (and written into the cache). */
  misses: number;
  /** Bytes written into the cache. */
  added: number;
  /** A tag was answered from the cache because the source could not be reached. */
  offline: boolean;
}

/**
 * A source read through the local cache: content the cache holds is served from disk (no
 * request at all, so a second pull of the same content makes no blob requests), everything
 * else is streamed from the source and written into the cache on the way, verified, once.
 * Tags are always asked of the source (tags move) and remembered; when the source cannot be
 * reached, a remembered tag answers instead (`stats.offline`). A digest the cache knows
 * needs no request at all.
 *
 * @example
 * const through = new PullThrough(remoteRepo, cacheRepo);
 * const desc = await through.resolve("v1");
 */
export class PullThrough implements ReadOnlyTarget, ReferenceFetcher, Partial<TagLister & ReferrerLister> {
  readonly source: ReadOnlyTarget & Partial<TagLister & ReferrerLister>;
  readonly cache: CacheRepository;
  readonly stats: CacheStats = { hits: 0, misses: 0, added: 0, offline: false };

  constructor(source: ReadOnlyTarget & Partial<TagLister & ReferrerLister>, cache: CacheRepository) {
    this.source = source;
    this.cache = cache;
    if (canListTags(source)) this.tags = (options) => source.tags(options);
    if (canListReferrers(source)) this.referrers = (desc, artifactType) => source.referrers(desc, artifactType);
  }

  tags?: TagLister["tags"];
  referrers?: ReferrerLister["referrers"];

  async resolve(reference: string): Promise<Descriptor> {
    if (isDigestReference(reference)) {
      const cached = await this.cache.resolve(reference).catch(() => undefined);
      if (cached) return cached;
      return this.source.resolve(reference);
    }
    try {
      const desc = await this.source.resolve(reference);
      if (await this.cache.exists(desc)) await this.cache.tag(desc, reference).catch(() => {});
      else this.#pendingTags.set(desc.digest, reference);
      return desc;
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      const cached = await this.cache.resolve(reference).catch(() => undefined);
      if (!cached) throw error;
      this.stats.offline = true;
      return cached;
    }
  }

  /**
   * A manifest and its descriptor: by digest from the cache when it holds it; by a tag the
   * cache has not seen, from the source in one request where it can (a registry's GET), kept
   * in the cache (written while the caller goes on; see settle) and the tag remembered; by a known tag, resolved (HEAD) and then read from
   * the cache when it holds that manifest. Offline, a remembered tag answers as in resolve.
   */
  async fetchReference(reference: string, signal?: AbortSignal): Promise<{ descriptor: Descriptor; bytes: Uint8Array }> {
    const source = this.source;
    // A tag seen before is asked by HEAD (its manifest is likely cached, and Docker Hub counts
    // a GET as a pull); a new one by GET, which brings the manifest in the same request.
    const seen = !isDigestReference(reference) && (await this.cache.resolve(reference).then(() => true, () => false));
    if (seen || isDigestReference(reference) || !canFetchReference(source)) return this.#resolveAndRead(reference, signal);
    let fetched: { descriptor: Descriptor; bytes: Uint8Array };
    try {
      fetched = await source.fetchReference(reference, signal);
    } catch (error) {
      // Unreachable: resolve answers from a remembered tag, as it does offline.
      if (!(error instanceof NetworkError)) throw error;
      return this.#resolveAndRead(reference, signal);
    }
    const { descriptor, bytes } = fetched;
    // Kept while the caller goes on to the blobs; settle() waits for it.
    this.#later(async () => {
      if (await this.cache.exists(descriptor)) this.stats.hits++;
      else {
        this.stats.misses++;
        await this.cache.push(descriptor, bytes);
        this.stats.added += descriptor.size;
      }
      await this.cache.tag(descriptor, reference).catch(() => {});
    });
    return fetched;
  }

  /** Cache writes a read did not wait for. */
  readonly #writes: Promise<void>[] = [];

  #later(write: () => Promise<void>): void {
    const running = write();
    running.catch(() => {}); // raised by settle()
    this.#writes.push(running);
  }

  /** Waits for the cache writes reads left running; the first failure is raised. */
  async settle(): Promise<void> {
    await Promise.all(this.#writes.splice(0));
  }

  /** Waits for the cache writes reads left running, whatever they end in. */
  async quiesce(): Promise<void> {
    await Promise.allSettled(this.#writes.splice(0));
  }

  async #resolveAndRead(reference: string, signal: AbortSignal | undefined): Promise<{ descriptor: Descriptor; bytes: Uint8Array }> {
    const descriptor = await this.resolve(reference);
    return { descriptor, bytes: await readAll(await this.fetch(descriptor, signal ? { signal } : {}), MAX_MANIFEST_BYTES, `manifest ${descriptor.digest}`) };
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return (await this.cache.exists(desc)) || this.source.exists(desc);
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<ReadableStream<Uint8Array>> {
    if (await this.cache.exists(desc)) {
      try {
        // Always verified: that is how a damaged copy is found and dropped.
        const stream = await this.cache.fetch(desc, { ...options, unverified: false });
        this.stats.hits++;
        return this.#dropIfCorrupt(desc, stream);
      } catch (error) {
        // Evicted by another process between the check and the read: go to the source.
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    this.stats.misses++;
    const stream = await this.source.fetch(desc, options);
    // A partial read (resuming at an offset) cannot be verified whole, so it is not kept.
    if ((options.offset ?? 0) !== 0) return stream;
    const tee = await this.cache.cache.teeInto(desc, stream);
    return this.#afterCommit(desc, tee);
  }

  /**
   * Fetches a blob the cache lacks from the source into the cache, verified, and returns its
   * path there. `onChunk` sees each chunk as it is written (`idp pull` writes its output file
   * in the same pass); the download is verified only once it ends, so what `onChunk` wrote
   * counts only if this resolves.
   */
  async download(desc: Descriptor, onChunk?: (chunk: Uint8Array, total: number) => void, signal?: AbortSignal): Promise<string> {
    this.stats.misses++;
    const path = await this.cache.cache.ingest(desc, await this.source.fetch(desc, signal ? { signal } : {}), onChunk);
    this.stats.added += desc.size;
    return path;
  }

  /**
   * A small blob the cache lacks, read whole from the source (which verifies it); `keep`
   * then stores it. Split so that a pull writes its output file while the cache copy is
   * written.
   */
  async read(desc: Descriptor, limit: number, signal?: AbortSignal): Promise<Uint8Array> {
    this.stats.misses++;
    return readAll(await this.source.fetch(desc, signal ? { signal } : {}), limit, `blob ${desc.digest}`);
  }

  /** Stores a blob `read` returned. */
  async keep(desc: Descriptor, bytes: Uint8Array): Promise<void> {
    await this.cache.cache.store(desc, bytes);
    this.stats.added += desc.size;
  }

  /**
   * A cached blob that fails verification (the cache writes without fsync, so a power cut can
   * leave a damaged copy) is removed, so that the next read fetches it again, and the error
   * says so.
   */
  #dropIfCorrupt(desc: Descriptor, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const cache = this.cache.cache;
    return passThrough(stream, {
      async error(error) {
        if (!(error instanceof DigestMismatchError)) return error;
        await cache.deleteBlob(desc.digest).catch(() => false);
        return new DigestMismatchError(`the cached copy of ${desc.digest} was damaged and has been removed; run the command again to fetch it`, { cause: error });
      },
    });
  }

  /** Tags whose manifest was not cached when resolved are recorded once it is. */
  readonly #pendingTags = new Map<string, string>();

  #afterCommit(desc: Descriptor, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    return passThrough(stream, {
      end: async () => {
        this.stats.added += desc.size;
        const tag = this.#pendingTags.get(desc.digest);
        if (tag !== undefined) {
          this.#pendingTags.delete(desc.digest);
          await this.cache.tag(desc, tag).catch(() => {});
        }
      },
    });
  }
}
