import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CacheRepository, OciCache, PullThrough } from "../../src/cache/index.ts";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { copy } from "../../src/copy/index.ts";
import { DigestMismatchError, IdpError } from "../../src/errors/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { anonymous, openRepository, type RemoteRepository } from "../../src/remote/index.ts";
import { WHOLE_READ_MAX } from "../../src/remote/blobs.ts";
import { pullArtifact } from "../../src/client/pull.ts";
import { pushFiles } from "../../src/client/push.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { json, randomContent } from "../helpers/oci.ts";
import { startFaultProxy, type FaultProxy } from "./helpers/fault-proxy.ts";

const MiB = 1024 * 1024;

/**
 * Transfers through the fault-injecting stand-in proxy in front of the real `idp serve`:
 * dropped connections, stalls and 500/429 in the middle of pushes and pulls. Each transfer
 * must complete with verified digests, resume rather than restart, and leave no upload
 * session behind.
 */
describe("faults in the middle of transfers", () => {
  let server: IdpServer;
  let proxy: FaultProxy;
  let n = 0;
  const open = (): Promise<RemoteRepository> =>
    openRepository({ registry: proxy.host, repository: `faults/r${++n}` }, { credentials: anonymous, retries: 3, timeoutMs: 1500, retry: { baseDelayMs: 20, maxDelayMs: 2000 } });
  const blob = (size: number) => {
    const c = randomContent(size);
    return { c, desc: { mediaType: MediaType.ociLayerGzip, digest: c.digest, size } };
  };
  const pull = async (repo: RemoteRepository, desc: { mediaType: string; digest: string; size: number }) =>
    digestOf(new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer()));
  const uploadsLeft = () => {
    try {
      return readdirSync(join(server.root, "uploads"));
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    server = await startIdp();
    proxy = startFaultProxy(server.url);
  });
  afterAll(async () => {
    proxy?.stop();
    await server?.stop();
  });
  beforeEach(() => {
    proxy.rules = [];
    proxy.log = [];
    delete proxy.responseHeaders;
  });

  test("a download cut twice resumes with Range from the verified offset", async () => {
    const repo = await open();
    const { c, desc } = blob(48 * MiB);
    await repo.push(desc, c.bytes);
    proxy.rules = [{ method: "GET", path: /\/blobs\/sha256:/, times: 2, action: { kind: "cut-response", afterBytes: 10 * MiB } }];
    expect(await pull(repo, desc)).toBe(desc.digest);
    const gets = proxy.log.filter((l) => l.method === "GET" && l.path.includes("/blobs/sha256:"));
    expect(gets.length).toBe(3);
    expect(gets[0]!.range).toBeNull();
    expect(gets[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(gets[1]!.range!.slice(6, -1))).toBeGreaterThan(0);
  });

  test("a small blob (read whole) cut mid-body is fetched again by the streaming read", async () => {
    const repo = await open();
    const { c, desc } = blob(3 * MiB);
    expect(desc.size).toBeLessThanOrEqual(WHOLE_READ_MAX);
    await repo.push(desc, c.bytes);
    proxy.rules = [{ method: "GET", path: /\/blobs\/sha256:/, times: 1, action: { kind: "cut-response", afterBytes: 1 * MiB } }];
    expect(await pull(repo, desc)).toBe(desc.digest);
    const gets = proxy.log.filter((l) => l.method === "GET" && l.path.includes("/blobs/sha256:"));
    expect(gets.map((g) => g.fault ?? null)).toEqual(["cut-response", null]);
  });

  test("a small blob that stalls is abandoned after the idle timeout plus a second per MiB, then fetched again", async () => {
    const repo = await open();
    const { c, desc } = blob(2 * MiB);
    await repo.push(desc, c.bytes);
    proxy.rules = [{ method: "GET", path: /\/blobs\/sha256:/, times: 1, action: { kind: "stall-response", afterBytes: 1 * MiB } }];
    const started = Date.now();
    expect(await pull(repo, desc)).toBe(desc.digest);
    // timeoutMs 1500 + 2 s for 2 MiB
    expect(Date.now() - started).toBeGreaterThanOrEqual(3400);
    expect(proxy.log.filter((l) => l.method === "GET" && l.path.includes("/blobs/sha256:")).length).toBe(2);
  });

  test("a small blob damaged on the way is refused with DigestMismatchError", async () => {
    const repo = await open();
    const { c, desc } = blob(64 * 1024);
    await repo.push(desc, c.bytes);
    proxy.rules = [{ method: "GET", path: /\/blobs\/sha256:/, times: 10, action: { kind: "flip-response", afterBytes: 1000 } }];
    await expect(pull(repo, desc)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  test("a pull whose layer arrives damaged stops the other layers, keeps no file, and returns once they stopped", async () => {
    const work = tempDir("idp-pull-fails-");
    try {
      const files = { "small.txt": randomContent(64 * 1024).bytes, "big.bin": randomContent(12 * MiB).bytes };
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(work.path, name), bytes);
      const repository = "faults/pull";
      const repo = await openRepository({ registry: proxy.host, repository }, { credentials: anonymous, retries: 0, timeoutMs: 30_000 });
      const pushed = await pushFiles(Object.keys(files).map((name) => ({ path: join(work.path, name), name })), {}, repo, ["v1"]);
      const [small, big] = pushed.layers;
      // The big layer stalls (for the whole 30 s idle timeout); the small one arrives damaged.
      proxy.rules = [
        { method: "GET", path: new RegExp(big!.digest), action: { kind: "stall-response", afterBytes: 1 * MiB } },
        { method: "GET", path: new RegExp(small!.digest), times: 5, action: { kind: "flip-response", afterBytes: 100 } },
      ];
      const out = join(work.path, "out");
      const cache = await OciCache.open(join(work.path, "cache"));
      const started = Date.now();
      const error = await pullArtifact(repo, parseReference(`${proxy.host}/${repository}:v1`), out, { cache }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(DigestMismatchError);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
      expect(readdirSync(cache.root).filter((name) => name.startsWith(".idp-"))).toEqual([]);
    } finally {
      work.remove();
    }
  });

  test("a stalled download is abandoned after the idle timeout and resumed", async () => {
    const repo = await open();
    const { c, desc } = blob(24 * MiB);
    await repo.push(desc, c.bytes);
    proxy.rules = [{ method: "GET", path: /\/blobs\/sha256:/, action: { kind: "stall-response", afterBytes: 5 * MiB } }];
    expect(await pull(repo, desc)).toBe(desc.digest);
    expect(proxy.log.filter((l) => l.method === "GET" && l.range !== null).length).toBe(1);
  });

  test("500 then 429 with Retry-After on a pull: retried after the asked delay", async () => {
    const repo = await open();
    const { c, desc } = blob(2 * MiB);
    await repo.push(desc, c.bytes);
    proxy.rules = [
      { method: "GET", path: /\/blobs\/sha256:/, action: { kind: "status", status: 500 } },
      { method: "GET", path: /\/blobs\/sha256:/, action: { kind: "status", status: 429, retryAfter: "1" } },
    ];
    const started = Date.now();
    expect(await pull(repo, desc)).toBe(desc.digest);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(proxy.log.filter((l) => l.fault).map((l) => l.fault)).toEqual(["status", "status"]);
  });

  test("an upload cut mid-chunk resumes from the registry's offset instead of starting over", async () => {
    const repo = await open();
    const { c, desc } = blob(40 * MiB);
    proxy.rules = [{ method: "PATCH", skip: 1, action: { kind: "cut-request", afterBytes: 3 * MiB } }];
    await repo.push(desc, new Blob([c.bytes]).stream(), { tuning: { chunkSize: 8 * MiB } });
    expect(proxy.log.filter((l) => l.method === "POST").length).toBe(1);
    expect(proxy.log.some((l) => l.method === "GET" && l.path.includes("/blobs/uploads/"))).toBe(true);
    const sent = proxy.log.reduce((sum, l) => sum + l.requestBytes, 0);
    expect(sent).toBeLessThan(desc.size + 8 * MiB);
    expect(await pull(repo, desc)).toBe(desc.digest);
    expect(uploadsLeft()).toEqual([]);
  });

  test("a streamed upload (reopenable source) cut mid-way continues with a ranged PATCH", async () => {
    const repo = await open();
    const { c, desc } = blob(40 * MiB);
    proxy.rules = [{ method: "PATCH", action: { kind: "cut-request", afterBytes: 13 * MiB } }];
    const reopened: number[] = [];
    const reopen = async (offset: number) => {
      reopened.push(offset);
      return new Blob([c.bytes.subarray(offset)]).stream();
    };
    await repo.push(desc, new Blob([c.bytes]).stream(), { reopen });
    const patches = proxy.log.filter((l) => l.method === "PATCH");
    expect(patches.length).toBe(2);
    expect(patches[0]!.contentRange).toBeNull();
    expect(reopened.length).toBe(1);
    expect(reopened[0]).toBeGreaterThan(0);
    expect(patches[1]!.contentRange).toBe(`${reopened[0]}-${desc.size - 1}`);
    expect(proxy.log.filter((l) => l.method === "POST").length).toBe(1);
    expect(await pull(repo, desc)).toBe(desc.digest);
    expect(uploadsLeft()).toEqual([]);
  });

  test("a file upload (sendfile) cut mid-way continues with a ranged PATCH of the rest of the file", async () => {
    const repo = await open();
    const { c, desc } = blob(40 * MiB);
    const path = join(tmpdir(), `idp-fault-file-${process.pid}`);
    writeFileSync(path, c.bytes);
    try {
      proxy.rules = [{ method: "PATCH", action: { kind: "cut-request", afterBytes: 13 * MiB } }];
      await repo.push(desc, Bun.file(path));
      const patches = proxy.log.filter((l) => l.method === "PATCH");
      expect(patches.length).toBe(2);
      expect(patches[0]!.contentRange).toBeNull();
      const resumedAt = Number(/^(\d+)-/.exec(patches[1]!.contentRange ?? "")?.[1]);
      expect(resumedAt).toBeGreaterThan(0);
      expect(patches[1]!.contentRange).toBe(`${resumedAt}-${desc.size - 1}`);
      expect(await pull(repo, desc)).toBe(desc.digest);
      // A registry that wants chunks gets them read from the file.
      const chunked = await open();
      proxy.rules = [];
      proxy.log = [];
      proxy.responseHeaders = (method) => (method === "POST" ? { "OCI-Chunk-Min-Length": String(16 * MiB) } : undefined);
      await chunked.push(desc, Bun.file(path));
      expect(proxy.log.filter((l) => l.method === "PATCH").map((l) => l.contentRange)).toEqual([`0-${16 * MiB - 1}`, `${16 * MiB}-${32 * MiB - 1}`, `${32 * MiB}-${desc.size - 1}`]);
      expect(await pull(chunked, desc)).toBe(desc.digest);
      expect(uploadsLeft()).toEqual([]);
    } finally {
      rmSync(path, { force: true });
    }
  });

  test("a download damaged on the way is refused: a copy into a layout or the cache keeps nothing", async () => {
    // The layout and the cache do not hash a registry download again (the download is checked
    // as it streams and errors before it ends): what they would have written must not appear.
    const repo = await open();
    const { c, desc } = blob(3 * MiB);
    await repo.push(desc, c.bytes);
    const config = json({});
    const configDesc = { mediaType: MediaType.ociEmpty, digest: config.digest, size: config.size };
    await repo.push(configDesc, config.bytes);
    const manifest = json({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDesc, layers: [desc] });
    await repo.pushManifest({ mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.size }, manifest.bytes, "v1");
    const dir = join(tmpdir(), `idp-fault-layout-${process.pid}`);
    try {
      proxy.rules = [{ method: "GET", path: /\/blobs\/sha256:/, times: 10, action: { kind: "flip-response", afterBytes: 2 * MiB } }];
      const layout = await LayoutStore.open(dir);
      await expect(copy(repo, "v1", layout, "v1")).rejects.toThrow(/does not match|digest/);
      expect(await layout.exists(desc)).toBe(false);
      expect((await layout.index()).manifests).toEqual([]);
      const cache = await OciCache.open(join(dir, "cache"));
      const through = new PullThrough(repo, new CacheRepository(cache, "faults/x"));
      await expect(through.download(desc)).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await cache.has(desc)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a streamed upload that stalls, then meets 500 and 429, completes", async () => {
    const repo = await open();
    const { c, desc } = blob(24 * MiB);
    proxy.rules = [
      { method: "PATCH", action: { kind: "stall-request", afterBytes: 6 * MiB } },
      { method: "PATCH", action: { kind: "status", status: 500 } },
      { method: "PATCH", action: { kind: "status", status: 429, retryAfter: "0" } },
    ];
    await repo.push(desc, c.bytes);
    expect(proxy.log.filter((l) => l.fault).length).toBe(3);
    expect(await pull(repo, desc)).toBe(desc.digest);
  });

  test("a registry announcing OCI-Chunk-Min-Length gets chunks at least that big, even from a reopenable source", async () => {
    const repo = await open();
    const { c, desc } = blob(25 * MiB);
    proxy.responseHeaders = (method) => (method === "POST" ? { "OCI-Chunk-Min-Length": String(10 * MiB) } : undefined);
    proxy.rules = [{ method: "PATCH", skip: 1, action: { kind: "cut-request", afterBytes: 4 * MiB } }];
    await repo.push(desc, c.bytes, { tuning: { chunkSize: 4 * MiB } });
    const ranges = proxy.log.filter((l) => l.method === "PATCH").map((l) => l.contentRange);
    expect(ranges[0]).toBe(`0-${10 * MiB - 1}`);
    expect(ranges[1]).toBe(`${10 * MiB}-${20 * MiB - 1}`);
    expect(ranges.at(-1)).toBe(`${20 * MiB}-${desc.size - 1}`);
    expect(ranges.length).toBe(4);
    expect(await pull(repo, desc)).toBe(desc.digest);
  });

  test("500 and 429 on chunks and a stalled chunk: the push completes", async () => {
    const repo = await open();
    const { c, desc } = blob(30 * MiB);
    proxy.rules = [
      { method: "PATCH", skip: 0, action: { kind: "status", status: 500 } },
      { method: "PATCH", skip: 1, action: { kind: "status", status: 429, retryAfter: "0" } },
      { method: "PATCH", skip: 2, action: { kind: "stall-request", afterBytes: 2 * MiB } },
      { method: "PUT", action: { kind: "status", status: 503 } },
    ];
    await repo.push(desc, new Blob([c.bytes]).stream(), { tuning: { chunkSize: 8 * MiB } });
    expect(proxy.log.filter((l) => l.fault).length).toBe(4);
    expect(await pull(repo, desc)).toBe(desc.digest);
    expect(uploadsLeft()).toEqual([]);
  });

  test("manifest and small-blob pushes are retried whole", async () => {
    const repo = await open();
    const { c, desc } = blob(1000);
    proxy.rules = [
      { method: "PUT", path: /\/blobs\/uploads\//, action: { kind: "cut-request", afterBytes: 100 } },
      { method: "PUT", path: /\/manifests\//, action: { kind: "status", status: 502 } },
    ];
    await repo.push(desc, c.bytes);
    const config = json({});
    await repo.push({ mediaType: MediaType.ociConfig, digest: config.digest, size: config.size }, config.bytes);
    const manifest = json({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size }, layers: [desc] });
    const mdesc = { mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.size };
    await repo.pushManifest(mdesc, manifest.bytes, "v1");
    expect(await repo.resolve("v1")).toEqual(mdesc);
    expect(await pull(repo, desc)).toBe(desc.digest);
  });

  test("when retries run out the error is one line and the session is cancelled", async () => {
    const repo = await open();
    const { c, desc } = blob(20 * MiB);
    proxy.rules = [{ method: "PATCH", times: 100, action: { kind: "status", status: 500 } }];
    let error: unknown;
    try {
      await repo.push(desc, new Blob([c.bytes]).stream(), { tuning: { chunkSize: 8 * MiB } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IdpError);
    expect((error as Error).message).not.toContain("\n");
    expect((error as Error).message).toContain("500");
    expect(await repo.exists(desc)).toBe(false);
    expect(uploadsLeft()).toEqual([]);
  });
});
