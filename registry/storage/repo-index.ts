import * as v from "valibot";
import { Annotation, MediaType, OCI_LAYOUT_VERSION } from "../../src/oci/mediatypes.ts";
import { isValidTag } from "../../src/oci/names.ts";
import { LayoutIndexSchema, type Descriptor } from "../../src/oci/schemas.ts";
import type { Driver } from "./driver.ts";
import { KeyedMutex } from "../../src/util/keyed-mutex.ts";
import { repoIndexPath, repoLayoutMarkerPath } from "./paths.ts";

/** What the registry knows of one manifest in a repository. */
export interface ManifestRecord {
  mediaType: string;
  size: number;
  artifactType?: string;
}

/** A repository's manifests and tags, as held in its layout's index.json. Never mutated. */
export interface RepoState {
  readonly stamp: string;
  readonly manifests: ReadonlyMap<string, ManifestRecord>;
  readonly tags: ReadonlyMap<string, string>;
  /** Tags in ASCII order, computed on first use. */
  sortedTags(): readonly string[];
}

/** A mutable copy handed to `RepoIndex.update`. */
export interface RepoDraft {
  manifests: Map<string, ManifestRecord>;
  tags: Map<string, string>;
}

const MAX_CACHED = 4096;

/**
 * Loads, caches and rewrites each repository's index.json. Reads take the cached state when
 * the file's stamp is unchanged (another process, such as `idp registry gc`, may have written
 * it); writes are serialised per repository and replace the file atomically.
 */
export class RepoIndex {
  #driver: Driver;
  #cache = new Map<string, RepoState>();
  #locks = new KeyedMutex();
  #known = new Set<string>();

  constructor(driver: Driver) {
    this.#driver = driver;
  }

  /** The repository's state, or undefined when it does not exist. */
  async load(repo: string): Promise<RepoState | undefined> {
    const stat = await this.#driver.stat(repoIndexPath(repo));
    if (!stat) {
      this.#cache.delete(repo);
      return undefined;
    }
    const cached = this.#cache.get(repo);
    if (cached && cached.stamp === stat.stamp) return cached;
    const bytes = await this.#driver.read(repoIndexPath(repo));
    if (!bytes) return undefined;
    const state = parseIndex(bytes, stat.stamp, repo);
    this.#remember(repo, state);
    return state;
  }

  /** Creates the repository's layout (marker and empty index) if it is missing. */
  async ensure(repo: string): Promise<void> {
    if (this.#known.has(repo)) return;
    await this.#locks.run(repo, async () => {
      if (!(await this.#driver.stat(repoLayoutMarkerPath(repo)))) {
        await this.#driver.put(repoLayoutMarkerPath(repo), JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
      }
      if (!(await this.#driver.stat(repoIndexPath(repo)))) {
        await this.#driver.put(repoIndexPath(repo), serializeIndex(new Map(), new Map()));
      }
    });
    if (this.#known.size > MAX_CACHED) this.#known.clear();
    this.#known.add(repo);
  }

  /**
   * Applies `change` to a copy of the repository's state and writes it, serialised with every
   * other update of the same repository. `change` may throw to abort without writing; it may
   * also do file work that must not interleave with other updates (linking a manifest's bytes
   * before it is listed). `afterWrite` runs under the same lock once the index is written
   * (unlinking bytes only after nothing lists them).
   */
  async update<T>(repo: string, change: (draft: RepoDraft) => T | Promise<T>, afterWrite?: () => Promise<void>): Promise<T> {
    await this.ensure(repo);
    return this.#locks.run(repo, async () => {
      const current = await this.load(repo);
      const draft: RepoDraft = {
        manifests: new Map(current?.manifests ?? []),
        tags: new Map(current?.tags ?? []),
      };
      const result = await change(draft);
      try {
        await this.#driver.put(repoIndexPath(repo), serializeIndex(draft.manifests, draft.tags));
      } finally {
        this.#cache.delete(repo);
      }
      const stat = await this.#driver.stat(repoIndexPath(repo));
      if (stat) this.#remember(repo, makeState(stat.stamp, draft.manifests, draft.tags));
      await afterWrite?.();
      return result;
    });
  }

  /** Runs `work` under the repository's lock, without touching the index. */
  locked<T>(repo: string, work: () => Promise<T>): Promise<T> {
    return this.#locks.run(repo, work);
  }

  /** Forgets what is cached of a repository (after it was removed on disk). */
  forget(repo: string): void {
    this.#cache.delete(repo);
    this.#known.delete(repo);
  }

  #remember(repo: string, state: RepoState): void {
    if (this.#cache.size >= MAX_CACHED) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(repo, state);
  }
}

function makeState(stamp: string, manifests: Map<string, ManifestRecord>, tags: Map<string, string>): RepoState {
  let sorted: string[] | undefined;
  return {
    stamp,
    manifests,
    tags,
    sortedTags: () => (sorted ??= [...tags.keys()].sort()),
  };
}

const decoder = new TextDecoder();

function parseIndex(bytes: Uint8Array, stamp: string, repo: string): RepoState {
  let doc: unknown;
  try {
    doc = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new Error(`repository ${repo}: index.json is not valid JSON`, { cause: error });
  }
  const parsed = v.safeParse(LayoutIndexSchema, doc);
  if (!parsed.success) throw new Error(`repository ${repo}: index.json is not an OCI image index`);
  const manifests = new Map<string, ManifestRecord>();
  const tags = new Map<string, string>();
  for (const d of parsed.output.manifests) {
    if (!manifests.has(d.digest)) manifests.set(d.digest, recordOf(d));
    const tag = d.annotations?.[Annotation.refName];
    if (tag !== undefined && isValidTag(tag)) tags.set(tag, d.digest);
  }
  return makeState(stamp, manifests, tags);
}

function recordOf(d: Descriptor): ManifestRecord {
  return d.artifactType === undefined
    ? { mediaType: d.mediaType, size: d.size }
    : { mediaType: d.mediaType, size: d.size, artifactType: d.artifactType };
}

/**
 * index.json for a repository: one descriptor per tag (annotated with its name), in tag
 * order, then one per untagged manifest, in the order they arrived.
 */
export function serializeIndex(manifests: ReadonlyMap<string, ManifestRecord>, tags: ReadonlyMap<string, string>): string {
  const entries: Record<string, unknown>[] = [];
  const tagged = new Set<string>();
  for (const tag of [...tags.keys()].sort()) {
    const digest = tags.get(tag)!;
    const record = manifests.get(digest);
    if (!record) continue;
    tagged.add(digest);
    entries.push({ ...descriptorOf(digest, record), annotations: { [Annotation.refName]: tag } });
  }
  for (const [digest, record] of manifests) {
    if (!tagged.has(digest)) entries.push(descriptorOf(digest, record));
  }
  return `${JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: entries })}\n`;
}

function descriptorOf(digest: string, record: ManifestRecord): Record<string, unknown> {
  const d: Record<string, unknown> = { mediaType: record.mediaType, digest, size: record.size };
  if (record.artifactType !== undefined) d.artifactType = record.artifactType;
  return d;
}
