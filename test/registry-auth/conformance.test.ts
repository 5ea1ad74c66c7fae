import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { writeHtpasswd } from "./setup.ts";

/**
 * The official conformance suite (OCI_VERSION=dev, every data set) against `idp serve` with
 * authentication on: it signs in with OCI_USERNAME/OCI_PASSWORD, by Basic and by the token
 * flow. Nothing may fail, be skipped or be disabled. Reports land in test-results/.
 */
function count(report: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\.+:\\s+(\\d+)`, "m").exec(report);
  if (!match) throw new Error(`no ${label} count in the conformance report`);
  return Number(match[1]);
}

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
      const dir = join(REPO_ROOT, "test-results", `conformance-auth-${type}`);
      mkdirSync(dir, { recursive: true });
      const { stdout, code } = await run([peer("conformance")], {
        cwd: dir,
        allowFail: true,
        timeoutMs: 600_000,
        env: {
          ...process.env,
          OCI_REGISTRY: server.host,
          OCI_TLS: "disabled",
          OCI_VERSION: "dev",
          OCI_DATA_SPARSE: "true",
          OCI_USERNAME: "conformance",
          OCI_PASSWORD: "conformance-secret",
          OCI_RESULTS_DIR: dir,
          OCI_LOG: "error",
        },
      });
      writeFileSync(join(dir, "report.txt"), stdout);
      expect(code).toBe(0);
      expect(count(stdout, "FAIL")).toBe(0);
      expect(count(stdout, "Error")).toBe(0);
      expect(count(stdout, "Skip")).toBe(0);
      expect(count(stdout, "Disabled")).toBe(0);
      expect(count(stdout, "Pass")).toBeGreaterThan(1000);
      expect(count(stdout, "Pass")).toBe(count(stdout, "Total"));
      // The suite really went through authentication: unauthenticated requests were refused.
      expect((await fetch(`${server.url}/v2/`)).status).toBe(401);
    }, 600_000);
  }
});
