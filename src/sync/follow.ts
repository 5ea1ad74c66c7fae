import { discoverImages } from "../bundle/images/discover.ts";
import { InvalidInputError } from "../errors/index.ts";
import { parseRegistryReference } from "../oci/reference.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { StorePackageIndex } from "../package/registry-index.ts";
import { resolveDependencies } from "../package/resolve.ts";
import type { RegistryPool } from "./connections.ts";
import { label, mapRepository, type SyncItem } from "./items.ts";
import type { PackageFacts, PackageImages, SyncState } from "./state.ts";

/**
 * `followDeps` and `includeImages`: the packages a pass syncs are noted as they are resolved;
 * afterwards each one's dependency closure is resolved as `idp deps` resolves it (highest
 * version satisfying every range, pinned by digest) and, with `includeImages`, the images the
 * packages' manifests run are found. The result is more items, placed by the same rule.
 * Facts about a digest (is it a package, what it needs, what images it runs) never change,
 * so they are kept in the state and read once.
 *
 * @example const follower = new Follower(pool, state); … ; const more = await follower.expand();
 */
export class Follower {
  readonly #state: SyncState;
  readonly #index: StorePackageIndex;
  readonly #roots: { item: SyncItem; digest: string; facts: NonNullable<PackageFacts> }[] = [];
  /** What could not be seen into, one line each. */
  readonly notes: string[] = [];

  constructor(pool: RegistryPool, state: SyncState) {
    this.#state = state;
    this.#index = new StorePackageIndex(async (repository) => {
      const ref = parseRegistryReference(repository);
      return (await pool.registry(ref.registry)).repository(ref.repository);
    });
  }

  /** Called with each listed tag's digest; remembers the packages among them. */
  async observe(item: SyncItem, desc: Descriptor): Promise<void> {
    if (item.kind !== "tag" || !item.rule.options.followDeps) return;
    const facts = await this.#facts(label(item.source), desc.digest);
    if (facts) this.#roots.push({ item, digest: desc.digest, facts });
  }

  /**
   * The dependency (and image) items of every package observed. A package whose closure
   * cannot be resolved (a conflict, an unreachable dependency) is a failure of its own; the
   * others are still followed.
   */
  async expand(): Promise<{ items: SyncItem[]; failures: { item: SyncItem; error: unknown }[] }> {
    const items: SyncItem[] = [];
    const failures: { item: SyncItem; error: unknown }[] = [];
    for (const root of this.#roots) {
      try {
        items.push(...(await this.#follow(root)));
      } catch (error) {
        failures.push({ item: { ...root.item, kind: "dependency" }, error });
      }
    }
    return { items, failures };
  }

  async #follow(root: { item: SyncItem; digest: string; facts: NonNullable<PackageFacts> }): Promise<SyncItem[]> {
    const out: SyncItem[] = [];
    const rule = root.item.rule;
    const resolution = await resolveDependencies(root.facts, this.#index, { registry: root.item.source.registry });
    const packages = [{ repository: label(root.item.source), digest: root.digest, facts: root.facts }];
    for (const p of resolution.packages) {
      const ref = parseRegistryReference(p.repository);
      const source = { registry: ref.registry, repository: ref.repository };
      out.push({ kind: "dependency", rule, source, target: mapRepository(rule, ref.registry, ref.repository), reference: p.version, tag: p.version, digest: p.digest });
      if (rule.options.includeImages) {
        const facts = await this.#facts(p.repository, p.digest);
        if (facts) packages.push({ repository: p.repository, digest: p.digest, facts });
      }
    }
    if (!rule.options.includeImages) return out;
    for (const p of packages) {
      const found = await this.#images(p.repository, p.digest, p.facts);
      for (const note of found.notes) if (!this.notes.includes(`${p.facts.name}@${p.facts.version}: ${note}`)) this.notes.push(`${p.facts.name}@${p.facts.version}: ${note}`);
      for (const image of found.images) {
        const ref = parseRegistryReference(image);
        out.push({
          kind: "image",
          rule,
          source: { registry: ref.registry, repository: ref.repository },
          target: mapRepository(rule, ref.registry, ref.repository),
          reference: ref.digest ?? ref.tag ?? "latest",
          tag: ref.tag,
        });
      }
    }
    return out;
  }

  async #facts(repository: string, digest: string): Promise<PackageFacts> {
    const known = this.#state.packageFacts(digest);
    if (known !== undefined) return known;
    let facts: PackageFacts;
    try {
      const found = await this.#index.find(repository, digest);
      const { name, version, kind, dependencies } = found.config;
      facts = { name, version, kind, layer: { mediaType: found.layer.mediaType, digest: found.layer.digest, size: found.layer.size }, dependencies: dependencies.map((d) => ({ repository: d.repository, version: d.version })) };
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      facts = null;
    }
    this.#state.setPackageFacts(digest, facts);
    return facts;
  }

  async #images(repository: string, digest: string, facts: NonNullable<PackageFacts>): Promise<PackageImages> {
    const known = this.#state.packageImages(digest);
    if (known) return known;
    const store = await this.#index.store(repository);
    const found = await discoverImages(store, facts.layer, facts.kind);
    const images = { images: [...found.images.keys()], notes: found.notes };
    this.#state.setPackageImages(digest, images);
    return images;
  }
}
