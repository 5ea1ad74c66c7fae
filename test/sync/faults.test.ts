import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startDistribution } from "../helpers/distribution.ts";
import { idpBinary, startIdp, tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { randomContent } from "../helpers/oci.ts";
import { digestAt, pushSmallImage, writePackage, type Pushed } from "../bundle/fixtures.ts";
import { startThrottle } from "../bundle/throttle.ts";
import type { PassReport } from "../../src/sync/report.ts";
import { byTarget, syncHarness } from "./setup.ts";

/**
 * Sync when things go wrong or run long: a failing repository never stops the others, an
 * unreachable registry or a bad config is one line, SIGINT stops between blobs (and a
 * re-run finishes the job), `--interval` runs passes until stopped, the rate limit holds.
 */
const work = tempDir("idp-sync-faults-");
const { env, idp, config, sync } = syncHarness(work.path);
let a: RegistryUnderTest;
let b: RegistryUnderTest;
const MiB = 1024 * 1024;
const big: Record<string, Pushed> = {};

beforeAll(async () => {
  [a, b] = await Promise.all([startIdp(), startDistribution()]);
  const shared = randomContent(1024);
  for (const tag of ["a", "b", "c"]) await pushSmallImage(a.url, "small/img", tag, shared);
  for (const tag of ["1", "2", "3", "4"]) big[tag] = await pushSmallImage(a.url, "big/img", tag, randomContent(8 * MiB));
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  work.remove();
});

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

describe("failures", () => {
  test("a missing repository fails alone; the others are synced; the exit code says so", async () => {
    const res = await sync(config(`sync:\n  - source: ${a.host}\n    target: ${b.host}/iso\n    repositories: [no/such, small/img]\n`));
    expect(res.code).toBe(1);
    const reports = byTarget(res.report);
    expect(reports[`${b.host}/iso/no/such`]!.failed).toBe(1);
    expect(reports[`${b.host}/iso/no/such`]!.errors[0]).toContain("does not exist");
    expect(reports[`${b.host}/iso/small/img`]!.copied).toBe(3);
    expect(res.stderr).toContain("error: sync pass failed for 1 tag or repository");
    noStack(res.stderr);
  });

  test("an unreachable target is reported per repository, one line each", async () => {
    const res = await sync(config(`registries:\n  127.0.0.1:9: { retries: 0 }\nsync:\n  - { source: ${a.host}, target: "127.0.0.1:9", repositories: [small/img] }\n`));
    expect(res.code).toBe(1);
    expect(res.report.repositories[0]!.errors[0]).toContain("ECONNREFUSED");
    noStack(res.stderr);
  });

  test("a package whose dependencies cannot be resolved is copied itself, and its closure is reported failed", async () => {
    const dir = writePackage(work.path, { name: "broken", version: "1.0.0", dependencies: [{ repository: "platform/missing", version: "^1.0.0" }] });
    const digest = (await idp(["package", "push", dir, `${a.host}/pkgs/broken`, "-q"])).stdout.trim();
    const res = await sync(config(`sync:\n  - { source: ${a.host}, target: ${b.host}/deps, repositories: [pkgs/broken], followDeps: true }\n`));
    expect(res.code).toBe(1);
    expect(await digestAt(b.url, "deps/pkgs/broken", "1.0.0")).toBe(digest);
    const failed = res.report.repositories.find((r) => r.kind === "dependency")!;
    expect(failed.failed).toBe(1);
    expect(failed.errors[0]).toContain("cannot resolve the dependencies of broken@1.0.0");
  });

  test("a bad config says where; a missing --config is a usage error", async () => {
    const bad = await idp(["sync", "--config", config(`sync:\n  - source: ${a.host}\n    target: ${b.host}\n    repositories: [x]\n    tags: { semver: nope }\n`)], true);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/sync-\d+\.yaml:5:\d+: sync\.0\.tags\.semver: is not a semver range/);
    noStack(bad.stderr);
    const none = await idp(["sync"], true);
    expect(none.code).toBe(2);
  });
});

describe("long runs", () => {
  test("SIGINT stops between blobs; nothing partial is tagged; the next run copies the rest", async () => {
    const slow = startThrottle(a.url, 16 * MiB);
    try {
      const path = config(`sync:\n  - { source: ${slow.host}, target: ${b.host}/int, repositories: [big/img], concurrency: 1 }\n`);
      const proc = Bun.spawn([idpBinary(), "sync", "--config", path, "--json"], { env, cwd: work.path, stdout: "pipe", stderr: "pipe" });
      while (slow.bytes() < 10 * MiB && proc.exitCode === null) await Bun.sleep(10);
      proc.kill("SIGINT");
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      expect(code).toBe(1);
      expect(stderr).toContain("finishing the transfers under way");
      expect(stderr).toContain("error: sync interrupted");
      const report = JSON.parse(stdout.trim()) as PassReport;
      expect(report.interrupted).toBe(true);
      const copied = report.repositories[0]!.copied;
      expect(copied).toBeLessThan(4);
      for (const tag of ["1", "2", "3", "4"]) {
        const at = await digestAt(b.url, "int/big/img", tag);
        // A tag is there complete, or not at all.
        expect(at === undefined || at === big[tag]!.digest).toBe(true);
      }
      const rest = await sync(path);
      expect(rest.code).toBe(0);
      expect(rest.report.repositories[0]!.copied + rest.report.repositories[0]!.skipped).toBe(4);
      expect(rest.report.repositories[0]!.copied).toBe(4 - copied);
      for (const tag of ["1", "2", "3", "4"]) expect(await digestAt(b.url, "int/big/img", tag)).toBe(big[tag]!.digest);
    } finally {
      await slow.stop();
    }
  }, 60_000);

  test("--interval runs passes until SIGINT, which ends the wait at once with exit 0", async () => {
    const path = config(`sync:\n  - { source: ${a.host}, target: ${b.host}/every, repositories: [small/img] }\n`);
    const proc = Bun.spawn([idpBinary(), "sync", "--config", path, "--interval", "1s", "--json"], { env, cwd: work.path, stdout: "pipe", stderr: "pipe" });
    const lines: PassReport[] = [];
    const reader = proc.stdout.getReader();
    let buffer = "";
    while (lines.length < 2) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += new TextDecoder().decode(value);
      for (let i = buffer.indexOf("\n"); i !== -1; i = buffer.indexOf("\n")) {
        lines.push(JSON.parse(buffer.slice(0, i)) as PassReport);
        buffer = buffer.slice(i + 1);
      }
    }
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
    expect(lines.map((r) => r.pass)).toEqual([1, 2]);
    expect(lines[0]!.repositories[0]!.copied).toBe(3);
    expect(lines[1]!.repositories[0]!.copied).toBe(0);
    expect(lines[1]!.repositories[0]!.skipped).toBe(3);
  }, 30_000);

  test("the per-registry rate limit holds a pass to its requests per second", async () => {
    const path = config(`registries:\n  ${a.host}: { rateLimit: 4 }\nsync:\n  - { source: ${a.host}, target: ${b.host}/limited, repositories: [small/img] }\n`);
    const started = performance.now();
    const res = await sync(path);
    const seconds = (performance.now() - started) / 1000;
    const requests = res.report.requests[a.host]!;
    expect(requests).toBeGreaterThan(8);
    // A burst of 4, then 4 a second: it cannot have been quicker than this.
    expect(seconds).toBeGreaterThanOrEqual((requests - 4) / 4 - 0.05);
  }, 30_000);
});
