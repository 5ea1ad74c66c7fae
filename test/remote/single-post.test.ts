import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openRegistry } from "../../src/remote/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { startIdp, type RegistryUnderTest } from "../helpers/idp.ts";

/**
 * Small blobs go in the POST that opens the upload where the registry takes it (idp serve:
 * one request), and as POST then PUT where it does not (Distribution 2.8 answers 202); the
 * client learns which and stops offering the single POST.
 */
for (const kind of ["idp", "distribution"] as const) {
  describe(`small blob upload on ${kind}`, () => {
    let reg: RegistryUnderTest;
    beforeAll(async () => {
      reg = kind === "idp" ? await startIdp() : await startDistribution();
    });
    afterAll(async () => {
      await reg?.stop();
    });

    test(kind === "idp" ? "one POST carries the blob" : "the 202 falls back to PUT, and the client remembers", async () => {
      const registry = await openRegistry(reg.host);
      const repo = registry.repository("small/blobs");
      for (let i = 0; i < 3; i++) {
        const bytes = crypto.getRandomValues(new Uint8Array(1000 + i));
        const desc = { mediaType: "application/octet-stream", digest: digestOf(bytes), size: bytes.byteLength };
        await repo.push(desc, bytes);
        expect(await repo.exists(desc)).toBe(true);
        const back = new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer());
        expect(back).toEqual(bytes);
      }
      expect(registry.client.learned.singlePostUpload).toBe(kind === "idp");
    });
  });
}
