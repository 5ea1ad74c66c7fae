import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomFillSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startThrottle, type Throttle } from "../bundle/throttle.ts";
import { idpBinary, startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";

const MiB = 1024 * 1024;
const work = tempDir("idp-interrupt-");
const env = { ...process.env, IDP_HOME: join(work.path, "home"), NO_COLOR: "1" };
let server: IdpServer;
let slow: Throttle;

beforeAll(async () => {
  server = await startIdp();
  slow = startThrottle(server.url, 4 * MiB);
  for (const name of ["pull.bin", "push.bin"]) writeFileSync(join(work.path, name), randomFillSync(new Uint8Array(24 * MiB)));
  await run([idpBinary(), "push", `${server.host}/intr/pull:v1`, "pull.bin", "-q"], { env, cwd: work.path });
}, 60_000);
afterAll(async () => {
  await slow?.stop();
  await server?.stop();
  work.remove();
});

/** Runs the binary, sends SIGINT once some blob bytes went through the slow link, and returns how it ended. */
async function interrupted(args: string[]): Promise<{ code: number; stderr: string; afterSignalMs: number }> {
  const before = slow.bytes();
  const proc = Bun.spawn([idpBinary(), ...args], { env, cwd: work.path, stdout: "pipe", stderr: "pipe" });
  const deadline = Date.now() + 20_000;
  while (slow.bytes() - before < 2 * MiB && Date.now() < deadline && proc.exitCode === null) await Bun.sleep(10);
  const signalled = Date.now();
  proc.kill("SIGINT");
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { code, stderr, afterSignalMs: Date.now() - signalled };
}

/**
 * Ctrl-C in the middle of a transfer, through a slow link (a stand-in throttle in front of a
 * real idp serve): the command stops at once, says so in one line, and leaves nothing behind,
 * not even a hidden temporary file.
 */
describe("Ctrl-C during a transfer", () => {
  test("pull: stops, says so, and the output directory stays empty", async () => {
    const out = join(work.path, "pulled");
    const ended = await interrupted(["pull", `${slow.host}/intr/pull:v1`, "-o", out]);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain("error: interrupted (SIGINT)");
    expect(ended.stderr).not.toContain("    at ");
    expect(ended.afterSignalMs).toBeLessThan(5_000);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  test("push: stops, says so, and the tag is not created", async () => {
    const ended = await interrupted(["push", `${slow.host}/intr/push:v1`, "push.bin"]);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain("error: interrupted (SIGINT)");
    expect(ended.afterSignalMs).toBeLessThan(5_000);
    const head = await fetch(`${server.url}/v2/intr/push/manifests/v1`, { method: "HEAD" });
    expect(head.status).toBe(404);
  });

  test("copy into a new layout: stops, says so, keeps only whole blobs, and the re-run completes", async () => {
    const layout = join(work.path, "layout");
    const ended = await interrupted(["copy", `${slow.host}/intr/pull:v1`, `oci-layout:${layout}:v1`]);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain("error: interrupted (SIGINT)");
    expect(ended.afterSignalMs).toBeLessThan(5_000);
    // Not a layout yet (no marker, no index), no temporary file; what is there is whole.
    expect(readdirSync(layout)).toEqual(["blobs"]);
    for (const name of readdirSync(join(layout, "blobs", "sha256"))) {
      expect(`sha256:${new Bun.CryptoHasher("sha256").update(readFileSync(join(layout, "blobs", "sha256", name))).digest("hex")}`).toBe(`sha256:${name}`);
    }
    await run([idpBinary(), "copy", `${server.host}/intr/pull:v1`, `oci-layout:${layout}:v1`, "-q"], { env, cwd: work.path });
    expect(readdirSync(layout).sort()).toEqual(["blobs", "index.json", "oci-layout"]);
  });
});
