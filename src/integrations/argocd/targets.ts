import { existsSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { InvalidInputError, NotFoundError } from "../../errors/index.ts";
import { parseRegistryReference } from "../../oci/reference.ts";
import { readPackageSpec } from "../../package/load.ts";
import { readLockfile } from "../../package/lockfile.ts";
import type { StorePackageIndex } from "../../package/registry-index.ts";
import { absoluteRepository, resolveDependencies } from "../../package/resolve.ts";
import type { PackageTarget } from "./app.ts";
import { orderByDependencies } from "./order.ts";

export interface TargetOptions {
  /** Render only the package itself, not its dependencies. */
  noDeps?: boolean;
  /** A semver range the chosen version must satisfy (when the reference has no tag). */
  range?: string;
  /** For a package directory: where the package itself was pushed (else only its locked dependencies). */
  repository?: string;
  includePrerelease?: boolean;
}

/**
 * The packages to deploy for `source`, root first, then its dependencies in sync order:
 *
 * - a reference `registry/repo[:tag][@digest]` (no tag: the highest version, or the highest
 *   satisfying `range`), with the closure resolved from its config and pinned to digests;
 * - a package directory with idp.lock: the locked closure exactly (versions and digests as
 *   locked), headed by the package itself when `repository` says where it was pushed.
 *
 * @example const targets = await packageTargets("127.0.0.1:5000/examples/app-catalog:0.3.0", index);
 */
export async function packageTargets(source: string, index: StorePackageIndex, options: TargetOptions = {}): Promise<{ targets: PackageTarget[]; rootIncluded: boolean }> {
  if (existsSync(join(source, "idp.yaml"))) return fromDirectory(source, index, options);
  const ref = parseRegistryReference(source);
  const repository = `${ref.registry}/${ref.repository}`;
  const reference = ref.digest ?? ref.tag ?? (await highestVersion(index, repository, options));
  const found = await index.find(repository, reference);
  if (options.range && !semver.satisfies(found.config.version, options.range, { includePrerelease: options.includePrerelease ?? false })) {
    throw new InvalidInputError(`${source} is version ${found.config.version}, outside --revision ${options.range}`, { hint: "drop the tag, or pick a range that includes it" });
  }
  const root: PackageTarget = {
    name: found.config.name,
    repository,
    version: found.config.version,
    digest: found.manifest.digest,
    config: found.config,
    dependencies: found.config.dependencies.map((d) => absoluteRepository(d.repository, ref.registry)),
  };
  if (options.noDeps || found.config.dependencies.length === 0) return { targets: [root], rootIncluded: true };
  const resolution = await resolveDependencies({ name: root.name, version: root.version, dependencies: found.config.dependencies }, index, {
    registry: ref.registry,
    includePrerelease: options.includePrerelease ?? false,
  });
  const deps = await Promise.all(
    resolution.packages.map(async (p) => {
      const config = (await index.find(p.repository, p.digest)).config;
      return { name: p.name, repository: p.repository, version: p.version, digest: p.digest, config, dependencies: p.dependencies.map((d) => d.repository) };
    }),
  );
  return { targets: [root, ...deps], rootIncluded: true };
}

async function highestVersion(index: StorePackageIndex, repository: string, options: TargetOptions): Promise<string> {
  const tags = (await index.tags(repository)).filter((t) => semver.valid(t) !== null && semver.clean(t) === t);
  const includePrerelease = options.includePrerelease ?? false;
  const candidates = tags.filter((t) => (options.range ? semver.satisfies(t, options.range, { includePrerelease }) : includePrerelease || !semver.prerelease(t)));
  const best = candidates.sort(semver.rcompare)[0];
  if (!best) {
    throw new NotFoundError(`no version of ${repository}${options.range ? ` satisfies ${options.range}` : ""}`, {
      hint: tags.length ? `versions there: ${tags.sort(semver.compare).join(", ")}` : "push one with `idp package push`",
    });
  }
  return best;
}

async function fromDirectory(dir: string, index: StorePackageIndex, options: TargetOptions): Promise<{ targets: PackageTarget[]; rootIncluded: boolean }> {
  const spec = await readPackageSpec(dir);
  const lock = await readLockfile(dir);
  if (!lock && spec.dependencies.length > 0) throw new NotFoundError(`${dir} has no idp.lock`, { hint: `run \`idp deps lock ${dir}\` first: Applications are rendered from the locked closure` });
  const locked = options.noDeps ? [] : (lock?.packages ?? []);
  const deps: PackageTarget[] = [];
  for (const p of locked) {
    const found = await index.find(p.repository, p.digest);
    deps.push({ name: p.name, repository: p.repository, version: p.version, digest: p.digest, config: found.config, dependencies: p.dependencies.map((d) => d.repository) });
  }
  if (!options.repository) {
    if (deps.length === 0) throw new InvalidInputError(`${dir} has no locked dependencies to deploy`, { hint: "pass --repository REPO to render the package itself (where it was pushed)" });
    return { targets: orderByDependencies(deps), rootIncluded: false };
  }
  const ref = parseRegistryReference(options.repository);
  const repository = `${ref.registry}/${ref.repository}`;
  const found = await index.find(repository, spec.version);
  const registry = lock?.registry ?? ref.registry;
  const root: PackageTarget = {
    name: spec.name,
    repository,
    version: spec.version,
    digest: found.manifest.digest,
    config: found.config,
    dependencies: spec.dependencies.map((d) => absoluteRepository(d.repository, registry)),
  };
  return { targets: [root, ...orderByDependencies(deps)], rootIncluded: true };
}
