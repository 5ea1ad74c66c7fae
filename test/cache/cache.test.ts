import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CacheRepository, OciCache, PullThrough, enforceLimit, listBlobs, listRefs, prune, usage, verifyCache } from "../../src/cache/index.ts";
import { MemoryStore } from "../../src/content/memory/index.ts";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { copy } from "../../src/copy/index.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";
import { NetworkError } from "../../src/errors/index.ts";
import { tempDir } from "../helpers/idp.ts";
import { bytesOf, makeImage, randomBlob } from "../content/fixtures.ts";

let dir: { path: string; remove(): void };
afterEach(() => dir?.remove());

async function fresh(): Promise<OciCache> {
  dir = tempDir("idp-cache-");
  return OciCache.open(dir.path);
}

describe("several idp processes at once", () => {
  test("four processes writing the same content and tag at once all succeed, and what is left verifies", async () => {
    const cache = await fresh();
    const procs = Array.from({ length: 4 }, () => Bun.spawn([process.execPath, join(import.meta.dir, "writer.ts"), dir.path, "same", "12"], { stdout: "pipe", stderr: "pipe" }));
    const results = await Promise.all(procs.map(async (p) => ({ code: await p.exited, out: (await new Response(p.stdout).text()).trim(), err: await new Response(p.stderr).text() })));
    for (const r of results) expect(r).toMatchObject({ code: 0, err: "" });
    expect(new Set(results.map((r) => r.out)).size).toBe(1);
    const report = await verifyCache(cache);
    expect(report).toMatchObject({ checked: 14, corrupt: [] });
    expect((await listRefs(cache)).map((r) => r.reference)).toEqual(["127.0.0.1:5000/shared/app:v1"]);
    expect(readdirSync(dir.path).sort()).toEqual(["blobs", "index.json", "oci-layout", "refs"]);
  });

  test("a process killed mid-write leaves no partial blob, and the next open sweeps its temporary file", async () => {
    await fresh();
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "writer.ts"), dir.path, "slow", String(8 * 1024 * 1024)], { stdout: "pipe" });
    const reader = proc.stdout.getReader();
    const digest = new TextDecoder().decode((await reader.read()).value).trim();
    await Bun.sleep(300);
    proc.kill("SIGKILL");
    await proc.exited;
    const temporary = () => readdirSync(dir.path).filter((name) => name.startsWith(".idp-ingest"));
    expect(temporary()).toHaveLength(1);
    const cache = await OciCache.open(dir.path);
    expect(existsSync(cache.blobPath(digest))).toBe(false);
    expect(temporary()).toEqual([]);
  });
});

describe("eviction and verification", () => {
  test("prune evicts what is older than the age, then least recently used until within the size; tags of evicted manifests go", async () => {
    const cache = await fresh();
    const repo = new CacheRepository(cache, "example.com/a");
    const blobs = [randomBlob(1000), randomBlob(1000), randomBlob(1000), randomBlob(1000)];
    for (const b of blobs) await repo.push(b.desc, b.bytes);
    const image = makeImage({ layerSize: 10 });
    for (const x of image.all) await repo.push(x.desc, x.bytes);
    await repo.tag(image.manifest.desc, "v1");
    const day = 86_400_000;
    const now = Date.now();
    // Ages: blob 0 used 40 days ago, 1 ten days ago, 2 two days ago, 3 now; the image a year ago.
    const age = (d: Descriptor, days: number) => utimesSync(cache.blobPath(d.digest), new Date(now - days * day), new Date(now - days * day));
    [40, 10, 2, 0].forEach((days, i) => age(blobs[i]!.desc, days));
    for (const x of image.all) age(x.desc, 365);
    const dry = await prune(cache, { olderThanMs: 30 * day, dryRun: true, now });
    expect(dry.removed.map((b) => b.digest).sort()).toEqual([blobs[0]!.desc.digest, ...image.all.map((x) => x.desc.digest)].sort());
    expect((await listBlobs(cache)).length).toBe(4 + image.all.length);
    await prune(cache, { olderThanMs: 30 * day, now });
    expect(await listRefs(cache)).toEqual([]);
    const report = await prune(cache, { maxSize: 2000, now });
    expect(report.removed.map((b) => b.digest)).toEqual([blobs[1]!.desc.digest]);
    expect((await usage(cache)).bytes).toBe(2000);
    expect(await repo.exists(blobs[3]!.desc)).toBe(true);
  });

  test("reading a blob makes it recently used", async () => {
    const cache = await fresh();
    const old = randomBlob(500);
    const other = randomBlob(500);
    await cache.push(old.desc, old.bytes);
    await cache.push(other.desc, other.bytes);
    utimesSync(cache.blobPath(old.desc.digest), new Date(Date.now() - 1e7), new Date(Date.now() - 1e7));
    utimesSync(cache.blobPath(other.desc.digest), new Date(Date.now() - 1e6), new Date(Date.now() - 1e6));
    await bytesOf(await cache.fetch(old.desc));
    await Bun.sleep(20);
    await prune(cache, { maxSize: 500 });
    expect(await cache.has(old.desc)).toBe(true);
    expect(await cache.has(other.desc)).toBe(false);
  });

  test("verify re-hashes everything, removes a corrupt blob and the tags pointing at it", async () => {
    const cache = await fresh();
    const repo = new CacheRepository(cache, "example.com/a");
    const image = makeImage({ layerSize: 5000 });
    for (const x of image.all) await repo.push(x.desc, x.bytes);
    await repo.tag(image.manifest.desc, "v1");
    writeFileSync(cache.blobPath(image.manifest.desc.digest), "not what it was");
    const report = await verifyCache(cache);
    expect(report.corrupt).toEqual([image.manifest.desc.digest]);
    expect(report.droppedTags).toEqual(["example.com/a:v1"]);
    expect(report.checked).toBe(image.all.length);
    expect((await verifyCache(cache)).corrupt).toEqual([]);
  });

  test("the configured limit (env or registries.yaml) trims after a pull added content", async () => {
    const cache = await fresh();
    for (const b of [randomBlob(3000), randomBlob(3000)]) await cache.push(b.desc, b.bytes);
    expect(await enforceLimit(cache, { IDP_HOME: dir.path })).toBeUndefined();
    expect((await enforceLimit(cache, { IDP_HOME: dir.path, IDPBUILDER_OCI_CACHE_MAX_SIZE: "4KB" }))?.removed).toHaveLength(1);
    writeFileSync(join(dir.path, "registries.yaml"), "cache:\n  maxSize: 0\n");
    expect((await enforceLimit(cache, { IDP_HOME: dir.path }))?.remainingBytes).toBe(0);
  });
});

describe("pull-through", () => {
  /** A source that counts what it is asked. */
  function counting(store: MemoryStore) {
    const counts = { resolve: 0, fetch: 0 };
    const target = {
      resolve: (r: string) => (counts.resolve++, store.resolve(r)),
      fetch: (d: Descriptor, o?: { offset?: number }) => (counts.fetch++, store.fetch(d, o)),
      exists: (d: Descriptor) => store.exists(d),
    };
    return { target, counts };
  }

  test("the second read of the same content asks the source for nothing but the tag", async () => {
    const cache = await fresh();
    const store = new MemoryStore();
    const image = makeImage({ layerSize: 10_000 });
    for (const x of image.all) await store.push(x.desc, x.bytes);
    await store.tag(image.manifest.desc, "v1");
    const { target, counts } = counting(store);
    const first = new PullThrough(target, new CacheRepository(cache, "example.com/a"));
    const out = await dirCopy(first, "v1");
    expect(counts.fetch).toBe(image.all.length);
    expect(first.stats.added).toBe(image.all.reduce((n, x) => n + x.desc.size, 0));
    const second = new PullThrough(target, new CacheRepository(cache, "example.com/a"));
    await dirCopy(second, "v1");
    expect(counts.fetch).toBe(image.all.length);
    expect(counts.resolve).toBe(2);
    expect(second.stats).toMatchObject({ hits: image.all.length, misses: 0 });
    expect((await listRefs(cache)).map((r) => r.reference)).toEqual(["example.com/a:v1"]);
    out.remove();
  });

  test("a damaged cached blob (the cache writes without fsync) is removed when read, and the next read fetches it again", async () => {
    const cache = await fresh();
    const store = new MemoryStore();
    const image = makeImage({ layerSize: 5000 });
    for (const x of image.all) await store.push(x.desc, x.bytes);
    await store.tag(image.manifest.desc, "v1");
    (await dirCopy(new PullThrough(store, new CacheRepository(cache, "example.com/a")), "v1")).remove();
    const layer = image.all.find((x) => x.desc.size === 5000)!.desc;
    writeFileSync(cache.blobPath(layer.digest), new Uint8Array(5000)); // what a power cut can leave
    const { DigestMismatchError } = await import("../../src/errors/index.ts");
    const broken = copy(new PullThrough(store, new CacheRepository(cache, "example.com/a")), "v1", await LayoutStore.open(tempDir("idp-cache-bad-").path), "v1");
    await expect(broken).rejects.toThrow(/was damaged and has been removed; run the command again/);
    await broken.catch((error: Error) => expect(error.cause ?? error).toBeInstanceOf(DigestMismatchError));
    expect(existsSync(cache.blobPath(layer.digest))).toBe(false);
    const again = await dirCopy(new PullThrough(store, new CacheRepository(cache, "example.com/a")), "v1");
    again.remove();
    expect((await verifyCache(cache)).corrupt).toEqual([]);
  });

  test("with the source unreachable, a remembered tag answers (offline), an unknown one fails", async () => {
    const cache = await fresh();
    const store = new MemoryStore();
    const image = makeImage({ layerSize: 100 });
    for (const x of image.all) await store.push(x.desc, x.bytes);
    await store.tag(image.manifest.desc, "v1");
    await dirCopy(new PullThrough(store, new CacheRepository(cache, "example.com/a")), "v1");
    const down = { resolve: async () => Promise.reject(new NetworkError("connection refused")), fetch: async () => Promise.reject(new NetworkError("connection refused")), exists: async () => false };
    const offline = new PullThrough(down, new CacheRepository(cache, "example.com/a"));
    expect((await offline.resolve("v1")).digest).toBe(image.manifest.desc.digest);
    expect(offline.stats.offline).toBe(true);
    await expect(offline.resolve("v2")).rejects.toBeInstanceOf(NetworkError);
  });
});

/** Copies a tag's graph out of a pull-through source into a throwaway layout (reading every blob). */
async function dirCopy(src: PullThrough, tag: string): Promise<{ remove(): void }> {
  const out = tempDir("idp-cache-out-");
  await copy(src, tag, await LayoutStore.open(out.path), tag);
  return out;
}
