import { SizeLimitError } from "../errors/index.ts";
import type { Body, Deleter, FetchOptions, Mounter, PushOptions, ReferrerLister, TagLister, Target, VerifyingFetcher } from "../content/types.ts";
import { toStream } from "../content/verify.ts";
import { parseManifest, referrerArtifactType } from "../oci/manifest.ts";
import { assertTag, isValidTag } from "../oci/names.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { repositoryScope } from "./auth/scope.ts";
import { fetchBlob } from "./blobs.ts";
import { pullScopes, pushScopes, repoPath, type RepoContext } from "./context.ts";
import { TagListSchema, pages } from "./listing.ts";
import { MAX_MANIFEST_BYTES, deleteContent, getManifest, headExists, isManifest, putManifest, resolveManifest, type FetchedManifest } from "./manifests.ts";
import { addToReferrersIndex, listReferrers } from "./referrers.ts";
import { uploadBlob, type UploadOptions, type UploadTuning } from "./upload.ts";

/** Blob uploads under way in this process, by registry, repository and digest. */
const inFlight = new Map<string, Promise<void>>();

/** Push options a remote understands beyond the Target contract's. */
export interface RemotePushOptions extends PushOptions {
  /** Opens the source again at an offset, so a lost upload session can start over. */
  reopen?: (offset: number) => Promise<ReadableStream<Uint8Array>>;
  /** Upload sizes (monolithic limit, chunk size). */
  tuning?: Partial<UploadTuning>;
  /** Repositories of the same registry to try mounting the blob from before uploading it. */
  mountFrom?: string[];
}

/**
 * A repository on a registry, as a Target: fetch/push/exists/resolve/tag, plus tags,
 * referrers, delete and cross-repository mount. Manifests and blobs are told apart by media
 * type. Every read is verified against its descriptor; every push checks the bytes before the
 * registry is told they are complete.
 *
 * @example
 * const repo = await openRepository({ registry: "127.0.0.1:5000", repository: "team/app" });
 * const desc = await repo.resolve("v1");
 * for await (const chunk of await repo.fetch(desc)) process(chunk);
 */
export class RemoteRepository implements Target, TagLister, ReferrerLister, Deleter, Mounter, VerifyingFetcher {
  readonly registry: string;
  /** Every fetch checks size and digest (blobs as they stream, manifests whole). */
  readonly fetchesVerified = true;
  readonly repository: string;
  readonly #ctx: RepoContext;

  constructor(ctx: RepoContext) {
    this.#ctx = ctx;
    this.registry = ctx.client.endpoint.host;
    this.repository = ctx.repository;
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<ReadableStream<Uint8Array>> {
    if (!isManifest(desc)) return fetchBlob(this.#ctx, desc, options);
    const { bytes } = await getManifest(this.#ctx, desc.digest, desc, options.signal);
    const rest = bytes.subarray(options.offset ?? 0);
    return new ReadableStream({
      start(controller) {
        if (rest.byteLength > 0) controller.enqueue(rest);
        controller.close();
      },
    });
  }

  /** A manifest by tag or digest with its descriptor (the digest computed from the bytes). */
  fetchReference(reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    return getManifest(this.#ctx, reference, undefined, signal);
  }

  async push(desc: Descriptor, body: Body, options: RemotePushOptions = {}): Promise<void> {
    if (isManifest(desc)) return this.pushManifest(desc, body, desc.digest);
    // One upload per blob and repository at a time in this process: copies of several tags
    // sharing a layer would otherwise upload it side by side, which wastes bandwidth and
    // trips registries whose commit is not atomic (Distribution 2.8 can then refuse a
    // manifest as referring to an unknown blob while the twin upload rewrites its link).
    const key = `${this.#ctx.client.endpoint.base}/${this.repository}@${desc.digest}`;
    const twin = inFlight.get(key);
    if (twin && (await twin.then(() => true, () => false))) {
      if (body instanceof ReadableStream) await body.cancel().catch(() => {});
      options.onProgress?.(desc.size);
      return;
    }
    const upload = this.#pushBlob(desc, body, options);
    inFlight.set(key, upload);
    try {
      await upload;
    } finally {
      if (inFlight.get(key) === upload) inFlight.delete(key);
    }
  }

  async #pushBlob(desc: Descriptor, body: Body, options: RemotePushOptions): Promise<void> {
    if (!options.knownAbsent && (await headExists(this.#ctx, desc, pushScopes(this.#ctx)))) {
      if (body instanceof ReadableStream) await body.cancel().catch(() => {});
      options.onProgress?.(desc.size);
      return;
    }
    for (const from of options.mountFrom ?? []) {
      if (from === this.repository || !(await this.mount(desc, from))) continue;
      if (body instanceof ReadableStream) await body.cancel().catch(() => {});
      options.onProgress?.(desc.size);
      return;
    }
    const upload: UploadOptions = {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.reopen ? { reopen: options.reopen } : {}),
      ...(options.tuning ? { tuning: options.tuning } : {}),
    };
    await uploadBlob(this.#ctx, desc, body, upload);
  }

  /**
   * Pushes a manifest under `reference` (a tag, or its digest). A manifest with a `subject`
   * on a registry without the referrers API is also added to the referrers tag index.
   */
  async pushManifest(desc: Descriptor, body: Body, reference: string = desc.digest): Promise<void> {
    if (reference !== desc.digest) assertTag(reference);
    const bytes = body instanceof Uint8Array ? body : await readAll(toStream(body), desc.size);
    const { subjectHandled } = await putManifest(this.#ctx, desc, bytes, reference);
    if (subjectHandled) return;
    const subject = parseManifest(bytes, desc.mediaType).subject;
    if (subject) await addToReferrersIndex(this.#ctx, subject, referrerDescriptor(desc, bytes));
  }

  exists(desc: Descriptor): Promise<boolean> {
    return headExists(this.#ctx, desc);
  }

  resolve(reference: string): Promise<Descriptor> {
    return resolveManifest(this.#ctx, reference);
  }

  async tag(desc: Descriptor, reference: string): Promise<void> {
    assertTag(reference);
    const { bytes } = await getManifest(this.#ctx, desc.digest, desc);
    await putManifest(this.#ctx, desc, bytes, reference);
  }

  /**
   * Tags page by page (`Link` pagination), after `last` when given. On registries without the
   * referrers API this includes the referrers tag schema's `sha256-…` tags: they are real
   * tags, and copying them is how referrers travel between such registries.
   */
  async *tags(options: { last?: string; signal?: AbortSignal; pageSize?: number } = {}): AsyncIterable<string> {
    const first = this.#ctx.client.url(repoPath(this.#ctx, "tags/list"));
    if (options.pageSize !== undefined) first.searchParams.set("n", String(options.pageSize));
    if (options.last !== undefined) first.searchParams.set("last", options.last);
    for await (const page of pages({
      client: this.#ctx.client,
      first,
      scopes: pullScopes(this.#ctx),
      schema: TagListSchema,
      what: `tags of ${this.repository}`,
      repository: this.repository,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      // Sorted per page: Distribution 2.8 answers in storage order, and an unpaginated answer
      // (the usual case) then comes out sorted as the TagLister contract promises.
      for (const tag of (page.tags ?? []).filter(isValidTag).sort()) yield tag;
    }
  }

  referrers(desc: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    return listReferrers(this.#ctx, desc, artifactType);
  }

  delete(desc: Descriptor): Promise<void> {
    return deleteContent(this.#ctx, desc);
  }

  /** Mounts a blob from another repository of this registry; false when the registry declined. */
  async mount(desc: Descriptor, fromRepository: string): Promise<boolean> {
    const url = this.#ctx.client.url(repoPath(this.#ctx, "blobs/uploads/"));
    url.searchParams.set("mount", desc.digest);
    url.searchParams.set("from", fromRepository);
    const scopes = [...pushScopes(this.#ctx), repositoryScope(fromRepository, "pull")];
    const res = await this.#ctx.client.request({ method: "POST", url, scopes, headers: { "Content-Length": "0" } });
    await res.body?.cancel().catch(() => {});
    if (res.status === 201) return true;
    if (res.status === 202) {
      const location = res.headers.get("location");
      if (location) {
        const cancel = await this.#ctx.client.request({ method: "DELETE", url: new URL(location, url), scopes, retries: 0 }).catch(() => undefined);
        await cancel?.body?.cancel().catch(() => {});
      }
      return false;
    }
    if (res.status === 401 || res.status === 403 || res.status === 404) return false;
    throw await this.#ctx.client.error(res, "POST", url, this.repository);
  }
}

/** How a referrer appears in an index: its artifact type and annotations copied. */
function referrerDescriptor(desc: Descriptor, bytes: Uint8Array): Descriptor {
  const info = parseManifest(bytes, desc.mediaType);
  const artifactType = referrerArtifactType(info);
  return {
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    ...(artifactType ? { artifactType } : {}),
    ...(info.annotations ? { annotations: info.annotations } : {}),
  };
}

async function readAll(body: ReadableStream<Uint8Array>, size: number): Promise<Uint8Array> {
  if (size > MAX_MANIFEST_BYTES) throw new SizeLimitError(`manifest of ${size} bytes is over the ${MAX_MANIFEST_BYTES}-byte limit`);
  const out = new Uint8Array(await new Response(body).arrayBuffer());
  if (out.byteLength > MAX_MANIFEST_BYTES) throw new SizeLimitError(`manifest is over the ${MAX_MANIFEST_BYTES}-byte limit`);
  return out;
}
