import { afterAll, describe, test } from "bun:test";
import { expectConformance } from "../helpers/conformance.ts";
import { startIdp, type IdpServer } from "../helpers/idp.ts";

/**
 * The official OCI distribution-spec conformance suite against `idp serve`, on both storage
 * drivers: nothing may fail, be skipped or be disabled. The fs report lands in
 * test-results/conformance/ and CI prints it.
 */
describe("OCI distribution-spec conformance suite", () => {
  const servers: IdpServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  for (const storage of ["fs", "memory"] as const) {
    test(`passes against idp serve (${storage} storage) with 0 failures, 0 skips, 0 disabled`, async () => {
      const server = await startIdp({ args: ["--storage", storage] });
      servers.push(server);
      await expectConformance(server.host, storage === "fs" ? "conformance" : "conformance-memory");
    }, 600_000);
  }
});
