import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Digester, digestOf } from "../../src/oci/digest.ts";
import { startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { pushImage, randomContent, resolveLocation, type Content } from "../helpers/oci.ts";

/**
 * Crash safety: SIGKILL the server in the middle of 50 concurrent uploads (plus manifest
 * pushes and tag moves), then check the disk and restart. Nothing partial or corrupt may be
 * visible, and the restarted server must work, including resuming an upload cut off by the
 * crash.
 */

function hashFile(path: string, algorithm: "sha256" | "sha512"): string {
  const d = new Digester(algorithm);
  d.update(readFileSync(path));
  return d.digest();
}

/** Every content file under a `blobs/<alg>/<hex>` dir must hash to its name. */
function corruptBlobs(blobsDir: string): string[] {
  const bad: string[] = [];
  if (!existsSync(blobsDir)) return bad;
  for (const alg of readdirSync(blobsDir)) {
    for (const hex of readdirSync(join(blobsDir, alg))) {
      const path = join(blobsDir, alg, hex);
      if (alg !== "sha256" && alg !== "sha512") bad.push(`${path}: unknown algorithm`);
      else if (hashFile(path, alg) !== `${alg}:${hex}`) bad.push(`${path}: content does not match its name`);
    }
  }
  return bad;
}

/** A body that trickles out over time so the kill lands mid-transfer. */
function slowBody(blob: Content, pieces: number, delayMs: number): ReadableStream<Uint8Array> {
  let i = 0;
  const step = Math.ceil(blob.size / pieces);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i * step >= blob.size) return controller.close();
      if (i > 0) await Bun.sleep(delayMs);
      controller.enqueue(blob.bytes.slice(i * step, (i + 1) * step));
      i++;
    },
  });
}

describe("crash safety", () => {
  const dir = tempDir("idp-crash-");
  const servers: IdpServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => {});
    dir.remove();
  });

  test("SIGKILL during 50 concurrent uploads leaves nothing partial visible, and the server restarts clean", async () => {
    const first = await startIdp({ root: dir.path });
    servers.push(first);
    const base = first.url;

    // Some content that is complete before the crash: it must survive intact.
    const before = await pushImage(base, "crash/done", "v1");

    const blobs = Array.from({ length: 50 }, () => randomContent(2 * 1024 * 1024));
    const sessions: string[] = [];
    const uploads = blobs.map(async (blob, i) => {
      const repo = `crash/r${i % 5}`;
      const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
      const location = resolveLocation(base, post.headers.get("location"));
      sessions[i] = location;
      if (i % 3 === 0) {
        // monolithic PUT with a slow body
        const url = new URL(location);
        url.searchParams.set("digest", blob.digest);
        return fetch(url, { method: "PUT", body: slowBody(blob, 40, 25), headers: { "Content-Type": "application/octet-stream" } });
      }
      // streamed PATCH, then the closing PUT
      const patch = await fetch(location, { method: "PATCH", body: slowBody(blob, 40, 25), headers: { "Content-Type": "application/octet-stream" } });
      const url = new URL(resolveLocation(base, patch.headers.get("location")));
      url.searchParams.set("digest", blob.digest);
      return fetch(url, { method: "PUT" });
    });
    const tagMoves = Array.from({ length: 10 }, (_, i) => pushImage(base, "crash/tags", "moving").catch(() => undefined).then(() => i));
    const settled = Promise.allSettled([...uploads, ...tagMoves]);

    await Bun.sleep(400);
    await first.kill();
    const results = await settled;
    expect(results.some((r) => r.status === "rejected")).toBe(true); // the kill really cut transfers

    // On disk: every visible blob, in the content store and in each repository, is whole.
    expect(corruptBlobs(join(dir.path, "blobs"))).toEqual([]);
    for (const repoDir of readdirSync(join(dir.path, "repositories"))) {
      const layout = join(dir.path, "repositories", repoDir);
      expect(corruptBlobs(join(layout, "blobs"))).toEqual([]);
      const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: { digest: string }[] };
      for (const d of index.manifests) {
        const [alg, hex] = d.digest.split(":");
        expect(existsSync(join(layout, "blobs", alg!, hex!))).toBe(true);
      }
    }

    // Restart on the same root: temporary files of the dead process are swept, content serves.
    const second = await startIdp({ root: dir.path });
    servers.push(second);
    const tmpLeft = existsSync(join(dir.path, "tmp")) ? readdirSync(join(dir.path, "tmp")) : [];
    expect(tmpLeft).toEqual([]);
    const again = await fetch(`${second.url}/v2/crash/done/manifests/v1`);
    expect(again.status).toBe(200);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(before.manifest.bytes);

    let visible = 0;
    for (const [i, blob] of blobs.entries()) {
      const url = `${second.url}/v2/crash/r${i % 5}/blobs/${blob.digest}`;
      const res = await fetch(url);
      if (res.status === 404) {
        await res.arrayBuffer();
        continue;
      }
      expect(res.status).toBe(200);
      expect(digestOf(new Uint8Array(await res.arrayBuffer()))).toBe(blob.digest);
      visible++;
    }
    expect(visible).toBeLessThan(blobs.length);

    // An upload cut off by the crash resumes where the disk says it stands.
    let resumed = false;
    for (const [i, location] of sessions.entries()) {
      if (!location || i % 3 === 0) continue;
      const blob = blobs[i]!;
      const url = location.replace(first.url, second.url);
      const status = await fetch(url);
      if (status.status !== 204) continue;
      const range = status.headers.get("range")!;
      const have = Number(range.split("-")[1]) + 1;
      if (have <= 1 || have >= blob.size) continue;
      const rest = await fetch(resolveLocation(second.url, status.headers.get("location")), {
        method: "PATCH",
        body: blob.bytes.slice(have),
        headers: { "Content-Type": "application/octet-stream", "Content-Range": `${have}-${blob.size - 1}` },
      });
      expect(rest.status).toBe(202);
      const done = new URL(resolveLocation(second.url, rest.headers.get("location")));
      done.searchParams.set("digest", blob.digest);
      expect((await fetch(done, { method: "PUT" })).status).toBe(201);
      const get = await fetch(`${second.url}/v2/crash/r${i % 5}/blobs/${blob.digest}`);
      expect(digestOf(new Uint8Array(await get.arrayBuffer()))).toBe(blob.digest);
      resumed = true;
      break;
    }
    expect(resumed).toBe(true);

    // And it takes new work.
    await pushImage(second.url, "crash/after", "ok");
    expect((await fetch(`${second.url}/v2/crash/after/manifests/ok`)).status).toBe(200);
    expect(statSync(join(dir.path, "repositories", "crash+after", "index.json")).size).toBeGreaterThan(0);
  }, 120_000);
});
