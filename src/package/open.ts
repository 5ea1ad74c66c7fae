import { parseRegistryReference } from "../oci/reference.ts";
import type { RemoteOptions } from "../remote/index.ts";
import { StorePackageIndex } from "./registry-index.ts";

/**
 * A PackageIndex over live registries, reached with `options` (flags, credentials) over what
 * registries.yaml says about each host (TLS, credentials, mirrors).
 */
export function registryPackageIndex(options: RemoteOptions): StorePackageIndex {
  return new StorePackageIndex(async (repository) => {
    const { openConfiguredRepository } = await import("../registries/open.ts");
    return openConfiguredRepository(parseRegistryReference(repository), options);
  });
}
