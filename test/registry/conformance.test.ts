import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, startIdp, type IdpServer } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";

/**
 * The official OCI distribution-spec conformance suite (its redesigned version from the
 * spec's main branch, built by scripts/peers.sh) against `idp serve`, at the newest profile
 * (OCI_VERSION=dev: the MUSTs added since v1.1.1) with every data set on, sparse manifests
 * included: nothing may fail, be skipped or be disabled. The report lands in
 * test-results/conformance/ and CI prints it.
 */
async function runConformance(server: IdpServer, resultsDir: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const { stdout, stderr, code } = await run([peer("conformance")], {
    cwd: resultsDir,
    allowFail: true,
    timeoutMs: 600_000,
    env: {
      ...process.env,
      OCI_REGISTRY: server.host,
      OCI_TLS: "disabled",
      OCI_VERSION: "dev",
      OCI_DATA_SPARSE: "true",
      OCI_RESULTS_DIR: resultsDir,
      OCI_LOG: "error",
    },
  });
  writeFileSync(join(resultsDir, "report.txt"), stdout);
  if (code !== 0) throw new Error(`conformance exited ${code}\n${stdout.split("\n").filter((l) => /FAIL|Error|Skip/.test(l)).join("\n")}\n${stderr.slice(-2000)}`);
  return stdout;
}

function count(report: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\.+:\\s+(\\d+)`, "m").exec(report);
  if (!match) throw new Error(`no ${label} count in the conformance report`);
  return Number(match[1]);
}

describe("OCI distribution-spec conformance suite", () => {
  const servers: IdpServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  for (const storage of ["fs", "memory"] as const) {
    test(`passes against idp serve (${storage} storage) with 0 failures, 0 skips, 0 disabled`, async () => {
      const server = await startIdp({ args: ["--storage", storage] });
      servers.push(server);
      const dir = join(REPO_ROOT, "test-results", storage === "fs" ? "conformance" : "conformance-memory");
      const report = await runConformance(server, dir);
      expect(report).toMatch(/^\s*version: dev$/m);
      expect(report).toMatch(/^\s*sparse: true$/m);
      expect(count(report, "FAIL")).toBe(0);
      expect(count(report, "Error")).toBe(0);
      expect(count(report, "Skip")).toBe(0);
      expect(count(report, "Disabled")).toBe(0);
      expect(count(report, "Pass")).toBeGreaterThan(1000);
      expect(count(report, "Pass")).toBe(count(report, "Total"));
    });
  }
});
