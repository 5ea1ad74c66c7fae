import { resolve as resolvePath } from "node:path";
import * as v from "valibot";
import { InvalidInputError, NotFoundError, UnsupportedError } from "../../errors/index.ts";
import { parseDigest } from "../../oci/digest.ts";
import { parseManifest, type ManifestInfo } from "../../oci/manifest.ts";
import { OCI_LAYOUT_FILE } from "../../oci/mediatypes.ts";
import { LayoutMarkerSchema, type Descriptor, type ImageIndex } from "../../oci/schemas.ts";
import { assertResolvable, isDigestReference, plainDescriptor, referrerDescriptor, tagsAfter } from "../descriptor.ts";
import { INDEX_FILE, emptyIndex, parseIndex, refName } from "../layout/index-file.ts";
import { findReferrers, guessManifestType } from "../layout/manifests.ts";
import { MAX_MANIFEST_BYTES } from "../successors.ts";
import type { FetchOptions, FileFetcher, ReadOnlyTarget, ReferrerLister, TagLister } from "../types.ts";
import { storedStream } from "../verify.ts";
import { indexTar, type TarEntry } from "./entries.ts";

/**
 * A read-only Target over an OCI image layout stored in an uncompressed tar: the air-gap
 * bundle format, and what `skopeo copy … oci-archive:FILE` writes. The tar is indexed once
 * when opened (headers only); blobs are then streamed from their byte ranges in the file,
 * verified like any fetch. Nothing is extracted and no blob is held in memory.
 *
 * @example
 * const bundle = await TarStore.open("bundle.tar");
 * await copy(bundle, "v1", registry, "v1");
 */
export class TarStore implements ReadOnlyTarget, TagLister, ReferrerLister, FileFetcher {
  readonly path: string;
  readonly #entries: Map<string, TarEntry>;
  /** Path prefix of the layout inside the tar ("" or "dir/"). */
  readonly #root: string;
  readonly #index: ImageIndex;
  #manifests = new Map<string, ManifestInfo | null>();

  private constructor(path: string, entries: Map<string, TarEntry>, root: string, index: ImageIndex) {
    this.path = path;
    this.#entries = entries;
    this.#root = root;
    this.#index = index;
  }

  /**
   * Opens the tar at `file`. The layout may sit at the top of the tar or in one directory
   * (the shallowest `oci-layout` file wins).
   */
  static async open(file: string): Promise<TarStore> {
    const path = resolvePath(file);
    const entries = await indexTar(path);
    const markers = [...entries.keys()].filter((name) => name === OCI_LAYOUT_FILE || name.endsWith(`/${OCI_LAYOUT_FILE}`));
    markers.sort((a, b) => a.split("/").length - b.split("/").length);
    const marker = markers[0];
    if (marker === undefined) throw new InvalidInputError(`${path} holds no OCI image layout (no ${OCI_LAYOUT_FILE} file)`);
    const root = marker.slice(0, marker.length - OCI_LAYOUT_FILE.length);
    const markerText = await readText(path, entries.get(marker)!);
    const parsed = v.safeParse(LayoutMarkerSchema, safeJson(markerText));
    if (!parsed.success) throw new InvalidInputError(`${OCI_LAYOUT_FILE} in ${path} has no imageLayoutVersion`);
    if (!parsed.output.imageLayoutVersion.startsWith("1.")) {
      throw new UnsupportedError(`the layout in ${path} is version ${parsed.output.imageLayoutVersion}; idp reads 1.x`);
    }
    const indexEntry = entries.get(`${root}${INDEX_FILE}`);
    const index = indexEntry ? parseIndex(await readText(path, indexEntry), path) : emptyIndex();
    return new TarStore(path, entries, root, index);
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const entry = this.#blob(desc.digest);
    if (!entry) throw new NotFoundError(`${desc.digest} is not in ${this.path}`);
    const offset = options.offset ?? 0;
    if (offset < 0 || offset > desc.size) throw new InvalidInputError(`offset ${offset} is outside ${desc.digest} (${desc.size} bytes)`);
    // The entry is read from its start even when resuming, so that the digest is checked.
    return storedStream(Bun.file(this.path).slice(entry.offset, entry.offset + entry.size), desc, options);
  }

  /** The entry's bytes as a slice of the tar, unverified (see FileFetcher). */
  async fetchFile(desc: Descriptor): Promise<Blob | undefined> {
    const entry = this.#blob(desc.digest);
    return entry ? Bun.file(this.path).slice(entry.offset, entry.offset + entry.size) : undefined;
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.#blob(desc.digest)?.size === desc.size;
  }

  async resolve(reference: string): Promise<Descriptor> {
    assertResolvable(reference);
    const { manifests } = this.#index;
    if (!isDigestReference(reference)) {
      const entry = manifests.findLast((d) => refName(d) === reference);
      if (!entry) throw new NotFoundError(`no tag ${reference} in ${this.path}`);
      return plainDescriptor(entry);
    }
    const listed = manifests.find((d) => d.digest === reference);
    if (listed && this.#blob(reference)) return plainDescriptor(listed);
    const entry = this.#blob(reference);
    if (entry && entry.size <= MAX_MANIFEST_BYTES) {
      const mediaType = guessManifestType(await this.#read(entry));
      if (mediaType !== undefined) return { mediaType, digest: reference, size: entry.size };
    }
    throw new NotFoundError(`no manifest ${reference} in ${this.path}`);
  }

  async *tags(options: { last?: string } = {}): AsyncIterable<string> {
    yield* tagsAfter(this.#index.manifests.map(refName).filter((t): t is string => t !== undefined), options.last);
  }

  async referrers(desc: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    const found = await findReferrers(this.#index.manifests, desc.digest, (d) => this.#info(d));
    return found
      .map(({ desc: d, info }) => referrerDescriptor(d, info))
      .filter((d) => artifactType === undefined || d.artifactType === artifactType);
  }

  /** The layout's index.json, as stored in the tar. */
  index(): ImageIndex {
    return this.#index;
  }

  #blob(digest: string): TarEntry | undefined {
    const { algorithm, encoded } = parseDigest(digest);
    return this.#entries.get(`${this.#root}blobs/${algorithm}/${encoded}`);
  }

  async #read(entry: TarEntry): Promise<Uint8Array> {
    return new Uint8Array(await Bun.file(this.path).slice(entry.offset, entry.offset + entry.size).arrayBuffer());
  }

  async #info(desc: Descriptor): Promise<ManifestInfo | null> {
    const cached = this.#manifests.get(desc.digest);
    if (cached !== undefined) return cached;
    const entry = this.#blob(desc.digest);
    let info: ManifestInfo | null = null;
    if (entry && entry.size <= MAX_MANIFEST_BYTES) {
      try {
        info = parseManifest(await this.#read(entry), desc.mediaType);
      } catch {
        info = null;
      }
    }
    this.#manifests.set(desc.digest, info);
    return info;
  }
}

/** index.json of a large bundle can outgrow a manifest, but it is still read whole. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

async function readText(path: string, entry: TarEntry): Promise<string> {
  if (entry.size > MAX_INDEX_BYTES) throw new InvalidInputError(`a layout file in ${path} is larger than ${MAX_INDEX_BYTES} bytes`);
  return Bun.file(path).slice(entry.offset, entry.offset + entry.size).text();
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
