import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DigestMismatchError, NotFoundError } from "../../src/errors/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";
import { anonymous, openRegistry, referrersTag, type RemoteRegistry, type RemoteRepository } from "../../src/remote/index.ts";
import { startDistribution } from "../helpers/distribution.ts";
import type { RegistryUnderTest } from "../helpers/idp.ts";
import { makeImage, randomContent, type Content } from "../helpers/oci.ts";

/** The remote Target against CNCF Distribution 2.8, which predates the referrers API. */
describe("remote repository on Distribution 2.8", () => {
  let reg: RegistryUnderTest;
  let registry: RemoteRegistry;
  beforeAll(async () => {
    reg = await startDistribution();
    registry = await openRegistry(reg.host, { credentials: anonymous });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  async function push(repo: RemoteRepository, tag: string, options: Parameters<typeof makeImage>[0] = {}): Promise<{ desc: Descriptor; manifest: Content }> {
    const image = makeImage(options);
    for (const b of [image.config, ...image.layers]) await repo.push({ mediaType: MediaType.ociLayerGzip, digest: b.digest, size: b.size }, b.bytes);
    const desc = { mediaType: image.mediaType, digest: image.manifest.digest, size: image.manifest.size };
    await repo.pushManifest(desc, image.manifest.bytes, tag);
    return { desc, manifest: image.manifest };
  }

  test("bytes that do not match their digest are refused by Distribution's own check: DigestMismatchError, nothing stored", async () => {
    // idp does not hash what it uploads a second time (every source verifies what it reads);
    // the registry's DIGEST_INVALID at the closing PUT is what reports a mismatch.
    const repo = registry.repository("mismatch/app");
    const wrong = (size: number) => ({ mediaType: MediaType.ociLayerGzip, digest: digestOf(`something else ${size}`), size });
    const large = randomContent(10 * 1024 * 1024);
    const streamed = repo.push(wrong(large.size), new Blob([large.bytes]).stream(), { reopen: async (o) => new Blob([large.bytes.subarray(o)]).stream() });
    await expect(streamed).rejects.toBeInstanceOf(DigestMismatchError);
    const chunked = repo.push(wrong(large.size), new Blob([large.bytes]).stream());
    await expect(chunked).rejects.toBeInstanceOf(DigestMismatchError);
    const small = randomContent(100);
    await expect(repo.push(wrong(100), small.bytes)).rejects.toBeInstanceOf(DigestMismatchError);
    for (const size of [large.size, 100]) expect(await repo.exists(wrong(size))).toBe(false);
  });

  test("a manifest with a subject is listed through the referrers tag schema", async () => {
    const repo = registry.repository("dist/referrers");
    const { desc, manifest } = await push(repo, "v1");
    const subject = { ...manifest, mediaType: MediaType.ociManifest };
    const { desc: sbom } = await push(repo, "sbom", { artifactType: "application/vnd.test.sbom", subject, annotations: { "org.example": "yes" } });
    const { desc: sig } = await push(repo, "sig", { artifactType: "application/vnd.test.sig", subject });
    const all = await repo.referrers(desc);
    expect(all.map((d) => d.digest)).toEqual([sbom.digest, sig.digest]);
    expect(all[0]).toMatchObject({ artifactType: "application/vnd.test.sbom", annotations: { "org.example": "yes" } });
    expect((await repo.referrers(desc, "application/vnd.test.sig")).map((d) => d.digest)).toEqual([sig.digest]);
    expect((await repo.resolve(referrersTag(desc.digest))).mediaType).toBe(MediaType.ociIndex);
  });

  test("tags, catalog, a large chunked blob, mount and delete", async () => {
    const repo = registry.repository("dist/app");
    const { desc } = await push(repo, "a", { layerSize: 12 * 1024 * 1024 });
    for (const t of ["b", "c"]) await repo.tag(desc, t);
    const tags: string[] = [];
    for await (const t of repo.tags({ pageSize: 2 })) tags.push(t);
    // Distribution 2.8 pages `n=2` out of order ("b","c" then "a"); every tag arrives once
    expect(tags.sort()).toEqual(["a", "b", "c"]);
    const names: string[] = [];
    for await (const name of registry.catalog({ pageSize: 1 })) names.push(name);
    expect(names).toContain("dist/app");
    const { bytes } = await repo.fetchReference("a");
    const layer = (JSON.parse(new TextDecoder().decode(bytes)) as { layers: Descriptor[] }).layers[0]!;
    const other = registry.repository("dist/other");
    expect(await other.mount(layer, "dist/app")).toBe(true);
    await repo.delete(desc);
    await expect(repo.resolve("a")).rejects.toBeInstanceOf(NotFoundError);
  });
});
