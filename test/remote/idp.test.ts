import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DigestMismatchError, NotFoundError } from "../../src/errors/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";
import { anonymous, openRegistry, openRepository, type RemoteRepository } from "../../src/remote/index.ts";
import { startIdp, type IdpServer } from "../helpers/idp.ts";
import { makeImage, randomContent } from "../helpers/oci.ts";

/** The remote Target against the real `dist/idp serve`, request semantics end to end. */
describe("remote repository on idp serve", () => {
  let server: IdpServer;
  let n = 0;
  const open = (name = `remote/r${++n}`): Promise<RemoteRepository> =>
    openRepository({ registry: server.host, repository: name }, { credentials: anonymous, retries: 1 });

  beforeAll(async () => {
    server = await startIdp();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function pushImage(repo: RemoteRepository, tag: string, options: Parameters<typeof makeImage>[0] = {}) {
    const image = makeImage(options);
    for (const blob of [image.config, ...image.layers]) {
      await repo.push({ mediaType: MediaType.ociLayerGzip, digest: blob.digest, size: blob.size }, blob.bytes);
    }
    const desc: Descriptor = { mediaType: image.mediaType, digest: image.manifest.digest, size: image.manifest.size };
    await repo.pushManifest(desc, image.manifest.bytes, tag);
    return { image, desc };
  }

  test("push an image, resolve the tag, fetch everything back verified", async () => {
    const repo = await open();
    const { image, desc } = await pushImage(repo, "v1", { layers: 2 });
    expect(await repo.resolve("v1")).toEqual(desc);
    const manifest = new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer());
    expect(manifest).toEqual(image.manifest.bytes);
    const layer = image.layers[0]!;
    const got = new Uint8Array(await new Response(await repo.fetch({ mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size })).arrayBuffer());
    expect(got).toEqual(layer.bytes);
    expect(await repo.exists(desc)).toBe(true);
  });

  test("a large blob goes in chunks and comes back with a resumable, verified stream", async () => {
    const repo = await open();
    const blob = randomContent(20 * 1024 * 1024 + 17);
    const desc = { mediaType: MediaType.ociLayerGzip, digest: blob.digest, size: blob.size };
    const stream = new Blob([blob.bytes]).stream();
    const progress: number[] = [];
    await repo.push(desc, stream, { onProgress: (b) => progress.push(b), tuning: { chunkSize: 8 * 1024 * 1024 } });
    expect(progress.at(-1)).toBe(blob.size);
    expect(progress.length).toBe(3);
    expect(await repo.exists(desc)).toBe(true);
    const back = new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer());
    expect(digestOf(back)).toBe(blob.digest);
    const tail = new Uint8Array(await new Response(await repo.fetch(desc, { offset: blob.size - 100 })).arrayBuffer());
    expect(tail).toEqual(blob.bytes.subarray(blob.size - 100));
  });

  test("a blob pushed under the wrong digest fails and leaves nothing", async () => {
    const repo = await open();
    const blob = randomContent(10 * 1024 * 1024);
    const wrong = { mediaType: MediaType.ociLayerGzip, digest: digestOf("something else"), size: blob.size };
    await expect(repo.push(wrong, new Blob([blob.bytes]).stream())).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await repo.exists(wrong)).toBe(false);
    const small = randomContent(100);
    await expect(repo.push({ ...wrong, size: 100 }, small.bytes)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  test("missing content is NotFoundError; a corrupted descriptor fails verification", async () => {
    const repo = await open();
    const { image } = await pushImage(repo, "v1");
    const layer = image.layers[0]!;
    await expect(repo.resolve("nope")).rejects.toBeInstanceOf(NotFoundError);
    await expect(repo.fetch({ mediaType: MediaType.ociLayerGzip, digest: digestOf("x"), size: 1 })).rejects.toBeInstanceOf(NotFoundError);
    const short = { mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size - 1 };
    await expect((async () => new Response(await repo.fetch(short)).arrayBuffer())()).rejects.toBeInstanceOf(DigestMismatchError);
  });

  test("tags paginate through Link; tag() adds a tag; delete removes", async () => {
    const repo = await open();
    const { desc } = await pushImage(repo, "a");
    for (const t of ["b", "c", "d", "e"]) await repo.tag(desc, t);
    const all: string[] = [];
    for await (const t of repo.tags({ pageSize: 2 })) all.push(t);
    expect(all).toEqual(["a", "b", "c", "d", "e"]);
    const after: string[] = [];
    for await (const t of repo.tags({ last: "c" })) after.push(t);
    expect(after).toEqual(["d", "e"]);
    await repo.delete(desc);
    await expect(repo.resolve("a")).rejects.toBeInstanceOf(NotFoundError);
  });

  test("referrers through the API, filtered by artifact type", async () => {
    const repo = await open();
    const { image, desc } = await pushImage(repo, "v1");
    const subject = { ...image.manifest, mediaType: image.mediaType };
    const { desc: sbom } = await pushImage(repo, "sbom", { artifactType: "application/vnd.test.sbom", subject });
    await pushImage(repo, "sig", { artifactType: "application/vnd.test.sig", subject });
    expect((await repo.referrers(desc)).length).toBe(2);
    const only = await repo.referrers(desc, "application/vnd.test.sbom");
    expect(only.map((d) => d.digest)).toEqual([sbom.digest]);
  });

  test("mount links a blob from another repository; declined mounts answer false", async () => {
    const a = await open();
    const b = await open();
    const blob = randomContent(1000);
    const desc = { mediaType: MediaType.ociLayerGzip, digest: blob.digest, size: blob.size };
    await a.push(desc, blob.bytes);
    expect(await b.mount(desc, a.repository)).toBe(true);
    expect(await b.exists(desc)).toBe(true);
    expect(await b.mount({ ...desc, digest: digestOf("absent") }, a.repository)).toBe(false);
    const c = await open();
    const progress: number[] = [];
    await c.push(desc, new Blob([blob.bytes]).stream(), { mountFrom: ["nowhere/else", a.repository], onProgress: (n) => progress.push(n) });
    expect(await c.exists(desc)).toBe(true);
    expect(progress).toEqual([desc.size]);
  });

  test("registry ping and a paginated catalog", async () => {
    const registry = await openRegistry(server.host, { credentials: anonymous });
    expect((await registry.ping()).apiVersion).toBe("registry/2.0");
    const repo = registry.repository("catalog/one");
    await pushImage(repo, "v1");
    const names: string[] = [];
    for await (const name of registry.catalog({ pageSize: 1 })) names.push(name);
    expect(names).toContain("catalog/one");
    expect(names.length).toBeGreaterThan(1);
  });
});
