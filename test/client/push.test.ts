import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildArtifact, pushArtifact, pushFiles } from "../../src/client/push.ts";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { MemoryStore } from "../../src/content/memory/index.ts";
import type { Target } from "../../src/content/types.ts";
import { DigestMismatchError, NotFoundError } from "../../src/errors/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { openRepository } from "../../src/remote/index.ts";
import { tempDir } from "../helpers/idp.ts";
import { startInProcess } from "../helpers/targets.ts";

/** One in-process registry and one scratch directory for every test of this file. */
const work = tempDir("idp-push-");
let registry: Awaited<ReturnType<typeof startInProcess>>;
beforeAll(async () => {
  registry = await startInProcess();
});
afterAll(async () => {
  await registry?.stop();
  work.remove();
});

/**
 * push reads staged files without hashing them a second time (src/client/staged.ts): these
 * tests hold it to its promise that every kind of destination still refuses a file that
 * changed after it was hashed, and stores nothing for it.
 */
describe("push of a file that changes after it was staged", () => {
  let n = 0;
  const destinations: [string, () => Promise<Target>][] = [
    // 4 KiB goes in one PUT, 12 MiB as a streamed PATCH: both are checked before they land.
    ["a registry", async () => openRepository({ registry: registry.host, repository: `changed/a${n++}` })],
    ["a layout", async () => LayoutStore.open(join(work.path, `layout-${n++}`), { create: true })],
    ["a memory store", async () => new MemoryStore()],
  ];

  for (const [what, open] of destinations) {
    for (const size of [4096, 12 * 1024 * 1024]) {
      test(`${what}, ${size} bytes: the push fails with a digest mismatch and no manifest is stored`, async () => {
        const file = join(work.path, `data-${size}.bin`);
        writeFileSync(file, new Uint8Array(size).fill(1));
        const built = await buildArtifact([{ path: file }]);
        writeFileSync(file, new Uint8Array(size).fill(2));
        const dst = await open();
        const error = await pushArtifact(built, dst, ["v1"]).then(() => undefined, (e: unknown) => e);
        expect(error).toBeDefined();
        const cause = error instanceof DigestMismatchError ? error : (error as { cause?: unknown }).cause;
        expect(cause).toBeInstanceOf(DigestMismatchError);
        expect(await dst.exists(built.manifest)).toBe(false);
        expect(await dst.exists(built.layers[0]!)).toBe(false);
      });
    }
  }
});

/**
 * pushFiles starts each blob's upload as soon as its file is hashed (startCopy); the push
 * must still count, skip and fail exactly as a copy does.
 */
describe("push that uploads while it hashes", () => {
  test("twelve files land, counted once each; pushed again, nothing is uploaded", async () => {
    const files = Array.from({ length: 12 }, (_, i) => {
      const path = join(work.path, `f${i}.bin`);
      writeFileSync(path, new Uint8Array(100_000 + i * 1000).fill(i));
      return { path };
    });
    const dst = await openRepository({ registry: registry.host, repository: "early/app" });
    const first = await pushFiles(files, {}, dst, ["v1", "latest"]);
    const total = files.reduce((sum, f) => sum + Bun.file(f.path).size, 0);
    expect(first.counts).toMatchObject({ copied: 14, skipped: 0 });
    expect(first.counts.bytes).toBe(total + 2 + first.manifest.size);
    for (const layer of first.layers) expect(await dst.exists(layer)).toBe(true);
    expect((await dst.resolve("latest")).digest).toBe(first.manifest.digest);
    const again = await pushFiles(files, {}, await openRepository({ registry: registry.host, repository: "early/app" }), ["v1"]);
    expect(again.manifest.digest).toBe(first.manifest.digest);
    expect(again.counts.bytes).toBe(0);
  });

  test("a missing path fails before anything is hashed or sent", async () => {
    const present = join(work.path, "present.bin");
    writeFileSync(present, "here");
    const dst = new MemoryStore();
    const error = await pushFiles([{ path: present }, { path: join(work.path, "absent.bin") }], {}, dst, ["v1"]).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(await dst.exists({ mediaType: "application/octet-stream", digest: digestOf("here"), size: 4 })).toBe(false);
  });
});
