import { MAX_MANIFEST_BYTES, isManifest, successorsOf } from "../content/successors.ts";
import { canListReferrers, canPushReference, canResolve, type ReadOnlyStorage, type Storage } from "../content/types.ts";
import { NotFoundError } from "../errors/index.ts";
import { readAll } from "../content/verify.ts";
import { isIndexMediaType, isNondistributable } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { on } from "./errors.ts";
import { limiter } from "./limit.ts";
import { DEFAULT_CONCURRENCY, type CopyGraphOptions } from "./options.ts";
import { transferBlob } from "./transfer.ts";

/**
 * Copies one descriptor graph, children before parents, so that the destination never holds
 * a manifest whose content is missing. Each digest is visited once however many parents share
 * it. The first failure stops new work; transfers under way are abandoned (their stores make
 * nothing partial visible), and copy rejects once everything has settled.
 */
export class GraphCopy {
  readonly #src: ReadOnlyStorage;
  readonly #dst: Storage;
  readonly #options: CopyGraphOptions;
  readonly #limit: <T>(task: () => Promise<T>) => Promise<T>;
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  readonly #visits = new Map<string, Promise<void>>();
  #failure: { error: unknown } | undefined;
  /** The root and the tag to push it under in one step, when the destination can. */
  #rootTag: { digest: string; tag: string } | undefined;
  /** True once the root was pushed under its tag, or found tagged so already. */
  rootTagged = false;

  /** The root's bytes when the caller read them already (copy's readRoot), and its digest. */
  readonly #rootBytes: Uint8Array | undefined;
  #root: string | undefined;

  constructor(src: ReadOnlyStorage, dst: Storage, options: CopyGraphOptions, rootTag?: { digest: string; tag: string }, rootBytes?: Uint8Array) {
    this.#src = src;
    this.#dst = dst;
    this.#options = options;
    this.#limit = limiter(options.concurrency ?? DEFAULT_CONCURRENCY);
    this.#signal = options.signal ? AbortSignal.any([options.signal, this.#stop.signal]) : this.#stop.signal;
    this.#rootTag = rootTag;
    this.#rootBytes = rootBytes;
  }

  /**
   * Copies the graph under `root`; rejects with the first failure. `rootTag`: the tag to
   * push the root under (when not given to the constructor).
   */
  async run(root: Descriptor, rootTag?: string): Promise<void> {
    this.#root = root.digest;
    if (rootTag !== undefined) this.#rootTag = { digest: root.digest, tag: rootTag };
    await this.#all([root]);
  }

  /**
   * Starts copying a blob before the root that refers to it is known (a push whose files
   * are still being hashed); run() later finds it under way and waits for it. A failure
   * surfaces from run().
   */
  start(desc: Descriptor): void {
    this.#visit(desc).catch(() => {});
  }

  /** Stops everything under way (the caller gave up before run()). */
  abort(reason: unknown): void {
    this.#stop.abort(reason);
  }

  #visit(desc: Descriptor): Promise<void> {
    let visit = this.#visits.get(desc.digest);
    if (!visit) {
      visit = this.#node(desc).catch((error: unknown) => {
        if (!this.#failure) {
          this.#failure = { error };
          this.#stop.abort(error);
        }
        throw error;
      });
      this.#visits.set(desc.digest, visit);
    }
    return visit;
  }

  /** Visits every descriptor, waits for all of them, then reports the first failure. */
  async #all(descs: readonly Descriptor[]): Promise<void> {
    const results = await Promise.allSettled(descs.map((d) => this.#visit(d)));
    const rejected = results.find((r) => r.status === "rejected");
    if (rejected) throw this.#failure ? this.#failure.error : rejected.reason;
  }

  async #node(desc: Descriptor): Promise<void> {
    const src = this.#src;
    const dst = this.#dst;
    const signal = this.#signal;
    signal.throwIfAborted();
    // Foreign layers live outside registries; copy them only when the source holds them.
    if (isNondistributable(desc.mediaType) && !(await this.#limit(() => on("source", desc, signal, () => src.exists(desc))))) return;
    const present = await this.#limit(() => on("destination", desc, signal, () => this.#present(desc)));
    const tag = this.#rootTag?.tag;
    if (present === "untagged" && tag !== undefined && canPushReference(dst)) {
      // Outside the limiter: #read takes a slot of its own.
      const bytes = await this.#read(desc);
      await this.#limit(() => on("destination", desc, signal, () => dst.pushManifest(desc, bytes, tag)));
      this.rootTagged = true;
    }
    if (present) {
      await this.#options.onSkipped?.(desc);
      if (isManifest(desc) && this.#options.referrers) {
        // The graph below is there, but referrers added since (a new signature on one
        // platform's manifest) may not be: walk an index's manifests to look for them.
        if (isIndexMediaType(desc.mediaType)) await this.#all(successorsOf(desc, await this.#read(desc)).filter(isManifest));
        await this.#referrersOf(desc);
      }
      return;
    }
    if (!isManifest(desc)) {
      await this.#limit(() => transferBlob(src, dst, desc, this.#options, signal));
      return;
    }
    const bytes = await this.#read(desc);
    const children = await on("source", desc, signal, () => successorsOf(desc, bytes));
    await this.#all(children);
    signal.throwIfAborted();
    await this.#options.preCopy?.(desc);
    await this.#limit(() =>
      on("destination", desc, signal, async () => {
        const tag = this.#rootTag;
        if (tag && tag.digest === desc.digest && canPushReference(dst)) {
          await dst.pushManifest(desc, bytes, tag.tag);
          this.rootTagged = true;
        } else {
          await dst.push(desc, bytes, { signal });
        }
      }),
    );
    await this.#options.postCopy?.(desc);
    await this.#referrersOf(desc);
  }

  /**
   * Whether the destination holds `desc` (with everything below it). For the root that is to
   * be tagged, the tag is asked at the same time (HEAD by tag, as crane asks): when it names
   * the root already there is nothing to copy and nothing to tag; when only the root is
   * there ("untagged"), the caller tags it with the bytes in hand (one PUT, where tagging
   * afterwards would GET the manifest first).
   */
  async #present(desc: Descriptor): Promise<boolean | "untagged"> {
    const dst = this.#dst;
    const tag = this.#rootTag;
    if (!tag || tag.digest !== desc.digest || !canResolve(dst) || !canPushReference(dst)) return dst.exists(desc);
    const [current, exists] = await Promise.all([
      dst.resolve(tag.tag).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }),
      dst.exists(desc),
    ]);
    if (current?.digest === desc.digest) {
      this.rootTagged = true;
      return true;
    }
    return exists ? "untagged" : false;
  }

  /** A manifest's bytes from the source, verified. */
  #read(desc: Descriptor): Promise<Uint8Array> {
    if (this.#rootBytes && desc.digest === this.#root) return Promise.resolve(this.#rootBytes);
    const src = this.#src;
    const signal = this.#signal;
    return this.#limit(() => on("source", desc, signal, async () => readAll(await src.fetch(desc, { signal }), MAX_MANIFEST_BYTES, `manifest ${desc.digest}`)));
  }

  /** Copies the referrers of a manifest (each one's own referrers follow from its visit). */
  async #referrersOf(desc: Descriptor): Promise<void> {
    const src = this.#src;
    if (!this.#options.referrers || !canListReferrers(src)) return;
    const referrers = await this.#limit(() => on("source", desc, this.#signal, () => src.referrers(desc)));
    await this.#all(referrers.filter(isManifest));
  }
}
