import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomFillSync } from "node:crypto";
import { closeSync, copyFileSync, existsSync, openSync, readdirSync, statSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { indexTar } from "../../src/content/tar/entries.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { idpBinary, startIdp, tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { digestAt, idpRunner, rss } from "./fixtures.ts";
import { startThrottle } from "./throttle.ts";

/**
 * Bundles that go wrong: damaged tars, unreachable registries, bad arguments (one line, a
 * non-zero exit, nothing partial left visible, no stack trace); interrupted creates and
 * imports that continue when run again; memory that stays flat for a big blob.
 */
const work = tempDir("idp-bundle-faults-");
const env = { ...process.env, IDP_HOME: join(work.path, "home"), NO_COLOR: "1" };
const idp = idpRunner(env, work.path);
let a: RegistryUnderTest;
let b: RegistryUnderTest;
const MiB = 1024 * 1024;

/** Files of random bytes, pushed as one artifact with a layer each. */
async function pushArtifact(ref: string, sizes: number[]): Promise<string> {
  const files = sizes.map((size, i) => {
    const path = join(work.path, `blob-${ref.replace(/\W/g, "-")}-${i}.bin`);
    const fd = openSync(path, "w");
    const piece = new Uint8Array(Math.min(size, 8 * MiB));
    for (let done = 0; done < size; done += piece.byteLength) writeSync(fd, randomFillSync(piece).subarray(0, Math.min(piece.byteLength, size - done)));
    closeSync(fd);
    return path;
  });
  return (await idp(["push", ref, ...files, "-q"])).stdout.trim();
}

/** One error line, no stack trace (progress lines of blobs that did go through may precede it). */
function noStack(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr.split("\n").filter((line) => line.startsWith("error: "))).toHaveLength(1);
}

beforeAll(async () => {
  [a, b] = await Promise.all([startIdp(), startDistribution()]);
  await pushArtifact(`${a.host}/small/art:1`, [2000, 3000]);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  work.remove();
});

describe("damaged bundles", () => {
  let good: string;
  beforeAll(async () => {
    good = join(work.path, "good.tar");
    await idp(["bundle", "create", `${a.host}/small/art:1`, "-o", good]);
  });

  test("a flipped byte in a blob: verify names it, import refuses it and tags nothing", async () => {
    const bad = join(work.path, "flipped.tar");
    copyFileSync(good, bad);
    const entries = await indexTar(bad);
    const [name, entry] = [...entries].find(([n, e]) => n.startsWith("blobs/") && e.size === 3000)!;
    const fd = openSync(bad, "r+");
    writeSync(fd, new Uint8Array([0x42 ^ 0xff]), 0, 1, entry.offset + 10);
    closeSync(fd);
    const verify = await idp(["bundle", "verify", bad], true);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`sha256:${name.split("/").pop()} does not verify`);
    expect(verify.stderr).toContain("does not verify: 1 problem");
    noStack(verify.stderr);
    const imported = await idp(["bundle", "import", bad, `${b.host}/damaged`], true);
    expect(imported.code).toBe(1);
    noStack(imported.stderr);
    expect(await digestAt(b.url, "damaged/small/art", "1")).toBeUndefined();
  });

  test("a truncated tar and a missing file are one-line errors", async () => {
    const cut = join(work.path, "cut.tar");
    copyFileSync(good, cut);
    truncateSync(cut, statSync(cut).size - 4000);
    for (const command of ["verify", "inspect"]) {
      const res = await idp(["bundle", command, cut], true);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("is truncated");
      noStack(res.stderr);
    }
    const missing = await idp(["bundle", "verify", join(work.path, "nope.tar")], true);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("does not exist");
  });

  test("bad arguments and unreachable registries leave no file behind", async () => {
    const out = join(work.path, "never.tar");
    const unreachable = await idp(["bundle", "create", "127.0.0.1:9/team/app:1", "-o", out, "--retries", "0"], true);
    expect(unreachable.code).toBe(1);
    noStack(unreachable.stderr);
    expect(readdirSync(work.path).filter((n) => n.includes("never"))).toEqual([]);
    const exists = await idp(["bundle", "create", `${a.host}/small/art:1`, "-o", good], true);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toContain("--force");
    const host = await idp(["bundle", "import", good, "mirror"], true);
    expect(host.code).toBe(1);
    expect(host.stderr).toContain("does not start with a registry host");
    const down = await idp(["bundle", "import", good, "127.0.0.1:9", "--retries", "0"], true);
    expect(down.code).toBe(1);
    noStack(down.stderr);
  });
});

/** Runs the binary, sends SIGINT once `ready()` holds, and returns how it ended. */
async function interrupt(args: string[], ready: () => boolean): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn([idpBinary(), ...args], { env, cwd: work.path, stdout: "pipe", stderr: "pipe" });
  const deadline = Date.now() + 30_000;
  while (!ready() && Date.now() < deadline && proc.exitCode === null) await Bun.sleep(10);
  proc.kill("SIGINT");
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { code, stderr };
}

describe("interrupted and resumed", () => {
  const sizes = [16 * MiB, 16 * MiB, 16 * MiB, 16 * MiB];
  let digest: string;
  const out = () => join(work.path, "resumed.tar");
  const partial = () => join(work.path, ".resumed.tar.idp-partial");
  beforeAll(async () => {
    digest = await pushArtifact(`${a.host}/big/art:1`, sizes);
  }, 60_000);

  test("create: SIGINT stops after the blob under way; the re-run fetches only the rest", async () => {
    const slow = startThrottle(a.url, 32 * MiB);
    try {
      const args = ["bundle", "create", `${slow.host}/big/art:1`, "-o", out(), "--concurrency", "1", "--json"];
      const blobs = () => readdirSync(join(partial(), "blobs", "sha256")).filter((n) => statSync(join(partial(), "blobs", "sha256", n)).size === 16 * MiB).length;
      const stopped = await interrupt(args, () => existsSync(join(partial(), "blobs", "sha256")) && blobs() >= 1);
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toContain("interrupted");
      expect(stopped.stderr).toContain("run the same command again to continue");
      expect(existsSync(out())).toBe(false);
      const kept = blobs();
      expect(kept).toBeGreaterThanOrEqual(1);
      expect(kept).toBeLessThan(4);
      const again = JSON.parse((await idp(args)).stdout) as { resumed: boolean; skipped: number; copied: number };
      expect(again.resumed).toBe(true);
      expect(again.skipped).toBeGreaterThanOrEqual(kept);
      expect(existsSync(partial())).toBe(false);
      expect((await idp(["bundle", "verify", out()])).code).toBe(0);
    } finally {
      await slow.stop();
    }
  }, 60_000);

  test("import: SIGINT stops after the blob under way; the re-run sends only what is missing", async () => {
    const slow = startThrottle(b.url, 32 * MiB);
    try {
      const args = ["bundle", "import", out(), `${slow.host}/resume`, "--concurrency", "1", "--json"];
      const stopped = await interrupt(args, () => slow.bytes() >= 20 * MiB);
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toContain("interrupted");
      const again = JSON.parse((await idp(args)).stdout) as { copied: number; skipped: number; verification: { problems: string[] } };
      expect(again.skipped).toBeGreaterThanOrEqual(1);
      expect(again.verification.problems).toEqual([]);
      expect(await digestAt(b.url, "resume/big/art", "1")).toBe(digest);
    } finally {
      await slow.stop();
    }
  }, 60_000);
});

describe("memory", () => {
  test("creating and importing a bundle with a 256 MiB blob keeps the binary's RSS far below the blob", async () => {
    await pushArtifact(`${a.host}/huge/art:1`, [256 * MiB]);
    const file = join(work.path, "huge.tar");
    const peak = async (args: string[]) => {
      const proc = Bun.spawn([idpBinary(), ...args], { env, cwd: work.path, stdout: "ignore", stderr: "pipe" });
      let max = 0;
      while (proc.exitCode === null) {
        max = Math.max(max, rss(proc.pid));
        await Bun.sleep(20);
      }
      const code = await proc.exited;
      if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}: ${await new Response(proc.stderr).text()}`);
      return max;
    };
    const created = await peak(["bundle", "create", `${a.host}/huge/art:1`, "-o", file]);
    const imported = await peak(["bundle", "import", file, `${b.host}/huge`]);
    console.log(`256 MiB bundle: peak RSS create ${(created / MiB).toFixed(0)} MiB, import ${(imported / MiB).toFixed(0)} MiB`);
    expect(created).toBeLessThan(160 * MiB);
    expect(imported).toBeLessThan(160 * MiB);
  }, 120_000);
});
