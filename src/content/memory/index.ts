import { InvalidInputError, NotFoundError } from "../../errors/index.ts";
import { parseManifest } from "../../oci/manifest.ts";
import type { Descriptor } from "../../oci/schemas.ts";
import { assertResolvable, assertTaggable, isDigestReference, plainDescriptor, referrerDescriptor, tagsAfter } from "../descriptor.ts";
import { isManifest } from "../successors.ts";
import type { Body, Deleter, FetchOptions, PushOptions, ReferrerLister, TagLister, Target } from "../types.ts";
import { toStream, verified } from "../verify.ts";

interface Entry {
  desc: Descriptor;
  bytes: Uint8Array;
  /** The digest of the manifest's subject, for referrers. */
  subject?: string;
  referrer?: Descriptor;
}

/**
 * A Target held in memory: for tests, and for building a graph before copying it somewhere
 * (`push` builds in memory, then copies to the remote). Content is checked on the way in and
 * on the way out like any other store; it is whole in memory by nature, so keep it small.
 *
 * @example
 * const store = new MemoryStore();
 * await store.push(desc, bytes);
 * await store.tag(desc, "v1");
 */
export class MemoryStore implements Target, TagLister, ReferrerLister, Deleter {
  #content = new Map<string, Entry>();
  #tags = new Map<string, string>();

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const entry = this.#content.get(desc.digest);
    if (!entry) throw new NotFoundError(`${desc.digest} is not in the memory store`);
    const offset = options.offset ?? 0;
    if (offset < 0 || offset > desc.size) throw new InvalidInputError(`offset ${offset} is outside ${desc.digest} (${desc.size} bytes)`);
    return verified(toStream(entry.bytes), desc, { skip: offset });
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.#content.has(desc.digest);
  }

  async push(desc: Descriptor, body: Body, options: PushOptions = {}): Promise<void> {
    const stream = toStream(body);
    if (this.#content.has(desc.digest)) {
      await stream.cancel().catch(() => {});
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of verified(stream, desc)) {
      options.signal?.throwIfAborted();
      chunks.push(chunk);
      size += chunk.byteLength;
      options.onProgress?.(size);
    }
    const bytes = Buffer.concat(chunks, size);
    const entry: Entry = { desc: plainDescriptor(desc), bytes };
    if (isManifest(desc)) {
      const info = parseManifest(bytes, desc.mediaType);
      if (info.subject) {
        entry.subject = info.subject.digest;
        entry.referrer = referrerDescriptor(desc, info);
      }
    }
    this.#content.set(desc.digest, entry);
  }

  async resolve(reference: string): Promise<Descriptor> {
    assertResolvable(reference);
    const digest = isDigestReference(reference) ? reference : this.#tags.get(reference);
    const entry = digest === undefined ? undefined : this.#content.get(digest);
    if (!entry || !isManifest(entry.desc)) throw new NotFoundError(`no manifest ${reference} in the memory store`);
    return { ...entry.desc };
  }

  async tag(desc: Descriptor, reference: string): Promise<void> {
    assertTaggable(desc, reference);
    if (!this.#content.has(desc.digest)) throw new NotFoundError(`cannot tag ${desc.digest} as ${reference}: it is not in the memory store`);
    this.#tags.set(reference, desc.digest);
  }

  tags(options: { last?: string } = {}): AsyncIterable<string> {
    return tagsAfter(this.#tags.keys(), options.last);
  }

  async referrers(desc: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (const entry of this.#content.values()) {
      if (entry.subject !== desc.digest || !entry.referrer) continue;
      if (artifactType === undefined || entry.referrer.artifactType === artifactType) out.push({ ...entry.referrer });
    }
    return out;
  }

  async delete(desc: Descriptor): Promise<void> {
    if (!this.#content.delete(desc.digest)) throw new NotFoundError(`${desc.digest} is not in the memory store`);
    for (const [tag, digest] of this.#tags) if (digest === desc.digest) this.#tags.delete(tag);
  }
}
