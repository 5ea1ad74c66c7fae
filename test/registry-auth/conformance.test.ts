import { afterAll, describe, expect, test } from "bun:test";
import { expectConformance } from "../helpers/conformance.ts";
import { startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { writeHtpasswd } from "./setup.ts";

/**
 * The official conformance suite (OCI_VERSION=dev, every data set) against `idp serve` with
 * authentication on: it signs in with OCI_USERNAME/OCI_PASSWORD, by Basic and by the token
 * flow. Nothing may fail, be skipped or be disabled. Reports land in test-results/.
 */
describe("OCI conformance with authentication on", () => {
  const work = tempDir("idp-conf-auth-");
  const servers: IdpServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    work.remove();
  });

  for (const type of ["basic", "token"] as const) {
    test(`passes with ${type} authentication: 0 failures, 0 skips, 0 disabled`, async () => {
      const htpasswd = await writeHtpasswd(work.path, { conformance: "conformance-secret" });
      const server = await startIdp({ args: ["--htpasswd", htpasswd, "--auth", type] });
      servers.push(server);
      await expectConformance(server.host, `conformance-auth-${type}`, { OCI_USERNAME: "conformance", OCI_PASSWORD: "conformance-secret" });
      // The suite really went through authentication: unauthenticated requests were refused.
      expect((await fetch(`${server.url}/v2/`)).status).toBe(401);
    }, 600_000);
  }
});
