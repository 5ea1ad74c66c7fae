import { randomFillSync } from "node:crypto";
import { closeSync, linkSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { MiB } from "./measure.ts";

/** One file of an artifact: where it is, the layer title it gets, its digest and size. */
export interface FixtureFile {
  path: string;
  name: string;
  digest: string;
  size: number;
}

/**
 * The same artifact in the two forms the clients read: loose files (idp push, oras push) and
 * an OCI image layout tagged `v1` (skopeo, crane, idp copy). Its manifest is the one oras and
 * idp write for files: the empty config, one `application/vnd.oci.image.layer.v1.tar` layer
 * per file titled with its name, artifactType `application/vnd.unknown.artifact.v1`.
 */
export interface Artifact {
  /** Directory holding the files (oras runs there: it titles layers with relative paths). */
  dir: string;
  files: FixtureFile[];
  layout: string;
  manifest: { digest: string; bytes: Uint8Array<ArrayBuffer> };
  bytes: number;
}

const EMPTY = new TextEncoder().encode("{}");
const EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

function sha256(bytes: Uint8Array): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

/** Writes `size` random bytes to `path` in 8 MiB pieces, hashing as it goes. */
export function writeRandomFile(path: string, size: number): { digest: string; size: number } {
  const hasher = new Bun.CryptoHasher("sha256");
  const piece = new Uint8Array(Math.min(size, 8 * MiB));
  const fd = openSync(path, "w");
  try {
    for (let left = size; left > 0; ) {
      const n = Math.min(left, piece.byteLength);
      const part = piece.subarray(0, n);
      randomFillSync(part);
      hasher.update(part);
      writeSync(fd, part);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  return { digest: `sha256:${hasher.digest("hex")}`, size };
}

/**
 * Writes `count` random files of `size` bytes under `dir` and the layout beside them (blobs
 * hard-linked to the files, so a 512 MiB artifact costs 512 MiB of disk once).
 */
export function makeArtifact(dir: string, layout: string, count: number, size: number, name: (i: number) => string): Artifact {
  mkdirSync(dir, { recursive: true });
  const files: FixtureFile[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, name(i));
    files.push({ path, name: name(i), ...writeRandomFile(path, size) });
  }
  const manifest = writeLayout(layout, files);
  return { dir, files, layout, manifest, bytes: count * size };
}

/** An OCI image layout holding one artifact made of `files`, tagged v1. */
function writeLayout(layout: string, files: FixtureFile[]): Artifact["manifest"] {
  const blobs = join(layout, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(blobs, EMPTY_DIGEST.slice(7)), EMPTY);
  for (const f of files) {
    try {
      linkSync(f.path, join(blobs, f.digest.slice(7)));
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
  }
  const bytes = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      artifactType: "application/vnd.unknown.artifact.v1",
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: EMPTY_DIGEST, size: EMPTY.byteLength },
      layers: files.map((f) => ({
        mediaType: "application/vnd.oci.image.layer.v1.tar",
        digest: f.digest,
        size: f.size,
        annotations: { "org.opencontainers.image.title": f.name },
      })),
    }),
  );
  const digest = sha256(bytes);
  writeFileSync(join(blobs, digest.slice(7)), bytes);
  writeFileSync(
    join(layout, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest, size: bytes.byteLength, annotations: { "org.opencontainers.image.ref.name": "v1" } }],
    }),
  );
  return { digest, bytes };
}

async function expect(res: Response, status: number, what: string): Promise<void> {
  if (res.status !== status) throw new Error(`seeding: ${what} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  await res.arrayBuffer();
}

/**
 * Puts an artifact into a registry with plain HTTP requests (one streamed PUT per blob), so
 * every client pulls the same bytes and none of them put them there.
 */
export async function seed(base: string, repo: string, tag: string, artifact: Artifact): Promise<void> {
  const blobs: { digest: string; body: () => Blob | Uint8Array<ArrayBuffer> }[] = [
    { digest: EMPTY_DIGEST, body: () => EMPTY },
    ...artifact.files.map((f) => ({ digest: f.digest, body: () => Bun.file(f.path) })),
  ];
  for (const blob of blobs) {
    const head = await fetch(`${base}/v2/${repo}/blobs/${blob.digest}`, { method: "HEAD" });
    if (head.status === 200) continue;
    const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
    const location = new URL(post.headers.get("location") ?? "", base);
    await expect(post, 202, "POST upload");
    location.searchParams.set("digest", blob.digest);
    await expect(await fetch(location, { method: "PUT", body: blob.body(), headers: { "Content-Type": "application/octet-stream" } }), 201, "PUT blob");
  }
  const put = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    body: artifact.manifest.bytes,
    headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" },
  });
  await expect(put, 201, "PUT manifest");
}
