import { canListReferrers, canListTags, type FetchOptions, type ReadOnlyTarget, type ReferrerLister, type TagLister } from "../content/types.ts";
import { isDigestReference } from "../content/descriptor.ts";
import { DigestMismatchError, NetworkError, NotFoundError } from "../errors/index.ts";
import type { Descriptor } from "../oci/schemas.ts";
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
export class PullThrough implements ReadOnlyTarget, Partial<TagLister & ReferrerLister> {
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

  async exists(desc: Descriptor): Promise<boolean> {
    return (await this.cache.exists(desc)) || this.source.exists(desc);
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<ReadableStream<Uint8Array>> {
    if (await this.cache.exists(desc)) {
      try {
        const stream = await this.cache.fetch(desc, options);
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
   * A cached blob that fails verification (the cache writes without fsync, so a power cut can
   * leave a damaged copy) is removed, so that the next read fetches it again, and the error
   * says so.
   */
  #dropIfCorrupt(desc: Descriptor, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = stream.getReader();
    const cache = this.cache.cache;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          } catch (error) {
            if (!(error instanceof DigestMismatchError)) throw error;
            await cache.deleteBlob(desc.digest).catch(() => false);
            throw new DigestMismatchError(`the cached copy of ${desc.digest} was damaged and has been removed; run the command again to fetch it`, { cause: error });
          }
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 1 },
    );
  }

  /** Tags whose manifest was not cached when resolved are recorded once it is. */
  readonly #pendingTags = new Map<string, string>();

  #afterCommit(desc: Descriptor, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = stream.getReader();
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const { done, value } = await reader.read();
          if (!done) {
            controller.enqueue(value);
            return;
          }
          this.stats.added += desc.size;
          const tag = this.#pendingTags.get(desc.digest);
          if (tag !== undefined) {
            this.#pendingTags.delete(desc.digest);
            await this.cache.tag(desc, tag).catch(() => {});
          }
          controller.close();
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 1 },
    );
  }
}
