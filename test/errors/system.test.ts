import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeSystemError } from "../../src/errors/system.ts";
import { tempDir } from "../helpers/idp.ts";

/** Real errors from the file system (made here, not constructed), said as one line each. */
describe("file-system errors", () => {
  const caught = (act: () => void): unknown => {
    try {
      act();
    } catch (error) {
      return error;
    }
    throw new Error("expected a failure");
  };

  test("a write under a file names the path and the reason", () => {
    const dir = tempDir().path;
    writeFileSync(join(dir, "file"), "x");
    const said = describeSystemError(caught(() => writeFileSync(join(dir, "file", "out.txt"), "y")));
    expect(said?.message).toBe(`cannot open ${join(dir, "file", "out.txt")}: a part of the path is a file, not a directory (ENOTDIR)`);
    expect(said?.hint).toBeUndefined();
  });

  test("a rename is reported by its destination, with the cache hint inside the cache", () => {
    const cache = tempDir().path;
    mkdirSync(join(cache, "blobs"));
    writeFileSync(join(cache, "blobs", "sha256"), "not a directory");
    writeFileSync(join(cache, ".tmp"), "x");
    const said = describeSystemError(caught(() => renameSync(join(cache, ".tmp"), join(cache, "blobs", "sha256", "abc"))), cache);
    expect(said?.message).toStartWith(`cannot write ${join(cache, "blobs", "sha256", "abc")}: `);
    expect(said?.hint).toContain("IDP_OCI_CACHE_DIR");
  });

  test("a missing file to read", () => {
    const dir = tempDir().path;
    const said = describeSystemError(caught(() => readFileSync(join(dir, "nope"))));
    expect(said?.message).toBe(`cannot open ${join(dir, "nope")}: no such file or directory (ENOENT)`);
  });

  test("anything else is not a file-system error", () => {
    expect(describeSystemError(new Error("boom"))).toBeUndefined();
    expect(describeSystemError({ code: "ECONNRESET" })).toBeUndefined();
  });
});
