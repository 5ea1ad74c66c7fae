import { createRegistryApp } from "../../registry/app.ts";
import { MemoryDriver } from "../../registry/storage/memory.ts";
import { RegistryStore, type RegistryStoreOptions } from "../../registry/storage/store.ts";
import { startDistribution } from "./distribution.ts";
import { startIdp, type RegistryUnderTest } from "./idp.ts";

/**
 * The registries the API tests run against. `idp` is the compiled binary on the filesystem
 * driver, `idp-memory` the same app in-process on the memory driver, and `distribution` is
 * CNCF Distribution 2.8: a test that passes there tests the spec, not our implementation.
 */
export type TargetName = "idp" | "idp-memory" | "distribution";
export const ALL_TARGETS: TargetName[] = ["idp", "idp-memory", "distribution"];
export const IDP_TARGETS: TargetName[] = ["idp", "idp-memory"];

export async function startTarget(name: TargetName): Promise<RegistryUnderTest> {
  if (name === "idp") return startIdp();
  if (name === "distribution") return startDistribution();
  return startInProcess();
}

/** The registry app on a memory store, served on a free port in this process. */
export async function startInProcess(options: Partial<RegistryStoreOptions> = {}): Promise<RegistryUnderTest & { store: RegistryStore }> {
  const store = new RegistryStore({ driver: new MemoryDriver(), ...options });
  const app = createRegistryApp({ store, onInternalError: (error) => console.error(error) });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, maxRequestBodySize: Number.MAX_SAFE_INTEGER });
  return {
    name: "idp-memory",
    url: `http://127.0.0.1:${server.port}`,
    host: `127.0.0.1:${server.port}`,
    root: "memory",
    store,
    async stop() {
      await server.stop(true);
    },
  };
}
