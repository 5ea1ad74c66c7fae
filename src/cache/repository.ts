import { NotFoundError } from "../errors/index.ts";
import { assertResolvable, assertTaggable, isDigestReference, tagsAfter } from "../content/descriptor.ts";
import type { Body, Deleter, FetchOptions, PushOptions, TagLister, Target } from "../content/types.ts";
import type { Descriptor } from "../oci/schemas.ts";
import type { OciCache } from "./store.ts";

/**
 * One repository's view of the cache, as a Target like any other: content is shared by the
 * whole cache (content-addressed), tags are this repository's. It can be a copy source (feed
 * a bundle or a push) or destination.
 *
 * @example
 * const cached = new CacheRepository(cache, "127.0.0.1:5000/team/app");
 * await copy(cached, "v1", await openRepository(…), "v1");
 */
export class CacheRepository implements Target, TagLister, Deleter {
  readonly cache: OciCache;
  /** `registry/path`, e.g. `docker.io/library/alpine`. */
  readonly name: string;

  constructor(cache: OciCache, name: string) {
    this.cache = cache;
    this.name = name;
  }

  fetch(desc: Descriptor, options?: FetchOptions): Promise<ReadableStream<Uint8Array>> {
    return this.cache.fetch(desc, options);
  }

  exists(desc: Descriptor): Promise<boolean> {
    return this.cache.has(desc);
  }

  push(desc: Descriptor, body: Body, options?: PushOptions): Promise<void> {
    return this.cache.push(desc, body, options);
  }

  async resolve(reference: string): Promise<Descriptor> {
    assertResolvable(reference);
    if (isDigestReference(reference)) {
      const found = await this.cache.describe(reference);
      if (!found) throw new NotFoundError(`no manifest ${reference} in the cache`);
      return found;
    }
    const ref = await this.cache.getRef(this.name, reference);
    if (!ref || !(await this.cache.has(ref.descriptor))) throw new NotFoundError(`no tag ${reference} of ${this.name} in the cache`);
    return { mediaType: ref.descriptor.mediaType, digest: ref.descriptor.digest, size: ref.descriptor.size };
  }

  async tag(desc: Descriptor, reference: string): Promise<void> {
    assertTaggable(desc, reference);
    if (!(await this.cache.has(desc))) throw new NotFoundError(`cannot tag ${desc.digest} as ${reference}: it is not in the cache`);
    await this.cache.setRef(this.name, reference, desc);
  }

  async *tags(options: { last?: string } = {}): AsyncIterable<string> {
    const live: string[] = [];
    for (const tag of await this.cache.tagsOf(this.name)) {
      const ref = await this.cache.getRef(this.name, tag);
      if (ref && (await this.cache.has(ref.descriptor))) live.push(tag);
    }
    yield* tagsAfter(live, options.last);
  }

  /** Removes content from the whole cache (it is shared), and this repository's tags of it. */
  async delete(desc: Descriptor): Promise<void> {
    for (const tag of await this.cache.tagsOf(this.name)) {
      if ((await this.cache.getRef(this.name, tag))?.descriptor.digest === desc.digest) await this.cache.deleteRef(this.name, tag);
    }
    if (!(await this.cache.deleteBlob(desc.digest))) throw new NotFoundError(`${desc.digest} is not in the cache`);
  }
}
