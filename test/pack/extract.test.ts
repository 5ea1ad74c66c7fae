import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { AlreadyExistsError, DigestMismatchError, InvalidInputError, SizeLimitError } from "../../src/errors/index.ts";
import { extract, packLayer } from "../../src/pack/index.ts";
import { failingAfter } from "../content/fixtures.ts";
import { tempDir } from "../helpers/idp.ts";

/** An entry of a hand-made tar: hostile archives are written byte by byte here. */
interface RawEntry {
  path: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link" | "CharacterDevice" | "BlockDevice" | "FIFO";
  linkpath?: string;
  body?: string | Uint8Array;
  mode?: number;
}

function tarOf(entries: RawEntry[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const body = typeof e.body === "string" ? new TextEncoder().encode(e.body) : (e.body ?? new Uint8Array(0));
    const block = Buffer.alloc(512);
    new Header({ path: e.path, type: e.type ?? "File", linkpath: e.linkpath ?? "", size: body.byteLength, mode: e.mode ?? 0o644, uid: 0, gid: 0, mtime: new Date(0) }).encode(block);
    blocks.push(block, body, new Uint8Array((512 - (body.byteLength % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return Buffer.concat(blocks);
}

function streamOf(bytes: Uint8Array, chunk = 4096): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

let dir: { path: string; remove(): void };
let out: string;
beforeEach(() => {
  dir = tempDir("idp-extract-");
  out = join(dir.path, "out");
});
afterEach(() => dir.remove());

/** Nothing was written: no output directory, no staging directory beside it. */
function expectNothingWritten(): void {
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(dir.path).filter((n) => n.includes("idp-extract"))).toEqual([]);
}

async function refused(entries: RawEntry[]): Promise<Error> {
  const error = await extract(streamOf(tarOf(entries)), out).then(() => undefined, (e: Error) => e);
  if (!error) throw new Error("the archive was extracted");
  expect(error.message).not.toContain("\n");
  expectNothingWritten();
  return error;
}

describe("extract refuses hostile archives, naming the entry", () => {
  test.each<[string, RawEntry[], string]>([
    ["an absolute path", [{ path: "/etc/cron.d/evil", body: "x" }], "absolute"],
    ["a '..' escape", [{ path: "../evil", body: "x" }], "'..'"],
    ["a '..' in the middle", [{ path: "a/../../evil", body: "x" }], "'..'"],
    ["an absolute symlink", [{ path: "link", type: "SymbolicLink", linkpath: "/etc" }], "absolute"],
    ["a symlink climbing out", [{ path: "a/link", type: "SymbolicLink", linkpath: "../../outside" }], "outside"],
    ["a symlink through '..' after a name", [{ path: "t", type: "SymbolicLink", linkpath: "." }, { path: "s", type: "SymbolicLink", linkpath: "t/.." }], "'..' after a name"],
    ["a file written through a symlink", [{ path: "d", type: "SymbolicLink", linkpath: "." }, { path: "d/x", body: "x" }], "symlink"],
    ["a hard link to an absolute path", [{ path: "h", type: "Link", linkpath: "/etc/passwd" }], "absolute"],
    ["a hard link climbing out", [{ path: "h", type: "Link", linkpath: "../x" }], "'..'"],
    ["a hard link to nothing extracted", [{ path: "h", type: "Link", linkpath: "missing" }], "not a file extracted before"],
    ["a hard link to a symlink", [{ path: "s", type: "SymbolicLink", linkpath: "x" }, { path: "h", type: "Link", linkpath: "s" }], "not a file"],
    ["a character device", [{ path: "null", type: "CharacterDevice" }], "device"],
    ["a block device", [{ path: "sda", type: "BlockDevice" }], "device"],
    ["a FIFO", [{ path: "pipe", type: "FIFO" }], "FIFO"],
    ["a duplicate file", [{ path: "a", body: "1" }, { path: "a", body: "2" }], "twice"],
    ["a file under a file", [{ path: "a", body: "1" }, { path: "a/b", body: "2" }], "is a file"],
  ])("%s", async (_, entries, word) => {
    const error = await refused([{ path: "ok.txt", body: "fine" }, ...entries]);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toContain("archive entry");
    expect(error.message).toContain(word);
  });

  test("an archive expanding past the size limit, checked from headers before writing", async () => {
    const error = await extract(streamOf(tarOf([{ path: "a", body: new Uint8Array(600) }, { path: "b", body: new Uint8Array(600) }])), out, { maxBytes: 1000 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(SizeLimitError);
    expect((error as Error).message).toContain('"b"');
    expectNothingWritten();
  });

  test("a gzip bomb stops at the limit with flat memory", async () => {
    const big = gzipSync(tarOf([{ path: "zeros", body: new Uint8Array(256 * 1024 * 1024) }]), { level: 9 });
    expect(big.byteLength).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().rss;
    const error = await extract(streamOf(big, 65536), out, { maxBytes: 64 * 1024 * 1024 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(SizeLimitError);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    expectNothingWritten();
  });

  test("too many entries", async () => {
    const error = await extract(streamOf(tarOf(Array.from({ length: 20 }, (_, i) => ({ path: `f${i}`, body: "x" })))), out, { maxEntries: 10 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(SizeLimitError);
    expectNothingWritten();
  });

  test("a corrupt header", async () => {
    const bytes = tarOf([{ path: "a", body: "x" }]);
    bytes[100] = 0x39;
    const error = await extract(streamOf(bytes), out).catch((e: Error) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expectNothingWritten();
  });

  test("a truncated archive", async () => {
    const bytes = tarOf([{ path: "a", body: new Uint8Array(100_000) }]).subarray(0, 50_000);
    const error = await extract(streamOf(bytes), out).catch((e: Error) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expectNothingWritten();
  });

  test("a stream that breaks mid-archive leaves nothing", async () => {
    const bytes = tarOf([{ path: "a", body: new Uint8Array(100_000) }, { path: "b", body: new Uint8Array(100_000) }]);
    await expect(extract(failingAfter(bytes, 150_000), out)).rejects.toThrow("connection reset");
    expectNothingWritten();
  });
});

describe("a compressed source that fails", () => {
  let out: string;
  let dir: { path: string; remove(): void };
  beforeEach(() => {
    dir = tempDir();
    out = join(dir.path, "out");
  });
  afterEach(() => dir.remove());

  // pipe() into the decompressor used to drop the source's error: it was thrown where nobody
  // listened (a crash with a stack trace after the command had already failed) and the
  // extraction waited for bytes that would not come.
  test("a gzip archive whose source fails mid-way (a digest mismatch) rejects with that error and leaves nothing", async () => {
    const tar = tarOf(Array.from({ length: 8 }, (_, i) => ({ path: `f${i}`, body: crypto.getRandomValues(new Uint8Array(60_000)) })));
    const gz = gzipSync(tar);
    const mismatch = new DigestMismatchError("content of sha256:… does not verify (test stand-in)");
    await expect(extract(failingAfter(gz, Math.floor(gz.byteLength / 2), mismatch), out)).rejects.toBe(mismatch);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir.path)).toEqual([]);
  });
});

describe("extract into an existing directory", () => {
  beforeEach(() => {
    mkdirSync(out);
    writeFileSync(join(out, "keep.txt"), "mine");
    writeFileSync(join(out, "a.txt"), "old");
  });

  test("refuses to overwrite an existing file, and moves nothing else in", async () => {
    const error = await extract(streamOf(tarOf([{ path: "new.txt", body: "new" }, { path: "a.txt", body: "new" }])), out).catch((e: Error) => e);
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect((error as Error).message).toContain('"a.txt"');
    expect(readdirSync(out).sort()).toEqual(["a.txt", "keep.txt"]);
    expect(readFileSync(join(out, "a.txt"), "utf8")).toBe("old");
  });

  test("overwrite: true replaces files and keeps the others", async () => {
    await extract(streamOf(tarOf([{ path: "a.txt", body: "new" }, { path: "sub/b.txt", body: "b" }])), out, { overwrite: true });
    expect(readFileSync(join(out, "a.txt"), "utf8")).toBe("new");
    expect(readFileSync(join(out, "keep.txt"), "utf8")).toBe("mine");
    expect(readFileSync(join(out, "sub/b.txt"), "utf8")).toBe("b");
  });

  test("never writes through a symlink that is already there, even with overwrite", async () => {
    const elsewhere = join(dir.path, "elsewhere");
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(out, "sub"));
    const error = await extract(streamOf(tarOf([{ path: "sub/evil.txt", body: "x" }])), out, { overwrite: true }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  test("never replaces a directory with a file", async () => {
    mkdirSync(join(out, "d"));
    writeFileSync(join(out, "d/inside"), "x");
    await expect(extract(streamOf(tarOf([{ path: "d", body: "x" }])), out, { overwrite: true })).rejects.toBeInstanceOf(InvalidInputError);
    expect(readFileSync(join(out, "d/inside"), "utf8")).toBe("x");
  });
});

describe("extract round-trips what pack writes", () => {
  test("files, modes, empty directories, symlinks and hard links", async () => {
    const src = join(dir.path, "src");
    mkdirSync(join(src, "bin"), { recursive: true });
    mkdirSync(join(src, "empty"));
    writeFileSync(join(src, "bin/tool"), "#!/bin/sh\n", { mode: 0o755 });
    writeFileSync(join(src, "readme.md"), "hello");
    symlinkSync("bin/tool", join(src, "tool"));
    const { stream } = packLayer([{ path: src, name: "." }]);
    const result = await extract(stream, out);
    expect(result).toEqual({ files: 2, bytes: 15 });
    expect(readFileSync(join(out, "readme.md"), "utf8")).toBe("hello");
    expect(lstatSync(join(out, "bin/tool")).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(out, "readme.md")).mode & 0o777).toBe(0o644);
    expect(readlinkSync(join(out, "tool"))).toBe("bin/tool");
    expect(lstatSync(join(out, "empty")).isDirectory()).toBe(true);
    expectStaging();

    const linked = join(dir.path, "linked");
    await extract(streamOf(tarOf([{ path: "a", body: "same" }, { path: "b", type: "Link", linkpath: "a" }])), linked);
    expect(lstatSync(join(linked, "b")).ino).toBe(lstatSync(join(linked, "a")).ino);
  });

  test("an uncompressed tar extracts too, with setuid bits dropped", async () => {
    await extract(streamOf(tarOf([{ path: "x", body: "x", mode: 0o4755 }])), out);
    expect(lstatSync(join(out, "x")).mode & 0o7777).toBe(0o755);
  });
});

function expectStaging(): void {
  expect(readdirSync(dirname(out)).filter((n) => n.includes("idp-extract"))).toEqual([]);
}
