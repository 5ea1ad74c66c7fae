import { expect } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./idp.ts";
import { peer } from "./peers.ts";
import { run } from "./process.ts";

/**
 * Runs the official OCI distribution-spec conformance suite (its redesigned version from the
 * spec's main branch, built by scripts/peers.sh) against `host` at the newest profile
 * (OCI_VERSION=dev) with every data set on, sparse manifests included, and asserts nothing
 * failed, was skipped or was disabled. The report lands in test-results/<name>/.
 */
export async function expectConformance(host: string, name: string, extraEnv: Record<string, string> = {}): Promise<string> {
  const dir = join(REPO_ROOT, "test-results", name);
  mkdirSync(dir, { recursive: true });
  const { stdout, stderr, code } = await run([peer("conformance")], {
    cwd: dir,
    allowFail: true,
    timeoutMs: 600_000,
    env: { ...process.env, OCI_REGISTRY: host, OCI_TLS: "disabled", OCI_VERSION: "dev", OCI_DATA_SPARSE: "true", OCI_RESULTS_DIR: dir, OCI_LOG: "error", ...extraEnv },
  });
  writeFileSync(join(dir, "report.txt"), stdout);
  if (code !== 0) throw new Error(`conformance exited ${code}\n${stdout.split("\n").filter((l) => /FAIL|Error|Skip/.test(l)).join("\n")}\n${stderr.slice(-2000)}`);
  expect(stdout).toMatch(/^\s*version: dev$/m);
  expect(stdout).toMatch(/^\s*sparse: true$/m);
  for (const label of ["FAIL", "Error", "Skip", "Disabled"]) expect({ label, count: count(stdout, label) }).toEqual({ label, count: 0 });
  expect(count(stdout, "Pass")).toBeGreaterThan(1000);
  expect(count(stdout, "Pass")).toBe(count(stdout, "Total"));
  return stdout;
}

function count(report: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\.+:\\s+(\\d+)`, "m").exec(report);
  if (!match) throw new Error(`no ${label} count in the conformance report`);
  return Number(match[1]);
}
