import { describe, expect, test } from "bun:test";
import { canDelete, canFetchFile, canListReferrers, canListTags, type ReadOnlyTarget, type Target } from "../../src/content/types.ts";
import { DigestMismatchError, IdpError, NotFoundError } from "../../src/errors/index.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";
import { SBOM_TYPE, SIGNATURE_TYPE, bytesOf, chunked, collect, failingAfter, item, makeFixture, makeImage, randomBlob, type Fixture, type Item } from "./fixtures.ts";

/**
 * The contract every Target keeps (src/content/types.ts), written once and run against each
 * implementation: memory, layout, tar (read-only), remote. A new store gets these tests by
 * calling `runTargetContract` from its own test file.
 *
 * @example
 * runTargetContract("layout", async () => {
 *   const dir = tempDir();
 *   return { target: await LayoutStore.open(dir.path), cleanup: async () => dir.remove() };
 * });
 */

export interface Made<T> {
  target: T;
  cleanup(): Promise<void>;
}

/** Optional capabilities a store claims; each claimed one is tested, and must exist. */
export interface ContractOptions {
  tags?: boolean;
  referrers?: boolean;
  delete?: boolean;
  /** Per-test timeout, ms (remote stores may need more than the default 5 s). */
  timeout?: number;
}

/** Runs the full read-write contract against fresh targets from `factory`. */
export function runTargetContract(name: string, factory: () => Promise<Made<Target>>, options: ContractOptions = {}): void {
  const caps = { tags: true, referrers: true, delete: true, ...options };
  const it = (title: string, body: (target: Target) => Promise<void>) =>
    test(title, async () => {
      const made = await factory();
      try {
        await body(made.target);
      } finally {
        await made.cleanup();
      }
    }, options.timeout);

  describe(`Target contract: ${name}`, () => {
    runReadOnlyTargetContract(name, async (fixture) => {
      const made = await factory();
      for (const { desc, bytes } of fixture.items) await made.target.push(desc, bytes);
      for (const [tag, desc] of Object.entries(fixture.tags)) await made.target.tag(desc, tag);
      return made;
    }, options);

    it("push then fetch round-trips bytes, from a stream and from memory", async (target) => {
      const a = randomBlob(200_000);
      const b = randomBlob(10);
      await target.push(a.desc, chunked(a.bytes, 7_000));
      await target.push(b.desc, b.bytes);
      expect(await target.exists(a.desc)).toBe(true);
      expect(await bytesOf(await target.fetch(a.desc))).toEqual(a.bytes);
      expect(await bytesOf(await target.fetch(b.desc))).toEqual(b.bytes);
    });

    it("push reports progress up to the size", async (target) => {
      const a = randomBlob(150_000);
      const seen: number[] = [];
      await target.push(a.desc, chunked(a.bytes), { onProgress: (n) => seen.push(n) });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.at(-1)).toBe(a.desc.size);
    });

    it("a body with the wrong digest fails with DigestMismatchError and leaves nothing", async (target) => {
      const a = randomBlob(5000);
      const wrong: Descriptor = { ...a.desc, digest: randomBlob(5000).desc.digest };
      await expect(target.push(wrong, chunked(a.bytes, 1000))).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await target.exists(wrong)).toBe(false);
      expect(await target.exists(a.desc)).toBe(false);
      await expect(target.fetch(wrong)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("a body shorter or longer than its size fails and leaves nothing", async (target) => {
      const a = randomBlob(5000);
      await expect(target.push({ ...a.desc, size: 5001 }, a.bytes)).rejects.toBeInstanceOf(DigestMismatchError);
      await expect(target.push({ ...a.desc, size: 4999 }, chunked(a.bytes, 1000))).rejects.toBeInstanceOf(DigestMismatchError);
      const longer = new Uint8Array(5001);
      longer.set(a.bytes);
      await expect(target.push(a.desc, longer)).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await target.exists(a.desc)).toBe(false);
    });

    it("a body its source verifies (push `verified`) is still held to its size, and a break leaves nothing", async (target) => {
      // `verified` lets a store skip hashing (copy sets it for registry downloads, which error
      // before they end on a mismatch); sizes are always checked.
      const a = randomBlob(5000);
      await expect(target.push({ ...a.desc, size: 5001 }, chunked(a.bytes, 1000), { verified: true })).rejects.toBeInstanceOf(DigestMismatchError);
      const longer = new Uint8Array(5001);
      longer.set(a.bytes);
      await expect(target.push(a.desc, chunked(longer, 1000), { verified: true })).rejects.toBeInstanceOf(DigestMismatchError);
      await expect(target.push(a.desc, failingAfter(a.bytes, 3000), { verified: true })).rejects.toThrow();
      expect(await target.exists(a.desc)).toBe(false);
      await target.push(a.desc, chunked(a.bytes, 1000), { verified: true });
      expect(await bytesOf(await target.fetch(a.desc))).toEqual(a.bytes);
    });

    it("a body that breaks mid-stream fails and leaves nothing", async (target) => {
      const a = randomBlob(100_000);
      await expect(target.push(a.desc, failingAfter(a.bytes, 40_000))).rejects.toThrow();
      expect(await target.exists(a.desc)).toBe(false);
      await target.push(a.desc, a.bytes);
      expect(await bytesOf(await target.fetch(a.desc))).toEqual(a.bytes);
    });

    it("pushing existing content again succeeds and changes nothing", async (target) => {
      const a = randomBlob(3000);
      await target.push(a.desc, a.bytes);
      await target.push(a.desc, chunked(a.bytes));
      await Promise.all([target.push(a.desc, a.bytes), target.push(a.desc, a.bytes)]);
      expect(await bytesOf(await target.fetch(a.desc))).toEqual(a.bytes);
    });

    it("concurrent pushes of the same new blob both succeed", async (target) => {
      const a = randomBlob(120_000);
      await Promise.all([target.push(a.desc, chunked(a.bytes, 10_000)), target.push(a.desc, chunked(a.bytes, 30_000))]);
      expect(await bytesOf(await target.fetch(a.desc))).toEqual(a.bytes);
    });

    it("a manifest can be tagged, retagged and resolved", async (target) => {
      const one = makeImage({ layerSize: 100 });
      const two = makeImage({ layerSize: 100 });
      for (const x of [...one.all, ...two.all]) await target.push(x.desc, x.bytes);
      await target.tag(one.manifest.desc, "stable");
      expect(await target.resolve("stable")).toMatchObject(one.manifest.desc);
      await target.tag(two.manifest.desc, "stable");
      expect(await target.resolve("stable")).toMatchObject(two.manifest.desc);
      expect(await target.resolve(one.manifest.desc.digest)).toMatchObject(one.manifest.desc);
    });

    it("tagging content that is not there is NotFoundError", async (target) => {
      const one = makeImage({ layerSize: 100 });
      await expect(target.tag(one.manifest.desc, "v1")).rejects.toBeInstanceOf(NotFoundError);
      await expect(target.resolve("v1")).rejects.toBeInstanceOf(NotFoundError);
    });

    it("an invalid manifest is refused and not stored", async (target) => {
      const bad = item("application/vnd.oci.image.manifest.v1+json", JSON.stringify({ schemaVersion: 2, layers: "nope" }));
      await expect(target.push(bad.desc, bad.bytes)).rejects.toBeInstanceOf(IdpError);
      expect(await target.exists(bad.desc)).toBe(false);
    });

    if (caps.tags) {
      it("tags lists every tag in order, after `last`", async (target) => {
        expect(canListTags(target)).toBe(true);
        if (!canListTags(target)) return;
        const one = makeImage({ layerSize: 10 });
        for (const x of one.all) await target.push(x.desc, x.bytes);
        for (const t of ["b", "a", "c", "a"]) await target.tag(one.manifest.desc, t);
        expect(await collect(target.tags())).toEqual(["a", "b", "c"]);
        expect(await collect(target.tags({ last: "a" }))).toEqual(["b", "c"]);
      });
    }

    if (caps.referrers) {
      it("referrers appear as they are pushed, with artifact type and annotations", async (target) => {
        expect(canListReferrers(target)).toBe(true);
        if (!canListReferrers(target)) return;
        const fx = makeFixture();
        for (const x of fx.image.all) await target.push(x.desc, x.bytes);
        expect(await target.referrers(fx.image.manifest.desc)).toEqual([]);
        for (const x of [fx.items.find((i) => i.desc.mediaType === "application/vnd.oci.empty.v1+json")!, ...fx.items.filter((i) => i.desc.mediaType === "application/json"), fx.sbom]) {
          await target.push(x.desc, x.bytes);
        }
        const found = await target.referrers(fx.image.manifest.desc);
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({ ...fx.sbom.desc, artifactType: SBOM_TYPE, annotations: { "org.example.kind": "sbom" } });
      });
    }

    if (caps.delete) {
      it("delete removes a manifest with its tags, and a blob; missing is NotFoundError", async (target) => {
        expect(canDelete(target)).toBe(true);
        if (!canDelete(target)) return;
        const one = makeImage({ layerSize: 10 });
        for (const x of one.all) await target.push(x.desc, x.bytes);
        await target.tag(one.manifest.desc, "gone");
        await target.delete(one.manifest.desc);
        await expect(target.resolve("gone")).rejects.toBeInstanceOf(NotFoundError);
        await expect(target.resolve(one.manifest.desc.digest)).rejects.toBeInstanceOf(NotFoundError);
        expect(await target.exists(one.manifest.desc)).toBe(false);
        const layer = one.layers[0]!;
        await target.delete(layer.desc);
        expect(await target.exists(layer.desc)).toBe(false);
        await expect(target.fetch(layer.desc)).rejects.toBeInstanceOf(NotFoundError);
        await expect(target.delete(layer.desc)).rejects.toBeInstanceOf(NotFoundError);
        if (canListTags(target)) expect(await collect(target.tags())).not.toContain("gone");
      });
    }
  });
}

/**
 * The read-only part of the contract. `factory` gets the content the tests expect (see
 * makeFixture) and builds a store holding it, however that store is filled.
 */
export function runReadOnlyTargetContract(name: string, factory: (fixture: Fixture) => Promise<Made<ReadOnlyTarget>>, options: ContractOptions = {}): void {
  const caps = { tags: true, referrers: true, ...options };
  const it = (title: string, body: (target: ReadOnlyTarget, fixture: Fixture) => Promise<void>) =>
    test(title, async () => {
      const fixture = makeFixture();
      const made = await factory(fixture);
      try {
        await body(made.target, fixture);
      } finally {
        await made.cleanup();
      }
    }, options.timeout);

  describe(`read-only Target contract: ${name}`, () => {
    it("every item fetches back byte for byte and exists", async (target, fx) => {
      for (const x of fx.items) {
        expect(await target.exists(x.desc)).toBe(true);
        expect(await bytesOf(await target.fetch(x.desc))).toEqual(x.bytes);
      }
    });

    it("tags and digests resolve to the manifest's descriptor", async (target, fx) => {
      expect(await target.resolve("v1")).toMatchObject(fx.image.manifest.desc);
      expect(await target.resolve("multi")).toMatchObject(fx.index.desc);
      expect(await target.resolve(fx.sbom.desc.digest)).toMatchObject(fx.sbom.desc);
    });

    it("missing content is NotFoundError for fetch and resolve, false for exists", async (target) => {
      const ghost = randomBlob(10);
      expect(await target.exists(ghost.desc)).toBe(false);
      await expect(target.fetch(ghost.desc)).rejects.toBeInstanceOf(NotFoundError);
      await expect(target.resolve("no-such-tag")).rejects.toBeInstanceOf(NotFoundError);
      await expect(target.resolve(ghost.desc.digest)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("fetch verifies: a descriptor with the wrong size or digest fails with DigestMismatchError", async (target, fx) => {
      const layer = fx.image.layers[0]!;
      await expect(readFully(target.fetch({ ...layer.desc, size: layer.desc.size - 1 }))).rejects.toBeInstanceOf(DigestMismatchError);
      await expect(readFully(target.fetch({ ...layer.desc, size: layer.desc.size + 1 }))).rejects.toBeInstanceOf(DigestMismatchError);
    });

    it("fetch with an offset streams the rest of the content", async (target, fx) => {
      const layer = fx.image.layers[0]!;
      for (const offset of [0, 1, 65_536, 123_457, layer.desc.size]) {
        expect(await bytesOf(await target.fetch(layer.desc, { offset }))).toEqual(layer.bytes.subarray(offset));
      }
    });

    it("an unverified fetch and a file (where the store has one) give exactly the bytes", async (target, fx) => {
      const layer = fx.image.layers[0]!;
      expect(await bytesOf(await target.fetch(layer.desc, { unverified: true }))).toEqual(layer.bytes);
      expect(await bytesOf(await target.fetch(layer.desc, { unverified: true, offset: 1000 }))).toEqual(layer.bytes.subarray(1000));
      if (canFetchFile(target)) {
        const file = await target.fetchFile(layer.desc);
        expect(file?.size).toBe(layer.desc.size);
        expect(new Uint8Array(await file!.arrayBuffer())).toEqual(layer.bytes);
        expect(await target.fetchFile(randomBlob(10).desc)).toBeUndefined();
      }
    });

    it("a fetch abandoned half way does not disturb the next one", async (target, fx) => {
      const layer = fx.image.layers[0]!;
      const reader = (await target.fetch(layer.desc)).getReader();
      await reader.read();
      await reader.cancel();
      expect(await bytesOf(await target.fetch(layer.desc))).toEqual(layer.bytes);
    });

    it("an empty blob fetches as zero bytes", async (target, fx) => {
      expect(await bytesOf(await target.fetch(fx.empty.desc))).toEqual(new Uint8Array(0));
    });

    if (caps.tags) {
      it("tags lists the fixture's tags in order", async (target) => {
        expect(canListTags(target)).toBe(true);
        if (canListTags(target)) expect(await collect(target.tags())).toEqual(["multi", "v1"]);
      });
    }

    if (caps.referrers) {
      it("referrers lists both referrers, and filters by artifact type", async (target, fx) => {
        expect(canListReferrers(target)).toBe(true);
        if (!canListReferrers(target)) return;
        const all = await target.referrers(fx.image.manifest.desc);
        expect(all.map((d) => d.digest).sort()).toEqual([fx.sbom.desc.digest, fx.signature.desc.digest].sort());
        const sigs = await target.referrers(fx.image.manifest.desc, SIGNATURE_TYPE);
        expect(sigs).toHaveLength(1);
        expect(sigs[0]).toMatchObject({ digest: fx.signature.desc.digest, artifactType: SIGNATURE_TYPE });
        expect(await target.referrers(fx.index.desc)).toEqual([]);
      });
    }
  });
}

/** Fetches and reads to the end, so errors from either step reject the one promise. */
async function readFully(stream: Promise<ReadableStream<Uint8Array>>): Promise<Uint8Array> {
  return bytesOf(await stream);
}

export type { Fixture, Item };
