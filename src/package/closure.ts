import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TransferObserver } from "../client/observe.ts";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";
import { formatReference, parseRegistryReference, referenceTarget } from "../oci/reference.ts";
import type { RemoteOptions } from "../remote/index.ts";
import { readLockfile } from "./lockfile.ts";
import { registryPackageIndex } from "./open.ts";
import { pullPackages, type PulledPackage } from "./pull.ts";
import { resolveDependencies } from "./resolve.ts";

export interface ClosureOptions {
  withDeps: boolean;
  overwrite: boolean;
  /** Registry for host-less dependency repositories of a local package. */
  registry: string;
  remote: RemoteOptions;
  observer?: TransferObserver;
}

/**
 * `idp package pull`: a package by reference, optionally with the closure of its
 * dependencies (resolved from its config), or a local package directory's locked closure
 * (exactly what idp.lock pins). Every package is fetched by digest.
 */
export async function pullPackageClosure(source: string, outDir: string, options: ClosureOptions): Promise<PulledPackage[]> {
  const index = registryPackageIndex(options.remote);
  const pullOptions = { overwrite: options.overwrite, ...(options.observer ? { observer: options.observer } : {}) };
  if (existsSync(join(source, "idp.yaml"))) {
    if (!options.withDeps) throw new InvalidInputError(`${source} is a local package already`, { hint: "add --with-deps to pull the packages it depends on" });
    const lock = await readLockfile(source);
    if (!lock) throw new NotFoundError(`${source} has no idp.lock`, { hint: `run \`idp deps lock ${source}\` first` });
    return pullPackages(lock.packages, index, outDir, pullOptions);
  }
  const ref = parseRegistryReference(source);
  const repository = `${ref.registry}/${ref.repository}`;
  const found = await index.find(repository, referenceTarget(ref));
  const root = { name: found.config.name, repository, version: found.config.version, digest: found.manifest.digest };
  const packages = [root];
  if (options.withDeps) {
    const resolution = await resolveDependencies(
      { name: found.config.name, version: found.config.version, dependencies: found.config.dependencies },
      index,
      { registry: ref.registry },
    );
    packages.push(...resolution.packages);
  }
  if (packages.length === 0) throw new NotFoundError(`nothing to pull for ${formatReference(ref)}`);
  return pullPackages(packages, index, outDir, pullOptions);
}
