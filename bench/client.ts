/**
 * The benchmark's own HTTP client for many small requests: plain fetch, the same code against
 * both registries, so what differs is the server. (Spawning a CLI per artifact would measure
 * process start-up instead.)
 */

export interface Blob_ {
  bytes: Uint8Array<ArrayBuffer>;
  digest: string;
}

/**
 * Bytes with their sha256 digest.
 *
 * @example const blob = blobOf(crypto.getRandomValues(new Uint8Array(1024)));
 */
export function blobOf(bytes: Uint8Array<ArrayBuffer>): Blob_ {
  return { bytes, digest: `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}` };
}

async function expectStatus(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res;
}

/**
 * POST, then a monolithic PUT with the whole blob.
 *
 * @example await pushBlob(server.url, "wrk/blob", blob);
 */
export async function pushBlob(base: string, repo: string, blob: Blob_): Promise<void> {
  const post = await expectStatus(await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" }), 202, "POST upload");
  const location = new URL(post.headers.get("location")!, base);
  location.searchParams.set("digest", blob.digest);
  const put = await fetch(location, { method: "PUT", body: blob.bytes, headers: { "Content-Type": "application/octet-stream" } });
  await expectStatus(put, 201, "PUT blob");
  await put.arrayBuffer();
}

/**
 * PUTs an OCI image manifest under `reference`.
 *
 * @example await putManifest(server.url, "tags/x", "v1", artifact.manifest);
 */
export async function putManifest(base: string, repo: string, reference: string, manifest: Uint8Array<ArrayBuffer>): Promise<void> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${reference}`, {
    method: "PUT",
    body: manifest,
    headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" },
  });
  await expectStatus(res, 201, "PUT manifest");
  await res.arrayBuffer();
}

/**
 * A small artifact: a config, one 4 KiB layer and the manifest naming them, all unique.
 *
 * @example const artifact = makeArtifact("idp-0-1");
 */
export function makeArtifact(seed: string): { config: Blob_; layer: Blob_; manifest: Uint8Array<ArrayBuffer> } {
  const config = blobOf(new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", seed })));
  const layer = blobOf(crypto.getRandomValues(new Uint8Array(4096)));
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.bytes.byteLength },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layer.digest, size: layer.bytes.byteLength }],
    }),
  );
  return { config, layer, manifest };
}

/**
 * Pushes an artifact: its two blobs, then its manifest under `tag`.
 *
 * @example await pushArtifact(server.url, "small/x", "v1", makeArtifact("seed"));
 */
export async function pushArtifact(base: string, repo: string, tag: string, artifact: ReturnType<typeof makeArtifact>): Promise<void> {
  await pushBlob(base, repo, artifact.config);
  await pushBlob(base, repo, artifact.layer);
  await putManifest(base, repo, tag, artifact.manifest);
}

/**
 * Runs `work(i)` for i in [0, count) with `concurrency` at a time.
 *
 * @example await pool(200, 8, (i) => pushArtifact(url, "small/x", `v${i}`, items[i]!));
 */
export async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}
