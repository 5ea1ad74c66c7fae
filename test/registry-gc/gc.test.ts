import { describe, expect, test } from "bun:test";
import { GcBusyError, acquireGcLock } from "../../registry/gc/lock.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { json, makeImage, pushBlob, pushImage, putManifest, randomContent } from "../helpers/oci.ts";
import { hasBlob, hasManifest, imageWith, startGcRegistry, tick } from "./setup.ts";

/**
 * Garbage collection over the real store and drivers, in this process: what goes, what stays,
 * and that a dry run predicts a real run without changing anything.
 */
for (const kind of ["memory", "fs"] as const) {
  describe(`gc on the ${kind} driver`, () => {
    test("an unreferenced blob survives its grace window, then goes, and its bytes are freed", async () => {
      const reg = await startGcRegistry(kind);
      try {
        const blob = randomContent(5000);
        await pushBlob(reg.url, "a/x", blob);
        const kept = await reg.gc({ graceMs: 60_000 });
        expect(kept.linksRemoved).toBe(0);
        expect(await hasBlob(reg.url, "a/x", blob.digest)).toBe(true);
        await tick();
        const swept = await reg.gc({ graceMs: 0 });
        expect(swept.linksRemoved).toBe(1);
        expect(swept.blobsDeleted).toBe(1);
        expect(swept.bytesFreed).toBe(5000);
        expect(await hasBlob(reg.url, "a/x", blob.digest)).toBe(false);
        expect(await reg.driver.stat(`blobs/sha256/${blob.digest.slice(7)}`)).toBeUndefined();
      } finally {
        await reg.stop();
      }
    });

    test("tagged images stay whole; a blob shared with another repository is freed only when both let go", async () => {
      const reg = await startGcRegistry(kind);
      try {
        const image = await pushImage(reg.url, "a/app", "v1", makeImage({ layers: 2 }));
        await pushImage(reg.url, "b/app", "v1", imageWith([image.layers[0]!]));
        await tick();
        const nothing = await reg.gc({ graceMs: 0 });
        expect(nothing.manifestsDeleted + nothing.linksRemoved + nothing.blobsDeleted).toBe(0);
        for (const blob of [image.config, ...image.layers]) expect(await hasBlob(reg.url, "a/app", blob.digest)).toBe(true);
        expect((await fetch(`${reg.url}/v2/a/app/manifests/${image.manifest.digest}`, { method: "DELETE" })).status).toBe(202);
        await tick();
        const first = await reg.gc({ graceMs: 0 });
        expect(first.linksRemoved).toBe(3);
        expect(first.blobsDeleted).toBe(3);
        expect(await hasBlob(reg.url, "b/app", image.layers[0]!.digest)).toBe(true);
        expect(await hasManifest(reg.url, "b/app", "v1")).toBe(true);
      } finally {
        await reg.stop();
      }
    });

    test("a dry run reports what a real run then does, and changes nothing", async () => {
      const reg = await startGcRegistry(kind, { deleteUntagged: true });
      try {
        await pushImage(reg.url, "a/app", "v1");
        const untagged = await pushImage(reg.url, "a/app", "v2");
        await fetch(`${reg.url}/v2/a/app/manifests/v2`, { method: "DELETE" });
        await pushBlob(reg.url, "a/app", randomContent(100));
        await tick();
        const dry = await reg.gc({ graceMs: 0, dryRun: true });
        expect(dry.dryRun).toBe(true);
        expect(dry.manifestsDeleted).toBe(1);
        expect(await hasManifest(reg.url, "a/app", untagged.manifest.digest)).toBe(true);
        const again = await reg.gc({ graceMs: 0, dryRun: true });
        const real = await reg.gc({ graceMs: 0 });
        for (const report of [again, real]) {
          expect(report.manifestsDeleted).toBe(dry.manifestsDeleted);
          expect(report.linksRemoved).toBe(dry.linksRemoved);
          expect(report.blobsDeleted).toBe(dry.blobsDeleted);
          expect(report.bytesFreed).toBe(dry.bytesFreed);
        }
        expect(dry.linksRemoved).toBe(3);
        expect(dry.blobsDeleted).toBe(4);
        expect(await hasManifest(reg.url, "a/app", untagged.manifest.digest)).toBe(false);
        expect(await hasManifest(reg.url, "a/app", "v1")).toBe(true);
      } finally {
        await reg.stop();
      }
    });
  });
}

describe("gc rules", () => {
  test("--delete-untagged removes untagged manifests but keeps an index's children and young pushes", async () => {
    const reg = await startGcRegistry("memory");
    try {
      const childImage = makeImage();
      const child = await pushImage(reg.url, "a/multi", childImage.manifest.digest, childImage);
      const index = json({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, digest: child.manifest.digest, size: child.manifest.size }] });
      expect((await putManifest(reg.url, "a/multi", "latest", index, MediaType.ociIndex)).status).toBe(201);
      const loose = await pushImage(reg.url, "a/multi", "tmp");
      await fetch(`${reg.url}/v2/a/multi/manifests/tmp`, { method: "DELETE" });
      await tick();
      expect((await reg.gc({ graceMs: 0 })).manifestsDeleted).toBe(0);
      expect((await reg.gc({ graceMs: 60_000, deleteUntagged: true })).manifestsDeleted).toBe(0);
      const report = await reg.gc({ graceMs: 0, deleteUntagged: true });
      expect(report.deleted.manifests).toEqual([`a/multi@${loose.manifest.digest}`]);
      expect(await hasManifest(reg.url, "a/multi", child.manifest.digest)).toBe(true);
      expect(await hasBlob(reg.url, "a/multi", child.layers[0]!.digest)).toBe(true);
      expect(await hasBlob(reg.url, "a/multi", loose.layers[0]!.digest)).toBe(false);
    } finally {
      await reg.stop();
    }
  });

  test("referrers live with their subject; when it is deleted they follow the referrer rules", async () => {
    const reg = await startGcRegistry("memory", { referrers: [{ artifactType: "application/vnd.example.signature", whenSubjectGone: "keep" }] });
    try {
      const subject = await pushImage(reg.url, "a/signed", "v1");
      const ref = { ...subject.manifest, mediaType: subject.mediaType };
      const sbom = makeImage({ artifactType: "application/vnd.example.sbom", subject: ref });
      await pushImage(reg.url, "a/signed", sbom.manifest.digest, sbom);
      const sbom2 = makeImage({ artifactType: "application/vnd.example.sbom", subject: ref });
      await pushImage(reg.url, "a/signed", sbom2.manifest.digest, sbom2);
      const signature = makeImage({ artifactType: "application/vnd.example.signature", subject: ref });
      await pushImage(reg.url, "a/signed", signature.manifest.digest, signature);
      await tick();
      expect((await reg.gc({ graceMs: 0 })).manifestsDeleted).toBe(0);
      expect((await fetch(`${reg.url}/v2/a/signed/manifests/${subject.manifest.digest}`, { method: "DELETE" })).status).toBe(202);
      await tick();
      const report = await reg.gc({ graceMs: 0 });
      expect(report.manifestsDeleted).toBe(2);
      expect(await hasManifest(reg.url, "a/signed", sbom.manifest.digest)).toBe(false);
      expect(await hasManifest(reg.url, "a/signed", signature.manifest.digest)).toBe(true);
    } finally {
      await reg.stop();
    }
  });

  test("retention keeps the newest N, semver tags and named tags; the rest and what only they held go", async () => {
    const reg = await startGcRegistry("memory", { retention: [{ repositories: ["ci/**"], keepNewest: 2, keepSemver: true, keepTags: ["latest"] }] });
    try {
      const images: Record<string, string> = {};
      for (const tag of ["v1.0.0", "dev-1", "latest", "dev-2", "1.2.3", "dev-3", "dev-4"]) {
        images[tag] = (await pushImage(reg.url, "ci/app", tag)).manifest.digest;
        await Bun.sleep(3);
      }
      await pushImage(reg.url, "other/app", "dev-1");
      await tick();
      const report = await reg.gc({ graceMs: 0 });
      expect(report.deleted.tags.sort()).toEqual(["ci/app:dev-1", "ci/app:dev-2"]);
      expect(report.manifestsDeleted).toBe(2);
      const tags = ((await (await fetch(`${reg.url}/v2/ci/app/tags/list`)).json()) as { tags: string[] }).tags;
      expect(tags).toEqual(["1.2.3", "dev-3", "dev-4", "latest", "v1.0.0"]);
      expect(await hasManifest(reg.url, "ci/app", images["dev-1"]!)).toBe(false);
      expect(await hasManifest(reg.url, "other/app", "dev-1")).toBe(true);
    } finally {
      await reg.stop();
    }
  });

  test("a HEAD on a blob renews its grace: a client that checked it before pushing a manifest keeps it", async () => {
    const reg = await startGcRegistry("fs");
    try {
      const checked = randomContent(300);
      const unchecked = randomContent(300);
      await pushBlob(reg.url, "a/x", checked);
      await pushBlob(reg.url, "a/x", unchecked);
      await Bun.sleep(1100);
      expect((await fetch(`${reg.url}/v2/a/x/blobs/${checked.digest}`, { method: "HEAD" })).status).toBe(200);
      const report = await reg.gc({ graceMs: 1000 });
      expect(report.linksRemoved).toBe(1);
      expect(await hasBlob(reg.url, "a/x", checked.digest)).toBe(true);
      expect(await hasBlob(reg.url, "a/x", unchecked.digest)).toBe(false);
    } finally {
      await reg.stop();
    }
  });

  test("abandoned upload sessions are purged after their age; active ones stay", async () => {
    const reg = await startGcRegistry("memory");
    try {
      const start = async () => (await fetch(`${reg.url}/v2/a/x/blobs/uploads/`, { method: "POST" })).headers.get("location")!;
      const old = await start();
      await Bun.sleep(50);
      const fresh = await start();
      const report = await reg.gc({ uploadsMaxAgeMs: 30 });
      expect(report.uploadsPurged).toBe(1);
      expect((await fetch(`${reg.url}${old}`)).status).toBe(404);
      expect((await fetch(`${reg.url}${fresh}`)).status).toBe(204);
    } finally {
      await reg.stop();
    }
  });

  test("only one gc runs at a time on a root", async () => {
    const reg = await startGcRegistry("fs");
    try {
      for (let i = 0; i < 3; i++) await pushImage(reg.url, `busy/r${i}`, "v1");
      const release = await acquireGcLock(reg.driver);
      await expect(reg.gc()).rejects.toBeInstanceOf(GcBusyError);
      await expect(reg.gc()).rejects.toThrow(`gc is already running on ${reg.driver.location} (pid ${process.pid}`);
      await release();
      expect((await reg.gc()).repositories).toBe(3);
    } finally {
      await reg.stop();
    }
  });
});
