import type { Body, PushOptions, ReferencePusher, ReferrerLister, Target } from "../content/types.ts";
import { isManifest } from "../content/successors.ts";
import type { Descriptor } from "../oci/schemas.ts";
import type { RemotePushOptions, RemoteRepository } from "../remote/index.ts";

/**
 * Which repositories of one registry hold which blobs, as far as this run has seen: what lets
 * a blob shared by several repositories (a base layer under many images) be uploaded once and
 * mounted into the others.
 *
 * @example places.seen(layer.digest, "team/a"); places.others(layer.digest, "team/b") // ["team/a"]
 */
export class BlobPlaces {
  #where = new Map<string, Set<string>>();

  seen(digest: string, repository: string): void {
    let set = this.#where.get(digest);
    if (!set) this.#where.set(digest, (set = new Set()));
    set.add(repository);
  }

  others(digest: string, repository: string): string[] {
    return [...(this.#where.get(digest) ?? [])].filter((r) => r !== repository);
  }
}

/**
 * A registry repository as a copy destination that mounts blobs from the other repositories
 * of the same registry this run has put them in, before uploading (the copy engine's
 * `mountFrom` names one repository; here every blob has its own candidates).
 *
 * @example const dst = new MountingRepository(registry.repository("mirror/app"), places);
 */
export class MountingRepository implements Target, ReferencePusher, ReferrerLister {
  readonly #repo: RemoteRepository;
  readonly #places: BlobPlaces;

  constructor(repo: RemoteRepository, places: BlobPlaces) {
    this.#repo = repo;
    this.#places = places;
  }

  get repository(): string {
    return this.#repo.repository;
  }

  fetch(desc: Descriptor, options?: { offset?: number; signal?: AbortSignal }) {
    return this.#repo.fetch(desc, options);
  }

  async exists(desc: Descriptor): Promise<boolean> {
    const there = await this.#repo.exists(desc);
    if (there && !isManifest(desc)) this.#places.seen(desc.digest, this.#repo.repository);
    return there;
  }

  async push(desc: Descriptor, body: Body, options: PushOptions = {}): Promise<void> {
    const push: RemotePushOptions = { ...options };
    if (!isManifest(desc)) push.mountFrom = this.#places.others(desc.digest, this.#repo.repository);
    await this.#repo.push(desc, body, push);
    if (!isManifest(desc)) this.#places.seen(desc.digest, this.#repo.repository);
  }

  pushManifest(desc: Descriptor, body: Body, reference: string): Promise<void> {
    return this.#repo.pushManifest(desc, body, reference);
  }

  resolve(reference: string): Promise<Descriptor> {
    return this.#repo.resolve(reference);
  }

  tag(desc: Descriptor, reference: string): Promise<void> {
    return this.#repo.tag(desc, reference);
  }

  referrers(desc: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    return this.#repo.referrers(desc, artifactType);
  }
}
