import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, cpSync, linkSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { InvalidInputError } from "../../src/errors/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { packLayer, packLayerToFile, type PackSource } from "../../src/pack/index.ts";
import { tempDir } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";

let dir: { path: string; remove(): void };
beforeAll(() => {
  dir = tempDir("idp-pack-");
});
afterAll(() => dir.remove());

/** A small tree with every kind of entry packing keeps. */
function makeTree(root: string, variant: { time: number; owner: number; reversed?: boolean; hardlink?: boolean }): string {
  const names = ["b.txt", "a.txt", "sub/deep/file.bin", "run.sh", "é-unicode.txt", `${"long-".repeat(30)}/name.txt`];
  mkdirSync(join(root, "sub/deep"), { recursive: true });
  mkdirSync(join(root, "empty"));
  mkdirSync(join(root, `${"long-".repeat(30)}`));
  for (const name of variant.reversed ? [...names].reverse() : names) writeFileSync(join(root, name), `content of ${name}\n`.repeat(50));
  chmodSync(join(root, "run.sh"), 0o700);
  chmodSync(join(root, "b.txt"), 0o600);
  symlinkSync("../a.txt", join(root, "sub/link"));
  if (variant.hardlink) linkSync(join(root, "a.txt"), join(root, "sub/hard.txt"));
  else writeFileSync(join(root, "sub/hard.txt"), readFileSync(join(root, "a.txt")));
  for (const name of [...names, "sub", "sub/deep", "empty", "."]) {
    utimesSync(join(root, name), variant.time, variant.time);
    if (process.getuid?.() === 0) chownSync(join(root, name), variant.owner, variant.owner);
  }
  return root;
}

async function bytesOfPack(sources: PackSource[], options = {}): Promise<Uint8Array> {
  const { stream, done } = packLayer(sources, options);
  const bytes = new Uint8Array(await Bun.readableStreamToArrayBuffer(stream));
  await done;
  return bytes;
}

/** The headers of a (gzipped) tar, as node-tar reads them. */
async function headers(gz: Uint8Array): Promise<ReadEntry[]> {
  const entries: ReadEntry[] = [];
  const parser = new Parser({ strict: true });
  parser.on("entry", (entry: ReadEntry) => {
    entries.push(entry);
    entry.resume();
  });
  await new Promise<void>((resolve, reject) => {
    parser.on("end", resolve);
    parser.on("error", reject);
    parser.end(gunzipSync(gz));
  });
  return entries;
}

describe("packLayer: reproducible", () => {
  test("the same tree packs to the same bytes, whatever its times, owners, creation order and hard links", async () => {
    const one = makeTree(join(dir.path, "one"), { time: 1_000_000, owner: 1000 });
    const two = makeTree(join(dir.path, "two"), { time: 1_700_000_000, owner: 4242, reversed: true, hardlink: true });
    const a = await bytesOfPack([{ path: one, name: "." }]);
    const b = await bytesOfPack([{ path: two, name: "." }]);
    const again = await bytesOfPack([{ path: one, name: "." }]);
    expect(digestOf(a)).toBe(digestOf(b));
    expect(digestOf(a)).toBe(digestOf(again));
    const changed = join(dir.path, "changed");
    cpSync(one, changed, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(changed, "a.txt"), "different");
    expect(digestOf(await bytesOfPack([{ path: changed, name: "." }]))).not.toBe(digestOf(a));
  });

  test("entries are sorted, owned by 0:0 without names, dated SOURCE_DATE_EPOCH or 0, with normalised modes", async () => {
    const tree = makeTree(join(dir.path, "meta"), { time: 1_600_000_000, owner: 1234 });
    const entries = await headers(await bytesOfPack([{ path: tree, name: "." }]));
    const names = entries.map((e) => e.path);
    expect(names).toEqual([
      "a.txt", "b.txt", "empty/", `${"long-".repeat(30)}/`, `${"long-".repeat(30)}/name.txt`, "run.sh",
      "sub/", "sub/deep/", "sub/deep/file.bin", "sub/hard.txt", "sub/link", "é-unicode.txt",
    ]);
    for (const e of entries) {
      expect([e.uid, e.gid, e.uname ?? "", e.gname ?? ""]).toEqual([0, 0, "", ""]);
      expect(e.mtime?.getTime()).toBe(0);
    }
    const mode = (name: string) => entries.find((e) => e.path === name)!.mode! & 0o7777;
    expect([mode("a.txt"), mode("b.txt"), mode("run.sh"), mode("sub/"), mode("sub/link")]).toEqual([0o644, 0o644, 0o755, 0o755, 0o777]);
    const link = entries.find((e) => e.path === "sub/link")!;
    expect([link.type, link.linkpath]).toEqual(["SymbolicLink", "../a.txt"]);
    expect(entries.find((e) => e.path === "sub/hard.txt")!.type).toBe("File");

    const dated = await headers(await bytesOfPack([{ path: tree, name: "." }], { sourceDateEpoch: 1_700_000_000 }));
    expect(dated.every((e) => e.mtime?.getTime() === 1_700_000_000_000)).toBe(true);
  });

  test("SOURCE_DATE_EPOCH from the environment is used, and a bad one refused", async () => {
    const tree = join(dir.path, "epoch");
    mkdirSync(tree);
    writeFileSync(join(tree, "x"), "x");
    const saved = process.env.SOURCE_DATE_EPOCH;
    try {
      process.env.SOURCE_DATE_EPOCH = "1234567890";
      expect((await headers(await bytesOfPack([{ path: tree, name: "." }])))[0]!.mtime?.getTime()).toBe(1_234_567_890_000);
      process.env.SOURCE_DATE_EPOCH = "yesterday";
      expect(() => packLayer([{ path: tree, name: "." }])).toThrow(InvalidInputError);
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = saved;
    }
  });

  test("the gzip header has mtime 0 and OS byte 255; digest, size and diffId describe the bytes", async () => {
    const tree = makeTree(join(dir.path, "gz"), { time: 5, owner: 0 });
    const file = join(dir.path, "gz.tgz");
    const layer = await packLayerToFile([{ path: tree, name: "." }], file);
    const bytes = new Uint8Array(readFileSync(file));
    expect([...bytes.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
    expect([...bytes.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(bytes[9]).toBe(255);
    expect(layer.digest).toBe(digestOf(bytes));
    expect(layer.size).toBe(bytes.byteLength);
    expect(layer.diffId).toBe(digestOf(gunzipSync(bytes)));
    expect(layer.uncompressedSize).toBe(gunzipSync(bytes).byteLength);
    expect(layer.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
  });

  test("GNU tar (a real peer) lists and extracts what idp packs", async () => {
    const tree = makeTree(join(dir.path, "gnu"), { time: 5, owner: 0 });
    const file = join(dir.path, "gnu.tgz");
    await packLayerToFile([{ path: tree, name: "site" }, { path: join(tree, "a.txt"), name: "extra/a.txt" }], file);
    const { stdout } = await run(["tar", "-tzf", file]);
    expect(stdout.split("\n")).toContain(`site/${"long-".repeat(30)}/name.txt`);
    expect(stdout.split("\n")).toContain("extra/a.txt");
    const out = join(dir.path, "gnu-out");
    mkdirSync(out);
    await run(["tar", "-xzf", file, "-C", out]);
    expect(readFileSync(join(out, "site/sub/link"), "utf8")).toBe(readFileSync(join(tree, "a.txt"), "utf8"));
  });
});

describe("packLayer: refuses what a layer cannot hold", () => {
  test.each([
    ["an absolute symlink", (root: string) => symlinkSync("/etc/passwd", join(root, "abs")), "absolute"],
    ["a symlink leaving the tree", (root: string) => symlinkSync("../../outside", join(root, "up")), "outside"],
    ["a symlink with '..' after a name", (root: string) => symlinkSync("sub/../..", join(root, "tricky")), "'..' after a name"],
  ])("%s", async (_, make, word) => {
    const root = join(dir.path, `bad-${Math.random()}`);
    mkdirSync(join(root, "sub"), { recursive: true });
    make(root);
    const error = await bytesOfPack([{ path: root, name: "." }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain(word);
  });

  test("a FIFO", async () => {
    const root = join(dir.path, "fifo");
    mkdirSync(root);
    await run(["mkfifo", join(root, "pipe")]);
    const error = await bytesOfPack([{ path: root, name: "." }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain("FIFO");
  });

  test("sources whose archive paths overlap", async () => {
    const root = join(dir.path, "overlap");
    mkdirSync(join(root, "x"), { recursive: true });
    await expect(bytesOfPack([{ path: root, name: "a" }, { path: join(root, "x"), name: "a/x" }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(bytesOfPack([{ path: root, name: "a" }, { path: join(root, "x"), name: "a" }])).rejects.toBeInstanceOf(InvalidInputError);
  });
});
