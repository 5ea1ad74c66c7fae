import { afterAll, describe, expect, test } from "bun:test";
import { NotFoundError } from "../../src/errors/index.ts";
import type { Driver } from "../../registry/storage/driver.ts";
import { FsDriver } from "../../registry/storage/fs.ts";
import { MemoryDriver } from "../../registry/storage/memory.ts";
import { tempDir } from "../helpers/idp.ts";

/**
 * One contract for every storage Driver: a new backend gets these tests by adding a line at
 * the bottom.
 */
function driverContract(name: string, make: () => { driver: Driver; cleanup(): void }) {
  describe(`Driver contract: ${name}`, () => {
    const { driver, cleanup } = make();
    afterAll(cleanup);
    const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

    test("put writes whole files, replaces atomically and changes the stamp", async () => {
      expect(await driver.stat("a/b/c.txt")).toBeUndefined();
      await driver.put("a/b/c.txt", "one");
      const first = await driver.stat("a/b/c.txt");
      expect(first?.size).toBe(3);
      expect(first?.links).toBe(1);
      expect(text(await driver.read("a/b/c.txt"))).toBe("one");
      await driver.put("a/b/c.txt", new TextEncoder().encode("second"));
      const second = await driver.stat("a/b/c.txt");
      expect(second?.size).toBe(6);
      expect(second?.stamp).not.toBe(first?.stamp);
      expect(text(await driver.read("a/b/c.txt"))).toBe("second");
    });

    test("create writes only when nothing is there", async () => {
      expect(await driver.create("c/new", "first")).toBe(true);
      expect(await driver.create("c/new", "second")).toBe(false);
      expect(text(await driver.read("c/new"))).toBe("first");
    });

    test("open returns a Blob of the content, sliceable for ranges", async () => {
      await driver.put("o/file", "0123456789");
      const blob = await driver.open("o/file");
      expect(blob?.size).toBe(10);
      expect(await blob!.slice(2, 5).text()).toBe("234");
      expect(await driver.open("o/missing")).toBeUndefined();
      expect(await driver.read("o/missing")).toBeUndefined();
    });

    test("append creates, appends across openings and reports the size", async () => {
      const w1 = await driver.append("up/x/data");
      expect(w1.size).toBe(0);
      w1.write(new TextEncoder().encode("abc"));
      w1.write(new TextEncoder().encode("def"));
      expect(w1.size).toBe(6);
      await w1.close();
      const w2 = await driver.append("up/x/data");
      expect(w2.size).toBe(6);
      w2.write(new TextEncoder().encode("g"));
      await w2.commit();
      expect(text(await driver.read("up/x/data"))).toBe("abcdefg");
      expect(() => w2.write(new Uint8Array(1))).toThrow();
    });

    test("link gives a second name, counts links, never replaces, and needs a source", async () => {
      await driver.put("l/src", "linked");
      expect(await driver.link("l/src", "l/deep/er/dst")).toBe(true);
      expect(text(await driver.read("l/deep/er/dst"))).toBe("linked");
      expect((await driver.stat("l/src"))?.links).toBe(2);
      await driver.put("l/other", "other");
      expect(await driver.link("l/other", "l/deep/er/dst")).toBe(false);
      expect(text(await driver.read("l/deep/er/dst"))).toBe("linked");
      await expect(driver.link("l/missing", "l/x")).rejects.toBeInstanceOf(NotFoundError);
      expect(await driver.remove("l/src")).toBe(true);
      expect((await driver.stat("l/deep/er/dst"))?.links).toBe(1);
      expect(text(await driver.read("l/deep/er/dst"))).toBe("linked");
    });

    test("list names direct children; missing directories are empty", async () => {
      await driver.put("ls/a", "1");
      await driver.put("ls/b/c", "2");
      expect((await driver.list("ls")).sort()).toEqual(["a", "b"]);
      expect(await driver.list("ls/none")).toEqual([]);
    });

    test("remove deletes files and whole trees and says whether anything was there", async () => {
      await driver.put("rm/t/1", "1");
      await driver.put("rm/t/2/3", "3");
      expect(await driver.remove("rm/t")).toBe(true);
      expect(await driver.stat("rm/t/2/3")).toBeUndefined();
      expect(await driver.list("rm")).toEqual([]);
      expect(await driver.remove("rm/t")).toBe(false);
    });

    test("touch renews changedMs (the gc grace window) without changing bytes or modifiedMs", async () => {
      await driver.put("t/file", "same");
      const before = (await driver.stat("t/file"))!;
      await Bun.sleep(20);
      expect(await driver.touch("t/file")).toBe(true);
      const after = (await driver.stat("t/file"))!;
      expect(after.changedMs).toBeGreaterThan(before.changedMs);
      expect(after.modifiedMs).toBe(before.modifiedMs);
      expect(text(await driver.read("t/file"))).toBe("same");
      expect(await driver.touch("t/missing")).toBe(false);
    });

    test("modifiedMs moves when the content is replaced", async () => {
      await driver.put("m/file", "one");
      const first = (await driver.stat("m/file"))!.modifiedMs;
      await Bun.sleep(20);
      await driver.put("m/file", "two");
      expect((await driver.stat("m/file"))!.modifiedMs).toBeGreaterThan(first);
    });

    test("paths with empty, . or .. segments are refused", async () => {
      for (const bad of ["../x", "a/../b", "a//b", "./a", "", "a/"]) {
        await expect(driver.stat(bad)).rejects.toThrow(/bad storage path/);
        await expect(driver.put(bad, "x")).rejects.toThrow(/bad storage path/);
      }
    });
  });
}

driverContract("filesystem", () => {
  const dir = tempDir("idp-driver-");
  return { driver: new FsDriver(dir.path), cleanup: dir.remove };
});
driverContract("memory", () => ({ driver: new MemoryDriver(), cleanup() {} }));

describe("FsDriver temporary files", () => {
  test("files left by a dead process are swept at start; a live process's stay", async () => {
    const dir = tempDir("idp-sweep-");
    try {
      const { mkdirSync, writeFileSync, readdirSync } = await import("node:fs");
      mkdirSync(`${dir.path}/tmp`);
      writeFileSync(`${dir.path}/tmp/999999999-1`, "dead");
      writeFileSync(`${dir.path}/tmp/1-1`, "init is alive");
      const removed = await new FsDriver(dir.path).sweepTemporaryFiles();
      expect(removed).toBe(1);
      expect(readdirSync(`${dir.path}/tmp`)).toEqual(["1-1"]);
    } finally {
      dir.remove();
    }
  });
});
