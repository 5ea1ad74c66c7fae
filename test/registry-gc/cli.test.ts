import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { idpBinary, startIdp, tempDir } from "../helpers/idp.ts";
import { makeImage, pushBlob, pushImage, randomContent } from "../helpers/oci.ts";
import { run } from "../helpers/process.ts";
import { hasBlob, hasManifest } from "./setup.ts";

/** `idp registry gc` and the server's own gc, through the compiled binary. */
async function gc(root: string, ...args: string[]): Promise<Record<string, unknown> & { ranIn: string }> {
  const { stdout } = await run([idpBinary(), "registry", "gc", "--root", root, "--json", ...args]);
  return JSON.parse(stdout);
}

describe("idp registry gc", () => {
  test("with a server on the root, gc runs inside it while it serves; without, it runs in the command", async () => {
    const dir = tempDir("idp-gc-cli-");
    const server = await startIdp({ root: dir.path });
    try {
      const image = await pushImage(server.url, "team/app", "v1", makeImage({ layers: 2 }));
      const garbage = randomContent(2500);
      await pushBlob(server.url, "team/app", garbage);
      await Bun.sleep(1100);
      const dry = await gc(dir.path, "--grace", "1s", "--dry-run");
      expect(dry.ranIn).toBe(`idp serve (pid ${server.proc.pid})`);
      expect(dry).toMatchObject({ dryRun: true, linksRemoved: 1, blobsDeleted: 1, bytesFreed: 2500 });
      expect(await hasBlob(server.url, "team/app", garbage.digest)).toBe(true);
      const done = await gc(dir.path, "--grace", "1s");
      expect(done).toMatchObject({ dryRun: false, linksRemoved: 1, blobsDeleted: 1, bytesFreed: 2500 });
      expect(await hasBlob(server.url, "team/app", garbage.digest)).toBe(false);
      expect(await hasManifest(server.url, "team/app", "v1")).toBe(true);
      for (const blob of [image.config, ...image.layers]) expect(await hasBlob(server.url, "team/app", blob.digest)).toBe(true);
      await fetch(`${server.url}/v2/team/app/manifests/v1`, { method: "DELETE" });
    } finally {
      await server.stop();
    }
    const offline = await gc(dir.path, "--grace", "0s", "--delete-untagged");
    expect(offline.ranIn).toBe("here");
    expect(offline).toMatchObject({ manifestsDeleted: 1, linksRemoved: 3, blobsDeleted: 4 });
    dir.remove();
  }, 30_000);

  test("one server per root, and no server start while an out-of-process gc holds the root", async () => {
    const dir = tempDir("idp-gc-lock-");
    try {
      const first = await startIdp({ root: dir.path });
      await pushImage(first.url, "a/b", "v1");
      const second = await run([idpBinary(), "serve", "--listen", "127.0.0.1:0", "--root", dir.path], { allowFail: true, timeoutMs: 10_000 });
      await first.stop();
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`another idp serve (pid ${first.proc.pid}) is using storage root`);
      // A gc lock held by a live process (this test runner stands in for a running gc).
      mkdirSync(join(dir.path, "run"), { recursive: true });
      writeFileSync(join(dir.path, "run/gc.lock"), JSON.stringify({ pid: process.pid, started: new Date().toISOString() }));
      const blocked = await run([idpBinary(), "serve", "--listen", "127.0.0.1:0", "--root", dir.path], { allowFail: true, timeoutMs: 10_000 });
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain(`idp registry gc (pid ${process.pid}) is working on storage root`);
      const busy = await run([idpBinary(), "registry", "gc", "--root", dir.path], { allowFail: true });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`gc is already running on ${dir.path} (pid ${process.pid}`);
      // A lock left by a process that is gone is stale and taken over.
      writeFileSync(join(dir.path, "run/gc.lock"), JSON.stringify({ pid: 2 ** 22 + 12345, started: new Date().toISOString() }));
      expect((await gc(dir.path)).ranIn).toBe("here");
    } finally {
      dir.remove();
    }
  }, 30_000);

  test("a root that holds no registry is an error naming it", async () => {
    const dir = tempDir("idp-gc-empty-");
    const res = await run([idpBinary(), "registry", "gc", "--root", dir.path], { allowFail: true });
    dir.remove();
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`no registry storage at ${dir.path}`);
  });

  test("the server collects on its own schedule and counts it in /metrics", async () => {
    const dir = tempDir("idp-gc-sched-");
    writeFileSync(join(dir.path, "registry.yaml"), "gc:\n  interval: 1s\n  grace: 0s\n");
    const server = await startIdp({ args: ["--config", join(dir.path, "registry.yaml")] });
    try {
      const garbage = randomContent(1000);
      await pushBlob(server.url, "a/b", garbage);
      let gone = false;
      for (let i = 0; i < 40 && !gone; i++) {
        await Bun.sleep(100);
        gone = !(await hasBlob(server.url, "a/b", garbage.digest));
      }
      expect(gone).toBe(true);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/idp_registry_gc_runs_total\{result="ok"\} [1-9]/);
      expect(metrics).toMatch(/idp_registry_gc_freed_bytes_total [1-9]/);
    } finally {
      await server.stop();
      dir.remove();
    }
  }, 30_000);
});
