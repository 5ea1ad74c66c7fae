import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { readFile, unlink } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import * as v from "valibot";
import { InvalidInputError, NotFoundError, UnsupportedError } from "../../errors/index.ts";
import { parseDigest } from "../../oci/digest.ts";
import { parseManifest, type ManifestInfo } from "../../oci/manifest.ts";
import { OCI_LAYOUT_FILE, OCI_LAYOUT_VERSION } from "../../oci/mediatypes.ts";
import { LayoutMarkerSchema, type Descriptor, type ImageIndex } from "../../oci/schemas.ts";
import { assertResolvable, assertTaggable, isDigestReference, plainDescriptor, referrerDescriptor, tagsAfter } from "../descriptor.ts";
import { MAX_MANIFEST_BYTES } from "../successors.ts";
import type { Body, Deleter, FetchOptions, FileFetcher, PushOptions, ReferencePusher, ReferrerLister, TagLister, Target } from "../types.ts";
import { storedStream } from "../verify.ts";
import { fileSize, isIngestEntry, sweepTemporaryFiles, syncDirectory, writeFileAtomic, type WritePolicy } from "./files.ts";
import { ingestBlob } from "./ingest.ts";
import { INDEX_FILE, addRoot, readIndex, refName, removeDigest, setTag, withIndexLock, writeIndex } from "./index-file.ts";
import { findReferrers, guessManifestType } from "./manifests.ts";

/** Blobs: synced before the rename; their directory is synced before index.json changes. */
const BLOB_WRITE: WritePolicy = { durable: true, syncDirectory: false };

export interface LayoutOpenOptions {
  /** Create the layout when `dir` does not hold one (default true). */
  create?: boolean;
}

/**
 * An OCI image layout directory (image-spec image-layout.md) as a Target: `oci-layout`,
 * `index.json` and `blobs/<alg>/<hex>`. Layouts written by skopeo, umoci and oras open; the
 * layouts it writes open in them. Writes are crash-safe: a blob becomes visible under its name
 * only once it is complete, verified and synced, and index.json is replaced atomically.
 *
 * @example
 * const layout = await LayoutStore.open("./out");
 * await copy(remote, "v1", layout, "v1");
 */
export class LayoutStore implements Target, TagLister, ReferrerLister, Deleter, FileFetcher, ReferencePusher {
  readonly path: string;
  /** Parsed manifests by digest: content-addressed, so never stale. */
  #manifests = new Map<string, ManifestInfo | null>();

  /**
   * A new layout not written yet (see open): its directories appear with the first blob,
   * its marker and index.json with the first index update, which is then its only write of
   * index.json.
   */
  #pending: boolean;
  #made = false;

  private constructor(path: string, pending: boolean) {
    this.path = path;
    this.#pending = pending;
  }

  /**
   * Opens the layout at `dir`, or (by default) a new one there: the directory must be
   * missing, empty, or hold only what an interrupted creation leaves, and nothing is written
   * until the first push or tag, so a copy that fails before it moves anything leaves no
   * layout behind.
   */
  static async open(dir: string, options: LayoutOpenOptions = {}): Promise<LayoutStore> {
    const path = resolvePath(dir);
    let marker: string | undefined;
    try {
      marker = readFileSync(join(path, OCI_LAYOUT_FILE), "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    }
    if (marker !== undefined) checkMarker(marker, path);
    else if (options.create === false) throw new NotFoundError(`${path} is not an OCI image layout (no ${OCI_LAYOUT_FILE} file)`);
    else assertCreatable(path);
    // Temporary files of dead processes go, an interrupted creation's included.
    await sweepTemporaryFiles(path);
    return new LayoutStore(path, marker === undefined);
  }

  /** Makes the directories of a new layout before its first blob. */
  #ready(): void {
    if (!this.#pending || this.#made) return;
    this.#made = true;
    mkdirSync(this.path, { recursive: true });
    assertCreatable(this.path);
    mkdirSync(join(this.path, "blobs", "sha256"), { recursive: true });
  }

  /** Where the blob of `digest` lives. */
  blobPath(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.path, "blobs", algorithm, encoded);
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const path = this.blobPath(desc.digest);
    const size = await fileSize(path);
    if (size === undefined) throw new NotFoundError(`${desc.digest} is not in layout ${this.path}`);
    const offset = options.offset ?? 0;
    if (offset < 0 || offset > desc.size) throw new InvalidInputError(`offset ${offset} is outside ${desc.digest} (${desc.size} bytes)`);
    // The whole file is read even when resuming at an offset: the prefix is hashed so the
    // digest is still checked (local reads are cheap next to trusting a partial check).
    return storedStream(Bun.file(path), desc, options);
  }

  /** The blob's file, unverified (see FileFetcher); undefined when it is missing. */
  async fetchFile(desc: Descriptor): Promise<Blob | undefined> {
    const path = this.blobPath(desc.digest);
    return (await fileSize(path)) === undefined ? undefined : Bun.file(path);
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return (await fileSize(this.blobPath(desc.digest))) === desc.size;
  }

  async push(desc: Descriptor, body: Body, options: PushOptions = {}): Promise<void> {
    const info = await this.#store(desc, body, options);
    if (info) await this.#updateIndex((manifests) => addRoot(manifests, desc, info.manifests.map((d) => d.digest)));
  }

  /** Stores a manifest and tags it in one update of index.json (copy's root). */
  async pushManifest(desc: Descriptor, body: Body, reference: string): Promise<void> {
    assertTaggable(desc, reference);
    const info = await this.#store(desc, body, {});
    const children = (info ?? (await this.#info(desc)))?.manifests.map((d) => d.digest) ?? [];
    await this.#updateIndex((manifests) => setTag(addRoot(manifests, desc, children), desc, reference));
  }

  async resolve(reference: string): Promise<Descriptor> {
    assertResolvable(reference);
    const { manifests } = await readIndex(this.path);
    if (!isDigestReference(reference)) {
      const entry = manifests.findLast((d) => refName(d) === reference);
      if (!entry) throw new NotFoundError(`no tag ${reference} in layout ${this.path}`);
      return plainDescriptor(entry);
    }
    const listed = manifests.find((d) => d.digest === reference);
    if (listed && (await fileSize(this.blobPath(reference))) !== undefined) return plainDescriptor(listed);
    const found = await this.#describeBlob(reference);
    if (!found) throw new NotFoundError(`no manifest ${reference} in layout ${this.path}`);
    return found;
  }

  async tag(desc: Descriptor, reference: string): Promise<void> {
    assertTaggable(desc, reference);
    if ((await fileSize(this.blobPath(desc.digest))) === undefined) {
      throw new NotFoundError(`cannot tag ${desc.digest} as ${reference}: it is not in layout ${this.path}`);
    }
    await this.#updateIndex((manifests) => setTag(manifests, desc, reference));
  }

  async *tags(options: { last?: string } = {}): AsyncIterable<string> {
    const { manifests } = await readIndex(this.path);
    yield* tagsAfter(manifests.map(refName).filter((t): t is string => t !== undefined), options.last);
  }

  async referrers(desc: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    const { manifests } = await readIndex(this.path);
    const found = await findReferrers(manifests, desc.digest, (d) => this.#info(d));
    return found
      .map(({ desc: d, info }) => referrerDescriptor(d, info))
      .filter((d) => artifactType === undefined || d.artifactType === artifactType);
  }

  async delete(desc: Descriptor): Promise<void> {
    const path = this.blobPath(desc.digest);
    if ((await fileSize(path)) === undefined) throw new NotFoundError(`${desc.digest} is not in layout ${this.path}`);
    // index.json first: a crash in between leaves an unreferenced blob, never a dangling entry.
    await this.#updateIndex((manifests) => removeDigest(manifests, desc.digest));
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  /** The entries of index.json, as stored. */
  async index(): Promise<ImageIndex> {
    return readIndex(this.path);
  }

  /** Writes a blob or manifest (a new layout's directories first); a manifest's parsed form, if it was written. */
  async #store(desc: Descriptor, body: Body, options: PushOptions): Promise<ManifestInfo | undefined> {
    this.#ready();
    const info = await ingestBlob(this.path, this.blobPath(desc.digest), desc, body, options, () => this.exists(desc), BLOB_WRITE);
    if (info) this.#manifests.set(desc.digest, info);
    return info;
  }

  async #updateIndex(change: (manifests: Descriptor[]) => Descriptor[]): Promise<void> {
    await withIndexLock(this.path, async () => {
      const index = await readIndex(this.path);
      const next = change(index.manifests);
      if (!this.#pending && JSON.stringify(next) === JSON.stringify(index.manifests)) return;
      // Blobs are renamed into place without syncing their directory each time: it is synced
      // here, once, before index.json can refer to them (whoever wrote them).
      for (const algorithm of ["sha256", "sha512"]) {
        const dir = join(this.path, "blobs", algorithm);
        if (existsSync(dir)) await syncDirectory(dir);
      }
      if (this.#pending) {
        // A new layout's marker: its data synced now, its name by the directory sync that
        // index.json's write makes just after. A crash in between leaves a valid empty layout.
        this.#ready();
        await writeFileAtomic(this.path, join(this.path, OCI_LAYOUT_FILE), `${JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })}\n`, { syncDirectory: false });
      }
      await writeIndex(this.path, { ...index, manifests: next });
      this.#pending = false;
    });
  }

  /** A manifest's parsed form, read from the layout once; null when it is missing or not one. */
  async #info(desc: Descriptor): Promise<ManifestInfo | null> {
    const cached = this.#manifests.get(desc.digest);
    if (cached !== undefined) return cached;
    const path = this.blobPath(desc.digest);
    const size = await fileSize(path);
    let info: ManifestInfo | null = null;
    if (size !== undefined && size <= MAX_MANIFEST_BYTES) {
      try {
        info = parseManifest(await readFile(path), desc.mediaType);
      } catch {
        info = null;
      }
    }
    this.#manifests.set(desc.digest, info);
    return info;
  }

  /** The descriptor of a manifest blob not listed in index.json, by reading it. */
  async #describeBlob(digest: string): Promise<Descriptor | undefined> {
    const path = this.blobPath(digest);
    const size = await fileSize(path);
    if (size === undefined || size > MAX_MANIFEST_BYTES) return undefined;
    const mediaType = guessManifestType(await readFile(path));
    return mediaType === undefined ? undefined : { mediaType, digest, size };
  }
}

function checkMarker(text: string, path: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`${OCI_LAYOUT_FILE} of ${path} is not JSON`);
  }
  const parsed = v.safeParse(LayoutMarkerSchema, doc);
  if (!parsed.success) throw new InvalidInputError(`${OCI_LAYOUT_FILE} of ${path} has no imageLayoutVersion`);
  if (!parsed.output.imageLayoutVersion.startsWith("1.")) {
    throw new UnsupportedError(`layout ${path} is version ${parsed.output.imageLayoutVersion}; idp reads 1.x`);
  }
}

/**
 * A new layout may go at `path` when it is missing, empty, or holds only what an interrupted
 * creation leaves (index.json, blobs, the temporary directory).
 */
function assertCreatable(path: string): void {
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code === "ENOTDIR") throw new InvalidInputError(`${path} is a file, not a directory for an OCI image layout`);
    throw error;
  }
  if (names.some((name) => name !== INDEX_FILE && name !== "blobs" && !isIngestEntry(name))) {
    throw new InvalidInputError(`${path} is not empty and not an OCI image layout`, { hint: "choose a new or empty directory" });
  }
}

