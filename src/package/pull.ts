import { join } from "node:path";
import { pullArtifact } from "../client/pull.ts";
import type { TransferObserver } from "../client/observe.ts";
import { parseRegistryReference } from "../oci/reference.ts";
import type { StorePackageIndex } from "./registry-index.ts";
import type { ResolvedPackage } from "./resolve.ts";

export interface PulledPackage {
  name: string;
  repository: string;
  version: string;
  digest: string;
  directory: string;
}

/**
 * Pulls packages, each by its digest (so a moved tag cannot change what arrives), into
 * `outDir/<name>`, verified and extracted safely.
 */
export async function pullPackages(
  packages: readonly Pick<ResolvedPackage, "name" | "repository" | "version" | "digest">[],
  index: StorePackageIndex,
  outDir: string,
  options: { overwrite?: boolean; observer?: TransferObserver } = {},
): Promise<PulledPackage[]> {
  const out: PulledPackage[] = [];
  for (const p of packages) {
    const store = await index.store(p.repository);
    const directory = join(outDir, p.name);
    const ref = { ...parseRegistryReference(p.repository), digest: p.digest };
    await pullArtifact(store, ref, directory, { overwrite: options.overwrite ?? false, ...(options.observer ? { observer: options.observer } : {}) });
    out.push({ name: p.name, repository: p.repository, version: p.version, digest: p.digest, directory });
  }
  return out;
}
