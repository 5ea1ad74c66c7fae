import { afterAll, beforeAll } from "bun:test";
import { anonymous, openRepository } from "../../src/remote/index.ts";
import { runTargetContract } from "../content/contract.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { startIdp, type RegistryUnderTest } from "../helpers/idp.ts";

/**
 * The Target contract every store keeps, run on the remote repository: against `idp serve`
 * (referrers API) and against Distribution 2.8 (referrers through the tag schema). Each test
 * gets a fresh repository on one running registry.
 */
const registries: Record<string, RegistryUnderTest> = {};
beforeAll(async () => {
  [registries.idp, registries.distribution] = await Promise.all([startIdp(), startDistribution()]);
});
afterAll(async () => {
  await Promise.all(Object.values(registries).map((r) => r.stop()));
});

let n = 0;
for (const name of ["idp", "distribution"] as const) {
  // Distribution 2.8 has no referrers API, so referrers live in `sha256-<hex>` tags that tag
  // listings rightly show; the contract's exact tag lists cannot hold there. Tag listing on
  // Distribution is covered in distribution.test.ts instead.
  const options = name === "distribution" ? { timeout: 20_000, tags: false } : { timeout: 20_000 };
  runTargetContract(
    `remote on ${name}`,
    async () => ({
      target: await openRepository({ registry: registries[name]!.host, repository: `contract/r${++n}` }, { credentials: anonymous, retries: 1 }),
      cleanup: async () => {},
    }),
    options,
  );
}
