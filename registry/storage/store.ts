import { IdpError, InvalidInputError, NotFoundError, UnsupportedError } from "../../src/errors/index.ts";
import { digestOf, isSupportedDigest, type DigestAlgorithm } from "../../src/oci/digest.ts";
import { parseManifest, referrerArtifactType, type ManifestInfo } from "../../src/oci/manifest.ts";
import { isNondistributable } from "../../src/oci/mediatypes.ts";
import { isValidRepositoryName, isValidTag } from "../../src/oci/names.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";
import { RegistryError } from "../errors.ts";
import type { Driver } from "./driver.ts";
import { REPOSITORIES, blobPath, decodeRepo, repoBlobPath } from "./paths.ts";
import { RepoIndex, type ManifestRecord } from "./repo-index.ts";
import { Uploads, type ChunkRange, type UploadStatus } from "./uploads.ts";
import { StorageBudget } from "./budget.ts";
import { blobUnknown, checkDigestSyntax, checkName, checkPushDigest, manifestUnknown, paginate, resolveReference, storableDigest, type Page } from "./checks.ts";

export type { Page } from "./checks.ts";

export interface RegistryStoreOptions {
  driver: Driver;
  /**
   * Refuse manifests whose layers, config or child manifests are not in the repository
   * (MANIFEST_BLOB_UNKNOWN). Off by default: the spec allows sparse manifests, which partial
   * mirrors and platform-filtered copies produce. A `subject` never has to exist.
   */
  strictReferences?: boolean;
  /** Largest manifest accepted, bytes (default 4 MiB). */
  maxManifestBytes?: number;
  /** Largest blob accepted, bytes (default: no limit). */
  maxBlobBytes?: number;
  /** Most bytes the storage root may hold (content store and uploads; default: no limit). */
  maxStorageBytes?: number;
  /** Told the size of every upload chunk as it arrives (metrics count bytes in with it). */
  onUploadBytes?: (bytes: number) => void;
}


export interface StoredManifest {
  digest: string;
  mediaType: string;
  size: number;
}

/** Who may be searched for a blob to mount: every repository, or those this says yes to. */
export type ReadCheck = (repository: string) => boolean | Promise<boolean>;

export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_MANIFEST_INFO_CACHE = 100_000;

/**
 * The registry's OCI semantics over a byte Driver: repositories, blobs linked into them,
 * upload sessions, manifests, tags and referrers. Every name, tag and digest reaching a
 * public method is checked against the spec grammar before any storage access.
 */
export class RegistryStore {
  readonly driver: Driver;
  readonly maxManifestBytes: number;
  #index: RepoIndex;
  #uploads: Uploads;
  #budget: StorageBudget | undefined;
  #strict: boolean;
  /** Parsed manifest facts by digest; content-addressed, so never stale. */
  #infos = new Map<string, ManifestInfo | null>();

  constructor(options: RegistryStoreOptions) {
    this.driver = options.driver;
    this.maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
    this.#strict = options.strictReferences ?? false;
    this.#index = new RepoIndex(this.driver);
    this.#budget = options.maxStorageBytes ? new StorageBudget(this.driver, options.maxStorageBytes) : undefined;
    this.#uploads = new Uploads(this.driver, { maxBlobBytes: options.maxBlobBytes, onBytes: options.onUploadBytes, budget: this.#budget });
  }

  // ---- repositories ----------------------------------------------------------------

  /**
   * Repository names in ASCII order, after `last`, at most `n`; with `visible`, only those it
   * accepts (filtered before paging, so pages stay full and `Link` stays right).
   */
  async catalog(n: number, last?: string, visible?: (name: string) => boolean): Promise<Page> {
    let names = (await this.driver.list(REPOSITORIES)).map(decodeRepo).filter(isValidRepositoryName);
    if (visible) names = names.filter(visible);
    return paginate(names.sort(), n, last);
  }

  // ---- blobs -----------------------------------------------------------------------

  /** Size of a blob linked into `repo`, or undefined. */
  async statBlob(repo: string, digest: string): Promise<number | undefined> {
    checkName(repo);
    if (!storableDigest(digest)) return undefined;
    return (await this.driver.stat(repoBlobPath(repo, digest)))?.size;
  }

  /** The blob's bytes (a lazily read Blob). */
  async openBlob(repo: string, digest: string): Promise<Blob> {
    checkName(repo);
    const blob = storableDigest(digest) ? await this.driver.open(repoBlobPath(repo, digest)) : undefined;
    if (!blob) throw blobUnknown(repo, digest);
    return blob;
  }

  /** Unlinks a blob from `repo`; the bytes stay in the content store until gc. */
  async deleteBlob(repo: string, digest: string): Promise<void> {
    checkName(repo);
    if (!storableDigest(digest)) throw blobUnknown(repo, digest);
    await this.#index.locked(repo, async () => {
      const state = await this.#index.load(repo);
      if (state?.manifests.has(digest)) {
        throw new RegistryError("UNSUPPORTED", `${digest} is a manifest in ${repo}; delete it through /manifests/`, { status: 400 });
      }
      if (!(await this.driver.remove(repoBlobPath(repo, digest)))) throw blobUnknown(repo, digest);
    });
  }

  /**
   * Links an existing blob into `repo` without uploading it. With `from`, only from that
   * repository; without, from any repository `canRead` allows (all when omitted). Returns
   * false when the blob could not be found where the caller may read it.
   */
  async mountBlob(repo: string, digest: string, from?: string, canRead?: ReadCheck): Promise<boolean> {
    checkName(repo);
    checkPushDigest(digest);
    if (from !== undefined) {
      if (!isValidRepositoryName(from) || (canRead && !(await canRead(from)))) return false;
      if (!(await this.driver.stat(repoBlobPath(from, digest)))) return false;
      return this.#mountFrom(repo, digest, repoBlobPath(from, digest));
    }
    const stored = await this.driver.stat(blobPath(digest));
    if (!stored) return false;
    if (!canRead) return this.#mountFrom(repo, digest, blobPath(digest));
    // A content-store file linked nowhere else (one link) is in no repository to search.
    if (stored.links <= 1) return false;
    for (const name of (await this.catalog(Number.MAX_SAFE_INTEGER)).items) {
      if (name !== repo && (await canRead(name)) && (await this.driver.stat(repoBlobPath(name, digest)))) {
        return this.#mountFrom(repo, digest, repoBlobPath(name, digest));
      }
    }
    return false;
  }

  /** Links for a mount; false when gc took the source away meanwhile (the client uploads). */
  async #mountFrom(repo: string, digest: string, source: string): Promise<boolean> {
    try {
      return await this.#linkInto(repo, digest, source);
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /**
   * Marks a blob or manifest of `repo` as just used: a client checked it exists and may be
   * about to push a manifest that refers to it, so gc spares it for its grace window.
   */
  async markUsed(repo: string, digest: string): Promise<void> {
    if (!isValidRepositoryName(repo) || !isSupportedDigest(digest)) return;
    await this.driver.touch(repoBlobPath(repo, digest)).catch(() => false);
  }

  /** The repository indexes, for maintenance (registry/gc) that must share their locks. */
  get indexes(): RepoIndex {
    return this.#index;
  }

  // ---- uploads ---------------------------------------------------------------------

  async startUpload(repo: string, algorithm: DigestAlgorithm = "sha256"): Promise<UploadStatus> {
    checkName(repo);
    return this.#uploads.start(repo, algorithm);
  }

  /** A whole blob in one request (POST with `?digest=`): received, checked and linked into `repo`. */
  async putBlob(repo: string, digest: string, body: ReadableStream<Uint8Array> | null, algorithm: DigestAlgorithm = "sha256"): Promise<number> {
    checkName(repo);
    checkPushDigest(digest);
    const session = await this.#uploads.start(repo, algorithm, { persist: false });
    try {
      return await this.finishUpload(repo, session.id, digest, body);
    } catch (error) {
      await this.#uploads.cancel(repo, session.id).catch(() => {});
      throw error;
    }
  }

  async uploadStatus(repo: string, id: string): Promise<UploadStatus> {
    checkName(repo);
    return this.#uploads.status(repo, id);
  }

  async appendUpload(repo: string, id: string, body: ReadableStream<Uint8Array> | null, range?: ChunkRange): Promise<UploadStatus> {
    checkName(repo);
    return this.#uploads.append(repo, id, body, range);
  }

  /** Completes an upload: the content must match `digest`; then it is linked into `repo`. */
  async finishUpload(repo: string, id: string, digest: string, body: ReadableStream<Uint8Array> | null, range?: ChunkRange): Promise<number> {
    checkName(repo);
    const algorithm = checkPushDigest(digest);
    const { path, size } = await this.#uploads.finish(repo, id, digest, algorithm, body, range);
    await this.#publish(repo, digest, path);
    await this.#uploads.done(id);
    return size;
  }

  async cancelUpload(repo: string, id: string): Promise<void> {
    checkName(repo);
    await this.#uploads.cancel(repo, id);
  }

  /** Upload session ids on disk (for purging abandoned sessions). */
  listUploads(): Promise<string[]> {
    return this.#uploads.list();
  }

  // ---- manifests and tags ----------------------------------------------------------

  /** What `reference` (a tag or digest) names in `repo`. */
  async statManifest(repo: string, reference: string): Promise<StoredManifest> {
    checkName(repo);
    const state = await this.#index.load(repo);
    if (!state) throw new RegistryError("NAME_UNKNOWN", `repository ${repo} is not known`);
    const digest = resolveReference(state, reference);
    const record = digest === undefined ? undefined : state.manifests.get(digest);
    if (!digest || !record) throw manifestUnknown(repo, reference);
    return { digest, mediaType: record.mediaType, size: record.size };
  }

  /** The manifest's exact bytes and how it was stored. */
  async getManifest(repo: string, reference: string): Promise<StoredManifest & { bytes: Uint8Array }> {
    const stored = await this.statManifest(repo, reference);
    const bytes = await this.driver.read(repoBlobPath(repo, stored.digest));
    if (!bytes) throw manifestUnknown(repo, reference);
    return { ...stored, bytes };
  }

  /**
   * Stores a manifest byte-exact. `reference` is a tag or the manifest's digest; `tags` are
   * further tags to point at it (push by digest with `?tag=`). Returns its digest, the
   * subject it refers to and the tags set.
   */
  async putManifest(
    repo: string,
    reference: string,
    bytes: Uint8Array,
    contentType: string | undefined,
    tags: readonly string[] = [],
    options: { mayMoveTags?: boolean } = {},
  ): Promise<{ digest: string; subject: string | undefined; tags: string[] }> {
    checkName(repo);
    if (bytes.byteLength > this.maxManifestBytes) {
      throw new RegistryError("MANIFEST_INVALID", `manifest is over the limit of ${this.maxManifestBytes} bytes`, { status: 413 });
    }
    const byDigest = reference.includes(":");
    const algorithm = byDigest ? checkPushDigest(reference) : "sha256";
    const allTags = byDigest ? [...tags] : [reference, ...tags];
    for (const tag of allTags) {
      if (!isValidTag(tag)) throw new RegistryError("TAG_INVALID", `invalid tag ${JSON.stringify(tag.slice(0, 130))}`, { status: 400 });
    }
    const info = this.#parse(bytes, contentType);
    const digest = digestOf(bytes, algorithm);
    if (byDigest && digest !== reference) {
      throw new RegistryError("DIGEST_INVALID", `manifest content has digest ${digest}, not ${reference}`);
    }
    if (this.#strict) await this.#checkReferences(repo, info);
    await this.#storeBytes(digest, bytes);
    this.#remember(digest, info);
    const record: ManifestRecord = { mediaType: info.mediaType, size: bytes.byteLength };
    if (info.artifactType !== undefined) record.artifactType = info.artifactType;
    await this.#index.update(repo, async (draft) => {
      // Decided under the lock, so a tag created meanwhile is not overwritten either (d-6).
      if (options.mayMoveTags === false) {
        const moved = allTags.find((tag) => draft.tags.has(tag) && draft.tags.get(tag) !== digest);
        if (moved !== undefined) throw new RegistryError("DENIED", `tag ${moved} already points to another manifest in ${repo}, and moving it needs the update right`);
      }
      // Linked under the repository lock: a concurrent delete of the same digest unlinks
      // under it too, so the index never lists a manifest whose bytes are gone.
      try {
        // Pushed again while linked: in use, so gc's grace starts over.
        if (!(await this.driver.link(blobPath(digest), repoBlobPath(repo, digest)))) await this.driver.touch(repoBlobPath(repo, digest));
      } catch (error) {
        // gc swept an unused copy from the content store meanwhile: store it again.
        if (!(error instanceof NotFoundError)) throw error;
        await this.#storeBytes(digest, bytes);
        await this.driver.link(blobPath(digest), repoBlobPath(repo, digest));
      }
      draft.manifests.set(digest, record);
      for (const tag of allTags) draft.tags.set(tag, digest);
    });
    return { digest, subject: info.subject?.digest, tags: allTags };
  }

  /** Deletes a tag, or a manifest by digest together with every tag pointing at it. */
  async deleteManifest(repo: string, reference: string): Promise<void> {
    checkName(repo);
    const byDigest = reference.includes(":");
    if (byDigest) checkDigestSyntax(reference);
    else if (!isValidTag(reference)) throw new RegistryError("TAG_INVALID", `invalid tag ${JSON.stringify(reference.slice(0, 130))}`);
    if (!(await this.#index.load(repo))) throw new RegistryError("NAME_UNKNOWN", `repository ${repo} is not known`);
    await this.#index.update(
      repo,
      (draft) => {
        if (!byDigest) {
          if (!draft.tags.delete(reference)) throw manifestUnknown(repo, reference);
          return;
        }
        if (!draft.manifests.delete(reference)) throw manifestUnknown(repo, reference);
        for (const [tag, digest] of draft.tags) if (digest === reference) draft.tags.delete(tag);
      },
      byDigest ? async () => void (await this.driver.remove(repoBlobPath(repo, reference))) : undefined,
    );
  }

  /** Tags of `repo` in ASCII order, after `last`, at most `n` (all when undefined). */
  async listTags(repo: string, n: number | undefined, last?: string): Promise<Page> {
    checkName(repo);
    const state = await this.#index.load(repo);
    if (!state) throw new RegistryError("NAME_UNKNOWN", `repository ${repo} is not known`);
    return paginate(state.sortedTags(), n, last);
  }

  /** Manifests in `repo` whose subject is `subject`, as descriptors for a referrers index. */
  async referrers(repo: string, subject: string, artifactType?: string): Promise<Descriptor[]> {
    checkName(repo);
    checkDigestSyntax(subject);
    const state = await this.#index.load(repo);
    if (!state) return [];
    const out: Descriptor[] = [];
    for (const [digest, record] of state.manifests) {
      const info = await this.#info(repo, digest, record);
      if (!info || info.subject?.digest !== subject) continue;
      const type = referrerArtifactType(info);
      if (artifactType !== undefined && type !== artifactType) continue;
      const d: Descriptor = { mediaType: record.mediaType, digest, size: record.size };
      if (type !== undefined) d.artifactType = type;
      if (info.annotations !== undefined) d.annotations = info.annotations;
      out.push(d);
    }
    return out;
  }

  // ---- internals -------------------------------------------------------------------

  #parse(bytes: Uint8Array, contentType: string | undefined): ManifestInfo {
    try {
      return parseManifest(bytes, contentType);
    } catch (error) {
      if (error instanceof InvalidInputError || error instanceof UnsupportedError) {
        throw new RegistryError("MANIFEST_INVALID", error.message, { cause: error });
      }
      if (error instanceof IdpError) throw new RegistryError("MANIFEST_INVALID", error.message, { cause: error });
      throw error;
    }
  }

  async #checkReferences(repo: string, info: ManifestInfo): Promise<void> {
    const state = await this.#index.load(repo);
    for (const child of info.manifests) {
      if (!state?.manifests.has(child.digest)) {
        throw new RegistryError("MANIFEST_BLOB_UNKNOWN", `child manifest ${child.digest} is not in ${repo}`, { detail: { digest: child.digest } });
      }
    }
    for (const blob of info.blobs) {
      if (isNondistributable(blob.mediaType)) continue;
      if (!storableDigest(blob.digest) || !(await this.driver.stat(repoBlobPath(repo, blob.digest)))) {
        throw new RegistryError("MANIFEST_BLOB_UNKNOWN", `blob ${blob.digest} is not in ${repo}`, { detail: { digest: blob.digest } });
      }
    }
  }

  /** Facts of a stored manifest, parsed once per digest. */
  async #info(repo: string, digest: string, record: ManifestRecord): Promise<ManifestInfo | null> {
    if (this.#infos.has(digest)) return this.#infos.get(digest)!;
    const bytes = await this.driver.read(repoBlobPath(repo, digest));
    let info: ManifestInfo | null = null;
    if (bytes) {
      try {
        info = parseManifest(bytes, record.mediaType);
      } catch {
        info = null;
      }
    }
    this.#remember(digest, info);
    return info;
  }

  #remember(digest: string, info: ManifestInfo | null): void {
    if (this.#infos.size >= MAX_MANIFEST_INFO_CACHE) this.#infos.clear();
    // Only what referrers need is kept: manifests without a subject are remembered as null.
    this.#infos.set(digest, info?.subject ? info : null);
  }

  /** Moves a verified file into the content store and links it into `repo`. */
  /** Puts small content (a manifest) into the content store unless it is there. */
  async #storeBytes(digest: string, bytes: Uint8Array): Promise<void> {
    if (await this.driver.stat(blobPath(digest))) return;
    await this.#budget?.admit(bytes.byteLength);
    await this.driver.create(blobPath(digest), bytes);
  }

  async #publish(repo: string, digest: string, from: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await this.driver.link(from, blobPath(digest));
      try {
        await this.#linkInto(repo, digest, blobPath(digest));
        return;
      } catch (error) {
        // gc swept an unused copy from the content store between the two links; the
        // verified upload is still here, so link it in again.
        if (!(error instanceof NotFoundError) || attempt >= 2) throw error;
      }
    }
  }

  async #linkInto(repo: string, digest: string, source: string): Promise<true> {
    await this.#index.ensure(repo);
    // Pushed or mounted again while already linked: it is in use, so gc's grace starts over.
    if (!(await this.driver.link(source, repoBlobPath(repo, digest)))) await this.driver.touch(repoBlobPath(repo, digest));
    return true;
  }
}

