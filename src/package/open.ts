import { parseRegistryReference } from "../oci/reference.ts";
import type { RemoteOptions } from "../remote/index.ts";
import { StorePackageIndex } from "./registry-index.ts";

/** A PackageIndex over live registries, reached with `options` (flags, credentials). */
export function registryPackageIndex(options: RemoteOptions): StorePackageIndex {
  return new StorePackageIndex(async (repository) => {
    const { openRepository } = await import("../remote/index.ts");
    const ref = parseRegistryReference(repository);
    return openRepository(ref, options);
  });
}
