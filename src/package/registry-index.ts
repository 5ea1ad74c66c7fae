import { canFetchReference, canListTags, type ReadOnlyTarget, type TagLister } from "../content/types.ts";
import { InvalidInputError, NotFoundError, UnsupportedError } from "../errors/index.ts";
import { parseManifest } from "../oci/manifest.ts";
import { PackageMediaType } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { parsePackageConfig, type PackageConfig } from "./config.ts";
import type { PackageIndex, PackageMetadata } from "./resolve.ts";

/** Opens the store of a repository given as `registry/path`. */
export type RepositoryOpener = (repository: string) => Promise<ReadOnlyTarget & Partial<TagLister>>;

/** A package as found in a store: its manifest and config. */
export interface FoundPackage {
  manifest: Descriptor;
  layer: Descriptor;
  config: PackageConfig;
}

/**
 * The PackageIndex over real stores: tags from the repository's tag list, metadata from each
 * package's config blob. Stores are opened once per repository.
 */
export class StorePackageIndex implements PackageIndex {
  #open: RepositoryOpener;
  #stores = new Map<string, Promise<ReadOnlyTarget & Partial<TagLister>>>();

  constructor(open: RepositoryOpener) {
    this.#open = open;
  }

  store(repository: string): Promise<ReadOnlyTarget & Partial<TagLister>> {
    let store = this.#stores.get(repository);
    if (!store) {
      store = this.#open(repository);
      this.#stores.set(repository, store);
    }
    return store;
  }

  async tags(repository: string): Promise<string[]> {
    const store = await this.store(repository);
    if (!canListTags(store)) throw new UnsupportedError(`${repository} cannot list tags`);
    const out: string[] = [];
    try {
      for await (const tag of store.tags()) out.push(tag);
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
    return out;
  }

  async describe(repository: string, version: string): Promise<PackageMetadata> {
    const found = await this.find(repository, version);
    if (found.config.version !== version) {
      throw new InvalidInputError(`${repository}:${version} holds package version ${found.config.version}; the tag and the package disagree`, {
        hint: "re-push the package so that its exact-version tag matches idp.yaml",
      });
    }
    return { digest: found.manifest.digest, name: found.config.name, version, dependencies: found.config.dependencies };
  }

  /** The package a tag or digest names in `repository`, checked to be an idp package. */
  async find(repository: string, reference: string): Promise<FoundPackage> {
    return findPackage(await this.store(repository), reference, `${repository}:${reference}`);
  }
}

/** Reads and checks the package a reference names in a store. */
export async function findPackage(store: ReadOnlyTarget, reference: string, where: string): Promise<FoundPackage> {
  const { manifest, bytes } = await readManifest(store, reference);
  const info = parseManifest(bytes, manifest.mediaType);
  if (info.artifactType !== PackageMediaType.artifact || info.config?.mediaType !== PackageMediaType.config) {
    throw new InvalidInputError(`${where} is not an idp package (artifactType ${info.artifactType ?? "none"})`, {
      hint: "push packages with `idp package push`",
    });
  }
  const layers = info.blobs.slice(1);
  if (layers.length !== 1 || layers[0]!.mediaType !== PackageMediaType.layer) {
    throw new InvalidInputError(`${where}: a package has exactly one ${PackageMediaType.layer} layer, this one has ${layers.length}`);
  }
  const config = parsePackageConfig(await readSmall(store, info.config, 1024 * 1024), where);
  return { manifest: { ...manifest, artifactType: PackageMediaType.artifact }, layer: layers[0]!, config };
}

async function readManifest(store: ReadOnlyTarget, reference: string): Promise<{ manifest: Descriptor; bytes: Uint8Array }> {
  if (canFetchReference(store)) {
    const { descriptor, bytes } = await store.fetchReference(reference);
    return { manifest: descriptor, bytes };
  }
  const manifest = await store.resolve(reference);
  return { manifest, bytes: await readSmall(store, manifest, 4 * 1024 * 1024) };
}

async function readSmall(store: ReadOnlyTarget, desc: Descriptor, max: number): Promise<Uint8Array> {
  if (desc.size > max) throw new InvalidInputError(`${desc.digest} is ${desc.size} bytes, more than a package's metadata may be`);
  return new Uint8Array(await new Response(await store.fetch(desc)).arrayBuffer());
}
