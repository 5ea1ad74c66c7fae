import { rename, unlink } from "node:fs/promises";
import * as v from "valibot";
import { DigestSchema } from "../oci/schemas.ts";

const PackageFactsSchema = v.nullable(
  v.object({
    name: v.string(),
    version: v.string(),
    kind: v.string(),
    layer: v.object({ mediaType: v.string(), digest: DigestSchema, size: v.number() }),
    dependencies: v.array(v.object({ repository: v.string(), version: v.string() })),
  }),
);
/** What a manifest is, as far as following dependencies goes: a package (and what it needs) or not. */
export type PackageFacts = v.InferOutput<typeof PackageFactsSchema>;

const ImagesSchema = v.object({ images: v.array(v.string()), notes: v.array(v.string()) });
export type PackageImages = v.InferOutput<typeof ImagesSchema>;

const StateSchema = v.object({
  version: v.literal(1),
  /** `registry/repository` → tag (or `@digest`) → the digest sync left there. */
  targets: v.record(v.string(), v.record(v.string(), DigestSchema)),
  /** Manifest digest → package facts (content-addressed: never stale). */
  packages: v.optional(v.record(DigestSchema, PackageFactsSchema), {}),
  /** Package digest → the images its manifests run. */
  images: v.optional(v.record(DigestSchema, ImagesSchema), {}),
});
type StateDocument = v.InferOutput<typeof StateSchema>;

/**
 * What sync knows between passes, so a pass that changes nothing costs about one request per
 * tag: which digest each target tag was left at (trusted only while the target still lists
 * the tag; turn `fastCheck` off to look at every target tag), and facts about manifests that
 * never change (whether a digest is a package, what it depends on, what images it runs).
 * Kept in memory for the run and, when a file is given, saved after every pass (atomically;
 * an unreadable file is a cache miss, not an error).
 *
 * @example const state = await SyncState.load("sync-state.json"); state.target("r/app").get("v1")
 */
export class SyncState {
  readonly path: string | undefined;
  #doc: StateDocument;

  private constructor(path: string | undefined, doc: StateDocument) {
    this.path = path;
    this.#doc = doc;
  }

  static async load(path?: string): Promise<SyncState> {
    const empty: StateDocument = { version: 1, targets: {}, packages: {}, images: {} };
    if (path === undefined) return new SyncState(undefined, empty);
    const file = Bun.file(path);
    if (!(await file.exists())) return new SyncState(path, empty);
    try {
      const parsed = v.safeParse(StateSchema, JSON.parse(await file.text()));
      return new SyncState(path, parsed.success ? parsed.output : empty);
    } catch {
      return new SyncState(path, empty);
    }
  }

  /** The tag → digest map of one target repository (created on first use). */
  target(repository: string): Record<string, string> {
    return (this.#doc.targets[repository] ??= {});
  }

  packageFacts(digest: string): PackageFacts | undefined {
    return this.#doc.packages[digest];
  }

  setPackageFacts(digest: string, facts: PackageFacts): void {
    this.#doc.packages[digest] = facts;
  }

  packageImages(digest: string): PackageImages | undefined {
    return this.#doc.images[digest];
  }

  setPackageImages(digest: string, images: PackageImages): void {
    this.#doc.images[digest] = images;
  }

  /** Writes the file, if there is one: temp file then rename, so it is never half written. */
  async save(): Promise<void> {
    if (this.path === undefined) return;
    const temp = `${this.path}.${process.pid}.tmp`;
    try {
      await Bun.write(temp, `${JSON.stringify(this.#doc)}\n`);
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
  }
}
