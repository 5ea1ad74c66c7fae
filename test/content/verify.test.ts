import { describe, expect, test } from "bun:test";
import { successors, successorsOf } from "../../src/content/successors.ts";
import { MemoryStore } from "../../src/content/memory/index.ts";
import { readAll, verified, verifyBytes } from "../../src/content/verify.ts";
import { DigestMismatchError, InvalidInputError, SizeLimitError, UnsupportedError } from "../../src/errors/index.ts";
import { Digester } from "../../src/oci/digest.ts";
import { bytesOf, chunked, emptyConfig, indexOf, makeImage, manifestOf, randomBlob } from "./fixtures.ts";

describe("verified", () => {
  const blob = randomBlob(100_000);
  test("passes matching content through unchanged", async () => {
    expect(await bytesOf(verified(chunked(blob.bytes, 3333), blob.desc))).toEqual(blob.bytes);
  });
  test("fails on a wrong digest at the end", async () => {
    const other = randomBlob(100_000);
    await expect(bytesOf(verified(chunked(other.bytes), blob.desc))).rejects.toBeInstanceOf(DigestMismatchError);
  });
  test("fails on too few bytes", async () => {
    await expect(bytesOf(verified(chunked(blob.bytes.subarray(0, 99_999)), blob.desc))).rejects.toBeInstanceOf(DigestMismatchError);
  });
  test("fails as soon as too many bytes arrive, before the stream ends", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(50_000));
      },
    });
    await expect(bytesOf(verified(endless, blob.desc))).rejects.toBeInstanceOf(DigestMismatchError);
    expect(pulled).toBeLessThan(10);
  });
  test("skip hashes the prefix but passes only the rest", async () => {
    expect(await bytesOf(verified(chunked(blob.bytes, 1000), blob.desc, { skip: 2500 }))).toEqual(blob.bytes.subarray(2500));
  });
  test("resume checks a transfer continued after a break", async () => {
    const digester = new Digester();
    digester.update(blob.bytes.subarray(0, 40_000));
    expect(await bytesOf(verified(chunked(blob.bytes.subarray(40_000)), blob.desc, { resume: digester }))).toEqual(blob.bytes.subarray(40_000));
    const wrong = new Digester();
    wrong.update(new Uint8Array(40_000));
    await expect(bytesOf(verified(chunked(blob.bytes.subarray(40_000)), blob.desc, { resume: wrong }))).rejects.toBeInstanceOf(DigestMismatchError);
  });
  test("digests idp cannot compute are UnsupportedError", () => {
    expect(() => verified(chunked(blob.bytes), { ...blob.desc, digest: `blake3:${"a".repeat(64)}` })).toThrow(UnsupportedError);
  });
  test("the error message is one line naming the digest", async () => {
    const error = await bytesOf(verified(chunked(blob.bytes.subarray(1)), blob.desc)).catch((e: Error) => e);
    expect((error as Error).message).toContain(blob.desc.digest);
    expect((error as Error).message).not.toContain("\n");
  });
  test("verifyBytes", () => {
    expect(() => verifyBytes(blob.desc, blob.bytes)).not.toThrow();
    expect(() => verifyBytes(blob.desc, blob.bytes.subarray(1))).toThrow(DigestMismatchError);
  });
  test("readAll refuses content past its limit", async () => {
    await expect(readAll(chunked(blob.bytes), 99_999, "thing")).rejects.toBeInstanceOf(SizeLimitError);
    expect(await readAll(chunked(blob.bytes), 100_000, "thing")).toEqual(blob.bytes);
  });
});

describe("successors", () => {
  test("an image manifest's children are its config then layers; the subject is not one", () => {
    const image = makeImage({ layerSize: 10 });
    const referrer = manifestOf(emptyConfig(), [randomBlob(5)], { subject: image.manifest.desc });
    expect(successorsOf(image.manifest.desc, image.manifest.bytes)).toEqual([image.config.desc, ...image.layers.map((l) => l.desc)]);
    const children = successorsOf(referrer.desc, referrer.bytes).map((d) => d.digest);
    expect(children).not.toContain(image.manifest.desc.digest);
    expect(children).toHaveLength(2);
  });
  test("an index's children are its manifests", async () => {
    const a = makeImage({ layerSize: 10 });
    const b = makeImage({ layerSize: 10 });
    const index = indexOf([a.manifest, b.manifest]);
    const store = new MemoryStore();
    await store.push(index.desc, index.bytes);
    expect((await successors(store, index.desc)).map((d) => d.digest)).toEqual([a.manifest.desc.digest, b.manifest.desc.digest]);
  });
  test("plain blobs have none and are not read", async () => {
    const blob = randomBlob(10);
    expect(await successors(new MemoryStore(), blob.desc)).toEqual([]);
  });
  test("a manifest that does not parse is InvalidInputError", () => {
    const image = makeImage({ layerSize: 10 });
    expect(() => successorsOf(image.manifest.desc, new TextEncoder().encode("{"))).toThrow(InvalidInputError);
  });
});
