import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DigestMismatchError, InvalidInputError, NotFoundError, UnsupportedError } from "../../src/errors/index.ts";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { MemoryStore } from "../../src/content/memory/index.ts";
import { copy } from "../../src/copy/index.ts";
import { tempDir } from "../helpers/idp.ts";
import { runTargetContract } from "./contract.ts";
import { bytesOf, failingAfter, indexOf, makeImage, randomBlob } from "./fixtures.ts";

runTargetContract("layout", async () => {
  const dir = tempDir("idp-layout-");
  return { target: await LayoutStore.open(dir.path), cleanup: async () => dir.remove() };
});

describe("layout store on disk", () => {
  let dir: { path: string; remove(): void };
  beforeEach(() => {
    dir = tempDir("idp-layout-");
  });
  afterEach(() => dir.remove());

  test("a new layout is written as content arrives: blobs/ with the first blob, marker and index with the first manifest", async () => {
    const target = join(dir.path, "new");
    const layout = await LayoutStore.open(target);
    expect(existsSync(target)).toBe(false);
    const image = makeImage();
    expect(await layout.exists(image.config.desc)).toBe(false);
    await expect(copy(new MemoryStore(), `sha256:${"0".repeat(64)}`, layout, "v1")).rejects.toThrow();
    expect(existsSync(target)).toBe(false);
    await layout.push(image.config.desc, image.config.bytes);
    expect(readdirSync(target)).toEqual(["blobs"]);
    for (const layer of image.layers) await layout.push(layer.desc, layer.bytes);
    await layout.push(image.manifest.desc, image.manifest.bytes);
    expect(JSON.parse(readFileSync(join(target, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    expect((await layout.index()).manifests.map((d) => d.digest)).toEqual([image.manifest.desc.digest]);
    expect(readdirSync(target).sort()).toEqual(["blobs", "index.json", "oci-layout"]);
    expect((await LayoutStore.open(target, { create: false })).path).toBe(target);
  });

  test("a layout opened over what an interrupted creation left (blobs/, no marker) is created as usual", async () => {
    mkdirSync(join(dir.path, "blobs", "sha256"), { recursive: true });
    const layout = await LayoutStore.open(dir.path);
    const image = makeImage();
    for (const item of image.all) await layout.push(item.desc, item.bytes);
    await layout.tag(image.manifest.desc, "v1");
    expect(JSON.parse(readFileSync(join(dir.path, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    expect((await layout.resolve("v1")).digest).toBe(image.manifest.desc.digest);
    expect(readdirSync(dir.path).sort()).toEqual(["blobs", "index.json", "oci-layout"]);
  });

  test("the temporary directory of earlier versions is swept and removed on open", async () => {
    const image = makeImage();
    const layout = await LayoutStore.open(dir.path);
    for (const item of image.all) await layout.push(item.desc, item.bytes);
    mkdirSync(join(dir.path, ".idp-ingest"));
    writeFileSync(join(dir.path, ".idp-ingest", "999999999-0a0b0c"), "left by a crash");
    await LayoutStore.open(dir.path);
    expect(readdirSync(dir.path).sort()).toEqual(["blobs", "index.json", "oci-layout"]);
  });

  test("open refuses a non-empty directory that is not a layout, and a missing one without create", async () => {
    writeFileSync(join(dir.path, "notes.txt"), "mine");
    await expect(LayoutStore.open(dir.path)).rejects.toBeInstanceOf(InvalidInputError);
    expect(readdirSync(dir.path)).toEqual(["notes.txt"]);
    await expect(LayoutStore.open(join(dir.path, "nope"), { create: false })).rejects.toBeInstanceOf(NotFoundError);
  });

  test("open refuses a layout version it does not know", async () => {
    writeFileSync(join(dir.path, "oci-layout"), JSON.stringify({ imageLayoutVersion: "2.0.0" }));
    await expect(LayoutStore.open(dir.path)).rejects.toBeInstanceOf(UnsupportedError);
  });

  test("index.json: tags carry ref.name, untagged pushes stay as roots, an index's children do not", async () => {
    const store = await LayoutStore.open(dir.path);
    const a = makeImage({ layerSize: 10 });
    const b = makeImage({ layerSize: 10 });
    for (const x of [...a.all, ...b.all]) await store.push(x.desc, x.bytes);
    expect((await store.index()).manifests.map((d) => d.digest)).toEqual([a.manifest.desc.digest, b.manifest.desc.digest]);
    const index = indexOf([a.manifest]);
    await store.push(index.desc, index.bytes);
    await store.tag(index.desc, "multi");
    const entries = (await store.index()).manifests;
    expect(entries.map((d) => [d.digest, d.annotations?.["org.opencontainers.image.ref.name"]])).toEqual([
      [b.manifest.desc.digest, undefined],
      [index.desc.digest, "multi"],
    ]);
  });

  test("moving a tag keeps the old manifest as an untagged root", async () => {
    const store = await LayoutStore.open(dir.path);
    const a = makeImage({ layerSize: 10 });
    const b = makeImage({ layerSize: 10 });
    for (const x of [...a.all, ...b.all]) await store.push(x.desc, x.bytes);
    await store.tag(a.manifest.desc, "latest");
    await store.tag(b.manifest.desc, "latest");
    const entries = (await store.index()).manifests;
    expect(entries.filter((d) => d.annotations?.["org.opencontainers.image.ref.name"] === "latest").map((d) => d.digest)).toEqual([b.manifest.desc.digest]);
    expect(entries.map((d) => d.digest)).toContain(a.manifest.desc.digest);
  });

  test("a failed push leaves no blob and no temporary file behind", async () => {
    const store = await LayoutStore.open(dir.path);
    const blob = randomBlob(300_000);
    await expect(store.push(blob.desc, failingAfter(blob.bytes, 100_000))).rejects.toThrow();
    await expect(store.push({ ...blob.desc, size: blob.desc.size - 1 }, blob.bytes)).rejects.toBeInstanceOf(DigestMismatchError);
    expect(readdirSync(join(dir.path, "blobs", "sha256"))).toEqual([]);
    expect(readdirSync(dir.path).filter((name) => name.startsWith(".idp-ingest"))).toEqual([]);
  });

  test("a process killed mid-push leaves nothing visible, and the next open sweeps its temporary file", async () => {
    await LayoutStore.open(dir.path);
    const child = Bun.spawn([process.execPath, "-e", crashingPush(dir.path)], { stdout: "pipe", stderr: "inherit" });
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("writing");
    child.kill("SIGKILL");
    await child.exited;
    const temporary = () => readdirSync(dir.path).filter((name) => name.startsWith(".idp-ingest"));
    expect(temporary()).toHaveLength(1);
    expect(readdirSync(join(dir.path, "blobs", "sha256"))).toEqual([]);
    const store = await LayoutStore.open(dir.path);
    expect(temporary()).toEqual([]);
    expect((await store.index()).manifests).toEqual([]);
  });

  test("resolve by digest finds a manifest index.json does not list", async () => {
    const store = await LayoutStore.open(dir.path);
    const a = makeImage({ layerSize: 10 });
    for (const x of a.all) await store.push(x.desc, x.bytes);
    writeFileSync(join(dir.path, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [] }));
    expect(await store.resolve(a.manifest.desc.digest)).toEqual(a.manifest.desc);
    await expect(store.resolve(a.layers[0]!.desc.digest)).rejects.toBeInstanceOf(NotFoundError);
  });

  test("a corrupt blob on disk fails fetch with DigestMismatchError", async () => {
    const store = await LayoutStore.open(dir.path);
    const blob = randomBlob(1000);
    await store.push(blob.desc, blob.bytes);
    const path = store.blobPath(blob.desc.digest);
    const bytes = readFileSync(path);
    bytes[500] = bytes[500]! ^ 0xff;
    writeFileSync(path, bytes);
    await expect(bytesOf(await store.fetch(blob.desc))).rejects.toBeInstanceOf(DigestMismatchError);
  });
});

/** A child process that opens the layout, announces it is writing, and streams forever. */
function crashingPush(path: string): string {
  return `
    const { LayoutStore } = await import(${JSON.stringify(join(import.meta.dir, "../../src/content/layout/index.ts"))});
    const store = await LayoutStore.open(${JSON.stringify(path)});
    let chunks = 0;
    const body = new ReadableStream({
      pull(controller) {
        controller.enqueue(new Uint8Array(1 << 20));
        if (++chunks === 3) process.stdout.write("writing\\n");
        return Bun.sleep(5);
      },
    });
    await store.push({ mediaType: "application/octet-stream", digest: "sha256:${"0".repeat(64)}", size: 2 ** 40 }, body);
  `;
}
