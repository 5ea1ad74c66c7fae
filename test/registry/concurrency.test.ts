import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { digestOf } from "../../src/oci/digest.ts";
import { startIdp, type IdpServer } from "../helpers/idp.ts";
import { makeImage, pushBlob, pushImage, putManifest, randomContent } from "../helpers/oci.ts";

/**
 * Races the storage must survive: the same blob uploaded many times at once, many writers
 * moving one tag, deletes interleaved with tag writes. Run against the compiled binary on the
 * filesystem, where the races are real.
 */
describe("concurrent writers", () => {
  let reg: IdpServer;
  let base: string;
  beforeAll(async () => {
    reg = await startIdp();
    base = reg.url;
  });
  afterAll(async () => {
    await reg?.stop();
  });

  test("20 identical concurrent uploads into 4 repositories all succeed and store the blob once", async () => {
    const blob = randomContent(1024 * 1024);
    const repos = ["same/a", "same/b", "same/c", "same/d"];
    await Promise.all(Array.from({ length: 20 }, (_, i) => pushBlob(base, repos[i % 4]!, blob)));
    for (const repo of repos) {
      const get = await fetch(`${base}/v2/${repo}/blobs/${blob.digest}`);
      expect(digestOf(new Uint8Array(await get.arrayBuffer()))).toBe(blob.digest);
    }
    const hex = blob.digest.slice("sha256:".length);
    // One file in the content store, hard-linked once into each repository.
    expect(statSync(join(reg.root, "blobs", "sha256", hex)).nlink).toBe(1 + repos.length);
  });

  test("50 writers moving one tag leave it on one of their manifests, with every manifest kept", async () => {
    const images = Array.from({ length: 50 }, () => makeImage({ layerSize: 64 }));
    for (const image of images) for (const blob of [image.config, ...image.layers]) await pushBlob(base, "race/tag", blob);
    const responses = await Promise.all(images.map((image) => putManifest(base, "race/tag", "moving", image.manifest, image.mediaType)));
    expect(responses.map((r) => r.status)).toEqual(images.map(() => 201));
    const head = await fetch(`${base}/v2/race/tag/manifests/moving`, { method: "HEAD" });
    const winner = head.headers.get("docker-content-digest");
    expect(images.map((i) => i.manifest.digest)).toContain(winner!);
    for (const image of images) {
      expect((await fetch(`${base}/v2/race/tag/manifests/${image.manifest.digest}`, { method: "HEAD" })).status).toBe(200);
    }
    const index = JSON.parse(readFileSync(join(reg.root, "repositories", "race+tag", "index.json"), "utf8")) as {
      manifests: { digest: string; annotations?: Record<string, string> }[];
    };
    const tagged = index.manifests.filter((d) => d.annotations?.["org.opencontainers.image.ref.name"] === "moving");
    expect(tagged.map((d) => d.digest)).toEqual([winner!]);
    expect(new Set(index.manifests.map((d) => d.digest)).size).toBe(images.length);
  });

  test("deletes interleaved with tag writes never corrupt the index or answer 500", async () => {
    const repo = "race/delete";
    const images: ReturnType<typeof makeImage>[] = [];
    for (let i = 0; i < 20; i++) images.push(await pushImage(base, repo, `t${i}`));
    const ops: Promise<Response>[] = [];
    for (let i = 0; i < 20; i++) {
      const image = images[i]!;
      if (i % 2 === 0) ops.push(fetch(`${base}/v2/${repo}/manifests/${image.manifest.digest}`, { method: "DELETE" }));
      else ops.push(fetch(`${base}/v2/${repo}/manifests/t${i}`, { method: "DELETE" }));
      ops.push(putManifest(base, repo, `extra${i}`, image.manifest, image.mediaType));
    }
    const statuses = (await Promise.all(ops)).map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    // Whatever the interleaving, every tag left points at a manifest the registry serves.
    const tags = ((await (await fetch(`${base}/v2/${repo}/tags/list`)).json()) as { tags: string[] }).tags;
    for (const tag of tags) expect((await fetch(`${base}/v2/${repo}/manifests/${tag}`)).status).toBe(200);
    const index = JSON.parse(readFileSync(join(reg.root, "repositories", "race+delete", "index.json"), "utf8")) as { manifests: { digest: string }[] };
    for (const d of index.manifests) expect((await fetch(`${base}/v2/${repo}/manifests/${d.digest}`, { method: "HEAD" })).status).toBe(200);
  });

  test("pushes to 40 repositories at once all land in the catalog", async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => pushImage(base, `many/repo${String(i).padStart(2, "0")}`, "v1")));
    const body = (await (await fetch(`${base}/v2/_catalog?n=1000`)).json()) as { repositories: string[] };
    expect(body.repositories.filter((r) => r.startsWith("many/")).length).toBe(40);
  });
});
