import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { fetchManifest } from "../../src/content/successors.ts";
import { tempDir } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { bytesOf, makeFixture, SBOM_TYPE } from "./fixtures.ts";

/** Interop with real peers: layouts idp writes open in skopeo, umoci and oras, and the reverse. */
describe("layout store with real peers", () => {
  let dir: { path: string; remove(): void };
  let ours: string;
  const fixture = makeFixture();

  beforeAll(async () => {
    dir = tempDir("idp-layout-peers-");
    ours = join(dir.path, "ours");
    const store = await LayoutStore.open(ours);
    for (const x of fixture.items) await store.push(x.desc, x.bytes);
    for (const [tag, desc] of Object.entries(fixture.tags)) await store.tag(desc, tag);
  });
  afterAll(() => dir.remove());

  test("skopeo inspects a layout idp wrote, by tag, with the same digest and layers", async () => {
    const { stdout } = await run([peer("skopeo"), "inspect", `oci:${ours}:v1`]);
    const info = JSON.parse(stdout) as { Digest: string; Layers: string[] };
    expect(info.Digest).toBe(fixture.image.manifest.desc.digest);
    expect(info.Layers).toEqual(fixture.image.layers.map((l) => l.desc.digest));
  });

  test("umoci lists the tags of a layout idp wrote", async () => {
    const { stdout } = await run([peer("umoci"), "ls", "--layout", ours]);
    expect(stdout.trim().split("\n").sort()).toEqual(["multi", "v1"]);
  });

  test("oras reads manifests and discovers referrers in a layout idp wrote", async () => {
    const fetched = await run([peer("oras"), "manifest", "fetch", "--oci-layout", `${ours}:multi`]);
    expect(Bun.CryptoHasher.hash("sha256", fetched.stdout, "hex")).toBe(fixture.index.desc.digest.slice(7));
    const discovered = await run([peer("oras"), "discover", "--format", "json", "--oci-layout", `${ours}:v1`]);
    expect(discovered.stdout).toContain(fixture.sbom.desc.digest);
    expect(discovered.stdout).toContain(fixture.signature.desc.digest);
  });

  test("idp opens a layout skopeo wrote (skopeo copy oci → oci) and reads every blob", async () => {
    const theirs = join(dir.path, "skopeo");
    await run([peer("skopeo"), "copy", "--quiet", "--preserve-digests", `oci:${ours}:v1`, `oci:${theirs}:copied`]);
    const store = await LayoutStore.open(theirs, { create: false });
    const desc = await store.resolve("copied");
    expect(desc.digest).toBe(fixture.image.manifest.desc.digest);
    const { info } = await fetchManifest(store, desc);
    for (const blob of info.blobs) {
      const original = fixture.items.find((x) => x.desc.digest === blob.digest)!;
      expect(await bytesOf(await store.fetch(blob))).toEqual(original.bytes);
    }
  });

  test("idp opens a layout umoci created and reads its image", async () => {
    const theirs = join(dir.path, "umoci");
    await run([peer("umoci"), "init", "--layout", theirs]);
    await run([peer("umoci"), "new", "--image", `${theirs}:fresh`]);
    const store = await LayoutStore.open(theirs, { create: false });
    const desc = await store.resolve("fresh");
    const { info } = await fetchManifest(store, desc);
    expect(info.config?.mediaType).toBe("application/vnd.oci.image.config.v1+json");
    const config = JSON.parse(new TextDecoder().decode(await bytesOf(await store.fetch(info.config!)))) as { os: string };
    expect(config.os).toBe("linux");
  });

  test("idp opens a layout oras wrote, with an attached referrer", async () => {
    const theirs = join(dir.path, "oras");
    const work = join(dir.path, "oras-files");
    await run(["mkdir", "-p", work]);
    writeFileSync(join(work, "hello.txt"), "hello from oras\n");
    writeFileSync(join(work, "sbom.json"), "{}\n");
    await run([peer("oras"), "push", "--oci-layout", `${theirs}:art`, "hello.txt:text/plain"], { cwd: work });
    await run([peer("oras"), "attach", "--oci-layout", `${theirs}:art`, "--artifact-type", SBOM_TYPE, "sbom.json:application/json"], { cwd: work });
    const store = await LayoutStore.open(theirs, { create: false });
    const desc = await store.resolve("art");
    const { info } = await fetchManifest(store, desc);
    const layer = info.blobs.find((b) => b.annotations?.["org.opencontainers.image.title"] === "hello.txt")!;
    expect(new TextDecoder().decode(await bytesOf(await store.fetch(layer)))).toBe("hello from oras\n");
    const referrers = await store.referrers(desc);
    expect(referrers).toHaveLength(1);
    expect(referrers[0]!.artifactType).toBe(SBOM_TYPE);
  });
});
