import { existsSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";
import { formatReference, parseRegistryReference, referenceTarget, type RegistryReference } from "../oci/reference.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { lockDependencies } from "../package/deps.ts";
import type { StorePackageIndex } from "../package/registry-index.ts";
import { absoluteRepository, resolveDependencies, type ResolvedPackage } from "../package/resolve.ts";
import type { Note, Role } from "./entries.ts";
import { discoverImages } from "./images/discover.ts";
import { choosePlatform, type Platform } from "./images/platform.ts";

/**
 * What a bundle (or a sync pass following dependencies) must carry: the packages asked for,
 * the dependency closure each resolves to (as `idp deps` resolves it, pinned by digest), and
 * optionally the images their manifests run. Read-only: nothing is copied here.
 */

/** One root to copy, with where it came from and why. */
export interface PlanItem {
  /** The reference it is known by: `registry/path:tag`, `registry/path@digest`. */
  reference: string;
  /** `registry/path` of the source repository. */
  repository: string;
  descriptor: Descriptor;
  role: Role;
  packageName?: string;
  usedBy: string[];
  platform?: string;
}

export interface Plan {
  items: PlanItem[];
  notes: Note[];
}

export interface PlanOptions {
  includeImages?: boolean;
  platform?: Platform;
  /** Registry for host-less dependencies of a package directory. */
  registry: string;
}

const RANK: Record<Role, number> = { package: 0, dependency: 1, artifact: 2, image: 3, referrer: 4 };

/**
 * The plan for `references`: registry references (a package, or any image or artifact), or
 * package directories (their idp.lock closure, checked against the registry as
 * `idp deps lock --locked` does).
 *
 * @example const plan = await planBundle(["127.0.0.1:5000/examples/app-catalog:0.3.0"], index, { registry: "127.0.0.1:5000", includeImages: true });
 */
export async function planBundle(references: readonly string[], index: StorePackageIndex, options: PlanOptions): Promise<Plan> {
  const plan = new PlanBuilder();
  for (const text of references) {
    if (existsSync(join(text, "idp.yaml"))) {
      const locked = await lockDependencies(text, index, { registry: options.registry, locked: true });
      const root = `${locked.lock.package.name}@${locked.lock.package.version}`;
      await addClosure(plan, index, locked.resolution.packages, root, locked.resolution.root.dependencies.map((d) => absoluteRepository(d.repository, options.registry)));
      continue;
    }
    const ref = parseRegistryReference(text);
    await addReference(plan, index, ref);
  }
  if (options.includeImages) {
    for (const item of plan.list().filter((i) => i.role === "package" || i.role === "dependency")) {
      await addImages(plan, index, item, options.platform);
    }
  }
  return { items: plan.list(), notes: plan.notes };
}

/**
 * A package reference with its resolved closure, or any other artifact as it is.
 *
 * @example await addReference(plan, index, parseRegistryReference("r:5000/team/app:1.0.0"));
 */
export async function addReference(plan: PlanBuilder, index: StorePackageIndex, ref: RegistryReference): Promise<void> {
  const repository = `${ref.registry}/${ref.repository}`;
  const store = await index.store(repository);
  const descriptor = await store.resolve(referenceTarget(ref));
  const reference = formatReference(ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: "latest" } : ref);
  let found;
  try {
    found = await index.find(repository, descriptor.digest);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    plan.add({ reference, repository, descriptor, role: "artifact", usedBy: [] });
    return;
  }
  const name = `${found.config.name}@${found.config.version}`;
  plan.add({ reference, repository, descriptor, role: "package", packageName: name, usedBy: [] });
  const resolution = await resolveDependencies(
    { name: found.config.name, version: found.config.version, dependencies: found.config.dependencies },
    index,
    { registry: ref.registry },
  );
  await addClosure(plan, index, resolution.packages, name, found.config.dependencies.map((d) => absoluteRepository(d.repository, ref.registry)));
}

/** The packages of a resolved closure, each tagged by its exact version, pinned by digest. */
async function addClosure(plan: PlanBuilder, index: StorePackageIndex, packages: readonly ResolvedPackage[], root: string, rootDeps: readonly string[]): Promise<void> {
  const users = new Map<string, string[]>();
  for (const repository of rootDeps) users.set(repository, [...(users.get(repository) ?? []), root]);
  for (const p of packages) {
    for (const d of p.dependencies) users.set(d.repository, [...(users.get(d.repository) ?? []), `${p.name}@${p.version}`]);
  }
  for (const p of packages) {
    const descriptor = await (await index.store(p.repository)).resolve(p.digest);
    plan.add({ reference: `${p.repository}:${p.version}`, repository: p.repository, descriptor, role: "dependency", packageName: `${p.name}@${p.version}`, usedBy: users.get(p.repository) ?? [] });
  }
}

/**
 * The images a package's manifests run, each resolved (and narrowed to `platform`).
 *
 * @example for (const item of plan.list()) if (item.role === "package") await addImages(plan, index, item, undefined);
 */
export async function addImages(plan: PlanBuilder, index: StorePackageIndex, item: PlanItem, platform: Platform | undefined): Promise<void> {
  const found = await index.find(item.repository, item.descriptor.digest);
  const store = await index.store(item.repository);
  const name = item.packageName ?? item.reference;
  const discovered = await discoverImages(store, found.layer, found.config.kind);
  for (const note of discovered.notes) plan.note({ package: name, note });
  for (const reference of discovered.images.keys()) {
    const ref = parseRegistryReference(reference);
    const repository = `${ref.registry}/${ref.repository}`;
    const imageStore = await index.store(repository);
    let descriptor: Descriptor;
    try {
      descriptor = await imageStore.resolve(referenceTarget(ref));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      throw new NotFoundError(`image ${reference}, used by ${name}, was not found`, { cause: error, hint: "push the image, or fix the reference in the package's manifests" });
    }
    let chosen: string | undefined;
    if (platform) {
      const choice = await choosePlatform(imageStore, descriptor, platform, ref.digest !== undefined, reference);
      descriptor = choice.descriptor;
      chosen = choice.platform;
      if (choice.note) plan.note({ package: name, note: choice.note });
    }
    plan.add({ reference, repository, descriptor, role: "image", usedBy: [name], ...(chosen ? { platform: chosen } : {}) });
  }
}

/**
 * Items by reference: the same reference twice is one item, whose users are merged.
 *
 * @example const plan = new PlanBuilder(); plan.add(item); plan.list()
 */
export class PlanBuilder {
  #items = new Map<string, PlanItem>();
  readonly notes: Note[] = [];

  add(item: PlanItem): void {
    const known = this.#items.get(item.reference);
    if (!known) {
      this.#items.set(item.reference, { ...item, usedBy: [...item.usedBy] });
      return;
    }
    if (known.descriptor.digest !== item.descriptor.digest) {
      throw new InvalidInputError(`${item.reference} resolved to two different digests (${known.descriptor.digest}, ${item.descriptor.digest}) while planning`, {
        hint: "a tag moved during the run; run again",
      });
    }
    known.usedBy = [...new Set([...known.usedBy, ...item.usedBy])];
    if (RANK[item.role] < RANK[known.role]) known.role = item.role;
    if (item.packageName && !known.packageName) known.packageName = item.packageName;
  }

  note(note: Note): void {
    if (!this.notes.some((n) => n.package === note.package && n.note === note.note)) this.notes.push(note);
  }

  list(): PlanItem[] {
    return [...this.#items.values()];
  }
}
