import semver from "semver";
import { IdpError } from "../errors/index.ts";
import { hasRegistryHost, type Dependency } from "./spec.ts";

/**
 * Dependency resolution: one version per repository (a cluster runs one ingress, not two),
 * the highest that satisfies every range asking for it, found by backtracking search over
 * the registry's tags. Each repository's tags are listed once per run and each package's
 * metadata read once.
 */

/** What the resolver needs from registries: written once, served by any Target. */
export interface PackageIndex {
  /** Tags of `repository` (registry/path); non-semver tags are ignored by the caller. */
  tags(repository: string): Promise<string[]>;
  /** The package tagged `version`: its manifest digest, name and dependencies. */
  describe(repository: string, version: string): Promise<PackageMetadata>;
}

export interface PackageMetadata {
  digest: string;
  name: string;
  version: string;
  dependencies: Dependency[];
}

/** The package being resolved for: a directory's idp.yaml, or a pushed package. */
export interface RootPackage {
  name: string;
  version: string;
  dependencies: Dependency[];
}

export interface ResolveOptions {
  /** Registry that host-less dependency repositories (`team/pkg`) live in. */
  registry: string;
  /** Consider prerelease versions (1.2.0-rc.1). Default false. */
  includePrerelease?: boolean;
  /** Versions to keep when they still satisfy (a lockfile's), by repository. */
  preferred?: ReadonlyMap<string, string>;
}

/** One package of a resolved graph. */
export interface ResolvedPackage {
  name: string;
  /** registry/path, absolute. */
  repository: string;
  version: string;
  digest: string;
  /** Its dependencies as it declares them, with repositories made absolute. */
  dependencies: Dependency[];
  /** 0 for packages without dependencies, else 1 + the highest level below (sync-wave order). */
  level: number;
}

export interface Resolution {
  root: RootPackage;
  /** Registry the root's host-less dependencies were resolved against. */
  registry: string;
  /** Every package of the closure, dependencies before dependents, then by repository. */
  packages: ResolvedPackage[];
  /** Registry requests made: tag lists and metadata reads. */
  requests: { tagLists: number; metadata: number };
}

/** No version assignment satisfies every range; the message explains the chains. */
export class UnsatisfiableError extends IdpError {
  override name = "UnsatisfiableError";
}

interface Requirement {
  repository: string;
  range: string;
  /** Who asked: root → … → dependent, as `name@version` steps. */
  chain: string[];
}

/** `team/pkg` → `<registry>/team/pkg`; absolute repositories stay. */
export function absoluteRepository(repository: string, registry: string): string {
  return hasRegistryHost(repository) ? repository : `${registry}/${repository}`;
}

/**
 * Resolves the transitive graph of `root`'s dependencies.
 *
 * @example
 * const { packages } = await resolveDependencies(spec, index, { registry: "localhost:5000" });
 */
export async function resolveDependencies(root: RootPackage, index: PackageIndex, options: ResolveOptions): Promise<Resolution> {
  const requests = { tagLists: 0, metadata: 0 };
  const tagCache = new Map<string, Promise<string[]>>();
  const metaCache = new Map<string, Promise<PackageMetadata>>();
  const versionsOf = (repository: string) => {
    let p = tagCache.get(repository);
    if (!p) {
      requests.tagLists++;
      p = index
        .tags(repository)
        .then((tags) => tags.filter((t) => semver.valid(t) !== null && semver.clean(t) === t))
        .catch((error: unknown) => Promise.reject(inContext(error, `cannot list the versions of ${repository}`, neededBy(repository))));
      tagCache.set(repository, p);
    }
    return p;
  };
  const describe = (repository: string, version: string) => {
    const key = `${repository}:${version}`;
    let p = metaCache.get(key);
    if (!p) {
      requests.metadata++;
      p = index.describe(repository, version).catch((error: unknown) => Promise.reject(inContext(error, `cannot read package ${repository}:${version}`, neededBy(repository))));
      metaCache.set(key, p);
    }
    return p;
  };
  const neededBy = (repository: string) => requirements.find((r) => r.repository === repository)?.chain.join(" → ") ?? root.name;

  const chosen = new Map<string, PackageMetadata>();
  const requirements: Requirement[] = [];
  const rootStep = `${root.name}@${root.version}`;
  const requirementsOf = (meta: { dependencies: Dependency[] }, chain: string[], registry: string) =>
    meta.dependencies.map((dep) => ({ repository: absoluteRepository(dep.repository, registry), range: dep.version, chain }));
  requirements.push(...requirementsOf(root, [rootStep], options.registry));
  let deepest: { size: number; message: string } | undefined;

  const satisfies = (version: string, range: string) => semver.satisfies(version, range, { includePrerelease: options.includePrerelease ?? false });

  const conflict = (repository: string, available: string[]) => {
    const asks = requirements.filter((r) => r.repository === repository);
    const lines = asks.map((r) => `  ${r.range} required by ${r.chain.join(" → ")}`);
    const avail = available.length ? available.join(", ") : "none (no semver tags; is the repository name right, and was the package pushed?)";
    const message = `no version of ${repository} satisfies every requirement:\n${lines.join("\n")}\n  available: ${avail}`;
    if (!deepest || chosen.size >= deepest.size) deepest = { size: chosen.size, message };
  };

  const solve = async (): Promise<boolean> => {
    const open = [...new Set(requirements.map((r) => r.repository))].filter((repo) => !chosen.has(repo)).sort();
    if (open.length === 0) return true;
    // Most constrained repository first: fewest candidates fails fastest.
    let pick: { repository: string; candidates: string[]; all: string[] } | undefined;
    for (const repository of open) {
      const all = await versionsOf(repository);
      const ranges = requirements.filter((r) => r.repository === repository).map((r) => r.range);
      const candidates = all.filter((v) => ranges.every((range) => satisfies(v, range))).sort(semver.rcompare);
      if (!pick || candidates.length < pick.candidates.length) pick = { repository, candidates, all };
      if (candidates.length === 0) break;
    }
    const { repository, candidates, all } = pick!;
    if (candidates.length === 0) {
      conflict(repository, [...all].sort(semver.compare));
      return false;
    }
    const preferred = options.preferred?.get(repository);
    if (preferred && candidates.includes(preferred)) candidates.unshift(...candidates.splice(candidates.indexOf(preferred), 1));
    for (const version of candidates) {
      const meta = await describe(repository, version);
      const chain = [...requirements.find((r) => r.repository === repository)!.chain, `${meta.name}@${version}`];
      const added = requirementsOf(meta, chain, registryOf(repository));
      const clash = added.find((r) => chosen.has(r.repository) && !satisfies(chosen.get(r.repository)!.version, r.range));
      chosen.set(repository, meta);
      requirements.push(...added);
      if (clash) {
        conflict(clash.repository, [chosen.get(clash.repository)!.version]);
      } else if (await solve()) {
        return true;
      }
      requirements.splice(requirements.length - added.length, added.length);
      chosen.delete(repository);
    }
    return false;
  };

  if (!(await solve())) {
    throw new UnsatisfiableError(`cannot resolve the dependencies of ${rootStep}: ${deepest?.message ?? "no solution"}`, {
      hint: "widen a range in idp.yaml, or publish a version that satisfies all of them",
    });
  }
  const packages = orderPackages(chosen);
  detectCycles(packages, rootStep, root.dependencies.map((d) => absoluteRepository(d.repository, options.registry)));
  return { root, registry: options.registry, packages, requests };
}

/** The same failure, saying which package it was for; the class (and exit code) is kept. */
function inContext(error: unknown, what: string, chain: string): unknown {
  if (!(error instanceof IdpError)) return error;
  if (error.message.startsWith(what)) return error;
  const wrapped = new IdpError(`${what} (needed by ${chain}): ${error.message}`, { cause: error, hint: error.hint ?? "check the registry address and that it is running" });
  Object.setPrototypeOf(wrapped, Object.getPrototypeOf(error));
  wrapped.name = error.name;
  return wrapped;
}

function registryOf(repository: string): string {
  return repository.slice(0, repository.indexOf("/"));
}

/** Dependencies first, by level then repository; levels computed over the chosen graph. */
function orderPackages(chosen: Map<string, PackageMetadata>): ResolvedPackage[] {
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (repository: string): number => {
    const known = level.get(repository);
    if (known !== undefined) return known;
    if (visiting.has(repository)) return 0; // a cycle; reported by detectCycles
    visiting.add(repository);
    const meta = chosen.get(repository)!;
    const deps = meta.dependencies.map((d) => absoluteRepository(d.repository, registryOf(repository)));
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(levelOf));
    visiting.delete(repository);
    level.set(repository, value);
    return value;
  };
  return [...chosen.entries()]
    .map(([repository, meta]) => ({
      name: meta.name,
      repository,
      version: meta.version,
      digest: meta.digest,
      dependencies: meta.dependencies.map((d) => ({ ...d, repository: absoluteRepository(d.repository, registryOf(repository)) })),
      level: levelOf(repository),
    }))
    .sort((a, b) => a.level - b.level || (a.repository < b.repository ? -1 : 1));
}

/** Depth-first from the root's own dependencies, so a cycle reads from the root's side. */
function detectCycles(packages: ResolvedPackage[], rootStep: string, starts: string[]): void {
  const byRepo = new Map(packages.map((p) => [p.repository, p]));
  const state = new Map<string, "active" | "done">();
  const path: string[] = [];
  const visit = (repository: string) => {
    if (state.get(repository) === "done") return;
    const p = byRepo.get(repository)!;
    if (state.get(repository) === "active") {
      const start = path.indexOf(repository);
      const cycle = [...path.slice(start), repository].map((r) => `${byRepo.get(r)!.name}@${byRepo.get(r)!.version}`);
      throw new UnsatisfiableError(`dependency cycle in the packages of ${rootStep}: ${cycle.join(" → ")}`, {
        hint: "packages cannot depend on each other in a loop; move what they share into a third package",
      });
    }
    state.set(repository, "active");
    path.push(repository);
    for (const d of p.dependencies) visit(d.repository);
    path.pop();
    state.set(repository, "done");
  };
  for (const repository of [...starts, ...packages.map((p) => p.repository)]) visit(repository);
}
