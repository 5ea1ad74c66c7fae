import { describe, expect, test } from "bun:test";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { json, makeImage, pushBlob, pushImage, putManifest, randomContent, type Image } from "../helpers/oci.ts";
import { hasBlob, hasManifest, startGcRegistry } from "./setup.ts";

/**
 * gc while the server keeps serving: pushes of multi-platform images (blobs, then child
 * manifests by digest, then an index by tag) run while gc loops. Nothing a push completed may
 * be lost; garbage older than the grace window must go.
 */
describe("gc during pushes", () => {
  test("40 pushes of multi-platform images with gc looping: every image complete, old garbage gone", async () => {
    const reg = await startGcRegistry("fs", { deleteUntagged: true });
    try {
      const garbage = randomContent(4096);
      await pushBlob(reg.url, "load/r0", garbage);
      const stale = await pushImage(reg.url, "load/r1", "old");
      await fetch(`${reg.url}/v2/load/r1/manifests/old`, { method: "DELETE" });
      await Bun.sleep(1600);

      let pushing = true;
      let runs = 0;
      const loop = (async () => {
        while (pushing) {
          await reg.gc({ graceMs: 1500 });
          runs++;
        }
      })();
      const pushed: { repo: string; children: Image[] }[] = [];
      const pushOne = async (i: number) => {
        const repo = `load/r${i % 5}`;
        const children = [makeImage({ layers: 2, layerSize: 20_000 }), makeImage({ layers: 1 })];
        for (const child of children) await pushImage(reg.url, repo, child.manifest.digest, child);
        const index = json({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: children.map((c) => ({ mediaType: c.mediaType, digest: c.manifest.digest, size: c.manifest.size })) });
        const res = await putManifest(reg.url, repo, `t${i}`, index, MediaType.ociIndex);
        expect(res.status).toBe(201);
        pushed.push({ repo, children });
      };
      for (let batch = 0; batch < 5; batch++) await Promise.all(Array.from({ length: 8 }, (_, k) => pushOne(batch * 8 + k)));
      pushing = false;
      await loop;
      expect(runs).toBeGreaterThan(1);
      await reg.gc({ graceMs: 0 });

      for (const { repo, children } of pushed) {
        for (const child of children) {
          expect(await hasManifest(reg.url, repo, child.manifest.digest)).toBe(true);
          for (const blob of [child.config, ...child.layers]) expect(await hasBlob(reg.url, repo, blob.digest)).toBe(true);
        }
      }
      for (let i = 0; i < 40; i++) expect(await hasManifest(reg.url, `load/r${i % 5}`, `t${i}`)).toBe(true);
      expect(await hasBlob(reg.url, "load/r0", garbage.digest)).toBe(false);
      expect(await hasManifest(reg.url, "load/r1", stale.manifest.digest)).toBe(false);
      expect(await reg.driver.stat(`blobs/sha256/${garbage.digest.slice(7)}`)).toBeUndefined();
    } finally {
      await reg.stop();
    }
  }, 60_000);
});
