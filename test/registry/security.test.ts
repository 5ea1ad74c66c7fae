import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Digester, digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { startIdp, type IdpServer } from "../helpers/idp.ts";
import { errorCodes, json, makeImage, pushBlob, pushImage, putManifest, randomContent, resolveLocation } from "../helpers/oci.ts";

/**
 * Hostile input, from the advisories in REGISTRY-NOTES.md (d-1 … d-17), against the compiled
 * binary on the filesystem driver: each case gets the right OCI error before any file access,
 * memory stays flat, and nothing appears on disk that should not.
 */

const MiB = 1024 * 1024;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Every path under `dir`, relative, for checking nothing unexpected was created. */
function tree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const rel = prefix ? `${prefix}/${name}` : name;
    out.push(rel);
    if (statSync(join(dir, name)).isDirectory()) out.push(...tree(join(dir, name), rel));
  }
  return out;
}

/** A body of `size` bytes produced lazily, hashed as it goes; never held in memory. */
function generatedBody(size: number, digester?: Digester): ReadableStream<Uint8Array> {
  const block = crypto.getRandomValues(new Uint8Array(MiB));
  let sent = 0;
  let counter = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const chunk = block.slice(0, Math.min(MiB, size - sent));
      new DataView(chunk.buffer).setUint32(0, counter++);
      digester?.update(chunk);
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

describe("idp serve refuses hostile input", () => {
  let reg: IdpServer;
  let base: string;
  beforeAll(async () => {
    reg = await startIdp();
    base = reg.url;
  });
  afterAll(async () => {
    await reg?.stop();
  });

  describe("d-1 manifest size limit (CVE-2017-11468)", () => {
    test("a 5 MiB manifest with Content-Length is 413 before its body is read", async () => {
      const body = new Uint8Array(5 * MiB).fill(32);
      const res = await fetch(`${base}/v2/limits/a/manifests/big`, { method: "PUT", body, headers: { "Content-Type": MediaType.ociManifest } });
      expect(res.status).toBe(413);
      expect(await errorCodes(res)).toContain("MANIFEST_INVALID");
    });

    test("a 5 MiB manifest sent chunked (no Content-Length) is cut off with 413", async () => {
      const res = await fetch(`${base}/v2/limits/a/manifests/big`, {
        method: "PUT",
        body: generatedBody(5 * MiB),
        headers: { "Content-Type": MediaType.ociManifest },
      });
      expect(res.status).toBe(413);
    });

    test("a 1 GiB manifest stream is refused after ~4 MiB and the server's memory stays flat", async () => {
      const before = rssMiB(reg.proc.pid);
      const outcome = await fetch(`${base}/v2/limits/a/manifests/huge`, {
        method: "PUT",
        body: generatedBody(1024 * MiB),
        headers: { "Content-Type": MediaType.ociManifest },
      }).then(
        (res) => res.status,
        () => "connection closed",
      );
      expect([413, "connection closed"]).toContain(outcome);
      expect(rssMiB(reg.proc.pid) - before).toBeLessThan(64);
    });

    test("a 3.9 MB manifest (the conformance suite's large one) is accepted", async () => {
      const annotations: Record<string, string> = {};
      for (let i = 0; i < 390; i++) annotations[`org.example.a${i}`] = "x".repeat(10_000);
      const image = makeImage({ annotations });
      expect(image.manifest.size).toBeGreaterThan(3_900_000);
      expect(image.manifest.size).toBeLessThan(4 * MiB);
      await pushImage(base, "limits/large", "ok", image);
      const get = await fetch(`${base}/v2/limits/large/manifests/ok`);
      expect(get.headers.get("content-length")).toBe(String(image.manifest.size));
    });
  });

  describe("d-2 pagination numbers (CVE-2023-2253)", () => {
    beforeAll(async () => {
      await pushImage(base, "paging/repo", "t1");
    });
    for (const path of ["/v2/_catalog", "/v2/paging/repo/tags/list"]) {
      test(`${path}: a huge n is clamped, negative or non-numeric n is 400`, async () => {
        const huge = await fetch(`${base}${path}?n=2147483647`);
        expect(huge.status).toBe(200);
        const beyond = await fetch(`${base}${path}?n=99999999999999999999`);
        expect(beyond.status).toBe(200);
        for (const bad of ["-1", "abc", "1e9", "0x10", "1.5"]) {
          const res = await fetch(`${base}${path}?n=${bad}`);
          expect(res.status).toBe(400);
          expect(await errorCodes(res)).toEqual(["PAGINATION_NUMBER_INVALID"]);
        }
      });
    }
    test("a clamped catalog page says there is more with a Link", async () => {
      for (let i = 0; i < 3; i++) await pushImage(base, `paging/many${i}`, "t");
      const res = await fetch(`${base}/v2/_catalog?n=2`);
      expect(((await res.json()) as { repositories: string[] }).repositories.length).toBe(2);
      expect(res.headers.get("link")).toMatch(/<\/v2\/_catalog\?n=2&last=[^>]+>; rel="next"/);
    });
  });

  describe("d-7 ambiguous manifests (CVE-2021-41190)", () => {
    test("mediaType different from Content-Type is 400 MANIFEST_INVALID", async () => {
      const image = makeImage();
      for (const b of [image.config, ...image.layers]) await pushBlob(base, "ambiguous/a", b);
      const res = await putManifest(base, "ambiguous/a", "t", image.manifest, MediaType.dockerManifest);
      expect(res.status).toBe(400);
      expect(await errorCodes(res)).toEqual(["MANIFEST_INVALID"]);
    });
    test("a document with both manifests and layers is refused whatever its type", async () => {
      const doc = json({ schemaVersion: 2, manifests: [], layers: [], config: { mediaType: MediaType.ociConfig, digest: digestOf("{}"), size: 2 } });
      for (const type of [MediaType.ociIndex, MediaType.ociManifest]) {
        const res = await putManifest(base, "ambiguous/b", "t", doc, type);
        expect(res.status).toBe(400);
        expect(await errorCodes(res)).toEqual(["MANIFEST_INVALID"]);
      }
    });
    test("a manifest is served with the type it was stored with, never a re-guessed one", async () => {
      const image = makeImage();
      const doc = JSON.parse(new TextDecoder().decode(image.manifest.bytes));
      delete doc.mediaType;
      const bare = json(doc);
      for (const b of [image.config, ...image.layers]) await pushBlob(base, "ambiguous/c", b);
      expect((await putManifest(base, "ambiguous/c", "t", bare, MediaType.ociManifest)).status).toBe(201);
      const get = await fetch(`${base}/v2/ambiguous/c/manifests/t`, { headers: { Accept: "*/*" } });
      expect(get.headers.get("content-type")).toBe(MediaType.ociManifest);
    });
    test("a Content-Type with parameters is compared without them", async () => {
      const image = makeImage();
      for (const b of [image.config, ...image.layers]) await pushBlob(base, "ambiguous/d", b);
      const res = await putManifest(base, "ambiguous/d", "t", image.manifest, `${MediaType.ociManifest}; charset=utf-8`);
      expect(res.status).toBe(201);
    });
    test("malformed JSON, schema violations and Docker schema 1 are 400 MANIFEST_INVALID", async () => {
      const cases: [string, string][] = [
        ["{not json", MediaType.ociManifest],
        [JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [] }), MediaType.ociManifest],
        [JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: "x/y", digest: "sha256:zz", size: 1 }, layers: [] }), MediaType.ociManifest],
        [JSON.stringify({ schemaVersion: 1, name: "x", tag: "y", fsLayers: [] }), MediaType.dockerSchema1Signed],
      ];
      for (const [body, type] of cases) {
        const res = await fetch(`${base}/v2/ambiguous/e/manifests/t`, { method: "PUT", body, headers: { "Content-Type": type } });
        expect(res.status).toBe(400);
        expect(await errorCodes(res)).toEqual(["MANIFEST_INVALID"]);
      }
    });
  });

  describe("d-8 hostile digests (CVE-2024-3727) and d-10 hostile names never reach the filesystem", () => {
    const badDigests = [
      "sha256:..%2F..%2Fetc%2Fpasswd",
      "sha256:%2e%2e%2f%2e%2e",
      `sha256:${"A".repeat(64)}`,
      `sha256:${"a".repeat(63)}`,
      `sha256:${"a".repeat(65)}`,
      "sha256:",
      "md5:d41d8cd98f00b204e9800998ecf8427e",
      "sha256",
    ];
    const badNames = ["A/b", "a//b", "a/_uploads", "a%2Fb", "a%2F..%2Fb", "-a", "a-", "a__-b", "x".repeat(256), "a/.b", "a%00b"];

    test("every endpoint answers 400 or 404 to a bad digest, and no file is created for it", async () => {
      const before = tree(reg.root).sort();
      const wrong: unknown[] = [];
      for (const digest of badDigests) {
        const urls: [string, string][] = [
          ["GET", `/v2/hostile/d/blobs/${digest}`],
          ["HEAD", `/v2/hostile/d/blobs/${digest}`],
          ["DELETE", `/v2/hostile/d/blobs/${digest}`],
          ["GET", `/v2/hostile/d/manifests/${digest}`],
          ["DELETE", `/v2/hostile/d/manifests/${digest}`],
          ["GET", `/v2/hostile/d/referrers/${digest}`],
          ["POST", `/v2/hostile/d/blobs/uploads/?digest=${digest}`],
          ["POST", `/v2/hostile/d/blobs/uploads/?mount=${digest}&from=hostile/e`],
        ];
        for (const [method, path] of urls) {
          const res = await fetch(`${base}${path}`, { method, body: method === "POST" ? "x" : undefined });
          // A subject of an algorithm idp does not compute (md5) is grammatical, so referrers
          // may answer an empty list for it instead (the spec forbids 404 there).
          if (path.includes("/referrers/") && res.status === 200) {
            const body = (await res.json()) as { manifests: unknown[] };
            if (body.manifests.length !== 0) wrong.push({ method, path, status: res.status, body });
            continue;
          }
          const codes = method === "HEAD" ? ["(HEAD)"] : await errorCodes(res);
          if (![400, 404].includes(res.status) || codes.length === 0) wrong.push({ method, path, status: res.status, codes });
        }
        const post = await fetch(`${base}/v2/hostile/d/blobs/uploads/`, { method: "POST" });
        const put = new URL(resolveLocation(base, post.headers.get("location")));
        const res = await fetch(`${put}?digest=${digest}`, { method: "PUT", body: "x" });
        if (res.status !== 400) wrong.push({ method: "PUT", path: `${put}?digest=${digest}`, status: res.status });
        await fetch(put, { method: "DELETE" });
      }
      expect(wrong).toEqual([]);
      const created = tree(reg.root).filter((p) => !before.includes(p));
      const unexpected = created.filter((p) => !/^(uploads|tmp)(\/|$)/.test(p) && !/^repositories\/hostile\+d(\/|$)/.test(p));
      expect(unexpected).toEqual([]);
      expect(tree(reg.root).filter((p) => p.includes("..") || p.includes("passwd"))).toEqual([]);
    });

    test("bad repository names are 400 NAME_INVALID on every endpoint and create no directory", async () => {
      const before = tree(reg.root).sort();
      const digest = digestOf("x");
      for (const name of badNames) {
        for (const [method, path] of [
          ["GET", `/v2/${name}/tags/list`],
          ["GET", `/v2/${name}/manifests/latest`],
          ["PUT", `/v2/${name}/manifests/latest`],
          ["GET", `/v2/${name}/blobs/${digest}`],
          ["POST", `/v2/${name}/blobs/uploads/`],
          ["GET", `/v2/${name}/referrers/${digest}`],
        ] as const) {
          const res = await fetch(`${base}${path}`, { method, body: method === "PUT" ? "{}" : undefined });
          expect({ name, method, status: res.status }).toEqual({ name, method, status: 400 });
          expect(await errorCodes(res)).toEqual(["NAME_INVALID"]);
        }
      }
      expect(tree(reg.root).filter((p) => !before.includes(p) && !/^(uploads|tmp)(\/|$)/.test(p))).toEqual([]);
    });

    test("dot segments are resolved by the HTTP layer before routing (RFC 3986), so a/../b means b", async () => {
      // Bun normalises `/v2/a/../b` to `/v2/b` as URL parsing requires; the name that reaches
      // the registry is `b`, a valid name, and nothing named `..` can be formed.
      const res = await fetch(`${base}/v2/dots/../dots2/tags/list`);
      expect(res.status).toBe(404);
      expect(await errorCodes(res)).toEqual(["NAME_UNKNOWN"]);
      expect(tree(reg.root).some((p) => p.includes(".."))).toBe(false);
    });

    test("bad tags are 400 TAG_INVALID", async () => {
      await pushImage(base, "hostile/tags", "ok");
      for (const tag of [".hidden", "-dash", "x".repeat(129), "a%2Fb"]) {
        const res = await fetch(`${base}/v2/hostile/tags/manifests/${tag}`);
        expect(res.status).toBe(400);
        expect(await errorCodes(res)).toEqual(["TAG_INVALID"]);
      }
    });
  });

  describe("d-9 upload ids", () => {
    test("ids that are not server-made UUIDs are 404 BLOB_UPLOAD_UNKNOWN for every method", async () => {
      const ids = ["..", "%2e%2e", "a%2Fb", "x".repeat(10_000), crypto.randomUUID(), "00000000-0000-0000-0000-000000000000"];
      const wrong: unknown[] = [];
      for (const id of ids) {
        for (const method of ["GET", "PATCH", "PUT", "DELETE"]) {
          const query = method === "PUT" ? `?digest=${digestOf("")}` : "";
          const res = await fetch(`${base}/v2/hostile/u/blobs/uploads/${id}${query}`, { method, body: method === "PATCH" || method === "PUT" ? "" : undefined });
          const codes = await errorCodes(res);
          // `..` and `%2e%2e` are resolved away by URL parsing (RFC 3986) and hit no upload route.
          const dotted = id === ".." || id === "%2e%2e";
          const ok = (res.status === 404 && (dotted || codes.join() === "BLOB_UPLOAD_UNKNOWN")) || [414, 431].includes(res.status);
          if (!ok) wrong.push({ id: id.slice(0, 40), method, status: res.status, codes });
        }
      }
      expect(wrong).toEqual([]);
    });
    test("an upload session cannot be continued through another repository", async () => {
      const post = await fetch(`${base}/v2/hostile/mine/blobs/uploads/`, { method: "POST" });
      const location = post.headers.get("location")!;
      const stolen = location.replace("/hostile/mine/", "/hostile/theirs/");
      const res = await fetch(`${base}${stolen}`, { method: "PATCH", body: "data" });
      expect(res.status).toBe(404);
      expect(await errorCodes(res)).toEqual(["BLOB_UPLOAD_UNKNOWN"]);
    });
  });

  describe("d-15 big uploads stream past Bun's 128 MiB default with flat memory", () => {
    test("a 1 GiB streamed PATCH succeeds and server RSS stays under 150 MB", async () => {
      const post = await fetch(`${base}/v2/big/blob/blobs/uploads/`, { method: "POST" });
      const digester = new Digester("sha256");
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(reg.proc.pid))), 50);
      try {
        const patch = await fetch(resolveLocation(base, post.headers.get("location")), {
          method: "PATCH",
          body: generatedBody(1024 * MiB, digester),
          headers: { "Content-Type": "application/octet-stream" },
        });
        expect(patch.status).toBe(202);
        expect(patch.headers.get("range")).toBe(`0-${1024 * MiB - 1}`);
        const done = new URL(resolveLocation(base, patch.headers.get("location")));
        done.searchParams.set("digest", digester.digest());
        const put = await fetch(done, { method: "PUT" });
        expect(put.status).toBe(201);
        const head = await fetch(`${base}/v2/big/blob/blobs/${digester.digest()}`, { method: "HEAD" });
        expect(head.headers.get("content-length")).toBe(String(1024 * MiB));
        const get = await fetch(`${base}/v2/big/blob/blobs/${digester.digest()}`);
        const check = new Digester("sha256");
        for await (const chunk of get.body!) check.update(chunk);
        expect(check.digest()).toBe(digester.digest());
      } finally {
        clearInterval(sampler);
      }
      expect(peak).toBeLessThan(150);
    }, 180_000);
  });

  describe("d-17 ranges", () => {
    test("many ranges, inverted, zero-suffix and out-of-bounds ranges are 416 or the whole blob, never 500", async () => {
      const blob = randomContent(100);
      await pushBlob(base, "ranges/r", blob);
      const url = `${base}/v2/ranges/r/blobs/${blob.digest}`;
      const many = Array.from({ length: 500 }, (_, i) => `${i}-${i}`).join(",");
      const cases: [string, number[]][] = [
        [`bytes=${many}`, [200, 416]],
        ["bytes=-0", [416]],
        ["bytes=10-5", [416]],
        ["bytes=100-", [416]],
        ["bytes=1000-2000", [416]],
        ["bytes=abc", [200, 416]],
        ["items=0-5", [200, 416]],
        ["bytes=0-0", [206]],
        [`bytes=0-${"9".repeat(40)}`, [200, 206, 416]],
      ];
      for (const [range, allowed] of cases) {
        const res = await fetch(url, { headers: { Range: range } });
        expect({ range: range.slice(0, 30), status: res.status, allowed: allowed.includes(res.status) }).toMatchObject({ allowed: true });
        if (res.status === 416) expect(res.headers.get("content-range")).toBe("bytes */100");
        await res.arrayBuffer();
      }
    });
  });
});
