import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as tar from "tar";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { TarStore } from "../../src/content/tar/index.ts";
import { MemoryStore } from "../../src/content/memory/index.ts";
import { successorsOf } from "../../src/content/successors.ts";
import type { Mounter } from "../../src/content/types.ts";
import { copy } from "../../src/copy/index.ts";
import { limiter } from "../../src/copy/limit.ts";
import { InvalidReferenceError } from "../../src/errors/index.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";
import { bytesOf, collect, emptyConfig, indexOf, item, makeFixture, makeImage, manifestOf, randomBlob, type Item } from "../content/fixtures.ts";
import { tempDir } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { FaultyTarget } from "./faulty.ts";

async function storeWith(items: Item[], tags: Record<string, Descriptor> = {}): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (const x of items) await store.push(x.desc, x.bytes);
  for (const [tag, desc] of Object.entries(tags)) await store.tag(desc, tag);
  return store;
}

async function expectSame(dst: MemoryStore | LayoutStore, items: Item[]): Promise<void> {
  for (const x of items) expect(await bytesOf(await dst.fetch(x.desc))).toEqual(x.bytes);
}

describe("copy", () => {
  test("copies an image and tags it; children are stored before their parents", async () => {
    const image = makeImage();
    const src = await storeWith(image.all, { v1: image.manifest.desc });
    const dst = new MemoryStore();
    const order: string[] = [];
    const desc = await copy(src, "v1", dst, "v1", { postCopy: (d) => void order.push(d.digest) });
    expect(desc).toMatchObject(image.manifest.desc);
    await expectSame(dst, image.all);
    expect(await dst.resolve("v1")).toMatchObject(image.manifest.desc);
    expect(order.at(-1)).toBe(image.manifest.desc.digest);
    expect(order.sort()).toEqual(image.all.map((x) => x.desc.digest).sort());
  });

  test("an index with shared layers: every digest moves once, each manifest after its children", async () => {
    const shared = randomBlob(5000);
    const config = emptyConfig();
    const own = [randomBlob(100), randomBlob(100)];
    const a = manifestOf(config, [shared, own[0]!]);
    const b = manifestOf(config, [shared, own[1]!]);
    const index = indexOf([a, b]);
    const src = new FaultyTarget(await storeWith([config, shared, ...own, a, b, index], { multi: index.desc }));
    const dst = new MemoryStore();
    const order: string[] = [];
    await copy(src, "multi", dst, "released", { postCopy: (d) => void order.push(d.digest) });
    expect(src.fetched.filter((d) => d === shared.desc.digest)).toHaveLength(1);
    expect(new Set(order).size).toBe(order.length);
    expect(order).toHaveLength(7);
    for (const m of [a, b, index]) {
      const at = order.indexOf(m.desc.digest);
      for (const child of successorsOf(m.desc, m.bytes)) expect(order.indexOf(child.digest)).toBeLessThan(at);
    }
    expect(await dst.resolve("released")).toMatchObject(index.desc);
  });

  test("a second copy skips the root and moves nothing", async () => {
    const image = makeImage();
    const src = new FaultyTarget(await storeWith(image.all, { v1: image.manifest.desc }));
    const dst = new MemoryStore();
    await copy(src, "v1", dst);
    src.fetched = [];
    const skipped: string[] = [];
    const copied: string[] = [];
    await copy(src, "v1", dst, "v2", { onSkipped: (d) => void skipped.push(d.digest), postCopy: (d) => void copied.push(d.digest) });
    expect(skipped).toEqual([image.manifest.desc.digest]);
    expect(copied).toEqual([]);
    expect(src.fetched).toEqual([]);
    expect(await dst.resolve("v2")).toMatchObject(image.manifest.desc);
  });

  test("blobs the destination has are skipped, the rest copied", async () => {
    const image = makeImage();
    const src = new FaultyTarget(await storeWith(image.all, { v1: image.manifest.desc }));
    const dst = await storeWith([image.layers[0]!]);
    const skipped: string[] = [];
    await copy(src, "v1", dst, "v1", { onSkipped: (d) => void skipped.push(d.digest) });
    expect(skipped).toEqual([image.layers[0]!.desc.digest]);
    expect(src.fetched).not.toContain(image.layers[0]!.desc.digest);
    await expectSame(dst, image.all);
  });

  test("progress reaches each blob's size", async () => {
    const image = makeImage({ layerSize: 400_000 });
    const src = await storeWith(image.all, { v1: image.manifest.desc });
    const last = new Map<string, number>();
    await copy(src, "v1", new MemoryStore(), "v1", { onProgress: (d, n) => last.set(d.digest, n) });
    for (const blob of [image.config, ...image.layers]) expect(last.get(blob.desc.digest)).toBe(blob.desc.size);
  });

  test("concurrency is bounded: default 4, or as asked", async () => {
    const layers = Array.from({ length: 12 }, () => randomBlob(100));
    const config = emptyConfig();
    const manifest = manifestOf(config, layers);
    for (const [options, bound] of [[{}, 4], [{ concurrency: 2 }, 2], [{ concurrency: 1 }, 1]] as const) {
      const src = new FaultyTarget(await storeWith([config, ...layers, manifest], { v1: manifest.desc }));
      src.delayMs = 15;
      await copy(src, "v1", new MemoryStore(), "v1", options);
      expect(src.maxActive).toBe(bound);
    }
  });

  test("copy by digest does not tag; a mismatching destination digest is refused", async () => {
    const image = makeImage({ layerSize: 10 });
    const src = await storeWith(image.all);
    const dst = new MemoryStore();
    await copy(src, image.manifest.desc.digest, dst);
    expect(await collect(dst.tags())).toEqual([]);
    expect(await dst.exists(image.manifest.desc)).toBe(true);
    await expect(copy(src, image.manifest.desc.digest, dst, randomBlob(1).desc.digest)).rejects.toBeInstanceOf(InvalidReferenceError);
  });

  test("copies into an OCI layout that skopeo then reads", async () => {
    const fixture = makeFixture();
    const src = await storeWith(fixture.items, fixture.tags);
    const dir = tempDir("idp-copy-");
    try {
      const dst = await LayoutStore.open(dir.path);
      await copy(src, "multi", dst, "multi");
      await copy(src, "v1", dst, "v1");
      const { stdout } = await run([peer("skopeo"), "inspect", "--raw", `oci:${dir.path}:v1`]);
      expect(new TextEncoder().encode(stdout.trim())).toEqual(fixture.image.manifest.bytes);
      await expectSame(dst, [...fixture.image.all, fixture.index]);
    } finally {
      dir.remove();
    }
  });
});

describe("copy through an air-gap bundle", () => {
  test("memory → layout → tar → TarStore → layout keeps every digest, referrers included", async () => {
    const fixture = makeFixture();
    const src = await storeWith(fixture.items, fixture.tags);
    const dir = tempDir("idp-bundle-");
    try {
      const staging = await LayoutStore.open(join(dir.path, "staging"));
      await copy(src, "multi", staging, "multi", { referrers: true });
      const file = join(dir.path, "bundle.tar");
      await tar.create({ file, cwd: staging.path, portable: true }, ["."]);
      const bundle = await TarStore.open(file);
      const dst = await LayoutStore.open(join(dir.path, "imported"));
      await copy(bundle, "multi", dst, "multi", { referrers: true });
      await expectSame(dst, fixture.items.filter((x) => x !== fixture.empty));
      expect((await dst.referrers(fixture.image.manifest.desc)).map((d) => d.digest).sort()).toEqual([fixture.sbom.desc.digest, fixture.signature.desc.digest].sort());
    } finally {
      dir.remove();
    }
  });
});

describe("copy with referrers", () => {
  test("referrers, and referrers of referrers, come along only when asked", async () => {
    const fixture = makeFixture();
    const config = emptyConfig();
    const counterLayer = item("application/octet-stream", "counter");
    const countersign = manifestOf(config, [counterLayer], { subject: fixture.signature.desc, artifactType: "application/vnd.example.countersign" });
    const src = await storeWith([...fixture.items, config, counterLayer, countersign], fixture.tags);
    const plain = new MemoryStore();
    await copy(src, "multi", plain);
    expect(await plain.exists(fixture.sbom.desc)).toBe(false);
    const full = new MemoryStore();
    await copy(src, "multi", full, "multi", { referrers: true });
    for (const x of [fixture.sbom, fixture.signature, countersign]) expect(await full.exists(x.desc)).toBe(true);
    expect((await full.referrers(fixture.image.manifest.desc)).map((d) => d.digest).sort()).toEqual([fixture.sbom.desc.digest, fixture.signature.desc.digest].sort());
    expect((await full.referrers(fixture.signature.desc)).map((d) => d.digest)).toEqual([countersign.desc.digest]);
  });

  test("new referrers of a manifest inside an index the destination has are still copied", async () => {
    const fixture = makeFixture();
    const src = await storeWith(fixture.items, fixture.tags);
    const dst = await storeWith([...fixture.image.all, fixture.index]);
    const skipped: string[] = [];
    await copy(src, "multi", dst, "multi", { referrers: true, onSkipped: (d) => void skipped.push(d.digest) });
    expect(skipped).toContain(fixture.index.desc.digest);
    expect(await dst.exists(fixture.sbom.desc)).toBe(true);
    expect(await dst.exists(fixture.signature.desc)).toBe(true);
    const plain = await storeWith([...fixture.image.all, fixture.index]);
    await copy(src, "multi", plain, "multi");
    expect(await plain.exists(fixture.sbom.desc)).toBe(false);
  });

  test("new referrers of a manifest the destination has are still copied", async () => {
    const fixture = makeFixture();
    const src = await storeWith(fixture.items, fixture.tags);
    const dst = await storeWith(fixture.image.all);
    await copy(src, "v1", dst, "v1", { referrers: true });
    expect(await dst.exists(fixture.sbom.desc)).toBe(true);
    expect(await dst.exists(fixture.signature.desc)).toBe(true);
  });
});

/**
 * TEST STAND-IN for a registry that supports cross-repository mount: a memory store whose
 * `mount` links blobs from a sibling store standing for another repository of the registry.
 */
class MountingStore extends MemoryStore implements Mounter {
  readonly siblings: Map<string, MemoryStore>;
  mounts: string[] = [];
  constructor(siblings: Map<string, MemoryStore>) {
    super();
    this.siblings = siblings;
  }
  async mount(desc: Descriptor, fromRepository: string): Promise<boolean> {
    const sibling = this.siblings.get(fromRepository);
    if (!sibling || !(await sibling.exists(desc))) return false;
    await this.push(desc, await sibling.fetch(desc));
    this.mounts.push(desc.digest);
    return true;
  }
}

describe("copy with cross-repository mount", () => {
  test("blobs are mounted from the named repository, not read from the source", async () => {
    const image = makeImage();
    const srcStore = await storeWith(image.all, { v1: image.manifest.desc });
    const src = new FaultyTarget(srcStore);
    const dst = new MountingStore(new Map([["team/base", srcStore]]));
    const mounted: string[] = [];
    await copy(src, "v1", dst, "v1", { mountFrom: "team/base", onMounted: (d, from) => void mounted.push(`${from} ${d.digest}`) });
    const blobs = [image.config, ...image.layers].map((x) => x.desc.digest);
    expect(dst.mounts.sort()).toEqual([...blobs].sort());
    expect(mounted.sort()).toEqual(blobs.map((d) => `team/base ${d}`).sort());
    expect(src.fetched).toEqual([image.manifest.desc.digest]);
    await expectSame(dst, image.all);
  });

  test("a declined mount falls back to a normal copy; no mountFrom means no mount", async () => {
    const image = makeImage({ layerSize: 10 });
    const src = await storeWith(image.all, { v1: image.manifest.desc });
    const dst = new MountingStore(new Map());
    await copy(src, "v1", dst, "v1", { mountFrom: "elsewhere" });
    await expectSame(dst, image.all);
    const dst2 = new MountingStore(new Map([["team/base", src]]));
    await copy(src, "v1", dst2, "v1");
    expect(dst2.mounts).toEqual([]);
  });
});

describe("limiter", () => {
  test("never runs more than n at once, even as slots are handed over", async () => {
    const limit = limiter(3);
    let active = 0;
    let max = 0;
    await Promise.all(Array.from({ length: 30 }, (_, i) => limit(async () => {
      active++;
      max = Math.max(max, active);
      await Bun.sleep(i % 3);
      active--;
    })));
    expect(max).toBe(3);
    expect(() => limiter(0)).toThrow(RangeError);
  });
});
