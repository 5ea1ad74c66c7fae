import { IdpError } from "../errors/index.ts";
import { readPackageSpec } from "./load.ts";
import { lockedVersions, lockfileFor, readLockfile, staleness, writeLockfile, type Lockfile } from "./lockfile.ts";
import { resolveDependencies, type PackageIndex, type Resolution, type ResolvedPackage } from "./resolve.ts";

/** The lockfile does not match idp.yaml or the registry any more. */
export class StaleLockError extends IdpError {
  override name = "StaleLockError";
}

export interface LockOptions {
  /** Registry for host-less dependency repositories. */
  registry: string;
  includePrerelease?: boolean;
  /** Use idp.lock exactly; fail if it is missing, stale, or its digests moved. */
  locked?: boolean;
  /** Names of packages to move within their ranges; "all" re-resolves everything. */
  update?: string[] | "all";
  /** Resolve and report, but do not write idp.lock. */
  dryRun?: boolean;
}

export interface LockResult {
  resolution: Resolution;
  lock: Lockfile;
  /** Packages whose version or digest differs from the previous lock. */
  changed: { name: string; repository: string; from?: string; to: string }[];
  written: string | undefined;
}

/**
 * `idp deps resolve|lock|update` in one place: resolve the package in `dir` against the
 * registries, preferring what idp.lock already pins, and (unless dry-run) write idp.lock.
 * With `locked`, the lock is used as is and checked against idp.yaml and the registry.
 */
export async function lockDependencies(dir: string, index: PackageIndex, options: LockOptions): Promise<LockResult> {
  const spec = await readPackageSpec(dir);
  const previous = await readLockfile(dir);
  const root = { name: spec.name, version: spec.version, dependencies: spec.dependencies };
  if (options.locked) {
    if (!previous) throw new StaleLockError(`${dir} has no idp.lock`, { hint: "run `idp deps lock` and commit idp.lock" });
    const why = staleness(previous, root, options.registry);
    if (why) throw new StaleLockError(`idp.lock is stale: ${why}`, { hint: "run `idp deps lock` and commit the result" });
    const packages = await verifyLocked(previous, index);
    return { resolution: { root, registry: previous.registry, packages, requests: { tagLists: 0, metadata: packages.length } }, lock: previous, changed: [], written: undefined };
  }
  const usable = previous && !staleness(previous, root, options.registry) ? previous : undefined;
  const update = options.update;
  if (Array.isArray(update) && previous) {
    const unknown = update.filter((name) => !previous.packages.some((p) => p.name === name));
    if (unknown.length) throw new IdpError(`no locked package named ${unknown.join(", ")}`, { hint: `locked packages: ${previous.packages.map((p) => p.name).join(", ") || "none"}` });
  }
  const preferred = usable && update !== "all" ? lockedVersions(usable, (p) => Array.isArray(update) && update.includes(p.name)) : undefined;
  const resolution = await resolveDependencies(root, index, { registry: options.registry, includePrerelease: options.includePrerelease, preferred });
  const lock = lockfileFor(resolution, options.registry);
  const before = new Map((previous?.packages ?? []).map((p) => [p.repository, p]));
  const changed = lock.packages
    .filter((p) => before.get(p.repository)?.digest !== p.digest)
    .map((p) => ({ name: p.name, repository: p.repository, from: before.get(p.repository)?.version, to: p.version }));
  const written = options.dryRun ? undefined : await writeLockfile(dir, lock);
  return { resolution, lock, changed, written };
}

/** Each locked package must still be at its locked digest in the registry. */
async function verifyLocked(lock: Lockfile, index: PackageIndex): Promise<ResolvedPackage[]> {
  const out: ResolvedPackage[] = [];
  for (const p of lock.packages) {
    const now = await index.describe(p.repository, p.version);
    if (now.digest !== p.digest) {
      throw new StaleLockError(`${p.repository}:${p.version} is ${now.digest} in the registry, but idp.lock pins ${p.digest}`, {
        hint: "someone re-pushed that version; if the change is expected run `idp deps update " + p.name + "`, else investigate",
      });
    }
    out.push({ ...p, level: 0 });
  }
  const byRepo = new Map(out.map((p) => [p.repository, p]));
  const levelOf = (p: ResolvedPackage, seen = new Set<string>()): number => {
    if (seen.has(p.repository)) return 0;
    seen.add(p.repository);
    const deps = p.dependencies.map((d) => byRepo.get(d.repository)).filter((d): d is ResolvedPackage => d !== undefined);
    return deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => levelOf(d, new Set(seen))));
  };
  for (const p of out) p.level = levelOf(p);
  return out.sort((a, b) => a.level - b.level || (a.repository < b.repository ? -1 : 1));
}
