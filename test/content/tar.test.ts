import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tar from "tar";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { TarStore } from "../../src/content/tar/index.ts";
import { indexTar } from "../../src/content/tar/entries.ts";
import { fetchManifest } from "../../src/content/successors.ts";
import { InvalidInputError, NotFoundError } from "../../src/errors/index.ts";
import { tempDir } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { runReadOnlyTargetContract } from "./contract.ts";
import { bytesOf, makeFixture, type Fixture } from "./fixtures.ts";

/** Writes the fixture into a layout at `dir/layout` and returns it. */
async function layoutOf(fixture: Fixture, dir: string): Promise<string> {
  const path = join(dir, "layout");
  const store = await LayoutStore.open(path);
  for (const { desc, bytes } of fixture.items) await store.push(desc, bytes);
  for (const [tag, desc] of Object.entries(fixture.tags)) await store.tag(desc, tag);
  return path;
}

runReadOnlyTargetContract("tar (node-tar, portable)", async (fixture) => {
  const dir = tempDir("idp-tar-");
  const layout = await layoutOf(fixture, dir.path);
  const file = join(dir.path, "bundle.tar");
  await tar.create({ file, cwd: layout, portable: true }, ["."]);
  return { target: await TarStore.open(file), cleanup: async () => dir.remove() };
});

for (const format of ["gnu", "pax", "ustar"]) {
  runReadOnlyTargetContract(`tar (GNU tar --format=${format}, layout in a sub-directory)`, async (fixture) => {
    const dir = tempDir("idp-tar-");
    await layoutOf(fixture, dir.path);
    const file = join(dir.path, "bundle.tar");
    await run(["tar", `--format=${format}`, "-cf", file, "-C", dir.path, "layout"]);
    return { target: await TarStore.open(file), cleanup: async () => dir.remove() };
  });
}

describe("tar store", () => {
  let dir: { path: string; remove(): void };
  beforeAll(() => {
    dir = tempDir("idp-tar-");
  });
  afterAll(() => dir.remove());

  test("reads what skopeo copy … oci-archive: writes", async () => {
    const fixture = makeFixture();
    const layout = await layoutOf(fixture, dir.path);
    const archive = join(dir.path, "skopeo.tar");
    await run([peer("skopeo"), "copy", "--quiet", "--preserve-digests", `oci:${layout}:v1`, `oci-archive:${archive}:shipped`]);
    const store = await TarStore.open(archive);
    const desc = await store.resolve("shipped");
    expect(desc.digest).toBe(fixture.image.manifest.desc.digest);
    const { info } = await fetchManifest(store, desc);
    for (const blob of info.blobs) {
      const original = fixture.items.find((x) => x.desc.digest === blob.digest)!;
      expect(await bytesOf(await store.fetch(blob))).toEqual(original.bytes);
    }
  });

  test("indexes long names from GNU and pax tars, and hard links", async () => {
    const src = join(dir.path, "names");
    const long = `${"d".repeat(120)}/${"f".repeat(150)}`;
    mkdirSync(join(src, "d".repeat(120)), { recursive: true });
    writeFileSync(join(src, long), "long name");
    await run(["ln", join(src, long), join(src, "hard")]);
    for (const format of ["gnu", "pax"]) {
      const file = join(dir.path, `names-${format}.tar`);
      await run(["tar", `--format=${format}`, "-cf", file, "-C", src, "."]);
      const entries = await indexTar(file);
      const entry = entries.get(long);
      expect(entry?.size).toBe(9);
      expect(entries.get("hard")).toEqual(entry!);
      expect(await Bun.file(file).slice(entry!.offset, entry!.offset + entry!.size).text()).toBe("long name");
    }
  });

  test("a tar without a layout, and a corrupt tar, are refused with InvalidInputError", async () => {
    const plain = join(dir.path, "plain.tar");
    writeFileSync(join(dir.path, "x.txt"), "x");
    await run(["tar", "-cf", plain, "-C", dir.path, "x.txt"]);
    await expect(TarStore.open(plain)).rejects.toBeInstanceOf(InvalidInputError);
    const corrupt = join(dir.path, "corrupt.tar");
    const bytes = new Uint8Array(await Bun.file(plain).arrayBuffer());
    bytes[150] = bytes[150]! ^ 0x55;
    writeFileSync(corrupt, bytes);
    await expect(TarStore.open(corrupt)).rejects.toBeInstanceOf(InvalidInputError);
    const truncated = join(dir.path, "truncated.tar");
    writeFileSync(join(dir.path, "big.bin"), new Uint8Array(5000));
    await run(["tar", "-cf", truncated, "-C", dir.path, "big.bin"]);
    writeFileSync(truncated, new Uint8Array(await Bun.file(truncated).arrayBuffer()).subarray(0, 2048));
    await expect(TarStore.open(truncated)).rejects.toBeInstanceOf(InvalidInputError);
  });

  test("is read-only: it has no push, tag or delete", async () => {
    const fixture = makeFixture();
    const layout = await layoutOf(fixture, join(dir.path, "ro"));
    const file = join(dir.path, "ro.tar");
    await tar.create({ file, cwd: layout }, ["."]);
    const store = await TarStore.open(file);
    expect("push" in store || "tag" in store || "delete" in store).toBe(false);
    await expect(store.resolve("nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("indexTar on a tar cut between two entries", () => {
  test("a tar without its end-of-archive marker is reported truncated, not read as a shorter archive", async () => {
    const dir = tempDir("idp-tar-cut-");
    try {
      writeFileSync(join(dir.path, "a.txt"), "a".repeat(100));
      writeFileSync(join(dir.path, "b.txt"), "b".repeat(100));
      const file = join(dir.path, "x.tar");
      await run(["tar", "-cf", file, "-C", dir.path, "a.txt", "b.txt"]);
      expect([...(await indexTar(file)).keys()].sort()).toEqual(["a.txt", "b.txt"]);
      const { truncateSync } = await import("node:fs");
      truncateSync(file, 1024); // exactly after a.txt's header and data block
      await expect(indexTar(file)).rejects.toThrow(/is truncated: it ends at byte 1024 without the end-of-archive marker/);
      await expect(indexTar(file)).rejects.toBeInstanceOf(InvalidInputError);
    } finally {
      dir.remove();
    }
  });
});
