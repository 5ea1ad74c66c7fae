import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { MemoryStore } from "../../src/content/memory/index.ts";
import { copy } from "../../src/copy/index.ts";
import { CopyError, DigestMismatchError, NotFoundError } from "../../src/errors/index.ts";
import { bytesOf, makeImage } from "../content/fixtures.ts";
import { tempDir } from "../helpers/idp.ts";
import { FaultyTarget } from "./faulty.ts";

/** Faults mid-copy (injected by the FaultyTarget test stand-in) into a real layout on disk. */
describe("copy under faults", () => {
  let dir: { path: string; remove(): void };
  beforeEach(() => {
    dir = tempDir("idp-faults-");
  });
  afterEach(() => dir.remove());

  async function setup() {
    const image = makeImage({ layerSize: 2_000_000 });
    const store = new MemoryStore();
    for (const x of image.all) await store.push(x.desc, x.bytes);
    await store.tag(image.manifest.desc, "v1");
    return { image, src: new FaultyTarget(store), dst: await LayoutStore.open(dir.path) };
  }

  /** Nothing of the failed blob or of the manifest is visible; no temporary files remain. */
  async function expectNothingPartial(dst: LayoutStore, image: ReturnType<typeof makeImage>): Promise<void> {
    expect(await dst.exists(image.layers[0]!.desc)).toBe(false);
    expect(await dst.exists(image.manifest.desc)).toBe(false);
    await expect(dst.resolve("v1")).rejects.toBeInstanceOf(NotFoundError);
    expect((await dst.index()).manifests).toEqual([]);
    expect(readdirSync(dir.path).filter((name) => name.startsWith(".idp-ingest"))).toEqual([]);
  }

  test("a source that drops mid-stream: CopyError on the source side, nothing partial, a re-run completes", async () => {
    const { image, src, dst } = await setup();
    src.breakFetch = { digest: image.layers[0]!.desc.digest, afterBytes: 700_000 };
    const error = await copy(src, "v1", dst, "v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyError);
    expect((error as CopyError).side).toBe("source");
    expect((error as CopyError).descriptor.digest).toBe(image.layers[0]!.desc.digest);
    expect(((error as CopyError).cause as Error).message).toContain("connection reset");
    expect((error as Error).message).not.toContain("\n");
    await expectNothingPartial(dst, image);

    src.breakFetch = undefined;
    const skipped: string[] = [];
    const copied: string[] = [];
    await copy(src, "v1", dst, "v1", { onSkipped: (d) => void skipped.push(d.digest), postCopy: (d) => void copied.push(d.digest) });
    expect(copied).toContain(image.layers[0]!.desc.digest);
    expect(copied).toContain(image.manifest.desc.digest);
    expect(skipped.length + copied.length).toBe(image.all.length);
    for (const x of image.all) expect(await bytesOf(await dst.fetch(x.desc))).toEqual(x.bytes);
    expect((await dst.resolve("v1")).digest).toBe(image.manifest.desc.digest);
  });

  test("a source that serves corrupt bytes: CopyError on the source side with DigestMismatchError", async () => {
    const { image, src, dst } = await setup();
    src.corruptFetch = image.layers[0]!.desc.digest;
    const error = await copy(src, "v1", dst, "v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyError);
    expect((error as CopyError).side).toBe("source");
    expect((error as CopyError).cause).toBeInstanceOf(DigestMismatchError);
    await expectNothingPartial(dst, image);
  });

  test("a destination that fails to write: CopyError on the destination side", async () => {
    const { image, src } = await setup();
    const dst = new FaultyTarget(await LayoutStore.open(dir.path));
    dst.breakPush = image.layers[0]!.desc.digest;
    const error = await copy(src, "v1", dst, "v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyError);
    expect((error as CopyError).side).toBe("destination");
    expect((error as Error).message).toContain(image.layers[0]!.desc.digest);
    await expectNothingPartial(dst.inner as LayoutStore, image);
  });

  test("a source missing a blob: CopyError on the source side with NotFoundError", async () => {
    const image = makeImage({ layerSize: 10 });
    const src = new MemoryStore();
    for (const x of [image.config, image.manifest]) await src.push(x.desc, x.bytes);
    await src.tag(image.manifest.desc, "v1");
    const error = await copy(src, "v1", await LayoutStore.open(dir.path), "v1").catch((e: unknown) => e);
    expect((error as CopyError).side).toBe("source");
    expect((error as CopyError).cause).toBeInstanceOf(NotFoundError);
  });

  test("an abort mid-copy rejects with the reason and leaves nothing partial", async () => {
    const { image, src, dst } = await setup();
    src.delayMs = 30;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user pressed ^C")), 10);
    await expect(copy(src, "v1", dst, "v1", { signal: controller.signal })).rejects.toThrow("user pressed ^C");
    await expectNothingPartial(dst, image);
  });
});
