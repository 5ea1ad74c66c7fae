import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildArtifact, pushArtifact } from "../../src/client/push.ts";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { MemoryStore } from "../../src/content/memory/index.ts";
import type { Target } from "../../src/content/types.ts";
import { DigestMismatchError } from "../../src/errors/index.ts";
import { openRepository } from "../../src/remote/index.ts";
import { tempDir } from "../helpers/idp.ts";
import { startInProcess } from "../helpers/targets.ts";

/**
 * push reads staged files without hashing them a second time (src/client/staged.ts): these
 * tests hold it to its promise that every kind of destination still refuses a file that
 * changed after it was hashed, and stores nothing for it.
 */
describe("push of a file that changes after it was staged", () => {
  const work = tempDir("idp-push-");
  let registry: Awaited<ReturnType<typeof startInProcess>>;
  beforeAll(async () => {
    registry = await startInProcess();
  });
  afterAll(async () => {
    await registry?.stop();
    work.remove();
  });

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
